#!/usr/bin/env python3
"""What the machine allows a durable writer, without any server: the ceilings the write
workloads of `run.py` are read against (issue 31). Each probe writes new files in a fresh
directory under the system temp directory (where the servers' data directories are), keeps
them until the probe ends, and prints MiB/s:

- `fill64m`: one writer, 64 MiB files in 1 MiB writes through the page cache, each fsynced
  (what a PUT 64 MiB with durability must do besides hashing);
- `direct64m`: the same with O_DIRECT (no page cache);
- `fill1m`: 16 writers, 1 MiB files, each fsynced, renamed into one of 256 directories and
  the directory fsynced (the file path of a PUT 1 MiB);
- `direct1m`: the same with O_DIRECT; `nosync1m`: the same without any fsync (what a
  server that never syncs asks of the machine).

On a VM whose memory the host takes back when the guest frees it (virtio-balloon free page
reporting), a page-cache page used for the first time is costly to touch, and `fill64m`
falls far below `direct64m` (benches/RESULTS.md, issue 31).

    python3 benches/compare/disk_probe.py [--secs 5] [--json out.jsonl]
"""

import argparse
import json
import mmap
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid

MIB = 1 << 20
# At most this many 1 MiB files per probe: `run.py` keeps every probe's files until its run
# ends, and unbounded probes of a fast page cache once filled the disk mid-run.
MAX_1M_FILES = 2048


def fill64m(base, secs, direct=False):
    """MiB/s of one writer creating 64 MiB files (at most 40) until `secs` have passed."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | (os.O_DIRECT if direct else 0)
    buf = mmap.mmap(-1, MIB)  # page-aligned, as O_DIRECT needs
    buf.write(os.urandom(MIB))
    written, start = 0, time.monotonic()
    for i in range(40):
        fd = os.open(os.path.join(base, f"big{i}"), flags, 0o644)
        try:
            for _ in range(64):
                written += os.write(fd, buf)
            os.fsync(fd)
        finally:
            os.close(fd)
        if time.monotonic() - start > secs:
            break
    return written / MIB / (time.monotonic() - start)


def fill1m(base, secs, writers=16, direct=False, sync=True):
    """MiB/s of `writers` threads each creating 1 MiB files as a blob file is made (with
    `sync=False`, as a server that never syncs does: no fsync, no directory fsync)."""
    tmp = os.path.join(base, "tmp")
    os.mkdir(tmp)
    fans = []
    for i in range(256):
        fans.append(os.path.join(base, "blobs", f"{i:02x}"))
        os.makedirs(fans[-1])
    data = mmap.mmap(-1, MIB)  # page-aligned, as O_DIRECT needs
    data.write(os.urandom(MIB))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | (os.O_DIRECT if direct else 0)
    count, lock = [0], threading.Lock()
    stop = time.monotonic() + secs

    def worker():
        while time.monotonic() < stop and count[0] < MAX_1M_FILES:
            name = uuid.uuid4().hex
            path = os.path.join(tmp, name)
            fd = os.open(path, flags, 0o644)
            try:
                os.write(fd, data)
                if sync:
                    os.fsync(fd)
            finally:
                os.close(fd)
            fan = fans[int(name[:2], 16)]
            os.rename(path, os.path.join(fan, name))
            if sync:
                dfd = os.open(fan, os.O_RDONLY)
                try:
                    os.fsync(dfd)
                finally:
                    os.close(dfd)
            with lock:
                count[0] += 1

    start = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return count[0] / (time.monotonic() - start)


PROBES = {
    "fill64m": lambda base, secs: fill64m(base, secs),
    "direct64m": lambda base, secs: fill64m(base, secs, direct=True),
    "fill1m": fill1m,
    "direct1m": lambda base, secs: fill1m(base, secs, direct=True),
    "nosync1m": lambda base, secs: fill1m(base, secs, sync=False),
}
# What `run.py` measures in each round (it keeps the files until its run ends: ~7 GiB a
# round); the others are for running this script alone.
RUN_PROBES = ["fill64m", "direct64m", "fill1m"]


def probe(name, secs, keep=None):
    """One probe in a fresh directory; MiB/s. The directory is removed afterwards, or, with
    a list `keep`, added to it for the caller to remove at the end of its run (so the pages
    the probe's files held are not freed, and reused by whatever runs next)."""
    base = tempfile.mkdtemp(prefix=f"disk-probe-{name}-")
    try:
        os.sync()
        return PROBES[name](base, secs)
    finally:
        if keep is None:
            shutil.rmtree(base, ignore_errors=True)
        else:
            keep.append(base)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--secs", type=float, default=5.0)
    parser.add_argument("--only", default=",".join(PROBES))
    parser.add_argument("--json", help="append one JSON object per probe to this file")
    args = parser.parse_args()
    for name in args.only.split(","):
        mib_s = probe(name, args.secs)
        print(f"{name:10} {mib_s:8.0f} MiB/s", file=sys.stderr)
        if args.json:
            with open(args.json, "a") as f:
                f.write(json.dumps({"server": "disk", "workload": name, "mib_per_s": mib_s}) + "\n")


if __name__ == "__main__":
    main()
