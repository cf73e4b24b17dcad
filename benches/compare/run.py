#!/usr/bin/env python3
"""Side-by-side write/read comparison of originstore with its peers (issue 15).

Installs the peers into a cache directory (once), then runs the same load client against
originstore, Garage and s3s-fs, one server at a time, in alternating rounds (the order
rotates each round); each family of workloads (4 KiB, 1 MiB, 64 MiB) runs on a freshly
started server with a fresh data directory in the system temp directory. The client is the
project's own (`benches/load`, `--endpoint` mode; the default) or, with `--client s3load`,
the independent `../shared/bench/s3load`, which the server was not tuned against (built
into `target/s3load-bin`; the server's peak RSS is then read from /proc after each family,
and `md5` still comes from `benches/load`, which hashes in process; s3load sends one body
for every object, which Garage deduplicates, so with s3load Garage's PUT figures are not a
write path's). Prints the medians as a markdown table with the
ratio of originstore to the best peer, and writes every measurement and the medians as JSON.

    python3 benches/compare/run.py                      # 3 rounds, 5 s per workload
    python3 benches/compare/run.py --rounds 1 --secs 2  # a quick look
    python3 benches/compare/run.py --servers originstore,s3s-fs
    python3 benches/compare/run.py --client s3load --families 'md5,put64m,get64m'

Each round also measures, with no server running, what the disk and the page cache allow a
durable writer (`disk_probe.py`): the write figures are printed as shares of those ceilings
too (`--no-probe` skips it).

Not part of `.ci/run`: a full run takes about 10 minutes after the peers are built (Garage
takes ~25 minutes to build on 2 cores the first time). See benches/README.md.
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import disk_probe

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("ORIGINSTORE_BENCH_CACHE", Path.home() / ".cache" / "originstore-bench"))
PEERS = {
    "garage": ["garage@2.5.0", "--locked"],
    "s3s-fs": ["s3s-fs@0.14.1", "--features", "binary", "--locked"],
}
# Each family runs on a fresh server (and data directory): a workload then does not inherit
# what the one before it left (measured: originstore's PUT 64 MiB halves for a few seconds
# right after the 16-client PUT 1 MiB burst; see benches/RESULTS.md).
# The data directories (and the probes' files) are removed only when the run ends: deleting
# them freed their page-cache pages, and on a VM that hands freed memory back to its host
# late, the server started next wrote into those already-touched pages at up to 5x the speed
# of new ones, so the order of the servers decided who led (benches/RESULTS.md, issue 31).
KEEP = []
FAMILIES = ["put4k,get4k", "put1m,get1m", "md5,put64m,get64m"]
# (label, workload, field, unit) in the order of the table.
ROWS = [
    ("GET 4 KiB, {c} clients", "get4k", "ops_per_s", "ops/s"),
    ("PUT 4 KiB, {c} clients", "put4k", "ops_per_s", "ops/s"),
    ("GET 1 MiB, {c} clients", "get1m", "mib_per_s", "MiB/s"),
    ("PUT 1 MiB, {c} clients", "put1m", "mib_per_s", "MiB/s"),
    ("GET 64 MiB, 1 client", "get64m", "mib_per_s", "MiB/s"),
    ("PUT 64 MiB, 1 client", "put64m", "mib_per_s", "MiB/s"),
]
ORIGINSTORE_KEYS = ("BENCHACCESSKEY000001", "benchsecretkey/00000000000000000000001")
# Garage only accepts key ids of the form GK + 24 hex digits and 64-hex-digit secrets.
GARAGE_KEYS = ("GK" + "0" * 23 + "1", "b" * 64)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not listen on {port} within {timeout}s")


def install_peers(names):
    """cargo install each missing peer into CACHE (its bin/ directory)."""
    for name in names:
        if name == "originstore" or (CACHE / "bin" / name).exists():
            continue
        log(f"installing {name} into {CACHE} (once; Garage takes ~25 min on 2 cores)")
        subprocess.run(
            ["cargo", "install", *PEERS[name], "--root", str(CACHE)],
            check=True,
            env={**os.environ, "CARGO_TARGET_DIR": str(CACHE / "target")},
        )


def build_originstore():
    """The release server and the load client; returns the load client's path."""
    subprocess.run(["cargo", "build", "--release", "--bin", "originstore"], cwd=ROOT, check=True)
    out = subprocess.run(
        ["cargo", "bench", "--bench", "load", "--no-run", "--message-format=json"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == "load" and msg.get("executable"):
            return msg["executable"]
    raise SystemExit("cargo did not report the load benchmark's executable")


def build_s3load():
    """The independent client, installed under target/s3load-bin; returns its path."""
    source = ROOT.parent / "shared" / "bench" / "s3load"
    if not source.is_dir():
        raise SystemExit(f"--client s3load needs {source}")
    subprocess.run(
        ["cargo", "install", "--path", str(source), "--root", str(ROOT / "target/s3load-bin")],
        cwd=ROOT, check=True, env={**os.environ, "CARGO_TARGET_DIR": str(ROOT / "target/s3load")},
    )
    return str(ROOT / "target/s3load-bin/bin/s3load")


# What s3load runs for each of the load client's workload names: (phase, size, clients,
# max ops, time cap as a multiple of --secs), as `benches/load` runs them.
S3LOAD_WORKLOADS = {
    "put4k": ("put", "4KiB", None, 100_000, 1),
    "get4k": ("get", "4KiB", None, 1_000_000, 1),
    "put1m": ("put", "1MiB", None, 2_000, 1),
    "get1m": ("get", "1MiB", None, 1_000_000, 1),
    "put64m": ("put", "64MiB", 1, 5, 4),
    "get64m": ("get", "64MiB", 1, 1_000_000, 1),
}


def peak_rss_mib(pid):
    """The process's peak resident set (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


class Server:
    """One server on a fresh data directory; stopped (and its directory removed) on exit."""

    def __init__(self, name):
        self.name = name
        self.dir = Path(tempfile.mkdtemp(prefix=f"compare-{name}-"))
        self.port = free_port()
        self.keys = GARAGE_KEYS if name == "garage" else ORIGINSTORE_KEYS
        self.log = open(self.dir / "server.log", "w")
        self.proc = None

    def spawn(self, argv):
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_port(self.port, self.proc, self.name)

    def __enter__(self):
        access, secret = self.keys
        if self.name == "originstore":
            self.spawn([str(ROOT / "target/release/originstore"), "serve",
                        "--data-dir", str(self.dir / "data"), "--listen", f"127.0.0.1:{self.port}",
                        "--access-key", access, "--secret-key", secret])
        elif self.name == "s3s-fs":
            (self.dir / "data").mkdir()
            self.spawn([str(CACHE / "bin/s3s-fs"), "--host", "127.0.0.1", "--port", str(self.port),
                        "--access-key", access, "--secret-key", secret, str(self.dir / "data")])
        elif self.name == "garage":
            self.start_garage(access, secret)
        else:
            raise SystemExit(f"unknown server {self.name}")
        return self

    def start_garage(self, access, secret):
        """Single node, its defaults otherwise (metadata_fsync and data_fsync off)."""
        rpc, admin = free_port(), free_port()
        config = self.dir / "garage.toml"
        config.write_text(
            f'metadata_dir = "{self.dir}/meta"\n'
            f'data_dir = "{self.dir}/data"\n'
            'db_engine = "lmdb"\n'
            "replication_factor = 1\n"
            f'rpc_bind_addr = "127.0.0.1:{rpc}"\n'
            f'rpc_public_addr = "127.0.0.1:{rpc}"\n'
            f'rpc_secret = "{secrets.token_hex(32)}"\n'
            "[s3_api]\n"
            's3_region = "us-east-1"\n'
            f'api_bind_addr = "127.0.0.1:{self.port}"\n'
            "[admin]\n"
            f'api_bind_addr = "127.0.0.1:{admin}"\n'
        )
        garage = [str(CACHE / "bin/garage"), "-c", str(config)]
        self.spawn([*garage, "server"])

        def cli(*args):
            return subprocess.run([*garage, *args], check=True, capture_output=True, text=True).stdout

        node = cli("node", "id", "-q").strip().split("@")[0]
        cli("layout", "assign", "-z", "dc1", "-c", "10G", node)
        cli("layout", "apply", "--version", "1")
        cli("key", "import", "--yes", "-n", "bench", access, secret)
        cli("key", "allow", "--create-bucket", access)

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        KEEP.append(self.dir)  # removed at the end of the run (see KEEP)


def run_family(load, name, family, args, json_path):
    if args.client == "s3load":
        return run_family_s3load(load, name, family, args, json_path)
    with Server(name) as server:
        access, secret = server.keys
        cmd = [load, "--endpoint", f"127.0.0.1:{server.port}", "--pid", str(server.proc.pid),
               "--label", name, "--json", str(json_path), "--only", family,
               "--secs", str(args.secs), "--clients", str(args.clients),
               "--access-key", access, "--secret-key", secret]
        log(f"--- {name}: {family}")
        subprocess.run(cmd, check=True, stdout=sys.stderr)


def run_family_s3load(clients, name, family, args, json_path):
    """The family's workloads with s3load, written as `benches/load` writes them."""
    load, s3load = clients
    workloads = family.split(",")
    if "md5" in workloads:
        subprocess.run([load, "--label", name, "--json", str(json_path), "--only", "md5",
                        "--secs", str(args.secs)], check=True, stdout=sys.stderr)
    with Server(name) as server:
        access, secret = server.keys
        prefix = f"compare-{secrets.token_hex(4)}"
        created = False
        done = []  # this family's measurements: a GET reads what its PUT wrote
        for workload in workloads:
            if workload == "md5":
                continue
            if workload not in S3LOAD_WORKLOADS:
                raise SystemExit(f"s3load has no workload {workload}")
            op, size, clients_, max_ops, cap = S3LOAD_WORKLOADS[workload]
            clients_ = clients_ or args.clients
            # A GET reads what the family's PUT of the same size wrote.
            put = "put" + workload[3:]
            written = [m for m in done if m["workload"] == put] if op == "get" else []
            cmd = [s3load, "--endpoint", f"http://127.0.0.1:{server.port}",
                   "--access-key", access, "--secret-key", secret, "--bucket", "bench",
                   "--ops", op, "--size", size, "--concurrency", str(clients_),
                   "--duration", str(args.secs * cap), "--max-ops", str(max_ops),
                   "--prefix", f"{prefix}-{size}", "--label", name]
            if op == "get":
                if not written:
                    raise SystemExit(f"{workload} needs {put} before it in the family")
                cmd += ["--objects", str(written[-1]["ops"])]
            if not created:
                cmd.append("--create-bucket")
                created = True
            log(f"--- {name}: {workload} (s3load)")
            run = subprocess.run(cmd, capture_output=True, text=True)
            if run.returncode != 0:
                # s3load names each failed request on stderr; the server's log says why.
                server.log.flush()
                tail = (server.dir / "server.log").read_text(errors="replace")[-4000:]
                raise SystemExit(f"s3load failed against {name} ({workload}):\n{run.stderr[-4000:]}"
                                 f"\n--- {name}'s log, last lines:\n{tail}")
            out = run.stdout
            line = json.loads(out.strip().splitlines()[-1])
            m = {"server": name, "workload": workload, "client": "s3load", "ops": line["ops"],
                 "clients": clients_, "ops_per_s": line["ops_per_s"], "mib_per_s": line["mib_per_s"],
                 "p50_ms": line["lat_ms"]["p50"], "p99_ms": line["lat_ms"]["p99"],
                 "server_peak_rss_mib": peak_rss_mib(server.proc.pid)}
            done.append(m)
            with open(json_path, "a") as f:
                f.write(json.dumps(m) + "\n")
            log(f"    {m['ops_per_s']:.0f} ops/s, {m['mib_per_s']:.1f} MiB/s, p50 {m['p50_ms']:.1f} ms")
    return None


def medians(lines):
    """{(server, workload): {field: median}} over the rounds."""
    grouped = {}
    for m in lines:
        grouped.setdefault((m["server"], m["workload"]), []).append(m)
    out = {}
    for key, ms in grouped.items():
        out[key] = {f: statistics.median(m[f] for m in ms)
                    for f in ("ops_per_s", "mib_per_s", "server_peak_rss_mib", "p50_ms", "p99_ms")}
        out[key]["rounds"] = len(ms)
    return out


def table(med, servers, clients):
    peers = [s for s in servers if s != "originstore"]
    head = ["case", *servers] + (["originstore / best peer"] if peers and "originstore" in servers else [])
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    summary = []
    for label, workload, field, unit in ROWS:
        values = {s: med.get((s, workload), {}).get(field) for s in servers}
        cells = [f"{label.format(c=clients)}, {unit}"]
        cells += [f"{values[s]:,.0f}".replace(",", " ") if values[s] is not None else "—" for s in servers]
        ratio = None
        if len(head) > len(servers) + 1:
            best = max((values[p] for p in peers if values[p] is not None), default=None)
            if best and values["originstore"] is not None:
                ratio = values["originstore"] / best
            cells.append(f"{ratio:.2f}" if ratio is not None else "—")
        rows.append("| " + " | ".join(cells) + " |")
        summary.append({"case": label.format(c=clients), "workload": workload, "unit": unit,
                        "values": values, "originstore_vs_best_peer": ratio})
    rss = {s: max((v["server_peak_rss_mib"] for (srv, w), v in med.items() if srv == s), default=None)
           for s in servers}
    cells = ["server peak RSS, MiB"] + [f"{rss[s]:.0f}" if rss[s] is not None else "—" for s in servers]
    if len(head) > len(servers) + 1:
        cells.append("")
    rows.append("| " + " | ".join(cells) + " |")
    md5 = statistics.median(v["mib_per_s"] for (s, w), v in med.items() if w == "md5") if any(
        w == "md5" for (_, w) in med) else None
    return "\n".join(rows), summary, rss, md5


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--secs", type=float, default=5.0, help="time cap per workload")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--servers", default="originstore,garage,s3s-fs")
    parser.add_argument("--families", default=";".join(FAMILIES),
                        help="';'-separated workload families, each on a fresh server")
    parser.add_argument("--client", choices=("load", "s3load"), default="load",
                        help="the load client: the project's benches/load or the independent s3load")
    parser.add_argument("--out", type=Path, default=Path("target/compare"),
                        help="directory for the JSON outputs (default target/compare)")
    parser.add_argument("--no-probe", action="store_true",
                        help="skip the disk probes (disk_probe.py) run alone in each round")
    args = parser.parse_args()
    servers = args.servers.split(",")
    install_peers(servers)
    load = build_originstore()
    if args.client == "s3load":
        load = (load, build_s3load())
    out = args.out if args.out.is_absolute() else ROOT / args.out
    out.mkdir(parents=True, exist_ok=True)
    raw = out / "runs.jsonl"
    raw.unlink(missing_ok=True)
    probes = {}  # probe -> MiB/s of each round
    for r in range(args.rounds):
        order = servers[r % len(servers):] + servers[:r % len(servers)]
        log(f"=== round {r + 1}/{args.rounds}: {', '.join(order)}")
        if not args.no_probe:
            for name in disk_probe.RUN_PROBES:
                probes.setdefault(name, []).append(disk_probe.probe(name, args.secs, KEEP))
                log(f"--- disk alone: {name} {probes[name][-1]:.0f} MiB/s")
        for family in args.families.split(";"):
            for name in order:
                run_family(load, name, family, args, raw)
    lines = [json.loads(l) for l in raw.read_text().splitlines() if l.strip()]
    med = medians(lines)
    text, summary, rss, md5 = table(med, servers, args.clients)
    print(f"medians of {args.rounds} round(s), {args.secs:g} s per workload, client {args.client}, "
          f"{os.cpu_count()} CPUs shared by client and server\n")
    print(text)
    put64 = med.get(("originstore", "put64m"), {}).get("mib_per_s")
    if md5 and put64:
        print(f"\nsingle-core MD5 (md-5 crate, same run): {md5:.0f} MiB/s; "
              f"originstore PUT 64 MiB = {put64 / md5:.0%} of it")
    disk = {name: statistics.median(v) for name, v in probes.items()}
    if disk:
        print("\ndisk alone, same run (disk_probe.py, MiB/s): "
              + ", ".join(f"{name} {v:.0f}" for name, v in disk.items()))
        put1 = med.get(("originstore", "put1m"), {}).get("mib_per_s")
        for what, value, ceiling in (("PUT 64 MiB", put64, "fill64m"), ("PUT 1 MiB", put1, "fill1m")):
            if value and disk.get(ceiling):
                print(f"originstore {what} = {value / disk[ceiling]:.0%} of {ceiling}")
    if args.client == "s3load" and "garage" in servers:
        # Measured: 1 707 PUTs of 1 MiB left 1.1 MiB in Garage's data directory.
        print("\nGarage stores content-addressed 1 MiB blocks, deduplicated, and s3load sends one "
              "body for every object: Garage writes one block for all of them, so its PUT "
              "figures here are not a write path's (benches/load makes every body unique).")
    result = {"client": args.client, "rounds": args.rounds, "secs": args.secs, "clients": args.clients,
              "md5_mib_per_s": md5, "disk_mib_per_s": disk, "peak_rss_mib": rss, "cases": summary,
              "medians": [{"server": s, "workload": w, **v} for (s, w), v in sorted(med.items())]}
    (out / "summary.json").write_text(json.dumps(result, indent=2))
    log(f"JSON: {out / 'summary.json'} (medians), {raw} (every measurement)")


if __name__ == "__main__":
    try:
        main()
    finally:
        for d in KEEP:
            shutil.rmtree(d, ignore_errors=True)
