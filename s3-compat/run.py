#!/usr/bin/env python3
"""originstore S3 compatibility suite: real third-party clients against a real server.

Starts `originstore serve` on 127.0.0.1:0 with fixed keys and a temporary data directory,
starts a small HTTP origin (python's http.server in a thread), then runs every scenario with
every client it finds and prints a matrix (rows: scenarios, columns: clients):

    PASS   the client did it and an independent reader (a raw SigV4 client in this file)
           confirmed the result on the server
    FAIL   it did not; the note under the matrix says what went wrong
    n/a    the client has no such feature
    SKIP   the client is not installed

Exits 1 when any cell is FAIL, 2 when the server cannot be started.
Python 3.11, standard library only; the clients are optional (see s3-compat/README.md).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import hashlib
import hmac
import http.client
import http.server
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AK = "COMPATACCESSKEY00001"
SK = "compat/secret/key/00000000000000000000001"
REGION = "us-east-1"
ORIGIN_BUCKET = "compat-origin"
CMD_TIMEOUT = 120

SCENARIOS = [
    ("mb", "make bucket"),
    ("put_small", "put small object"),
    ("get_small", "get small object (byte-exact)"),
    ("put_large", "put 20 MiB (multipart where the client does it)"),
    ("get_large", "get 20 MiB back (byte-exact)"),
    ("list", "list with prefix + delimiter"),
    ("special_keys", "keys with space, +, %, unicode"),
    ("copy", "copy object (server-side, metadata kept)"),
    ("metadata", "user metadata + content type round trip"),
    ("presign", "presigned GET URL (client's default signing)"),
    ("presign_v4", "presigned GET URL (client set to SigV4)"),
    ("delete", "delete object"),
    ("delete_many", "delete many / recursive remove"),
    ("sync", "sync a directory up and down"),
    ("origin", "origin-pull: GET of a missed key"),
    ("rb", "remove bucket"),
]

# Data every client uses; deterministic so a failure can be reproduced.
_rng = random.Random(20261121)
SMALL = _rng.randbytes(1500) + b"\x00\r\n\xff end"
LARGE = _rng.randbytes(20 * 1024 * 1024 + 12345)
SPECIAL_KEYS = [
    "keys/with space.txt",
    "keys/plus+sign.txt",
    "keys/percent%41literal.txt",
    "keys/unicodé 日本語 ✓.txt",
    "keys/sym&=,;(x)~!'.txt",
]
LIST_KEYS = ["dir/a.txt", "dir/b.txt", "dir/sub/c.txt", "dir/sub/deep/d.txt", "dirx/e.txt", "top.txt"]
SYNC_TREE = {
    "a.txt": b"alpha\n",
    "with space.txt": b"spaced\n",
    "sub/b.bin": _rng.randbytes(70_000),
    "sub/deep/c.txt": b"gamma\n" * 100,
}
META = {"color": "blue", "project": "originstore-compat"}
CONTENT_TYPE = "text/x-compat"


# Server gaps the suite knows about: (client, scenario) -> (why, text the failure must contain).
# Such a cell still shows FAIL, with the reason; `--allow-known-gaps` (what CI runs) keeps them
# from failing the run, but only while the failure is the expected one, and an entry whose cell
# passes is reported as stale so it gets removed.
KNOWN_GAPS: dict = {}


class Failed(Exception):
    pass


def check(cond: bool, msg: str) -> None:
    if not cond:
        raise Failed(msg)


def same_bytes(got: bytes, want: bytes, what: str) -> None:
    if got != want:
        raise Failed(
            f"{what}: got {len(got)} bytes sha256 {hashlib.sha256(got).hexdigest()[:12]}, "
            f"want {len(want)} bytes sha256 {hashlib.sha256(want).hexdigest()[:12]}"
        )


def s3_error(body: bytes) -> str:
    """`Code: Message` of an S3 XML error body, else the body's start."""
    try:
        root = ET.fromstring(body)
        return f"{root.findtext('Code')}: {root.findtext('Message')}"
    except ET.ParseError:
        return repr(body[:200])


def quote_key(key: str) -> str:
    return urllib.parse.quote(key, safe="/~")


# --------------------------------------------------------------------------------------------
# The referee: a minimal SigV4 client (stdlib) that sets up fixtures and checks results.
# --------------------------------------------------------------------------------------------


