//! Finishing a migration with evidence, against a real second S3 server (another
//! originstore) as the old store: delta passes reconcile the bucket with an origin that keeps
//! changing (keys added, changed, deleted there; written and deleted here) until one finds
//! nothing to do; a verification proves every copy by its bytes — multipart ETags of uniform
//! and of uneven parts included — finds a copy corrupted on disk, and repairs it; the
//! cut-over verdict says Ready only then; the report lists every key; bad requests start
//! nothing.

use std::time::{Duration, Instant};

use super::{document, put_origin, Rule};
use crate::support::server::{pattern, TestServer, SECRET_KEY};

const BUCKET: &str = "site";

/// The old store (bucket `source`, parts as small as 64 KiB) and a node whose bucket pulls
/// from it, deleting its copy of what the origin deleted.
async fn origin_and_node() -> (TestServer, TestServer) {
    let origin = TestServer::start_with(|c| c.storage.min_part_size = 64 * 1024).await;
    origin.create_bucket("source").await;
    let node = node_pulling_from(
        super::private_host(&origin, "source", SECRET_KEY),
        "<Protocol>HTTP</Protocol><Freshness><MaxAgeSeconds>86400</MaxAgeSeconds><OnOriginDelete>Delete</OnOriginDelete></Freshness>",
    )
    .await;
    (origin, node)
}

/// A node whose bucket BUCKET pulls from the private host `host_info` with `parameter`
/// (an `OriginParameter`'s content).
async fn node_pulling_from(host_info: String, parameter: &str) -> TestServer {
    let node = TestServer::with_bucket(BUCKET).await;
    let mut rule = Rule::mirror("");
    rule.host_info = host_info;
    rule.parameter = parameter;
    let resp = put_origin(&node, BUCKET, &document(&[rule])).await;
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    node
}

/// Start a pass (`delta` or `verify`) with `body`, wait for its end, return its status.
pub(crate) async fn run_pass(node: &TestServer, kind: &str, body: &str) -> String {
    let resp = node
        .signed(http::Method::PUT, &format!("/{BUCKET}?origin-{kind}"))
        .body(body.to_owned())
        .send()
        .await
        .expect("sent");
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    wait_pass(node, kind).await
}

