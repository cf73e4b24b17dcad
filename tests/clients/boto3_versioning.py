#!/usr/bin/env python3
"""boto3 (default settings) on a versioned bucket and the older-client behaviours of the
versioning issue, after the aws CLI has left delete markers in bucket BUCKET (argument 3):

- list_object_versions through boto3's paginator: every version and marker, in order;
- the resource API's bucket.object_versions.delete() empties the bucket for good;
- list_objects (v1; boto3 asks for encoding-type=url and decodes what it gets) reads back a
  prefix, delimiter and marker such as "\\n" exactly;
- an expired presigned URL, SigV2 (boto3's default with a custom endpoint) and SigV4, is
  403 AccessDenied.

Usage: boto3_versioning.py ENDPOINT WORKDIR BUCKET   (credentials from the AWS_* environment)
Exits non-zero on any mismatch. Run by tests/api/clients/cli.rs.
"""

import os
import sys
import time
import urllib.error
import urllib.request

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, fail  # noqa: E402



def expect_http_error(url, status, code):
    try:
        urllib.request.urlopen(url)
        fail(f"{url} was served")
    except urllib.error.HTTPError as e:
        body = e.read().decode()
        check(e.code == status, f"{url}: {e.code} {body}")
        check(f"<Code>{code}</Code>" in body, f"{url}: {body}")


def main():
    endpoint, bucket = sys.argv[1], sys.argv[3]
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")

    # What the CLI left: every key has versions under a delete marker.
    versions, markers = [], []
    for page in s3.get_paginator("list_object_versions").paginate(
        Bucket=bucket, PaginationConfig={"PageSize": 2}
    ):
        versions += page.get("Versions", [])
        markers += page.get("DeleteMarkers", [])
    check(len(markers) == 3, f"markers: {markers}")
    check(all(m["IsLatest"] for m in markers), f"markers are current: {markers}")
    check(len(versions) == 4, f"versions: {versions}")
    check(not any(v["IsLatest"] for v in versions), "no version is current")
    check(s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0, "the listing is empty")

    # The resource API's cleanup deletes every version and marker.
    boto3.resource("s3", endpoint_url=endpoint, region_name="us-east-1").Bucket(
        bucket
    ).object_versions.delete()
    left = s3.list_object_versions(Bucket=bucket)
    check(
        "Versions" not in left and "DeleteMarkers" not in left,
        f"left after object_versions.delete(): {left}",
    )
    s3.delete_bucket(Bucket=bucket)

    # ListObjects v1: boto3 sends encoding-type=url and decodes Prefix, Delimiter, Marker,
    # NextMarker and keys, so a control character comes back exactly.
    s3.create_bucket(Bucket="v1-encoding")
    for key in ["\n/a", "\n/b", "\n/c/d", "plain"]:
        s3.put_object(Bucket="v1-encoding", Key=key, Body=b"x")
    out = s3.list_objects(Bucket="v1-encoding", Prefix="\n", Delimiter="/")
    check(out["Prefix"] == "\n", f"Prefix {out['Prefix']!r}")
    check(
        [p["Prefix"] for p in out.get("CommonPrefixes", [])] == ["\n/"],
        f"CommonPrefixes {out.get('CommonPrefixes')}",
    )
    out = s3.list_objects(Bucket="v1-encoding", Prefix="\n/", Delimiter="/", MaxKeys=1)
    check(out["Delimiter"] == "/", f"Delimiter {out.get('Delimiter')!r}")
    check([o["Key"] for o in out["Contents"]] == ["\n/a"], f"{out['Contents']}")
    check(out["IsTruncated"] and out["NextMarker"] == "\n/a", f"NextMarker {out}")
    out = s3.list_objects(
        Bucket="v1-encoding", Prefix="\n/", Delimiter="/", Marker=out["NextMarker"]
    )
    check(out["Marker"] == "\n/a", f"Marker {out.get('Marker')!r}")
    check([o["Key"] for o in out["Contents"]] == ["\n/b"], f"{out['Contents']}")
    check([p["Prefix"] for p in out["CommonPrefixes"]] == ["\n/c/"], f"{out}")

    # Expired presigned URLs are 403 AccessDenied, not 400.
    def presigned(signature_version):
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            config=Config(signature_version=signature_version),
        )
        return client.generate_presigned_url(
            "get_object", Params={"Bucket": "v1-encoding", "Key": "plain"}, ExpiresIn=1
        )

    v2_url, v4_url = presigned("s3"), presigned("s3v4")
    check("AWSAccessKeyId=" in v2_url, f"not a SigV2 URL: {v2_url}")
    with urllib.request.urlopen(v4_url) as resp:
        check(resp.status == 200, "a fresh SigV4 URL works")
    time.sleep(2.5)
    for url in [v2_url, v4_url]:
        expect_http_error(url, 403, "AccessDenied")
    print("ok")


if __name__ == "__main__":
    main()