class Referee:
    def __init__(self, endpoint: str):
        u = urllib.parse.urlsplit(endpoint)
        self.host = u.netloc
        self.endpoint = endpoint

    def request(self, method, path, query="", body=b"", headers=None):
        headers = dict(headers or {})
        now = datetime.datetime.now(datetime.timezone.utc)
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        day = amz_date[:8]
        payload_hash = hashlib.sha256(body).hexdigest()
        headers.update({"host": self.host, "x-amz-date": amz_date, "x-amz-content-sha256": payload_hash})
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        canon_query = "&".join(
            f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}" for k, v in sorted(pairs)
        )
        lower = {k.lower(): str(v).strip() for k, v in headers.items()}
        signed = sorted(lower)
        canon_headers = "".join(f"{k}:{lower[k]}\n" for k in signed)
        creq = "\n".join([method, path, canon_query, canon_headers, ";".join(signed), payload_hash])
        scope = f"{day}/{REGION}/s3/aws4_request"
        sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])
        key = ("AWS4" + SK).encode()
        for part in (day, REGION, "s3", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={AK}/{scope}, SignedHeaders={';'.join(signed)}, Signature={sig}"
        )
        del headers["host"]
        conn = http.client.HTTPConnection(self.host, timeout=60)
        try:
            conn.request(method, path + ("?" + query if query else ""), body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    def obj_path(self, bucket, key):
        return f"/{bucket}/{quote_key(key)}"

    def get(self, bucket, key):
        return self.request("GET", self.obj_path(bucket, key))

    def head(self, bucket, key):
        return self.request("HEAD", self.obj_path(bucket, key))

    def put(self, bucket, key, data, headers=None):
        st, _, body = self.request("PUT", self.obj_path(bucket, key), body=data, headers=headers)
        if st != 200:
            raise Failed(f"referee PUT {bucket}/{key}: {st} {body[:300]!r}")

    def bucket_exists(self, bucket):
        return self.request("HEAD", f"/{bucket}")[0] == 200

    def create_bucket(self, bucket):
        st, _, body = self.request("PUT", f"/{bucket}")
        if st != 200 and b"BucketAlreadyOwnedByYou" not in body:
            raise Failed(f"referee CreateBucket {bucket}: {st} {body[:300]!r}")

    def keys(self, bucket, prefix=""):
        out, token = [], None
        while True:
            q = {"list-type": "2", "prefix": prefix}
            if token:
                q["continuation-token"] = token
            query = urllib.parse.urlencode(q, quote_via=urllib.parse.quote)
            st, _, body = self.request("GET", f"/{bucket}", query=query)
            if st != 200:
                raise Failed(f"referee ListObjectsV2 {bucket}: {st} {body[:300]!r}")
            root = ET.fromstring(body)
            ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
            out += [c.findtext(f"{ns}Key") for c in root.findall(f"{ns}Contents")]
            token = root.findtext(f"{ns}NextContinuationToken")
            if root.findtext(f"{ns}IsTruncated") != "true" or not token:
                return out

    def expect_object(self, bucket, key, want, what=None):
        st, headers, body = self.get(bucket, key)
        check(st == 200, f"{what or key}: server has no object {key!r} (GET {st})")
        same_bytes(body, want, f"{what or key} as stored")
        return headers

    def expect_gone(self, bucket, key):
        st = self.head(bucket, key)[0]
        check(st == 404, f"{key!r} still there after delete (HEAD {st})")

    def empty_and_remove(self, bucket):
        if not self.bucket_exists(bucket):
            return
        for k in self.keys(bucket):
            self.request("DELETE", self.obj_path(bucket, k))
        self.request("DELETE", f"/{bucket}")


# --------------------------------------------------------------------------------------------
# Server and origin
# --------------------------------------------------------------------------------------------


class Server:
    def __init__(self, binary: Path, tmp: Path):
        self.log_path = tmp / "server.log"
        self.log = open(self.log_path, "wb")
        env = dict(os.environ)
        env.setdefault("RUST_LOG", "info")
        self.proc = subprocess.Popen(
            [str(binary), "serve", "--listen", "127.0.0.1:0", "--access-key", AK, "--secret-key", SK,
             "--data-dir", str(tmp / "data")],
            stdout=subprocess.PIPE, stderr=self.log, env=env,
        )
        line = self.proc.stdout.readline().decode(errors="replace").strip()
        if not line.startswith("originstore listening on http://"):
            self.stop()
            raise RuntimeError(f"unexpected first line from originstore: {line!r}\n{self.log_tail()}")
        self.endpoint = line.rsplit(" ", 1)[1]
        # Keep draining stdout so the server never blocks on a full pipe.
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def log_tail(self, n=40):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Origin:
    """http.server on 127.0.0.1 serving a temp directory; counts GETs per path."""

    def __init__(self, root: Path):
        self.root = root
        self.gets: dict[str, int] = {}
        origin = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **kw):
                super().__init__(*a, directory=str(root), **kw)

            def do_GET(self):
                with lock:
                    origin.gets[self.path] = origin.gets.get(self.path, 0) + 1
                super().do_GET()

            def log_message(self, *args):
                pass

        lock = threading.Lock()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def add(self, key: str, data: bytes):
        p = self.root / key
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def origin_xml(host: str) -> str:
    return (
        "<OriginConfiguration><OriginRule><RulePriority>1</RulePriority><OriginType>Mirror</OriginType>"
        "<OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix>pulled/</Prefix></OriginCondition>"
        "<OriginParameter><Protocol>HTTP</Protocol><CopyOriginData>true</CopyOriginData></OriginParameter>"
        f"<OriginInfo><HostInfo><HostName>{host}</HostName></HostInfo></OriginInfo>"
        "</OriginRule></OriginConfiguration>"
    )


# --------------------------------------------------------------------------------------------
# Clients
# --------------------------------------------------------------------------------------------


class Client:
    """One column. A scenario is a method of the same name; absent ones are n/a (NA says why)."""

    name = ""
    NA: dict[str, str] = {}

    def __init__(self, endpoint: str, work: Path, ref: Referee, origin: Origin):
        self.endpoint = endpoint
        self.port = urllib.parse.urlsplit(endpoint).port
        self.work = work
        self.ref = ref
        self.origin_server = origin
        self.bucket = f"compat-{self.name}"
        self.notes: dict[str, str] = {}

    @staticmethod
    def available() -> str | None:
        """None when installed, else why not."""
        raise NotImplementedError

    @staticmethod
    def version() -> str:
        return ""

    def file(self, rel: str, data: bytes) -> Path:
        p = self.work / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        return p

    def out(self, rel: str) -> Path:
        p = self.work / "out" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if p.exists():
            p.unlink()
        return p

    def note(self, scenario: str, text: str):
        self.notes[scenario] = text

    # Shared checks ---------------------------------------------------------------------------

    def check_list(self, objects: list[str], prefixes: list[str]):
        check(sorted(objects) == ["dir/a.txt", "dir/b.txt"], f"objects under dir/: {sorted(objects)}")
        check(sorted(prefixes) == ["dir/sub/"], f"common prefixes under dir/: {sorted(prefixes)}")

    def check_multipart(self, headers: dict, scenario="put_large"):
        etag = headers.get("etag", "")
        if "-" in etag:
            self.note(scenario, f"multipart upload, ETag {etag}")
        else:
            self.note(scenario, "single PUT (the client did not use multipart)")

    def sync_check(self, prefix: str, tree: dict[str, bytes]):
        keys = sorted(self.ref.keys(self.bucket, prefix))
        want = sorted(prefix + k for k in tree)
        check(keys == want, f"after sync the server has {keys}, want {want}")
        for k, data in tree.items():
            self.ref.expect_object(self.bucket, prefix + k, data)

    def write_tree(self, d: Path, tree: dict[str, bytes]):
        if d.exists():
            shutil.rmtree(d)
        for k, data in tree.items():
            p = d / k
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)

    @staticmethod
    def read_tree(d: Path) -> dict[str, bytes]:
        return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}

    def sync_round(self, push, pull):
        """push(local_dir, remote_prefix) twice (create, then change + delete), pull(remote_prefix, dir)."""
        local = self.work / "sync-src"
        tree = dict(SYNC_TREE)
        self.write_tree(local, tree)
        # A leftover the second sync must delete.
        push(local, "sync/")
        self.sync_check("sync/", tree)
        tree["a.txt"] = b"alpha, changed and longer\n"
        del tree["sub/deep/c.txt"]
        tree["new/d.txt"] = b"delta\n"
        time.sleep(1.1)  # size-and-mtime comparisons need a newer mtime
        self.write_tree(local, tree)
        push(local, "sync/")
        self.sync_check("sync/", tree)
        down = self.work / "sync-down"
        if down.exists():
            shutil.rmtree(down)
        down.mkdir()
        pull("sync/", down)
        got = self.read_tree(down)
        check(sorted(got) == sorted(tree), f"sync down produced {sorted(got)}, want {sorted(tree)}")
        for k in tree:
            same_bytes(got[k], tree[k], f"synced-down {k}")

    def origin_key(self):
        key = f"pulled/{self.name}/photo.bin"
        data = random.Random(self.name).randbytes(300_000)
        self.origin_server.add(key, data)
        return key, data

    def origin_after(self, key, data):
        st, headers, body = self.ref.get(ORIGIN_BUCKET, key)
        check(st == 200, f"second GET of {key}: {st}")
        same_bytes(body, data, "second GET")
        state = headers.get("x-originstore-origin")
        check(state == "hit", f"second GET should be a local hit, x-originstore-origin: {state}")
        n = self.origin_server.gets.get("/" + key, 0)
        check(n == 1, f"the origin saw {n} GETs of {key}, want 1")


