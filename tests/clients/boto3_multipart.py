#!/usr/bin/env python3
"""boto3's transfer manager against originstore: upload_file of a ~60 MiB file with 10
threads and 5 MiB parts, then download_file, compared by SHA-256. Also checks the ETag is
the S3 multipart formula md5(concat(binary part md5s))-N computed here.

Usage: boto3_multipart.py ENDPOINT WORKDIR   (credentials from AWS_* environment)
Exits non-zero on any mismatch. Run by tests/api/s3/multipart.rs.
"""

import hashlib
import os
import random
import sys

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import fail  # noqa: E402

MIB = 1024 * 1024
SIZE = 60 * MIB + 12345  # not a multiple of the part size: the last part is short
PART = 5 * MIB


def main():
    endpoint, workdir = sys.argv[1], sys.argv[2]
    src = os.path.join(workdir, "boto3-up.bin")
    dst = os.path.join(workdir, "boto3-down.bin")
    rng = random.Random(1234)
    sha = hashlib.sha256()
    part_md5s = []
    with open(src, "wb") as f:
        left = SIZE
        while left:
            chunk = rng.randbytes(min(PART, left))
            f.write(chunk)
            sha.update(chunk)
            part_md5s.append(hashlib.md5(chunk).digest())
            left -= len(chunk)
    want_etag = '"%s-%d"' % (hashlib.md5(b"".join(part_md5s)).hexdigest(), len(part_md5s))

    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    s3.create_bucket(Bucket="boto3")
    cfg = TransferConfig(
        multipart_threshold=PART,
        multipart_chunksize=PART,
        max_concurrency=10,
        use_threads=True,
    )
    s3.upload_file(src, "boto3", "dir/big.bin", Config=cfg)
    head = s3.head_object(Bucket="boto3", Key="dir/big.bin")
    if head["ContentLength"] != SIZE:
        fail("size %d != %d" % (head["ContentLength"], SIZE))
    if head["ETag"] != want_etag:
        fail("ETag %s != %s" % (head["ETag"], want_etag))
    if s3.list_multipart_uploads(Bucket="boto3").get("Uploads"):
        fail("an upload is left after completion")

    s3.download_file("boto3", "dir/big.bin", dst, Config=cfg)
    got = hashlib.sha256()
    with open(dst, "rb") as f:
        for chunk in iter(lambda: f.read(MIB), b""):
            got.update(chunk)
    if got.hexdigest() != sha.hexdigest():
        fail("downloaded bytes differ")
    print("ok: %d bytes, %d parts, ETag %s" % (SIZE, len(part_md5s), want_etag))


if __name__ == "__main__":
    main()
