#!/usr/bin/env python3
"""boto3 with DEFAULT settings against originstore: what it sends by default (CRC32
checksums, as a header or an aws-chunked trailer depending on the operation) must be accepted
and verified.

Covers put_object / get_object, upload_file of a file above the 8 MiB multipart threshold,
download_file, list_objects_v2 paging, delete_objects, copy_object, and presigned GETs
fetched with urllib (no boto3 on the reading side): boto3's default SigV2 URL and a SigV4
one (signature_version="s3v4") both work; a tampered one is refused.

Usage: boto3_roundtrip.py ENDPOINT WORKDIR   (credentials from the AWS_* environment)
Exits non-zero on any mismatch. Run by tests/api/clients/defaults.rs.
"""

import hashlib
import os
import random
import sys
import urllib.error
import urllib.request

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, fail  # noqa: E402

MIB = 1024 * 1024
BUCKET = "boto3-roundtrip"




def main():
    endpoint, workdir = sys.argv[1], sys.argv[2]
    # Default client: no Config, so default checksum calculation and validation.
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)

    # put_object / get_object, including an empty body and awkward key characters.
    rng = random.Random(4)
    for key, body in [
        ("small.txt", b"hello from boto3"),
        ("empty", b""),
        ("dir/with space+plus=eq&amp;%.bin", rng.randbytes(100_000)),
    ]:
        put = s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        got = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        check(got == body, f"get_object {key!r}: {len(got)} bytes back, {len(body)} sent")
        check(
            put["ETag"].strip('"') == hashlib.md5(body).hexdigest(),
            f"put_object ETag of {key!r} is {put['ETag']}",
        )

    # The CRC32 boto3 sent by default was stored: returned with ChecksumMode ENABLED (and
    # boto3 validates the returned body against it).
    head = s3.head_object(Bucket=BUCKET, Key="small.txt", ChecksumMode="ENABLED")
    check("ChecksumCRC32" in head, f"no stored CRC32 in {sorted(head)}")
    got = s3.get_object(Bucket=BUCKET, Key="small.txt", ChecksumMode="ENABLED")
    check(got["Body"].read() == b"hello from boto3", "checksum-validated get")

    # upload_file above the default 8 MiB threshold: a multipart upload.
    src = os.path.join(workdir, "up.bin")
    dst = os.path.join(workdir, "down.bin")
    data = rng.randbytes(9 * MIB + 4321)
    with open(src, "wb") as f:
        f.write(data)
    s3.upload_file(src, BUCKET, "big.bin")
    head = s3.head_object(Bucket=BUCKET, Key="big.bin")
    check(head["ContentLength"] == len(data), f"big.bin size {head['ContentLength']}")
    check(head["ETag"].strip('"').endswith("-2"), f"multipart ETag {head['ETag']}")
    s3.download_file(BUCKET, "big.bin", dst)
    with open(dst, "rb") as f:
        check(f.read() == data, "download_file returned different bytes")

    # list_objects_v2 paging.
    keys = [f"page/{i:02}" for i in range(7)]
    for key in keys:
        s3.put_object(Bucket=BUCKET, Key=key, Body=key.encode())
    listed, pages = [], 0
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=BUCKET, Prefix="page/", PaginationConfig={"PageSize": 2}
    ):
        pages += 1
        listed += [o["Key"] for o in page.get("Contents", [])]
    check(listed == keys, f"paged listing {listed}")
    check(pages == 4, f"{pages} pages of 2 for 7 keys")

    # delete_objects (boto3 sends Content-MD5 or a CRC32 of the XML body).
    out = s3.delete_objects(
        Bucket=BUCKET,
        Delete={"Objects": [{"Key": k} for k in keys[:5]] + [{"Key": "never-existed"}]},
    )
    check(not out.get("Errors"), f"delete_objects errors {out.get('Errors')}")
    left = [
        o["Key"]
        for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="page/").get("Contents", [])
    ]
    check(left == keys[5:], f"left after delete_objects: {left}")

    # copy_object.
    s3.copy_object(
        Bucket=BUCKET,
        Key="copy.txt",
        CopySource={"Bucket": BUCKET, "Key": "small.txt"},
    )
    got = s3.get_object(Bucket=BUCKET, Key="copy.txt")["Body"].read()
    check(got == b"hello from boto3", f"copy_object gave {got!r}")

    # A presigned GET, fetched without boto3. With a custom endpoint boto3 presigns with
    # Signature Version 2 by default: originstore verifies it (and a tampered one is refused).
    key = "dir/with space+plus=eq&amp;%.bin"
    v2_url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=300
    )
    if "AWSAccessKeyId=" in v2_url:
        with urllib.request.urlopen(v2_url) as resp:
            check(resp.status == 200, f"SigV2 presigned URL: {resp.status}")
            resp.read()
        try:
            urllib.request.urlopen(v2_url.replace("Signature=", "Signature=x"))
            fail("a tampered SigV2 presigned URL was served")
        except urllib.error.HTTPError as e:
            check(e.code == 403, f"tampered SigV2 URL: {e.code}")
    v4 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(signature_version="s3v4"),
    )
    url = v4.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=300
    )
    check("X-Amz-Signature=" in url, f"not a SigV4 URL: {url}")
    with urllib.request.urlopen(url) as resp:
        body = resp.read()
    check(
        body == s3.get_object(Bucket=BUCKET, Key=key)["Body"].read(),
        "presigned GET returned different bytes",
    )
    print("boto3 round trip ok")


if __name__ == "__main__":
    main()