class Subprocess(Client):
    def env(self) -> dict:
        return dict(os.environ)

    def run(self, *args, input=None, ok=True) -> subprocess.CompletedProcess:
        cmd = self.argv() + [str(a) for a in args]
        try:
            p = subprocess.run(cmd, env=self.env(), capture_output=True, timeout=CMD_TIMEOUT, input=input)
        except subprocess.TimeoutExpired:
            raise Failed(f"timed out after {CMD_TIMEOUT}s: {' '.join(cmd[-len(args):])}")
        if ok and p.returncode != 0:
            err = (p.stderr or b"").decode(errors="replace").strip().splitlines()
            raise Failed(f"`{' '.join(map(str, args))}` exited {p.returncode}: {' | '.join(err[-4:])[:600]}")
        return p

    def argv(self) -> list[str]:
        raise NotImplementedError


# aws CLI ------------------------------------------------------------------------------------


class AwsCli(Subprocess):
    name = "aws-cli"
    NA = {}

    @staticmethod
    def available():
        return None if shutil.which("aws") else "aws not on PATH"

    @staticmethod
    def version():
        p = subprocess.run(["aws", "--version"], capture_output=True, text=True)
        return (p.stdout or p.stderr).split()[0]

    def argv(self):
        return ["aws", "--endpoint-url", self.endpoint]

    extra_env: dict = {}

    def env(self):
        env = dict(os.environ)
        for k in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
            env.pop(k, None)
        env.update(AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK, AWS_DEFAULT_REGION=REGION,
                   AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_PAGER="")
        env.update(self.extra_env)
        return env

    def s3(self, key, bucket=None):
        return f"s3://{bucket or self.bucket}/{key}"

    def mb(self):
        self.run("s3", "mb", f"s3://{self.bucket}")

    def put_small(self):
        self.run("s3", "cp", self.file("small.bin", SMALL), self.s3("small.bin"))

    def get_small(self):
        out = self.out("small.bin")
        self.run("s3", "cp", self.s3("small.bin"), out)
        same_bytes(out.read_bytes(), SMALL, "downloaded")

    def put_large(self):
        self.run("s3", "cp", self.file("large.bin", LARGE), self.s3("large.bin"))

    def get_large(self):
        out = self.out("large.bin")
        self.run("s3", "cp", self.s3("large.bin"), out)
        same_bytes(out.read_bytes(), LARGE, "downloaded")

    def list(self):
        lines = self.run("s3", "ls", self.s3("dir/")).stdout.decode().splitlines()
        objs = ["dir/" + l.split()[-1] for l in lines if not l.strip().startswith("PRE")]
        pres = ["dir/" + l.split()[-1] for l in lines if l.strip().startswith("PRE")]
        self.check_list(objs, pres)
        j = json.loads(self.run("s3api", "list-objects-v2", "--bucket", self.bucket, "--prefix", "dir/",
                                "--delimiter", "/", "--page-size", "1").stdout)
        # One key or prefix per page: the CLI follows the continuation tokens.
        self.check_list([c["Key"] for c in j.get("Contents", [])], [p["Prefix"] for p in j.get("CommonPrefixes", [])])

    def special_keys(self):
        for i, key in enumerate(SPECIAL_KEYS):
            self.run("s3", "cp", self.file(f"special/{i}", key.encode()), self.s3(key))
            self.ref.expect_object(self.bucket, key, key.encode())
        lines = self.run("s3", "ls", "--recursive", self.s3("keys/")).stdout.decode("utf-8").splitlines()
        listed = sorted(l.split(None, 3)[3] for l in lines if l.strip())
        check(listed == sorted(SPECIAL_KEYS), f"listed {listed}")
        for i, key in enumerate(SPECIAL_KEYS):
            out = self.out(f"special/{i}")
            self.run("s3", "cp", self.s3(key), out)
            same_bytes(out.read_bytes(), key.encode(), key)

    def copy(self):
        self.run("s3", "cp", self.s3("src/copy-me.bin"), self.s3("dst/copied.bin"))

    def metadata(self):
        meta = ",".join(f"{k}={v}" for k, v in META.items())
        self.run("s3", "cp", self.file("meta.txt", b"meta"), self.s3("meta.txt"), "--metadata", meta,
                 "--content-type", CONTENT_TYPE)
        j = json.loads(self.run("s3api", "head-object", "--bucket", self.bucket, "--key", "meta.txt").stdout)
        check(j.get("Metadata") == META, f"Metadata read back: {j.get('Metadata')}")
        check(j.get("ContentType") == CONTENT_TYPE, f"ContentType read back: {j.get('ContentType')}")

    def presign(self):
        return self.run("s3", "presign", self.s3("presign.bin"), "--expires-in", "300").stdout.decode().strip()

    def presign_v4(self):
        # The documented setting: `aws configure set default.s3.signature_version s3v4`.
        cfg = self.work / "aws-config"
        cfg.write_text("[default]\ns3 =\n    signature_version = s3v4\n")
        self.extra_env = {"AWS_CONFIG_FILE": str(cfg)}
        try:
            return self.presign()
        finally:
            self.extra_env = {}

    def delete(self):
        self.run("s3", "rm", self.s3("del.bin"))

    def delete_many(self):
        self.run("s3", "rm", "--recursive", self.s3("many/"))

    def sync(self):
        self.sync_round(
            lambda d, p: self.run("s3", "sync", "--delete", d, self.s3(p)),
            lambda p, d: self.run("s3", "sync", self.s3(p), d),
        )

    def origin(self):
        key, data = self.origin_key()
        out = self.out("pulled.bin")
        self.run("s3", "cp", self.s3(key, ORIGIN_BUCKET), out)
        same_bytes(out.read_bytes(), data, "pulled through originstore")
        self.origin_after(key, data)

    def rb(self):
        self.run("s3", "rb", "--force", f"s3://{self.bucket}")


