#!/usr/bin/env python3
"""boto3 (default settings) on Object Lock and Block Public Access, after the aws CLI made
bucket BUCKET (argument 3) with Object Lock and a GOVERNANCE default of one day:

- a put without lock parameters gets the bucket's default (head_object shows it);
- a COMPLIANCE put and a legal hold refuse a versioned delete (AccessDenied), even with
  BypassGovernanceRetention; a delete without a version id adds a marker;
- delete_objects with a locked version among unlocked ones deletes the unlocked ones only;
- the GOVERNANCE default gives way to BypassGovernanceRetention from the owner;
- get_object_retention / get_object_legal_hold read back what was set;
- put/get/delete_public_access_block round-trip, BlockPublicPolicy refuses a public policy,
  RestrictPublicBuckets makes get_bucket_policy_status say "not public".

Usage: boto3_object_lock.py ENDPOINT WORKDIR BUCKET   (credentials from the AWS_* environment)
Exits non-zero on any mismatch. Run by tests/api/clients/cli.rs.
"""

import datetime
import json
import os
import sys

import boto3
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check  # noqa: E402


def code_of(call):
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


def main():
    endpoint, bucket = sys.argv[1], sys.argv[3]
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)

    default = s3.put_object(Bucket=bucket, Key="default", Body=b"d")
    head = s3.head_object(Bucket=bucket, Key="default")
    check(head.get("ObjectLockMode") == "GOVERNANCE", f"default mode: {head}")
    until = head["ObjectLockRetainUntilDate"]
    left = until - datetime.datetime.now(datetime.timezone.utc)
    check(datetime.timedelta(hours=23) < left < datetime.timedelta(hours=25), f"default: {until}")

    locked = s3.put_object(
        Bucket=bucket,
        Key="locked",
        Body=b"l",
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=soon,
    )
    retention = s3.get_object_retention(Bucket=bucket, Key="locked", VersionId=locked["VersionId"])
    check(retention["Retention"]["Mode"] == "COMPLIANCE", f"retention: {retention}")

    held = s3.put_object(Bucket=bucket, Key="held", Body=b"h", ObjectLockLegalHoldStatus="ON")
    hold = s3.get_object_legal_hold(Bucket=bucket, Key="held", VersionId=held["VersionId"])
    check(hold["LegalHold"]["Status"] == "ON", f"hold: {hold}")

    for key, version in [("locked", locked["VersionId"]), ("held", held["VersionId"])]:
        for bypass in [False, True]:
            got = code_of(
                lambda: s3.delete_object(
                    Bucket=bucket, Key=key, VersionId=version, BypassGovernanceRetention=bypass
                )
            )
            check(got == "AccessDenied", f"delete {key} (bypass {bypass}): {got}")
    marker = s3.delete_object(Bucket=bucket, Key="locked")
    check(marker.get("DeleteMarker") is True, f"marker: {marker}")

    # Without the default's protection: the legal hold alone holds "held"; the default
    # GOVERNANCE retention holds "default" and "free" (bypassed below).
    free = s3.put_object(Bucket=bucket, Key="free", Body=b"f")
    out = s3.delete_objects(
        Bucket=bucket,
        Delete={
            "Objects": [
                {"Key": "locked", "VersionId": locked["VersionId"]},
                {"Key": "free", "VersionId": free["VersionId"]},
            ]
        },
        BypassGovernanceRetention=True,
    )
    errors = [(e["Key"], e["Code"]) for e in out.get("Errors", [])]
    deleted = [d["Key"] for d in out.get("Deleted", [])]
    check(errors == [("locked", "AccessDenied")], f"errors: {out}")
    check(deleted == ["free"], f"deleted: {out}")

    got = code_of(
        lambda: s3.delete_object(Bucket=bucket, Key="default", VersionId=default["VersionId"])
    )
    check(got == "AccessDenied", f"GOVERNANCE without bypass: {got}")
    s3.delete_object(
        Bucket=bucket, Key="default", VersionId=default["VersionId"], BypassGovernanceRetention=True
    )

    # Block Public Access on another bucket.
    s3.create_bucket(Bucket="boto-public")
    config = {
        "BlockPublicAcls": False,
        "IgnorePublicAcls": False,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": False,
    }
    s3.put_public_access_block(Bucket="boto-public", PublicAccessBlockConfiguration=config)
    read = s3.get_public_access_block(Bucket="boto-public")["PublicAccessBlockConfiguration"]
    check(read == config, f"public access block: {read}")
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::boto-public/*",
                }
            ],
        }
    )
    got = code_of(lambda: s3.put_bucket_policy(Bucket="boto-public", Policy=policy))
    check(got == "AccessDenied", f"public policy under BlockPublicPolicy: {got}")
    config["BlockPublicPolicy"] = False
    config["RestrictPublicBuckets"] = True
    s3.put_public_access_block(Bucket="boto-public", PublicAccessBlockConfiguration=config)
    s3.put_bucket_policy(Bucket="boto-public", Policy=policy)
    status = s3.get_bucket_policy_status(Bucket="boto-public")["PolicyStatus"]
    check(status["IsPublic"] is False, f"restricted: {status}")
    s3.delete_public_access_block(Bucket="boto-public")
    status = s3.get_bucket_policy_status(Bucket="boto-public")["PolicyStatus"]
    check(status["IsPublic"] is True, f"unrestricted: {status}")
    got = code_of(lambda: s3.get_public_access_block(Bucket="boto-public"))
    check(got == "NoSuchPublicAccessBlockConfiguration", f"after delete: {got}")
    print("boto3 object lock: ok")


if __name__ == "__main__":
    main()
