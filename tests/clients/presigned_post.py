#!/usr/bin/env python3
"""Print, as JSON, what boto3's generate_presigned_post gives a web page for BUCKET and KEY:
{"url": ..., "fields": {...}}. The test then posts that form, unchanged, with a file.

Usage: presigned_post.py ENDPOINT WORKDIR BUCKET KEY SIGNATURE_VERSION [CONDITIONS_JSON [FIELDS_JSON]]
SIGNATURE_VERSION is s3v4 (boto3's default for POST) or s3 (SigV2). Credentials come from
the AWS_* environment. Run by tests/api/s3/post_object.rs.
"""

import json
import sys

import boto3
from botocore.config import Config

endpoint, _workdir, bucket, key, version = sys.argv[1:6]
conditions = json.loads(sys.argv[6]) if len(sys.argv) > 6 else None
fields = json.loads(sys.argv[7]) if len(sys.argv) > 7 else None
s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    config=Config(signature_version=version, s3={"addressing_style": "path"}),
)
post = s3.generate_presigned_post(
    bucket, key, Fields=fields, Conditions=conditions, ExpiresIn=600
)
print(json.dumps(post))