# s3cmd --------------------------------------------------------------------------------------


class S3cmd(Subprocess):
    name = "s3cmd"
    NA = {"presign_v4": "s3cmd signurl has no SigV4 mode"}

    @staticmethod
    def available():
        return None if shutil.which("s3cmd") else "s3cmd not on PATH (pip install s3cmd)"

    @staticmethod
    def version():
        p = subprocess.run(["s3cmd", "--version"], capture_output=True, text=True)
        return p.stdout.strip().replace("s3cmd version ", "s3cmd ")

    def argv(self):
        cfg = self.work / "s3cfg"
        if not cfg.exists():
            host = f"127.0.0.1:{self.port}"
            cfg.write_text(
                "[default]\n"
                f"access_key = {AK}\nsecret_key = {SK}\n"
                f"host_base = {host}\nhost_bucket = {host}\n"
                "use_https = False\nsignature_v2 = False\n"
                f"bucket_location = {REGION}\n"
                "progress_meter = False\n"
            )
        return ["s3cmd", "-c", str(self.work / "s3cfg")]

    def s3(self, key, bucket=None):
        return f"s3://{bucket or self.bucket}/{key}"

    def mb(self):
        self.run("mb", f"s3://{self.bucket}")

    def put_small(self):
        self.run("put", self.file("small.bin", SMALL), self.s3("small.bin"))

    def get_small(self):
        out = self.out("small.bin")
        self.run("get", self.s3("small.bin"), out)
        same_bytes(out.read_bytes(), SMALL, "downloaded")

    def put_large(self):
        self.run("put", self.file("large.bin", LARGE), self.s3("large.bin"))

    def get_large(self):
        out = self.out("large.bin")
        self.run("get", self.s3("large.bin"), out)
        same_bytes(out.read_bytes(), LARGE, "downloaded")

    def list(self):
        lines = self.run("ls", self.s3("dir/")).stdout.decode().splitlines()
        prefix = f"s3://{self.bucket}/"
        objs = [l.split()[-1][len(prefix):] for l in lines if " DIR " not in l and l.strip()]
        pres = [l.split()[-1][len(prefix):] for l in lines if " DIR " in l]
        self.check_list(objs, pres)

    def special_keys(self):
        for i, key in enumerate(SPECIAL_KEYS):
            self.run("put", self.file(f"special/{i}", key.encode()), self.s3(key))
            self.ref.expect_object(self.bucket, key, key.encode())
        lines = self.run("ls", "--recursive", self.s3("keys/")).stdout.decode("utf-8").splitlines()
        prefix = f"s3://{self.bucket}/"
        listed = sorted(l.split(prefix, 1)[1] for l in lines if prefix in l)
        check(listed == sorted(SPECIAL_KEYS), f"listed {listed}")
        for i, key in enumerate(SPECIAL_KEYS):
            out = self.out(f"special/{i}")
            self.run("get", self.s3(key), out)
            same_bytes(out.read_bytes(), key.encode(), key)

    def copy(self):
        self.run("cp", self.s3("src/copy-me.bin"), self.s3("dst/copied.bin"))

    def metadata(self):
        args = [f"--add-header=x-amz-meta-{k}:{v}" for k, v in META.items()]
        self.run("put", *args, f"--mime-type={CONTENT_TYPE}", self.file("meta.txt", b"meta"), self.s3("meta.txt"))
        info = self.run("info", self.s3("meta.txt")).stdout.decode()
        fields = {}
        for line in info.splitlines():
            k, _, v = line.strip().partition(":")
            fields[k.strip().lower()] = v.strip()
        for k, v in META.items():
            check(fields.get(f"x-amz-meta-{k}") == v, f"s3cmd info shows x-amz-meta-{k}: {fields.get(f'x-amz-meta-{k}')}")
        check(fields.get("mime type") == CONTENT_TYPE, f"s3cmd info MIME type: {fields.get('mime type')}")

    def presign(self):
        return self.run("signurl", self.s3("presign.bin"), "+300").stdout.decode().strip()

    def delete(self):
        self.run("del", self.s3("del.bin"))

    def delete_many(self):
        self.run("del", "--recursive", "--force", self.s3("many/"))

    def sync(self):
        self.sync_round(
            lambda d, p: self.run("sync", "--delete-removed", f"{d}/", self.s3(p)),
            lambda p, d: self.run("sync", self.s3(p), f"{d}/"),
        )

    def origin(self):
        key, data = self.origin_key()
        out = self.out("pulled.bin")
        self.run("get", self.s3(key, ORIGIN_BUCKET), out)
        same_bytes(out.read_bytes(), data, "pulled through originstore")
        self.origin_after(key, data)

    def rb(self):
        self.run("rb", "--recursive", "--force", f"s3://{self.bucket}")


