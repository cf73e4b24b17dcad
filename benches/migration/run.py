#!/usr/bin/env python3
"""Migration passes (issue 26), measured in one run on this machine:

1. A delta pass over N unchanged keys (default 100,000): keys per second, and the origin
   requests it cost (ListObjectsV2 pages only: no object GET), against a plain
   ListObjectsV2 walk of the same origin by boto3 in the same run (the baseline: a pass
   cannot go faster than listing).
2. A verification of the same keys: keys per second and MiB hashed per second.
3. Throttling: a rule limited to R requests per second (default 50) under 32 concurrent
   client misses for 30 s: the origin requests the node sent per second, as a ratio to R.

Two release servers (`target/release/originstore`) run as child processes: the old store
and the node. The old store is filled by s3load (the independent load client); the node's
copies by a backfill. Prints a markdown table; `--json` writes the figures.

    python3 benches/migration/run.py                    # 100,000 keys, 30 s throttle window
    python3 benches/migration/run.py --keys 20000 --window 10

Needs: the release server (cargo build --release), s3load
(CARGO_TARGET_DIR=target/s3load cargo install --path ../shared/bench/s3load --root
target/s3load-bin), boto3. Not part of .ci/run.
"""

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import botocore

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "target" / "release" / "originstore"
S3LOAD = ROOT / "target" / "s3load-bin" / "bin" / "s3load"
KEY, SECRET = "MIGRATIONBENCH000001", "migration-bench-secret/0000000000000001"


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(data):
    port = free_port()
    proc = subprocess.Popen(
        [str(SERVER), "serve", "--data-dir", str(data), "--listen", f"127.0.0.1:{port}",
         "--access-key", KEY, "--secret-key", SECRET],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=dict(os.environ, RUST_LOG="warn"))
    for _ in range(400):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    sys.exit("the server did not start")


def client(endpoint):
    return boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id=KEY, aws_secret_access_key=SECRET,
        region_name="us-east-1",
        config=botocore.config.Config(s3={"addressing_style": "path"}, retries={"max_attempts": 0}))


def raw(s3, method, bucket, query, body=b""):
    """A signed request to /bucket?query with boto3's signer; the response text."""
    import urllib.request
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    url = f"{s3.meta.endpoint_url}/{bucket}?{query}"
    req = AWSRequest(method=method, url=url, data=body)
    SigV4Auth(s3._request_signer._credentials, "s3", "us-east-1").add_auth(req)
    prepared = urllib.request.Request(url, data=body if method == "PUT" else None,
                                      headers=dict(req.headers), method=method)
    try:
        with urllib.request.urlopen(prepared) as resp:
            return resp.read().decode()
    except urllib.error.HTTPError as e:
        sys.exit(f"{method} {url}: {e.code} {e.read().decode()}")


def wait(s3, bucket, kind):
    while True:
        text = raw(s3, "GET", bucket, f"origin-{kind}")
        if "<State>Running</State>" not in text:
            return text
        time.sleep(0.5)


