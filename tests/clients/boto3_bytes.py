#!/usr/bin/env python3
"""boto3 against originstore with the bytes XML and HTTP headers carry awkwardly:

- user metadata with bytes above 0x7F (botocore sends `Hello World\\xe9` as UTF-8) comes
  back as the bytes that were sent;
- a DeleteObjects body naming a key that holds `\\x01` (which XML 1.0 forbids; boto3 writes
  it raw) is refused with 400 MalformedXML at once, not retried, and deletes nothing;
- the key still lists (boto3 asks for encoding-type=url) and can be deleted by DeleteObject.

Usage: boto3_bytes.py ENDPOINT WORKDIR   (credentials from the AWS_* environment)
Exits non-zero on any mismatch. Run by tests/api/clients/defaults.rs.
"""

import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, fail  # noqa: E402

BUCKET = "boto3-bytes"


def main():
    endpoint = sys.argv[1]
    # One attempt: a retried 4xx/5xx would hide what the first answer was.
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(retries={"total_max_attempts": 1}),
    )
    s3.create_bucket(Bucket=BUCKET)

    # botocore refuses non-ASCII metadata itself; set the header as the Ceph s3-tests do,
    # so that http.client sends it (as latin-1: the byte 0xE9).
    value = "Hello World\xe9"

    def set_unicode_metadata(params, **_):
        params["headers"]["x-amz-meta-meta1"] = value

    s3.meta.events.register("before-call.s3.PutObject", set_unicode_metadata)
    s3.put_object(Bucket=BUCKET, Key="meta", Body=b"x")
    s3.meta.events.unregister("before-call.s3.PutObject", set_unicode_metadata)
    # botocore sends a header as UTF-8 (0xC3 0xA9 for the e-acute) and reads answers'
    # headers as latin-1 (http.client's rule), so the same bytes coming back unchanged read
    # as 'Hello World\xc3\xa9'; what matters is that they are the bytes that were sent.
    sent = value.encode("utf-8")
    for how in (s3.head_object, s3.get_object):
        got = how(Bucket=BUCKET, Key="meta")["Metadata"].get("meta1")
        check(
            got is not None and got.encode("latin-1") == sent,
            f"{how.__name__} metadata {got!r}, sent the bytes {sent!r}",
        )

    key = "ctl\x01key"
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"y")
    try:
        s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": key}]})
        fail("DeleteObjects with \\x01 in a key succeeded")
    except ClientError as e:
        status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        code = e.response["Error"]["Code"]
        attempts = e.response["ResponseMetadata"].get("RetryAttempts")
        check((status, code) == (400, "MalformedXML"), f"answered {status} {code}")
        check(attempts == 0, f"retried {attempts} times")
    s3.head_object(Bucket=BUCKET, Key=key)  # still there
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    check(keys == [key, "meta"], f"listed {keys!r}")
    versions = s3.list_object_versions(Bucket=BUCKET).get("Versions", [])
    check([v["Key"] for v in versions] == [key, "meta"], f"versions {versions!r}")
    s3.delete_object(Bucket=BUCKET, Key=key)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    check(keys == ["meta"], f"after delete_object listed {keys!r}")
    print("ok")


if __name__ == "__main__":
    main()