# rclone -------------------------------------------------------------------------------------


class Rclone(Subprocess):
    name = "rclone"
    NA = {}

    @staticmethod
    def available():
        return None if shutil.which("rclone") else "rclone not on PATH (apt-get install rclone)"

    @staticmethod
    def version():
        p = subprocess.run(["rclone", "version"], capture_output=True, text=True)
        return p.stdout.splitlines()[0] if p.stdout else ""

    def argv(self):
        return ["rclone", "--retries", "1", "--low-level-retries", "1"]

    def env(self):
        # AWS_CA_BUNDLE (set on some machines) makes rclone's S3 SDK fail on a plain-http endpoint.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RCLONE_", "AWS_"))}
        cfg = self.work / "rclone.conf"
        cfg.touch()
        env.update(
            RCLONE_CONFIG=str(cfg),
            RCLONE_CONFIG_OS_TYPE="s3",
            RCLONE_CONFIG_OS_PROVIDER="Other",
            RCLONE_CONFIG_OS_ENDPOINT=self.endpoint,
            RCLONE_CONFIG_OS_ACCESS_KEY_ID=AK,
            RCLONE_CONFIG_OS_SECRET_ACCESS_KEY=SK,
            RCLONE_CONFIG_OS_REGION=REGION,
        )
        return env

    def r(self, key, bucket=None):
        return f"os:{bucket or self.bucket}/{key}"

    def mb(self):
        self.run("mkdir", f"os:{self.bucket}")

    def put_small(self):
        self.run("copyto", self.file("small.bin", SMALL), self.r("small.bin"))

    def get_small(self):
        out = self.out("small.bin")
        self.run("copyto", self.r("small.bin"), out)
        same_bytes(out.read_bytes(), SMALL, "downloaded")

    def put_large(self):
        # rclone's default upload_cutoff (200 MiB) would make this a single PUT; a 5 MiB
        # cutoff and chunk size exercise its multipart uploader (rclone's normal options).
        self.run("copyto", "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M",
                 self.file("large.bin", LARGE), self.r("large.bin"))

    def get_large(self):
        out = self.out("large.bin")
        self.run("copyto", self.r("large.bin"), out)
        same_bytes(out.read_bytes(), LARGE, "downloaded")

    def list(self):
        lines = self.run("lsf", self.r("dir")).stdout.decode().splitlines()
        self.check_list(["dir/" + l for l in lines if not l.endswith("/")], ["dir/" + l for l in lines if l.endswith("/")])

    def special_keys(self):
        for i, key in enumerate(SPECIAL_KEYS):
            self.run("copyto", self.file(f"special/{i}", key.encode()), self.r(key))
            self.ref.expect_object(self.bucket, key, key.encode())
        listed = sorted("keys/" + l for l in self.run("lsf", "-R", self.r("keys")).stdout.decode("utf-8").splitlines())
        check(listed == sorted(SPECIAL_KEYS), f"listed {listed}")
        for i, key in enumerate(SPECIAL_KEYS):
            out = self.out(f"special/{i}")
            self.run("copyto", self.r(key), out)
            same_bytes(out.read_bytes(), key.encode(), key)

    def copy(self):
        self.run("copyto", self.r("src/copy-me.bin"), self.r("dst/copied.bin"))

    def metadata(self):
        args = []
        for k, v in META.items():
            args += ["--metadata-set", f"{k}={v}"]
        args += ["--metadata-set", f"content-type={CONTENT_TYPE}"]
        self.run("copyto", "-M", *args, self.file("meta.txt", b"meta"), self.r("meta.txt"))
        j = json.loads(self.run("lsjson", "-M", "--stat", self.r("meta.txt")).stdout)
        md = j.get("Metadata") or {}
        for k, v in META.items():
            check(md.get(k) == v, f"rclone lsjson -M metadata {k}: {md.get(k)!r} (all: {md})")
        check(j.get("MimeType") == CONTENT_TYPE, f"MimeType read back: {j.get('MimeType')}")

    def presign(self):
        return self.run("link", "--expire", "5m", self.r("presign.bin")).stdout.decode().strip().splitlines()[-1]

    presign_v4 = presign  # rclone presigns with SigV4

    def delete(self):
        self.run("deletefile", self.r("del.bin"))

    def delete_many(self):
        self.run("delete", self.r("many"))

    def sync(self):
        self.sync_round(
            lambda d, p: self.run("sync", d, self.r(p.rstrip("/"))),
            lambda p, d: self.run("sync", self.r(p.rstrip("/")), d),
        )

    def origin(self):
        key, data = self.origin_key()
        out = self.out("pulled.bin")
        self.run("copyto", self.r(key, ORIGIN_BUCKET), out)
        same_bytes(out.read_bytes(), data, "pulled through originstore")
        self.origin_after(key, data)

    def rb(self):
        self.run("purge", f"os:{self.bucket}")


# boto3 --------------------------------------------------------------------------------------


