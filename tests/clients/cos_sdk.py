#!/usr/bin/env python3
"""Tencent COS's own Python SDK (cos-python-sdk-v5, pinned in .ci/install-test-tools)
against originstore: it signs with COS's scheme (`q-sign-algorithm=sha1&...`) and
addresses buckets as `<bucket>-<appid>.cos.<region>.<domain>`. Creates a bucket, puts and
gets objects (a key with a space and a non-ASCII letter), puts, gets and deletes an origin
configuration (the `origin` subresource is COS's API) that pulls a missing key from a local
HTTP origin, and checks that a wrong secret is refused.

Usage: cos_sdk.py ENDPOINT WORKDIR   (credentials from the AWS_* environment; the server's
domain must be `originstore.test`)
Exits non-zero on any mismatch. Run by tests/api/clients/defaults.rs.
"""

import http.server
import os
import sys
import threading
from urllib.parse import urlparse

from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosServiceError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, fail  # noqa: E402

BUCKET = "cos-1250000000"
PULLED = b"pulled from the origin\n"


class Origin(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/pulled.txt":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(PULLED)))
            self.end_headers()
            self.wfile.write(PULLED)
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    def do_HEAD(self):
        self.do_GET()

    def log_message(self, *_):
        pass


def client(endpoint, secret):
    url = urlparse(endpoint)
    conf = CosConfig(
        Region="ap-test",
        SecretId=os.environ["AWS_ACCESS_KEY_ID"],
        SecretKey=secret,
        Scheme="http",
        Endpoint="cos.ap-test.originstore.test",
        IP=url.hostname,
        Port=url.port,
    )
    return CosS3Client(conf, retry=0)


def body(response):
    return response["Body"].get_raw_stream().read()


def main():
    endpoint = sys.argv[1]
    cos = client(endpoint, os.environ["AWS_SECRET_ACCESS_KEY"])
    cos.create_bucket(Bucket=BUCKET)
    cos.head_bucket(Bucket=BUCKET)

    key = "dir/hello wörld.txt"
    cos.put_object(Bucket=BUCKET, Key=key, Body=b"hello from cos")
    got = body(cos.get_object(Bucket=BUCKET, Key=key))
    check(got == b"hello from cos", f"get_object {got!r}")
    listed = [o["Key"] for o in cos.list_objects(Bucket=BUCKET).get("Contents", [])]
    check(listed == [key], f"list_objects {listed!r}")

    origin = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Origin)
    threading.Thread(target=origin.serve_forever, daemon=True).start()
    host = f"127.0.0.1:{origin.server_address[1]}"
    cos.put_bucket_origin(
        Bucket=BUCKET,
        OriginConfiguration={
            "OriginRule": [
                {
                    "RulePriority": "1",
                    "OriginType": "Mirror",
                    "OriginCondition": {"HTTPStatusCode": "404"},
                    "OriginParameter": {"Protocol": "HTTP"},
                    "OriginInfo": {"HostInfo": {"HostName": host}},
                }
            ]
        },
    )
    conf = cos.get_bucket_origin(Bucket=BUCKET)
    rules = conf.get("OriginRule", [])
    check(
        len(rules) == 1 and rules[0]["OriginInfo"]["HostInfo"]["HostName"] == host,
        f"get_bucket_origin {conf!r}",
    )
    got = body(cos.get_object(Bucket=BUCKET, Key="pulled.txt"))
    check(got == PULLED, f"the origin pull gave {got!r}")
    cos.delete_bucket_origin(Bucket=BUCKET)
    try:
        cos.get_bucket_origin(Bucket=BUCKET)
        fail("the origin configuration is still there after delete_bucket_origin")
    except CosServiceError as e:
        check(e.get_status_code() == 404, f"get after delete: {e.get_status_code()}")
    origin.shutdown()

    wrong = client(endpoint, "not-the-secret")
    try:
        wrong.get_object(Bucket=BUCKET, Key=key)
        fail("a wrong secret was accepted")
    except CosServiceError as e:
        check(
            (e.get_status_code(), e.get_error_code()) == (403, "SignatureDoesNotMatch"),
            f"wrong secret: {e.get_status_code()} {e.get_error_code()}",
        )
    print("ok")


if __name__ == "__main__":
    main()