def metric(endpoint, name, labels):
    import urllib.request
    text = urllib.request.urlopen(f"{endpoint}/metrics").read().decode()
    total = 0
    for line in text.splitlines():
        if line.startswith(name + "{") and all(l in line for l in labels):
            total += float(line.rsplit(" ", 1)[1])
    return total


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=50)
    parser.add_argument("--window", type=int, default=30)
    parser.add_argument("--json", default=str(ROOT / "target" / "migration-bench.json"))
    args = parser.parse_args()
    results = {"keys": args.keys}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        old_proc, old = start(tmp / "old")
        node_proc, node = start(tmp / "node")
        try:
            log(f"filling the old store with {args.keys} keys (s3load)")
            subprocess.run(
                [str(S3LOAD), "--endpoint", old, "--bucket", "src", "--access-key", KEY,
                 "--secret-key", SECRET, "--ops", "put", "--size", "1KiB", "--concurrency",
                 "16", "--max-ops", str(args.keys), "--duration", "3600", "--prefix", "k",
                 "--create-bucket"], check=True, stdout=subprocess.DEVNULL)
            old_s3, node_s3 = client(old), client(node)

            started = time.monotonic()
            listed = 0
            for page in old_s3.get_paginator("list_objects_v2").paginate(Bucket="src"):
                listed += len(page.get("Contents", []))
            list_secs = time.monotonic() - started
            assert listed == args.keys, listed
            results["listing_keys_per_s"] = listed / list_secs

            origin = ("<OriginConfiguration><OriginRule><RulePriority>1</RulePriority>"
                      "<OriginType>Mirror</OriginType><OriginCondition><HTTPStatusCode>404"
                      "</HTTPStatusCode></OriginCondition><OriginParameter><Protocol>HTTP"
                      "</Protocol>{throttle}</OriginParameter><OriginInfo><HostInfo><PrivateHost>"
                      f"<Host>{old.removeprefix('http://')}/src</Host><CredentialProvider>"
                      "<AuthorizationAlgorithm>AWS4-HMAC-SHA256</AuthorizationAlgorithm>"
                      f"<Region>us-east-1</Region><SecretId>{KEY}</SecretId><SecretKey>{SECRET}"
                      "</SecretKey></CredentialProvider></PrivateHost></HostInfo></OriginInfo>"
                      "</OriginRule></OriginConfiguration>")
            node_s3.create_bucket(Bucket="mig")
            raw(node_s3, "PUT", "mig", "origin", origin.format(throttle="").encode())
            log("backfilling the node")
            started = time.monotonic()
            raw(node_s3, "PUT", "mig", "origin-backfill",
                b"<Backfill><Concurrency>32</Concurrency></Backfill>")
            while "<State>Running</State>" in raw(node_s3, "GET", "mig", "origin-backfill"):
                time.sleep(1)
            results["backfill_keys_per_s"] = args.keys / (time.monotonic() - started)

            gets = lambda: metric(old, "originstore_requests_total", ['operation="GetObject"'])
            lists = lambda: metric(old, "originstore_requests_total", ['operation="ListObjectsV2"'])
            before = (gets(), lists())
            log("delta pass over unchanged keys")
            started = time.monotonic()
            raw(node_s3, "PUT", "mig", "origin-delta", b"<Delta><Concurrency>8</Concurrency></Delta>")
            status = wait(node_s3, "mig", "delta")
            delta_secs = time.monotonic() - started
            assert "<Clean>true</Clean>" in status, status
            results["delta_keys_per_s"] = args.keys / delta_secs
            results["delta_object_gets"] = gets() - before[0]
            results["delta_listings"] = lists() - before[1]

            log("verification")
            started = time.monotonic()
            raw(node_s3, "PUT", "mig", "origin-verify", b"<Verify><Concurrency>8</Concurrency></Verify>")
            status = wait(node_s3, "mig", "verify")
            verify_secs = time.monotonic() - started
            assert "<Clean>true</Clean>" in status, status
            hashed = int(re.search(r"<HashedBytes>(\d+)</HashedBytes>", status).group(1))
            results["verify_keys_per_s"] = args.keys / verify_secs
            results["verify_mib_per_s"] = hashed / verify_secs / 2**20

            log(f"throttle: {args.rate} requests/s for {args.window} s under 32 clients")
            node_s3.create_bucket(Bucket="thr")
            throttle = f"<Throttle><RequestsPerSecond>{args.rate}</RequestsPerSecond></Throttle>"
            raw(node_s3, "PUT", "thr", "origin", origin.format(throttle=throttle).encode())
            sent = lambda: metric(node, "originstore_origin_requests_total", ['bucket="thr"'])
            before = sent()
            started = time.monotonic()
            subprocess.run(
                [str(S3LOAD), "--endpoint", node, "--bucket", "thr", "--access-key", KEY,
                 "--secret-key", SECRET, "--ops", "get", "--objects", str(args.keys),
                 "--prefix", "k", "--size", "1KiB", "--concurrency", "32", "--duration",
                 str(args.window)], check=True, stdout=subprocess.DEVNULL)
            secs = time.monotonic() - started
            results["throttle_rate"] = (sent() - before) / secs
            results["throttle_ratio"] = results["throttle_rate"] / args.rate
        finally:
            for proc in (old_proc, node_proc):
                proc.terminate()
                proc.wait()
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=1))
    print("| measure | figure | ratio |")
    print("|---|---|---|")
    print(f"| ListObjectsV2 walk of the old store (boto3) | {results['listing_keys_per_s']:.0f} keys/s | 1.00 |")
    print(f"| delta pass, {args.keys} unchanged keys | {results['delta_keys_per_s']:.0f} keys/s | {results['delta_keys_per_s'] / results['listing_keys_per_s']:.2f} |")
    print(f"| its origin requests | {results['delta_listings']:.0f} listings, {results['delta_object_gets']:.0f} object GETs | |")
    print(f"| verification | {results['verify_keys_per_s']:.0f} keys/s, {results['verify_mib_per_s']:.1f} MiB/s hashed | {results['verify_keys_per_s'] / results['listing_keys_per_s']:.2f} |")
    print(f"| backfill (for reference) | {results['backfill_keys_per_s']:.0f} keys/s | |")
    print(f"| throttle at {args.rate}/s over {args.window} s | {results['throttle_rate']:.1f} requests/s | {results['throttle_ratio']:.3f} |")


if __name__ == "__main__":
    main()
