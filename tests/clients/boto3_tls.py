#!/usr/bin/env python3
"""boto3 over HTTPS against a self-signed certificate: trusted through `verify=CA`, it
creates a bucket, writes and reads an object; without the CA it refuses the server.

Usage: boto3_tls.py ENDPOINT WORKDIR CA_PEM   (credentials from the AWS_* environment)
Exits non-zero on any mismatch. Run by tests/api/clients/tls.rs.
"""

import os
import sys

import boto3
from botocore.exceptions import SSLError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, fail  # noqa: E402


def main():
    endpoint, ca = sys.argv[1], sys.argv[3]
    check(endpoint.startswith("https://"), f"not https: {endpoint}")
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", verify=ca)
    s3.create_bucket(Bucket="boto-tls")
    s3.put_object(Bucket="boto-tls", Key="k", Body=b"over tls")
    got = s3.get_object(Bucket="boto-tls", Key="k")["Body"].read()
    check(got == b"over tls", f"read back {got!r}")
    untrusting = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    try:
        untrusting.list_buckets()
        fail("a client without the CA trusted the self-signed certificate")
    except SSLError:
        pass
    print("boto3 tls: ok")


if __name__ == "__main__":
    main()
