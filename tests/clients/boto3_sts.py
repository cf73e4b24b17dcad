#!/usr/bin/env python3
"""boto3's STS client on originstore: AssumeRole (the caller assumes itself) gives
credentials that work with boto3's S3 client until they expire; a session policy narrows
them; a wrong or missing token is refused; temporary credentials cannot
assume again.

Usage: boto3_sts.py ENDPOINT WORKDIR BUCKET   (credentials from the AWS_* environment;
BUCKET exists and holds key "k")
Exits non-zero on any mismatch. Run by tests/api/admin/sts.rs.
"""

import json
import os
import sys

import boto3
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, fail  # noqa: E402


def code(call):
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


def s3_with(endpoint, creds, token=None):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=token if token is not None else creds["SessionToken"],
    )


def main():
    endpoint, bucket = sys.argv[1], sys.argv[3]
    sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1")
    out = sts.assume_role(
        RoleArn="arn:aws:iam::000000000000:role/ci", RoleSessionName="ci", DurationSeconds=900
    )
    creds = out["Credentials"]
    check(creds["AccessKeyId"] and creds["SessionToken"], f"credentials: {out}")
    s3 = s3_with(endpoint, creds)
    s3.put_object(Bucket=bucket, Key="from-session", Body=b"temporary")
    check(s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"data", "read with a session")

    # A session policy narrows: read only.
    read_only = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
            ],
        }
    )
    narrow = sts.assume_role(
        RoleArn="arn:aws:iam::000000000000:role/ci", RoleSessionName="ro", Policy=read_only
    )["Credentials"]
    narrowed = s3_with(endpoint, narrow)
    check(narrowed.get_object(Bucket=bucket, Key="k")["Body"].read() == b"data", "narrowed read")
    got = code(lambda: narrowed.put_object(Bucket=bucket, Key="no", Body=b"x"))
    check(got == "AccessDenied", f"narrowed write: {got}")

    got = code(lambda: s3_with(endpoint, creds, token="wrong").list_objects_v2(Bucket=bucket))
    check(got == "InvalidToken", f"wrong token: {got}")
    got = code(lambda: s3_with(endpoint, creds, token="").list_objects_v2(Bucket=bucket))
    check(got in ("InvalidToken",), f"no token: {got}")
    again = boto3.client(
        "sts",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    got = code(lambda: again.assume_role(RoleArn="arn:aws:iam::0:role/x", RoleSessionName="again"))
    check(got == "AccessDenied", f"a session assuming again: {got}")
    print("boto3 sts: ok")


if __name__ == "__main__":
    main()