pub(crate) async fn wait_pass(node: &TestServer, kind: &str) -> String {
    let started = Instant::now();
    loop {
        let status = node
            .send_signed(http::Method::GET, &format!("/{BUCKET}?origin-{kind}"))
            .await
            .text()
            .await
            .expect("status");
        if !status.contains("<State>Running</State>") {
            return status;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The count of `class` in a pass's status (0 when absent).
pub(crate) fn count(status: &str, class: &str) -> u64 {
    let tag = format!("<Count><Class>{class}</Class><Keys>");
    status
        .find(&tag)
        .map(|at| {
            let rest = &status[at + tag.len()..];
            rest[..rest.find('<').unwrap_or(0)]
                .parse()
                .expect("a number")
        })
        .unwrap_or(0)
}

fn element<'a>(doc: &'a str, name: &str) -> &'a str {
    let open = format!("<{name}>");
    let at = doc.find(&open).map(|i| i + open.len()).unwrap_or(0);
    &doc[at..at + doc[at..].find('<').unwrap_or(0)]
}

async fn verdict(node: &TestServer) -> String {
    node.send_signed(http::Method::GET, &format!("/{BUCKET}?origin-status"))
        .await
        .text()
        .await
        .expect("status")
}

/// A multipart upload of `parts` as `key` in `bucket`.
async fn upload_parts(server: &TestServer, bucket: &str, key: &str, parts: &[Vec<u8>]) {
    crate::cluster::upload_in_parts(&server.client, bucket, key, parts).await;
}

#[tokio::test]
async fn delta_passes_until_clean_then_a_verification_proves_every_copy() {
    let (origin, node) = origin_and_node().await;
    for i in 0..150 {
        origin
            .put("source", &format!("k/{i:03}"), format!("v1 {i}"))
            .await;
    }
    // Multipart at the origin: uniform parts, and uneven ones.
    let uniform = [
        pattern(64 * 1024, 1),
        pattern(64 * 1024, 2),
        pattern(5000, 3),
    ];
    upload_parts(&origin, "source", "mp/uniform", &uniform).await;
    let uneven = [
        pattern(100 * 1024, 4),
        pattern(64 * 1024, 5),
        pattern(7000, 6),
    ];
    upload_parts(&origin, "source", "mp/uneven", &uneven).await;
    let big = pattern(200_000, 9);
    origin.put("source", "big.bin", big.clone()).await;

    // The first pass brings everything over.
    let first = run_pass(
        &node,
        "delta",
        "<Delta><Concurrency>4</Concurrency></Delta>",
    )
    .await;
    assert!(first.contains("<State>Completed</State>"), "{first}");
    assert_eq!(count(&first, "New"), 153, "{first}");
    assert_eq!(element(&first, "Pulled"), "153", "{first}");
    assert_eq!(node.get_bytes(BUCKET, "mp/uneven").await, uneven.concat());

    // The old store keeps changing; so does the bucket.
    for i in 0..5 {
        origin
            .put("source", &format!("k/{i:03}"), format!("v2 {i}"))
            .await;
    }
    for i in 150..157 {
        origin
            .put("source", &format!("k/{i:03}"), format!("v1 {i}"))
            .await;
    }
    for i in 10..13 {
        origin
            .client
            .delete_object()
            .bucket("source")
            .key(format!("k/{i:03}"))
            .send()
            .await
            .expect("delete at the origin");
    }
    node.put(BUCKET, "k/020", "written here").await;
    node.client
        .delete_object()
        .bucket(BUCKET)
        .key("k/021")
        .send()
        .await
        .expect("deleted here");
    let second = run_pass(&node, "delta", "").await;
    assert!(second.contains("<Clean>false</Clean>"), "{second}");
    assert_eq!(count(&second, "New"), 7, "{second}");
    assert_eq!(count(&second, "Changed"), 5, "{second}");
    assert_eq!(count(&second, "GoneDeleted"), 3, "{second}");
    assert_eq!(count(&second, "LocalWrite"), 1, "{second}");
    assert_eq!(count(&second, "DeletedHere"), 1, "{second}");
    assert_eq!(node.get_bytes(BUCKET, "k/000").await, b"v2 0");
    assert_eq!(node.get_error(BUCKET, "k/010").await, "NoSuchKey");
    assert_eq!(node.get_bytes(BUCKET, "k/020").await, b"written here");
    assert_eq!(node.get_error(BUCKET, "k/021").await, "NoSuchKey");
    let status = verdict(&node).await;
    assert!(status.contains("<Verdict>NotReady</Verdict>"), "{status}");

    // Until clean: the third finds nothing to do.
    let third = run_pass(&node, "delta", "").await;
    assert!(third.contains("<Clean>true</Clean>"), "{third}");
    assert_eq!(element(&third, "Pulled"), "0", "{third}");

    // A verification proves every copy, the multipart ones by their parts.
    let verified = run_pass(&node, "verify", "").await;
    assert!(verified.contains("<Clean>true</Clean>"), "{verified}");
    assert_eq!(count(&verified, "Unchanged"), 153 + 7 - 3 - 2, "{verified}");
    let status = verdict(&node).await;
    assert!(status.contains("<Verdict>Ready</Verdict>"), "{status}");

    // A copy corrupted on disk: found, listed, and NotReady until repaired.
    let data_dir = node.dir.path().join("data");
    let file = crate::support::server::files_under(&data_dir)
        .into_iter()
        .find(|f| std::fs::read(f).is_ok_and(|bytes| bytes == big))
        .expect("the blob of big.bin");
    let mut bytes = std::fs::read(&file).expect("read");
    bytes[1000] ^= 0xff;
    std::fs::write(&file, bytes).expect("corrupt");
    let found = run_pass(&node, "verify", "").await;
    assert_eq!(count(&found, "Mismatch"), 1, "{found}");
    assert!(
        found.contains("<Mismatch><Key>big.bin</Key><Differs>ETag:"),
        "{found}"
    );
    assert!(verdict(&node).await.contains("<Verdict>NotReady</Verdict>"));
    let repaired = run_pass(&node, "verify", "<Verify><Repair>true</Repair></Verify>").await;
    assert_eq!(element(&repaired, "Pulled"), "1", "{repaired}");
    assert_eq!(node.get_bytes(BUCKET, "big.bin").await, big);
    let again = run_pass(&node, "verify", "").await;
    assert!(again.contains("<Clean>true</Clean>"), "{again}");
    assert!(verdict(&node).await.contains("<Verdict>Ready</Verdict>"));

    // The report: one row per key, streamed, as CSV and JSON Lines.
    let csv = node
        .send_signed(http::Method::GET, &format!("/{BUCKET}?origin-report"))
        .await
        .text()
        .await
        .expect("report");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "key,state,bytes,verified,reason");
    assert!(lines.contains(&"k/020,local-write,12,no,"), "{csv}");
    assert!(lines.contains(&"k/021,deleted-here,5,no,"), "{csv}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("mp/uneven,copied,174936,yes")),
        "{csv}"
    );
    // 157 keys at the origin (k/020 and k/021 among them), none only here.
    assert_eq!(lines.len(), 1 + 157, "{csv}");
    let jsonl = node
        .send_signed(
            http::Method::GET,
            &format!("/{BUCKET}?origin-report&format=jsonl&prefix=mp/"),
        )
        .await
        .text()
        .await
        .expect("report");
    assert_eq!(jsonl.lines().count(), 2, "{jsonl}");
    assert!(
        jsonl.contains(r#""key":"mp/uniform","state":"copied""#),
        "{jsonl}"
    );
}

#[tokio::test]
async fn bad_requests_start_nothing() {
    let (origin, node) = origin_and_node().await;
    for i in 0..400 {
        origin.put("source", &format!("a/{i}"), "1").await;
    }
    let refused = |path: &'static str, body: &'static str| {
        let node = &node;
        async move {
            let resp = node
                .signed(http::Method::PUT, path)
                .body(body)
                .send()
                .await
                .expect("sent");
            let status = resp.status().as_u16();
            (
                status,
                crate::support::server::xml_code(&resp.text().await.unwrap_or_default()),
            )
        }
    };
    assert_eq!(
        refused("/nowhere?origin-delta", "").await,
        (404, "NoSuchBucket".to_owned())
    );
    assert_eq!(
        refused(
            "/site?origin-delta",
            "<Delta><Concurrency>0</Concurrency></Delta>"
        )
        .await,
        (400, "InvalidArgument".to_owned())
    );
    assert_eq!(refused("/site?origin-verify", "<Delta/>").await.0, 400);
    node.create_bucket("plain").await;
    assert_eq!(
        refused("/plain?origin-verify", "").await,
        (404, "NoSuchOriginConfiguration".to_owned())
    );
    let resp = put_origin(&node, "plain", &document(&[Rule::mirror("old.example")])).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        refused("/plain?origin-delta", "").await,
        (400, "InvalidRequest".to_owned())
    );
    for (path, code) in [
        ("/plain?origin-delta", "NoSuchMigrationPass"),
        ("/site?origin-verify", "NoSuchMigrationPass"),
    ] {
        let resp = node.send_signed(http::Method::GET, path).await;
        assert_eq!(resp.status(), 404);
        assert_eq!(
            crate::support::server::xml_code(&resp.text().await.expect("body")),
            code
        );
    }
    // One migration job per bucket at a time.
    // (400 keys, one at a time: the delta pass is still running when the verification is
    // asked for.)
    let resp = node
        .signed(http::Method::PUT, "/site?origin-delta")
        .body("<Delta><Concurrency>1</Concurrency></Delta>")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
    assert_eq!(
        refused("/site?origin-verify", "").await,
        (409, "OperationAborted".to_owned())
    );
    // A running pass is cancelled after its current batch.
    let resp = node
        .send_signed(http::Method::DELETE, "/site?origin-delta")
        .await;
    assert_eq!(resp.status(), 204);
    let cancelled = wait_pass(&node, "delta").await;
    assert!(
        cancelled.contains("<State>Cancelled</State>"),
        "{cancelled}"
    );
    assert!(count(&cancelled, "New") < 400, "{cancelled}");
    // Then the next one may start; it finishes the job.
    let done = run_pass(&node, "delta", "").await;
    assert!(done.contains("<State>Completed</State>"), "{done}");
}

