#!/usr/bin/env python3
"""boto3 with default settings and with each checksum algorithm and type boto3 can compute
without the CRT (CRC32, SHA1, SHA256; CRC32C and CRC64NVME are checked by the Rust tests):
every stored checksum is compared with botocore's own computation of the bytes.

- put_object with boto3's default checksum and with each algorithm;
- multipart uploads of each (algorithm, type) pair S3 allows among them, completed with the
  parts' checksums (and the whole object's CRC32 for FULL_OBJECT): COMPOSITE must be
  base64(H(part digests))-N, FULL_OBJECT the CRC32 of the whole object;
- get_object_attributes lists the parts with their checksums;
- upload_file / download_file with boto3's defaults round-trip a multipart object.

Usage: boto3_checksums.py ENDPOINT WORKDIR   (credentials from the AWS_* environment)
Exits non-zero on any mismatch. Run by tests/api/clients/cli.rs.
"""

import base64
import os
import sys

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.httpchecksum import Crc32Checksum, Sha1Checksum, Sha256Checksum

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check  # noqa: E402

BUCKET = "boto3-checksums"
MIB = 1024 * 1024
HASHERS = {"CRC32": Crc32Checksum, "SHA1": Sha1Checksum, "SHA256": Sha256Checksum}


def raw(algorithm, data):
    h = HASHERS[algorithm]()
    h.update(data)
    return h.digest()


def b64(data):
    return base64.b64encode(data).decode()


def stored(s3, key, algorithm):
    head = s3.head_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
    return head.get("Checksum" + algorithm), head.get("ChecksumType")


def main():
    endpoint, workdir = sys.argv[1], sys.argv[2]
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    body = os.urandom(300_000)

    # boto3's default (CRC32), then each algorithm explicitly.
    s3.put_object(Bucket=BUCKET, Key="default", Body=body)
    got = stored(s3, "default", "CRC32")
    check(got == (b64(raw("CRC32", body)), "FULL_OBJECT"), f"default put: {got}")
    for algorithm in HASHERS:
        key = "put-" + algorithm
        s3.put_object(Bucket=BUCKET, Key=key, Body=body, ChecksumAlgorithm=algorithm)
        got = stored(s3, key, algorithm)
        check(got == (b64(raw(algorithm, body)), "FULL_OBJECT"), f"{key}: {got}")

    parts = [os.urandom(5 * MIB), os.urandom(123_457)]
    whole = b"".join(parts)
    for algorithm, kind in [
        ("CRC32", "COMPOSITE"),
        ("CRC32", "FULL_OBJECT"),
        ("SHA1", "COMPOSITE"),
        ("SHA256", "COMPOSITE"),
    ]:
        key = f"mp-{algorithm}-{kind}"
        up = s3.create_multipart_upload(
            Bucket=BUCKET, Key=key, ChecksumAlgorithm=algorithm, ChecksumType=kind
        )
        check(up.get("ChecksumType") == kind, f"{key}: created as {up.get('ChecksumType')}")
        done = []
        for n, data in enumerate(parts, start=1):
            out = s3.upload_part(
                Bucket=BUCKET,
                Key=key,
                UploadId=up["UploadId"],
                PartNumber=n,
                Body=data,
                ChecksumAlgorithm=algorithm,
            )
            part_sum = b64(raw(algorithm, data))
            check(out.get("Checksum" + algorithm) == part_sum, f"{key} part {n}: {out}")
            done.append({"PartNumber": n, "ETag": out["ETag"], "Checksum" + algorithm: part_sum})
        extra = {}
        if kind == "FULL_OBJECT":
            extra = {"Checksum" + algorithm: b64(raw(algorithm, whole)), "ChecksumType": kind}
        s3.complete_multipart_upload(
            Bucket=BUCKET,
            Key=key,
            UploadId=up["UploadId"],
            MultipartUpload={"Parts": done},
            **extra,
        )
        if kind == "FULL_OBJECT":
            expected = b64(raw(algorithm, whole))
        else:
            expected = b64(raw(algorithm, b"".join(raw(algorithm, p) for p in parts))) + "-2"
        got = stored(s3, key, algorithm)
        check(got == (expected, kind), f"{key}: {got}, expected {expected}")
        attrs = s3.get_object_attributes(
            Bucket=BUCKET, Key=key, ObjectAttributes=["ObjectParts", "Checksum", "ObjectSize"]
        )
        listed = [p.get("Checksum" + algorithm) for p in attrs["ObjectParts"]["Parts"]]
        check(listed == [b64(raw(algorithm, p)) for p in parts], f"{key} attributes: {attrs}")
        check(attrs["ObjectSize"] == len(whole), f"{key} size: {attrs}")

    # The transfer manager with its defaults, multipart above a small threshold.
    path = os.path.join(workdir, "upload.bin")
    with open(path, "wb") as f:
        f.write(whole)
    config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    s3.upload_file(path, BUCKET, "transfer", Config=config)
    back = os.path.join(workdir, "download.bin")
    s3.download_file(BUCKET, "transfer", back, Config=config)
    with open(back, "rb") as f:
        check(f.read() == whole, "upload_file / download_file round trip")
    print("ok")


if __name__ == "__main__":
    main()