class Boto3(Client):
    name = "boto3"
    NA = {"sync": "boto3 has no sync"}

    @staticmethod
    def available():
        try:
            import boto3  # noqa: F401
        except ImportError:
            return "python module boto3 not installed"
        return None

    @staticmethod
    def version():
        import boto3

        return f"boto3 {boto3.__version__}"

    def __init__(self, *a):
        super().__init__(*a)
        import boto3
        from botocore.config import Config

        self.s3 = boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=AK, aws_secret_access_key=SK,
                               region_name=REGION, config=Config(retries={"max_attempts": 1}))

    def mb(self):
        self.s3.create_bucket(Bucket=self.bucket)

    def put_small(self):
        self.s3.put_object(Bucket=self.bucket, Key="small.bin", Body=SMALL)

    def get_small(self):
        same_bytes(self.s3.get_object(Bucket=self.bucket, Key="small.bin")["Body"].read(), SMALL, "downloaded")

    def put_large(self):
        self.s3.upload_file(str(self.file("large.bin", LARGE)), self.bucket, "large.bin")

    def get_large(self):
        out = self.out("large.bin")
        self.s3.download_file(self.bucket, "large.bin", str(out))
        same_bytes(out.read_bytes(), LARGE, "downloaded")

    def list(self):
        r = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="dir/", Delimiter="/")
        self.check_list([c["Key"] for c in r.get("Contents", [])], [p["Prefix"] for p in r.get("CommonPrefixes", [])])
        objs, pres = [], []
        for page in self.s3.get_paginator("list_objects").paginate(
            Bucket=self.bucket, Prefix="dir/", Delimiter="/", PaginationConfig={"PageSize": 1}
        ):
            objs += [c["Key"] for c in page.get("Contents", [])]
            pres += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        self.check_list(objs, pres)

    def special_keys(self):
        for key in SPECIAL_KEYS:
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=key.encode())
            self.ref.expect_object(self.bucket, key, key.encode())
        listed = sorted(c["Key"] for c in self.s3.list_objects_v2(Bucket=self.bucket, Prefix="keys/")["Contents"])
        check(listed == sorted(SPECIAL_KEYS), f"listed {listed}")
        for key in SPECIAL_KEYS:
            same_bytes(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read(), key.encode(), key)

    def copy(self):
        self.s3.copy_object(Bucket=self.bucket, Key="dst/copied.bin",
                            CopySource={"Bucket": self.bucket, "Key": "src/copy-me.bin"})

    def metadata(self):
        self.s3.put_object(Bucket=self.bucket, Key="meta.txt", Body=b"meta", Metadata=META, ContentType=CONTENT_TYPE)
        h = self.s3.head_object(Bucket=self.bucket, Key="meta.txt")
        check(h["Metadata"] == META, f"Metadata read back: {h['Metadata']}")
        check(h["ContentType"] == CONTENT_TYPE, f"ContentType read back: {h['ContentType']}")

    def presign(self, s3=None):
        return (s3 or self.s3).generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": "presign.bin"}, ExpiresIn=300)

    def presign_v4(self):
        import boto3
        from botocore.config import Config

        s3 = boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=AK, aws_secret_access_key=SK,
                          region_name=REGION, config=Config(signature_version="s3v4"))
        return self.presign(s3)

    def delete(self):
        self.s3.delete_object(Bucket=self.bucket, Key="del.bin")

    def delete_many(self):
        keys = self.ref.keys(self.bucket, "many/")
        r = self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in keys]})
        check(not r.get("Errors"), f"DeleteObjects errors: {r.get('Errors')}")
        check(len(r.get("Deleted", [])) == len(keys), f"DeleteObjects reported {len(r.get('Deleted', []))} of {len(keys)}")

    def origin(self):
        key, data = self.origin_key()
        r = self.s3.get_object(Bucket=ORIGIN_BUCKET, Key=key)
        same_bytes(r["Body"].read(), data, "pulled through originstore")
        self.origin_after(key, data)

    def rb(self):
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            objs = [{"Key": c["Key"]} for c in page.get("Contents", [])]
            if objs:
                self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": objs})
        self.s3.delete_bucket(Bucket=self.bucket)


# minio-py -----------------------------------------------------------------------------------


class MinioPy(Client):
    name = "minio-py"
    NA = {"sync": "minio-py has no sync"}

    @staticmethod
    def available():
        try:
            import minio  # noqa: F401
        except ImportError:
            return "python module minio not installed (pip install minio)"
        return None

    @staticmethod
    def version():
        import minio

        return f"minio-py {minio.__version__}"

    def __init__(self, *a):
        super().__init__(*a)
        from minio import Minio

        self.m = Minio(f"127.0.0.1:{self.port}", access_key=AK, secret_key=SK, secure=False, region=REGION)

    def mb(self):
        self.m.make_bucket(self.bucket)

    def put_small(self):
        self.m.put_object(self.bucket, "small.bin", io.BytesIO(SMALL), len(SMALL))

    def get(self, bucket, key):
        r = self.m.get_object(bucket, key)
        try:
            return r.read()
        finally:
            r.close()
            r.release_conn()

    def get_small(self):
        same_bytes(self.get(self.bucket, "small.bin"), SMALL, "downloaded")

    def put_large(self):
        self.m.fput_object(self.bucket, "large.bin", str(self.file("large.bin", LARGE)))

    def get_large(self):
        out = self.out("large.bin")
        self.m.fget_object(self.bucket, "large.bin", str(out))
        same_bytes(out.read_bytes(), LARGE, "downloaded")

    def list(self):
        items = list(self.m.list_objects(self.bucket, prefix="dir/"))
        self.check_list([o.object_name for o in items if not o.is_dir], [o.object_name for o in items if o.is_dir])

    def special_keys(self):
        for key in SPECIAL_KEYS:
            self.m.put_object(self.bucket, key, io.BytesIO(key.encode()), len(key.encode()))
            self.ref.expect_object(self.bucket, key, key.encode())
        listed = sorted(o.object_name for o in self.m.list_objects(self.bucket, prefix="keys/", recursive=True))
        check(listed == sorted(SPECIAL_KEYS), f"listed {listed}")
        for key in SPECIAL_KEYS:
            same_bytes(self.get(self.bucket, key), key.encode(), key)

    def copy(self):
        from minio.commonconfig import CopySource

        self.m.copy_object(self.bucket, "dst/copied.bin", CopySource(self.bucket, "src/copy-me.bin"))

    def metadata(self):
        self.m.put_object(self.bucket, "meta.txt", io.BytesIO(b"meta"), 4, content_type=CONTENT_TYPE, metadata=META)
        st = self.m.stat_object(self.bucket, "meta.txt")
        got = {k.lower()[len("x-amz-meta-"):]: v for k, v in st.metadata.items() if k.lower().startswith("x-amz-meta-")}
        check(got == META, f"metadata read back: {got}")
        check(st.content_type == CONTENT_TYPE, f"content type read back: {st.content_type}")

    def presign(self):
        return self.m.presigned_get_object(self.bucket, "presign.bin", expires=datetime.timedelta(minutes=5))

    presign_v4 = presign  # minio-py presigns with SigV4

    def delete(self):
        self.m.remove_object(self.bucket, "del.bin")

    def delete_many(self):
        from minio.deleteobjects import DeleteObject

        keys = self.ref.keys(self.bucket, "many/")
        errors = list(self.m.remove_objects(self.bucket, [DeleteObject(k) for k in keys]))
        check(not errors, f"remove_objects errors: {errors}")

    def origin(self):
        key, data = self.origin_key()
        same_bytes(self.get(ORIGIN_BUCKET, key), data, "pulled through originstore")
        self.origin_after(key, data)

    def rb(self):
        from minio.deleteobjects import DeleteObject

        objs = [DeleteObject(o.object_name) for o in self.m.list_objects(self.bucket, recursive=True)]
        errors = list(self.m.remove_objects(self.bucket, objs))
        check(not errors, f"remove_objects errors: {errors}")
        self.m.remove_bucket(self.bucket)


