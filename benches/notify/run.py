#!/usr/bin/env python3
"""What bucket notifications cost a write: PUT 4 KiB (16 clients, the load bench against
an external release server) with no notification configured, with every PUT's event queued
for a webhook target that is down (events pile up on disk), and with a live webhook (a
small Python receiver on loopback). Setups alternate, a fresh server and data directory
per round; ratios are to the round's baseline.

    cargo build --release && cargo bench --bench load --no-run
    python3 benches/notify/run.py --rounds 3 --secs 5
"""
import argparse
import glob
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AK, SK = "BENCHACCESSKEY000001", "benchsecretkey/00000000000000000000001"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def load_bench():
    found = [p for p in glob.glob(os.path.join(ROOT, "target/release/deps/load-*")) if os.access(p, os.X_OK) and not p.endswith(".d")]
    if not found:
        sys.exit("build the load bench first: cargo bench --bench load --no-run")
    return max(found, key=os.path.getmtime)


def round_of(setup, secs, live_url):
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "config.toml")
        down = f"http://127.0.0.1:{free_port()}/events"
        with open(config, "w") as f:
            f.write(f'access_key = "{AK}"\nsecret_key = "{SK}"\n')
            f.write(f'[[notify.targets]]\nid = "down"\nkind = "webhook"\nurl = "{down}"\nmax_attempts = 1000000\n')
            f.write(f'[[notify.targets]]\nid = "live"\nkind = "webhook"\nurl = "{live_url}"\n')
        server = subprocess.Popen(
            [os.path.join(ROOT, "target/release/originstore"), "serve", "--config", config,
             "--data-dir", os.path.join(tmp, "data"), "--listen", f"127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            endpoint = f"http://127.0.0.1:{port}"
            sign = ["curl", "-s", "-f", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", f"{AK}:{SK}"]
            subprocess.run(sign + ["-X", "PUT", f"{endpoint}/bench"], check=True)
            if setup != "none":
                doc = ("<NotificationConfiguration><QueueConfiguration>"
                       f"<Queue>arn:originstore:sqs::{setup}:webhook</Queue><Event>s3:ObjectCreated:*</Event>"
                       "</QueueConfiguration></NotificationConfiguration>")
                subprocess.run(sign + ["-X", "PUT", "-H", "x-amz-skip-destination-validation: true",
                                       "--data-binary", doc, f"{endpoint}/bench?notification"], check=True)
            out = os.path.join(tmp, "out.jsonl")
            subprocess.run([load_bench(), "--endpoint", f"127.0.0.1:{port}", "--only", "put4k",
                            "--secs", str(secs), "--json", out], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            with open(out) as f:
                rows = [json.loads(line) for line in f if line.strip()]
            return next(r for r in rows if r.get("workload") == "put4k")
        finally:
            server.kill()
            server.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--secs", type=float, default=5)
    args = parser.parse_args()
    live = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=live.serve_forever, daemon=True).start()
    live_url = f"http://127.0.0.1:{live.server_address[1]}/events"
    print("round setup ops/s p50_ms p99_ms ratio")
    for r in range(args.rounds):
        base = None
        for setup in ["none", "down", "live"]:
            row = round_of(setup, args.secs, live_url)
            ops = row["ops_per_s"]
            base = base or ops
            print(r + 1, setup, round(ops), row.get("p50_ms"), row.get("p99_ms"), f"{ops / base:.2f}", flush=True)


if __name__ == "__main__":
    main()
