#!/usr/bin/env python3
"""The filesystem half of a small PUT, without originstore: 16 threads each create a 4 KiB
temp file, fsync it, rename it into one of 256 fan-out directories and fsync that directory,
in a fresh directory tree (under $TMPDIR), printing operations per second for 10 seconds.
Tells how fast the disk allows the file path to go, and whether it warms up.

Usage: python3 benches/fs_probe.py     (see benches/RESULTS.md)
"""
import os, sys, threading, time, tempfile, uuid
base = tempfile.mkdtemp(dir=os.environ.get("TMPDIR", "/tmp"))
tmp = os.path.join(base, "tmp"); os.mkdir(tmp)
fans = []
for i in range(256):
    d = os.path.join(base, "blobs", "%02x" % i); os.makedirs(d); fans.append(d)
data = os.urandom(4096)
count = [0]; lock = threading.Lock(); stop = time.time() + 10
def worker():
    while time.time() < stop:
        name = uuid.uuid4().hex
        p = os.path.join(tmp, name)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, data); os.fsync(fd); os.close(fd)
        fan = fans[int(name[:2], 16)]
        os.rename(p, os.path.join(fan, name))
        dfd = os.open(fan, os.O_RDONLY); os.fsync(dfd); os.close(dfd)
        with lock: count[0] += 1
ts = [threading.Thread(target=worker) for _ in range(16)]
for t in ts: t.start()
last = 0
for s in range(10):
    time.sleep(1); c = count[0]; print("second", s+1, c - last); last = c
for t in ts: t.join()