CLIENTS = [AwsCli, Boto3, S3cmd, Rclone, MinioPy]


# --------------------------------------------------------------------------------------------
# Scenario driver: fixtures before, checks after, so every cell stands on its own.
# --------------------------------------------------------------------------------------------


def run_scenario(c: Client, sid: str) -> tuple[str, str]:
    ref, b = c.ref, c.bucket
    fn = getattr(c, sid, None)
    if fn is None:
        return "n/a", c.NA.get(sid, "")
    # Setup: whatever the scenario reads is put there by the referee, not by the client's
    # earlier scenarios, so one failure does not cascade down the column.
    if sid != "mb" and not ref.bucket_exists(b):
        ref.create_bucket(b)
    if sid == "get_small":
        ref.put(b, "small.bin", SMALL)
    elif sid == "get_large":
        if ref.head(b, "large.bin")[1].get("content-length") != str(len(LARGE)):
            ref.put(b, "large.bin", LARGE)
    elif sid == "list":
        for k in LIST_KEYS:
            ref.put(b, k, k.encode())
    elif sid == "copy":
        ref.put(b, "src/copy-me.bin", SMALL, {"x-amz-meta-kept": "yes", "content-type": "application/x-kept"})
    elif sid in ("presign", "presign_v4"):
        ref.put(b, "presign.bin", SMALL)
    elif sid == "delete":
        ref.put(b, "del.bin", b"delete me")
    elif sid == "delete_many":
        for i in range(25):
            ref.put(b, f"many/{i:02}/obj {i}.txt", b"x")
    elif sid == "rb":
        ref.put(b, "leftover.txt", b"rb must empty the bucket first")

    result = fn()

    # Checks by the referee.
    if sid == "mb":
        check(ref.bucket_exists(b), "HEAD bucket after create is not 200")
    elif sid == "put_small":
        ref.expect_object(b, "small.bin", SMALL)
    elif sid == "put_large":
        c.check_multipart(ref.expect_object(b, "large.bin", LARGE))
    elif sid == "copy":
        h = ref.expect_object(b, "dst/copied.bin", SMALL)
        check(h.get("x-amz-meta-kept") == "yes", f"copy lost user metadata: x-amz-meta-kept={h.get('x-amz-meta-kept')}")
        check(h.get("content-type") == "application/x-kept", f"copy changed content-type: {h.get('content-type')}")
    elif sid == "metadata":
        h = ref.head(b, "meta.txt")[1]
        for k, v in META.items():
            check(h.get(f"x-amz-meta-{k}") == v, f"server has x-amz-meta-{k}: {h.get(f'x-amz-meta-{k}')}")
    elif sid in ("presign", "presign_v4"):
        url = result
        check(isinstance(url, str) and url.startswith(c.endpoint), f"presigned URL {url!r}")
        u = urllib.parse.urlsplit(url)
        if sid == "presign_v4":
            check("X-Amz-Signature=" in u.query, f"not a SigV4 presigned URL: {url}")
        conn = http.client.HTTPConnection(u.netloc, timeout=30)
        conn.request("GET", u.path + "?" + u.query)
        r = conn.getresponse()
        body = r.read()
        conn.close()
        check(r.status == 200, f"GET of the presigned URL ({'SigV4' if 'X-Amz-Signature=' in u.query else 'SigV2'}): "
                               f"{r.status} {s3_error(body)}")
        same_bytes(body, SMALL, "presigned GET")
    elif sid == "delete":
        ref.expect_gone(b, "del.bin")
    elif sid == "delete_many":
        left = ref.keys(b, "many/")
        check(not left, f"{len(left)} keys left under many/: {left[:3]}")
    elif sid == "rb":
        check(not ref.bucket_exists(b), "bucket still exists")
    return "PASS", c.notes.get(sid, "")


def run_client(cls, endpoint, tmp, ref, origin, only, log):
    col = {}
    work = tmp / "clients" / cls.name
    work.mkdir(parents=True)
    try:
        c = cls(endpoint, work, ref, origin)
    except Exception as e:  # noqa: BLE001
        return {sid: ("FAIL", f"client setup: {e}") for sid, _ in SCENARIOS}
    for sid, _ in SCENARIOS:
        if only and sid not in only:
            continue
        t0 = time.monotonic()
        try:
            col[sid] = run_scenario(c, sid)
        except Failed as e:
            col[sid] = ("FAIL", str(e))
        except Exception as e:  # noqa: BLE001 - a client library's exception is a FAIL
            col[sid] = ("FAIL", f"{type(e).__name__}: {e}".replace("\n", " ")[:600])
            if os.environ.get("COMPAT_TRACEBACK"):
                traceback.print_exc()
        gap = KNOWN_GAPS.get((cls.name, sid))
        if gap and col[sid][0] == "FAIL" and gap[1] in col[sid][1]:
            col[sid] = ("FAIL", f"{gap[0]}. Got: {col[sid][1]}")
        log(f"  {cls.name:9} {sid:13} {col[sid][0]:4} {time.monotonic() - t0:5.1f}s")
    return col


