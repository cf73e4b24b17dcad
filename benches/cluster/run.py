#!/usr/bin/env python3
"""Cluster mode throughput (issue 25): the same load through HAProxy with 1, 2 and 3
originstore nodes in front of a 3-node Garage cluster, against the Garage cluster alone,
in one run. The load client is the independent s3load (../shared/bench/s3load): PUT 1 MiB
for a few seconds, then GET of what was just written (through the nodes: the cached
working set). Prints a markdown table of ops/s and MiB/s with each figure's ratio to
Garage alone, and writes every s3load JSON line to --json.
s3load sends one body for every object and Garage deduplicates its content-addressed 1 MiB
blocks, so every PUT here writes one block's worth of data to Garage: the figures are what
the nodes cost in front of it, optimistic for real (distinct) data (benches/RESULTS.md).

    python3 benches/cluster/run.py                  # 5 s per phase, 16 clients
    python3 benches/cluster/run.py --secs 3 -c 8    # a quick look

Needs: the release server (cargo build --release), s3load
(CARGO_TARGET_DIR=target/s3load cargo install --path ../shared/bench/s3load --root
target/s3load-bin), a release build of Garage 2.5.0 (built here on first use, about 20
minutes, and cached beside the tests' unoptimised one), and haproxy. Not part
of .ci/run: on one 2-core machine the client, the balancer, the nodes and Garage share the
cores, so the figures say what a node costs, not how a real cluster scales.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GARAGE_ROOT = Path(os.environ.get("ORIGINSTORE_CI_CACHE", Path.home() / ".cache" / "originstore-ci")) / "garage-2.5.0-release"
GARAGE = GARAGE_ROOT / "bin" / "garage"
KEY_ID = "GK00112233445566778899aabb"
SECRET = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
CLIENT_KEYS = ("BENCHACCESSKEY000001", "benchsecretkey/00000000000000000000001")


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, what):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"{what} never listened on {port}")


def s3load(endpoint, keys, region, bucket, secs, clients, label):
    binary = ROOT / "target" / "s3load-bin" / "bin" / "s3load"
    env = dict(os.environ, ENDPOINT=endpoint, AWS_ACCESS_KEY_ID=keys[0],
               AWS_SECRET_ACCESS_KEY=keys[1], AWS_REGION=region, BUCKET=bucket)
    out = subprocess.run(
        [str(binary), "--size", "1MiB", "--concurrency", str(clients), "--duration", str(secs),
         "--create-bucket", "--label", label],
        env=env, capture_output=True, text=True)
    if out.returncode != 0:
        log(out.stderr)
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def ensure_garage():
    """A release Garage: the tests' cached one is unoptimised, unfit to measure against."""
    if not GARAGE.exists():
        log(f"building a release Garage 2.5.0 into {GARAGE_ROOT} (once)")
        subprocess.run(["cargo", "install", "garage", "--version", "2.5.0", "--locked",
                        "--quiet", "--root", str(GARAGE_ROOT)], check=True)


def start_garage(tmp):
    base = 24000 + (os.getpid() % 300) * 100
    out = subprocess.run(["bash", str(ROOT / ".ci" / "garage-cluster"), str(GARAGE), str(tmp),
                          str(base), KEY_ID, SECRET], capture_output=True, text=True, check=True)
    return out.stdout.split()


def stop_garage(tmp):
    for pid in (Path(tmp) / "pids").read_text().split():
        subprocess.run(["kill", "-9", pid])


def start_nodes(tmp, garage_endpoints, n):
    nodes = []
    for i in range(n):
        port = free_port()
        config = Path(tmp) / f"node{i}.toml"
        config.write_text(
            f'data_dir = "{tmp}/node{i}"\nlisten = "127.0.0.1:{port}"\n'
            f'access_key = "{CLIENT_KEYS[0]}"\nsecret_key = "{CLIENT_KEYS[1]}"\n'
            f'[backend]\nendpoint = "{garage_endpoints[i % 3]}"\nregion = "garage"\n'
            f'access_key = "{KEY_ID}"\nsecret_key = "{SECRET}"\nnode = "node{i}"\n')
        proc = subprocess.Popen([str(ROOT / "target" / "release" / "originstore"), "serve",
                                 "--config", str(config)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=dict(os.environ, RUST_LOG="warn"))
        wait_port(port, f"node {i}")
        nodes.append((proc, port))
    return nodes


def start_haproxy(tmp, ports):
    listen = free_port()
    servers = "".join(f"  server node{i} 127.0.0.1:{p} check inter 300ms fall 2 rise 1\n"
                      for i, p in enumerate(ports))
    cfg = Path(tmp) / "haproxy.cfg"
    cfg.write_text(
        "global\n  maxconn 4096\n\ndefaults\n  mode http\n  timeout connect 2s\n"
        "  timeout client 120s\n  timeout server 120s\n\nfrontend s3\n"
        f"  bind 127.0.0.1:{listen}\n  default_backend originstore\n\nbackend originstore\n"
        "  balance uri path-only\n  hash-type consistent\n  option httpchk GET /health\n"
        "  http-check expect status 200\n" + servers)
    proc = subprocess.Popen([shutil.which("haproxy") or "/usr/sbin/haproxy", "-db", "-f", str(cfg)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(listen, "haproxy")
    time.sleep(1)  # the first health checks
    return proc, listen


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--secs", type=int, default=5)
    parser.add_argument("-c", "--clients", type=int, default=16)
    parser.add_argument("--json", default=str(ROOT / "target" / "cluster-bench.jsonl"))
    args = parser.parse_args()
    ensure_garage()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        endpoints = start_garage(tmp)
        time.sleep(1)
        try:
            log("Garage alone")
            results += s3load(endpoints[0], (KEY_ID, SECRET), "garage", "alone", args.secs,
                              args.clients, "garage")
            for n in (1, 2, 3):
                log(f"{n} node(s) behind haproxy")
                node_dir = Path(tmp) / f"originstore-{n}"
                node_dir.mkdir()
                nodes = start_nodes(node_dir, endpoints, n)
                proxy, port = start_haproxy(node_dir, [p for _, p in nodes])
                try:
                    results += s3load(f"http://127.0.0.1:{port}", CLIENT_KEYS, "us-east-1",
                                      f"through{n}", args.secs, args.clients, f"{n} node(s)")
                finally:
                    proxy.kill()
                    for proc, _ in nodes:
                        proc.kill()
        finally:
            stop_garage(tmp)
    Path(args.json).write_text("".join(json.dumps(r) + "\n" for r in results))
    base = {r["op"]: r for r in results if r["label"] == "garage"}
    print(f"| setup | PUT 1 MiB ops/s | ratio | GET 1 MiB ops/s | ratio | PUT p50 | GET p50 |")
    print("|---|---|---|---|---|---|---|")
    for label in ["garage", "1 node(s)", "2 node(s)", "3 node(s)"]:
        row = {r["op"]: r for r in results if r["label"] == label}
        if not row:
            continue
        cells = [label if label != "garage" else "Garage alone"]
        for op in ("put", "get"):
            r = row.get(op)
            b = base.get(op)
            cells.append(f"{r['ops_per_s']:.0f}" if r else "-")
            cells.append(f"{r['ops_per_s'] / b['ops_per_s']:.2f}" if r and b else "-")
        for op in ("put", "get"):
            r = row.get(op)
            cells.append(f"{r['lat_ms']['p50']:.1f} ms" if r else "-")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