/// kill -9 of the real server in the middle of a delta pass: restarted on its data
/// directory, the pass resumes where its checkpoint was and ends with exact totals — every
/// key counted once, as new, and pulled once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_killed_mid_way_resumes_with_exact_totals() {
    use super::signed_to;
    use crate::support::process::ServeProcess;
    const KEYS: usize = 1500;
    let origin = TestServer::with_bucket("source").await;
    let keys: Vec<String> = (0..KEYS).map(|i| format!("d/{i:04}")).collect();
    for (n, chunk) in keys.chunks(100).enumerate() {
        let puts = chunk
            .iter()
            .enumerate()
            .map(|(j, key)| origin.put("source", key, format!("body {}", n * 100 + j)));
        futures::future::join_all(puts).await;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let data_dir = tmp.path().join("data");
    let dir = data_dir.clone();
    let server = tokio::task::spawn_blocking(move || ServeProcess::start(&dir))
        .await
        .expect("start");
    let ep = server.endpoint.clone();
    let ok = |resp: reqwest::Response| async move {
        let status = resp.status();
        assert!(
            status.is_success(),
            "{status}: {}",
            resp.text().await.unwrap_or_default()
        );
    };
    ok(signed_to(&ep, http::Method::PUT, "/site")
        .send()
        .await
        .expect("mb"))
    .await;
    let mut rule = Rule::mirror("");
    rule.host_info = super::private_host(&origin, "source", SECRET_KEY);
    ok(signed_to(&ep, http::Method::PUT, "/site?origin")
        .body(document(&[rule]))
        .send()
        .await
        .expect("origin"))
    .await;
    ok(signed_to(&ep, http::Method::PUT, "/site?origin-delta")
        .body("<Delta><Concurrency>2</Concurrency></Delta>")
        .send()
        .await
        .expect("delta"))
    .await;
    // Some progress checkpointed, not all.
    let started = Instant::now();
    loop {
        let status = signed_to(&ep, http::Method::GET, "/site?origin-delta")
            .send()
            .await
            .expect("status")
            .text()
            .await
            .expect("text");
        assert!(
            status.contains("<State>Running</State>"),
            "finished too soon: {status}"
        );
        if status.contains("<LastKey>") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{status}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill9();
    let dir = data_dir.clone();
    let server = tokio::task::spawn_blocking(move || ServeProcess::start(&dir))
        .await
        .expect("restart");
    let ep = server.endpoint.clone();
    let started = Instant::now();
    let status = loop {
        let status = signed_to(&ep, http::Method::GET, "/site?origin-delta")
            .send()
            .await
            .expect("status")
            .text()
            .await
            .expect("text");
        if !status.contains("<State>Running</State>") {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.contains("<State>Completed</State>"), "{status}");
    assert_eq!(count(&status, "New"), KEYS as u64, "{status}");
    assert_eq!(element(&status, "Pulled"), KEYS.to_string(), "{status}");
    assert_eq!(element(&status, "Failed"), "0", "{status}");
    for i in [0, KEYS / 2, KEYS - 1] {
        let got = signed_to(&ep, http::Method::GET, &format!("/site/d/{i:04}"))
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("body");
        assert_eq!(got, format!("body {i}"));
    }
}

/// The whole move from a shell with `originstore migrate`: the verdict is NotReady (exit 1)
/// until delta passes ran until clean and a verification proved every copy (exit 0 each),
/// then Ready (exit 0); the report lands in a file; a mistake is a clear error.
#[tokio::test]
async fn a_migration_from_the_shell() {
    use crate::support::server::ACCESS_KEY;
    let (origin, node) = origin_and_node().await;
    for i in 0..30 {
        origin
            .put("source", &format!("s/{i:02}"), format!("shell {i}"))
            .await;
    }
    let endpoint = node.endpoint();
    let dir = tempfile::tempdir().expect("tempdir");
    let report_file = dir.path().join("report.jsonl");
    let report_arg = report_file.to_string_lossy().into_owned();
    let run = move |args: Vec<String>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_originstore"));
        cmd.arg("migrate")
            .args(args)
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_REGION", "us-east-1");
        let out = cmd.output().expect("runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let steps = vec![
        args(&["status", BUCKET]),
        args(&["delta", BUCKET, "--until-clean"]),
        args(&["verify", BUCKET]),
        args(&["status", BUCKET]),
        args(&[
            "report",
            BUCKET,
            "--format",
            "jsonl",
            "--output",
            &report_arg,
        ]),
        args(&["delta", "nowhere"]),
    ];
    let outs = tokio::task::spawn_blocking(move || steps.into_iter().map(run).collect::<Vec<_>>())
        .await
        .expect("joined");
    let (code, out, err) = &outs[0];
    assert_eq!(*code, Some(1), "{out}{err}");
    assert!(out.contains("cut-over: NotReady"), "{out}");
    assert!(out.contains("no delta pass has run"), "{out}");
    let (code, out, err) = &outs[1];
    assert_eq!(*code, Some(0), "{out}{err}");
    assert!(
        out.contains("delta pass 1: Completed: 30 keys (30 New)"),
        "{out}"
    );
    assert!(
        out.contains("delta pass 2: Completed: 30 keys (30 Unchanged)"),
        "{out}"
    );
    let (code, out, err) = &outs[2];
    assert_eq!(*code, Some(0), "{out}{err}");
    assert!(
        out.contains("verify pass 1: Completed: 30 keys (30 Unchanged)"),
        "{out}"
    );
    let (code, out, err) = &outs[3];
    assert_eq!(*code, Some(0), "{out}{err}");
    assert!(out.contains("cut-over: Ready"), "{out}");
    let (code, out, err) = &outs[4];
    assert_eq!(*code, Some(0), "{out}{err}");
    let report = std::fs::read_to_string(&report_file).expect("the report file");
    assert_eq!(report.lines().count(), 30, "{report}");
    assert!(
        report
            .lines()
            .all(|l| l.contains(r#""state":"copied","#) && l.contains(r#""verified":"yes""#)),
        "{report}"
    );
    let (code, out, err) = &outs[5];
    assert_eq!(*code, Some(1), "{out}{err}");
    assert!(err.contains("NoSuchBucket"), "{err}");
}

/// The old store is another implementation: moto's S3 server. Its multipart ETags (parts of
/// uneven sizes) are proven over the local bytes; its changes are reconciled; the verdict
/// follows.
#[tokio::test]
async fn moving_off_a_peer_s3_server() {
    use crate::support::moto::{Moto, KEYS};
    let moto = tokio::task::spawn_blocking(Moto::start)
        .await
        .expect("moto");
    let old = moto.client();
    old.create_bucket()
        .bucket("old")
        .send()
        .await
        .expect("bucket at moto");
    for i in 0..60 {
        old.put_object()
            .bucket("old")
            .key(format!("p/{i:02}"))
            .body(format!("peer {i}").into_bytes().into())
            .send()
            .await
            .expect("put at moto");
    }
    let parts = [pattern(3000, 1), pattern(2000, 2), pattern(500, 3)];
    crate::cluster::upload_in_parts(&old, "old", "mp/uneven", &parts).await;
    let node = node_pulling_from(
        super::private_host_at(moto.addr, "old", KEYS),
        "<Protocol>HTTP</Protocol>",
    )
    .await;

    let first = run_pass(&node, "delta", "").await;
    assert_eq!(count(&first, "New"), 61, "{first}");
    let verified = run_pass(&node, "verify", "").await;
    assert!(verified.contains("<Clean>true</Clean>"), "{verified}");
    assert_eq!(count(&verified, "Unchanged"), 61, "{verified}");
    assert_eq!(node.get_bytes(BUCKET, "mp/uneven").await, parts.concat());

    // The peer changes: three overwritten, two deleted (kept here: no OnOriginDelete), one new.
    for i in 0..3 {
        old.put_object()
            .bucket("old")
            .key(format!("p/{i:02}"))
            .body(format!("peer again {i}").into_bytes().into())
            .send()
            .await
            .expect("overwrite at moto");
    }
    for i in 50..52 {
        old.delete_object()
            .bucket("old")
            .key(format!("p/{i:02}"))
            .send()
            .await
            .expect("delete at moto");
    }
    old.put_object()
        .bucket("old")
        .key("p/99")
        .body(b"late".to_vec().into())
        .send()
        .await
        .expect("add at moto");
    let second = run_pass(&node, "delta", "").await;
    assert_eq!(count(&second, "Changed"), 3, "{second}");
    assert_eq!(count(&second, "New"), 1, "{second}");
    assert_eq!(count(&second, "GoneKept"), 2, "{second}");
    assert_eq!(node.get_bytes(BUCKET, "p/01").await, b"peer again 1");
    assert!(verdict(&node).await.contains("<Verdict>NotReady</Verdict>"));
    let third = run_pass(&node, "delta", "").await;
    assert!(third.contains("<Clean>true</Clean>"), "{third}");
    let verified = run_pass(&node, "verify", "").await;
    assert!(verified.contains("<Clean>true</Clean>"), "{verified}");
    let status = verdict(&node).await;
    assert!(status.contains("<Verdict>Ready</Verdict>"), "{status}");
}

/// An origin whose ETags are no digests (an encrypted object, another store's scheme): a
/// verification proves the copy by the origin's full-object `x-amz-checksum-*` instead,
/// and calls a copy it has no way to prove unverifiable, never proven.
#[tokio::test]
async fn a_copy_is_proven_by_the_origins_checksum_when_its_etag_is_no_digest() {
    use crate::support::stub_origin::{Behavior, StubOrigin};
    use base64::Engine as _;
    use sha2::Digest as _;
    let origin = StubOrigin::start().await;
    let data = pattern(50_000, 8);
    let sha256 = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&data));
    let listing = |etag_a: &str| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>legacy</Name>\
             <IsTruncated>false</IsTruncated>\
             <Contents><Key>enc.bin</Key><ETag>\"{etag_a}\"</ETag><Size>50000</Size>\
             <LastModified>2026-01-01T00:00:00.000Z</LastModified></Contents>\
             <Contents><Key>plain.bin</Key><ETag>\"kms-0002\"</ETag><Size>5</Size>\
             <LastModified>2026-01-01T00:00:00.000Z</LastModified></Contents>\
             </ListBucketResult>"
        )
    };
    origin.route(
        "/legacy/",
        Behavior::Ok {
            body: listing("kms-0001").into_bytes(),
            headers: vec![("content-type", "application/xml".into())],
        },
    );
    let object = |checksum: &str| Behavior::Ok {
        body: data.clone(),
        headers: vec![
            ("etag", "\"kms-0001\"".into()),
            ("x-amz-checksum-sha256", checksum.to_owned()),
        ],
    };
    origin.route("/legacy/enc.bin", object(&sha256));
    origin.route(
        "/legacy/plain.bin",
        Behavior::Ok {
            body: b"hello".to_vec(),
            headers: vec![("etag", "\"kms-0002\"".into())],
        },
    );
    let node = node_pulling_from(
        super::private_host_at(origin.host(), "legacy", ("AK", "SK")),
        "<Protocol>HTTP</Protocol>",
    )
    .await;
    let filled = run_pass(&node, "delta", "").await;
    assert_eq!(count(&filled, "New"), 2, "{filled}");
    let verified = run_pass(&node, "verify", "").await;
    assert_eq!(count(&verified, "Unchanged"), 1, "{verified}");
    assert_eq!(count(&verified, "Unverifiable"), 1, "{verified}");
    // The origin's checksum no longer matches the copy: a mismatch, named.
    origin.route(
        "/legacy/enc.bin",
        object("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
    );
    let found = run_pass(&node, "verify", "").await;
    assert_eq!(count(&found, "Mismatch"), 1, "{found}");
    assert!(found.contains("<Differs>x-amz-checksum-sha256:"), "{found}");
}