def render(columns, results, versions, elapsed, markdown):
    rows = [(sid, label) for sid, label in SCENARIOS if any(sid in results[c] for c in columns)]
    notes, note_ids = [], {}

    def cell(c, sid):
        status, note = results[c].get(sid, ("-", ""))
        if status == "SKIP":
            return status
        if note:
            if note not in note_ids:
                notes.append(([], note))
                note_ids[note] = len(notes)
            notes[note_ids[note] - 1][0].append(f"{c} {sid} {status}")
            return f"{status} [{note_ids[note]}]"
        return status

    table = [["scenario"] + columns] + [[label] + [cell(c, sid) for c in columns] for sid, label in rows]
    out = []
    if markdown:
        out.append("| " + " | ".join(table[0]) + " |")
        out.append("|" + "---|" * len(columns + [0]))
        out += ["| " + " | ".join(r) + " |" for r in table[1:]]
    else:
        widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
        for n, r in enumerate(table):
            out.append("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
            if n == 0:
                out.append("  ".join("-" * w for w in widths))
    counts = {s: sum(1 for c in columns for v, _ in results[c].values() if v == s)
              for s in ("PASS", "FAIL", "n/a", "SKIP")}
    out.append("")
    out.append(f"{counts['PASS']} passed, {counts['FAIL']} failed, {counts['n/a']} n/a, "
               f"{counts['SKIP']} skipped in {elapsed:.0f}s")
    if notes:
        out.append("")
        out.append("Notes:\n" if markdown else "Notes:")
        for i, (cells, note) in enumerate(notes, 1):
            out.append(f"{'' if not markdown else '- '}[{i}] {', '.join(cells)}: {note}")
    out.append("")
    out.append("Clients: " + "; ".join(f"{c}: {versions[c]}" for c in columns))
    return "\n".join(out)


def find_binary(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    for p in (ROOT / "target/release/originstore", ROOT / "target/debug/originstore"):
        if p.exists():
            return p
    sys.exit("no originstore binary: cargo build --release (or pass --bin)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", help="originstore binary (default target/release, then target/debug)")
    ap.add_argument("--clients", help="comma-separated subset of: " + ",".join(c.name for c in CLIENTS))
    ap.add_argument("--scenarios", help="comma-separated subset of: " + ",".join(s for s, _ in SCENARIOS))
    ap.add_argument("--jobs", type=int, default=3, help="clients run in parallel (default 3)")
    ap.add_argument("--write-results", action="store_true", help="write s3-compat/RESULTS.md")
    ap.add_argument("--allow-known-gaps", action="store_true",
                    help="exit 0 when the only FAILs are the known server gaps listed in KNOWN_GAPS (CI)")
    ap.add_argument("--keep", action="store_true", help="keep the temp directory (server log, data)")
    ap.add_argument("-q", "--quiet", action="store_true", help="no per-scenario progress lines")
    args = ap.parse_args()

    binary = find_binary(args.bin)
    wanted = set(args.clients.split(",")) if args.clients else None
    only = set(args.scenarios.split(",")) if args.scenarios else None
    start = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="originstore-compat-"))
    log_lock = threading.Lock()

    def log(msg):
        if not args.quiet:
            with log_lock:
                print(msg, file=sys.stderr, flush=True)

    try:
        server = Server(binary, tmp)
    except Exception as e:  # noqa: BLE001
        print(f"cannot start {binary}: {e}", file=sys.stderr)
        return 2
    origin = Origin(tmp / "origin")
    failed = False
    try:
        log(f"originstore {binary} at {server.endpoint}; origin at http://{origin.host}; work in {tmp}")
        ref = Referee(server.endpoint)
        ref.create_bucket(ORIGIN_BUCKET)
        st, _, body = ref.request("PUT", f"/{ORIGIN_BUCKET}", query="origin", body=origin_xml(origin.host).encode())
        if st != 200:
            raise RuntimeError(f"PUT ?origin: {st} {body!r}")

        columns, results, versions = [], {}, {}
        todo = []
        for cls in CLIENTS:
            if wanted and cls.name not in wanted:
                continue
            columns.append(cls.name)
            why = cls.available()
            if why:
                results[cls.name] = {sid: ("SKIP", why) for sid, _ in SCENARIOS if not only or sid in only}
                versions[cls.name] = f"not installed ({why})"
            else:
                versions[cls.name] = cls.version()
                todo.append(cls)
        with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
            futs = {cls.name: pool.submit(run_client, cls, server.endpoint, tmp, ref, origin, only, log) for cls in todo}
            for name, f in futs.items():
                results[name] = f.result()
        elapsed = time.monotonic() - start
        fails = [(c, sid) for c, col in results.items() for sid, (v, _) in col.items() if v == "FAIL"]
        known = [(c, sid) for c, sid in fails if results[c][sid][1].startswith("known server gap")]
        stale = [(c, sid) for (c, sid) in KNOWN_GAPS if results.get(c, {}).get(sid, ("",))[0] == "PASS"]
        failed = bool(fails) or bool(stale)
        if args.allow_known_gaps:
            failed = len(fails) > len(known) or bool(stale)
        print(render(columns, results, versions, elapsed, markdown=False))
        skipped = [c for c in columns if versions[c].startswith("not installed")]
        if skipped:
            print(f"\nSKIP: {', '.join(skipped)} not installed")
        if known:
            print(f"\n{len(known)} FAIL cells are known server gaps" +
                  (" (allowed by --allow-known-gaps)" if args.allow_known_gaps else ""))
        for c, sid in stale:
            print(f"\nSTALE: {c}/{sid} passes but is listed in KNOWN_GAPS: remove the entry")
        if failed:
            print(f"\nserver log (last lines, {server.log_path}):\n{server.log_tail()}", file=sys.stderr)
        if args.write_results:
            md = render(columns, results, versions, elapsed, markdown=True)
            stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
            rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                 text=True).stdout.strip()
            (ROOT / "s3-compat/RESULTS.md").write_text(
                "# s3-compat results\n\n"
                f"`python3 s3-compat/run.py --write-results` on {stamp}, originstore at commit `{rev}` "
                f"(`{binary.relative_to(ROOT) if binary.is_relative_to(ROOT) else binary}`).\n"
                "Cells: PASS, FAIL, n/a (the client has no such feature), SKIP (client not installed).\n\n"
                + md + "\n"
            )
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        print(f"\nserver log (last lines):\n{server.log_tail()}", file=sys.stderr)
        failed = True
    finally:
        origin.stop()
        server.stop()
        if args.keep or failed:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
