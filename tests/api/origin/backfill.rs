//! Backfill: 1,000 objects copied from a second originstore by listing it, and a manifest
//! of keys from a plain HTTP origin, with local and deleted keys skipped and exact totals;
//! one job at a time; cancellation; a client GET joining a backfill's fill; a kill -9 of the
//! real server mid-job, resumed to completion without fetching again what was committed;
//! and the `originstore backfill` command's progress and verdict.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{document, get, put_origin, setup, signed_to, Rule};
use crate::support::process::{ServeProcess, AK, SK};
use crate::support::server::{TestServer, SECRET_KEY};
use crate::support::stub_origin::{Behavior, StubOrigin};

fn field(text: &str, name: &str) -> String {
    text.split(&format!("<{name}>"))
        .nth(1)
        .and_then(|s| s.split(&format!("</{name}>")).next())
        .unwrap_or_default()
        .to_owned()
}

async fn backfill(s: &TestServer, bucket: &str, method: http::Method, body: &str) -> (u16, String) {
    let resp = s
        .signed(method, &format!("/{bucket}?origin-backfill"))
        .body(body.to_owned())
        .send()
        .await
        .expect("sent");
    (resp.status().as_u16(), resp.text().await.expect("body"))
}

/// Poll the job's status until it is no longer Running.
async fn finished(s: &TestServer, bucket: &str) -> String {
    let started = Instant::now();
    loop {
        let (status, text) = backfill(s, bucket, http::Method::GET, "").await;
        assert_eq!(status, 200, "{text}");
        if field(&text, "State") != "Running" {
            return text;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "still running: {text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_listed_backfill_copies_a_thousand_objects_with_exact_totals() {
    let upstream = TestServer::start().await;
    upstream.create_bucket("source").await;
    let keys: Vec<String> = (0..1000).map(|i| format!("data/{i:04}.bin")).collect();
    for chunk in keys.chunks(50) {
        let puts = chunk
            .iter()
            .map(|k| upstream.put("source", k, vec![7u8; 100]));
        futures::future::join_all(puts).await;
    }
    let edge = TestServer::start().await;
    edge.create_bucket("edge").await;
    let mut rule = Rule::mirror("");
    rule.host_info = super::private_host(&upstream, "source", SECRET_KEY);
    rule.parameter = "<Protocol>HTTP</Protocol>";
    let resp = put_origin(&edge, "edge", &document(&[rule])).await;
    assert_eq!(resp.status(), 200);
    // Three keys written here, two deleted here: skipped and counted.
    for k in &keys[..3] {
        edge.put("edge", k, "local").await;
    }
    for k in &keys[3..5] {
        edge.client
            .delete_object()
            .bucket("edge")
            .key(k)
            .send()
            .await
            .expect("delete");
    }

    let (status, text) = backfill(
        &edge,
        "edge",
        http::Method::PUT,
        "<Backfill><Prefix>data/</Prefix><Concurrency>8</Concurrency><Source>List</Source></Backfill>",
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let text = finished(&edge, "edge").await;
    assert_eq!(field(&text, "State"), "Completed", "{text}");
    assert_eq!(field(&text, "Listed"), "1000");
    assert_eq!(field(&text, "Filled"), "995");
    assert_eq!(field(&text, "AlreadyLocal"), "5");
    assert_eq!(field(&text, "Failed"), "0");
    assert_eq!(field(&text, "Bytes"), (995 * 100).to_string());
    assert_eq!(field(&text, "LastKey"), "data/0999.bin");
    // Local now: a hit, and the local writes and deletes were left alone.
    let hit = get(&edge, "/edge/data/0500.bin").await;
    assert_eq!(hit.headers()[super::STATUS], "hit");
    assert_eq!(edge.get_bytes("edge", &keys[0]).await, b"local");
    assert_eq!(
        get(&edge, &format!("/edge/{}", keys[3])).await.status(),
        404
    );
    let status = edge
        .send_signed(http::Method::GET, "/edge?origin-status")
        .await;
    let status = status.text().await.expect("body");
    assert!(status.contains("<Filled>995</Filled>"), "{status}");
    assert!(
        status.contains("<Backfill><State>Completed</State>"),
        "{status}"
    );
}

/// Keys from a manifest object (plain HTTP origin): a missing one fails the job's verdict.
#[tokio::test]
async fn a_manifest_backfill_one_job_at_a_time_cancel_and_a_joining_get() {
    let origin = StubOrigin::start().await;
    for i in 0..1000 {
        origin.ok(&format!("/m/{i}"), format!("object {i}"));
    }
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    let mut manifest: String = (0..1000).map(|i| format!("m/{i}\n")).collect();
    manifest.push_str("m/missing\n\nelsewhere/x\n");
    s.put("site", "manifest.txt", manifest).await;
    // A key written here and one deleted here: skipped and counted.
    s.put("site", "m/0", "written here").await;
    s.client
        .delete_object()
        .bucket("site")
        .key("m/1")
        .send()
        .await
        .expect("delete");

    let (status, text) = backfill(
        &s,
        "site",
        http::Method::PUT,
        "<Backfill><Prefix>m/</Prefix><Concurrency>8</Concurrency><Source>Manifest</Source><ManifestKey>manifest.txt</ManifestKey></Backfill>",
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let text = finished(&s, "site").await;
    assert_eq!(field(&text, "State"), "CompletedWithFailures", "{text}");
    assert_eq!(field(&text, "Listed"), "1001", "keys under m/ only");
    assert_eq!(field(&text, "Filled"), "998");
    assert_eq!(field(&text, "AlreadyLocal"), "2");
    assert_eq!(field(&text, "Failed"), "1");
    assert!(
        text.contains(
            "<Failure><Key>m/missing</Key><Reason>not found at the origin</Reason></Failure>"
        ),
        "{text}"
    );
    assert_eq!(s.get_bytes("site", "m/0").await, b"written here");
    assert_eq!(s.get_bytes("site", "m/7").await, b"object 7");
    assert_eq!(origin.count("/m/1"), 0, "a key deleted here is not pulled");

    // A manifest that is missing or not text is the request's error: no job starts.
    s.put("site", "binary.bin", vec![0u8, 159, 146, 150, 0, 1])
        .await;
    for key in ["no-such-manifest.txt", "binary.bin"] {
        let start = format!(
            "<Backfill><Source>Manifest</Source><ManifestKey>{key}</ManifestKey></Backfill>"
        );
        let (status, text) = backfill(&s, "site", http::Method::PUT, &start).await;
        assert_eq!(
            (status, crate::support::server::xml_code(&text).as_str()),
            (400, "InvalidArgument"),
            "{key}: {text}"
        );
        assert!(text.contains(key), "{text}");
    }
    let text = finished(&s, "site").await;
    assert_eq!(
        field(&text, "State"),
        "CompletedWithFailures",
        "the last job stays"
    );

    // A slow job: a second start is refused; a cancel ends it.
    for i in 0..40 {
        origin.route(
            &format!("/slow/{i}"),
            Behavior::Slow {
                body: b"slow".to_vec(),
                chunks: 2,
                delay: Duration::from_millis(100),
            },
        );
    }
    let slow: String = (0..40).map(|i| format!("slow/{i}\n")).collect();
    s.put("site", "slow.txt", slow).await;
    let start = "<Backfill><Concurrency>1</Concurrency><Source>Manifest</Source><ManifestKey>slow.txt</ManifestKey></Backfill>";
    assert_eq!(backfill(&s, "site", http::Method::PUT, start).await.0, 200);
    let (status, text) = backfill(&s, "site", http::Method::PUT, start).await;
    assert_eq!(
        (status, crate::support::server::xml_code(&text).as_str()),
        (409, "OperationAborted")
    );
    assert_eq!(backfill(&s, "site", http::Method::DELETE, "").await.0, 204);
    let text = finished(&s, "site").await;
    assert_eq!(field(&text, "State"), "Cancelled", "{text}");
    assert!(field(&text, "Filled").parse::<u32>().expect("a number") < 40);

    // A client GET of a key the backfill is filling joins that fill: one origin request.
    let gate = Arc::new(tokio::sync::Notify::new());
    origin.route(
        "/g",
        Behavior::Gated {
            body: b"gated body".to_vec(),
            first: 3,
            gate: gate.clone(),
        },
    );
    s.put("site", "g.txt", "g\n").await;
    let start = "<Backfill><Source>Manifest</Source><ManifestKey>g.txt</ManifestKey></Backfill>";
    assert_eq!(backfill(&s, "site", http::Method::PUT, start).await.0, 200);
    let started = Instant::now();
    while origin.count("/g") == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the backfill never fetched /g"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let reader = tokio::spawn({
        let url = s.url("/site/g");
        let request = s.signed(http::Method::GET, "/site/g");
        async move {
            let _ = url;
            request
                .send()
                .await
                .expect("sent")
                .text()
                .await
                .expect("body")
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    gate.notify_waiters();
    assert_eq!(reader.await.expect("reader"), "gated body");
    let text = finished(&s, "site").await;
    assert_eq!(field(&text, "Filled"), "1", "{text}");
    assert_eq!(origin.count("/g"), 1, "the GET joined the backfill's fill");
}

/// kill -9 of the real server mid-backfill: restarted, the job resumes from its checkpoint
/// and completes; what was committed is not fetched again.
#[tokio::test]
async fn a_killed_backfill_resumes_to_completion() {
    let origin = StubOrigin::start().await;
    let n = 200;
    for i in 0..n {
        origin.route(
            &format!("/k/{i:03}"),
            Behavior::Slow {
                body: format!("body {i}").into_bytes(),
                chunks: 1,
                delay: Duration::from_millis(15),
            },
        );
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let server = ServeProcess::start(&data);
    let ep = server.endpoint.clone();
    let send = |method: http::Method, path: &str, body: String| {
        signed_to(&ep, method, path).body(body).send()
    };
    assert_eq!(
        send(http::Method::PUT, "/kill", String::new())
            .await
            .expect("sent")
            .status(),
        200
    );
    let config = document(&[Rule::mirror(&origin.host())]);
    assert_eq!(
        send(http::Method::PUT, "/kill?origin", config)
            .await
            .expect("sent")
            .status(),
        200
    );
    let manifest: String = (0..n).map(|i| format!("k/{i:03}\n")).collect();
    assert_eq!(
        send(http::Method::PUT, "/kill/manifest.txt", manifest)
            .await
            .expect("sent")
            .status(),
        200
    );
    let start = "<Backfill><Concurrency>4</Concurrency><Source>Manifest</Source><ManifestKey>manifest.txt</ManifestKey></Backfill>";
    assert_eq!(
        send(http::Method::PUT, "/kill?origin-backfill", start.to_owned())
            .await
            .expect("sent")
            .status(),
        200
    );
    let status_of = |ep: String| async move {
        signed_to(&ep, http::Method::GET, "/kill?origin-backfill")
            .send()
            .await
            .expect("sent")
            .text()
            .await
            .expect("body")
    };
    let started = Instant::now();
    loop {
        let text = status_of(ep.clone()).await;
        if field(&text, "Filled").parse::<u32>().unwrap_or(0) >= 40 {
            break;
        }
        assert_eq!(
            field(&text, "State"),
            "Running",
            "ended before the kill: {text}"
        );
        assert!(started.elapsed() < Duration::from_secs(30), "{text}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(server); // kill -9
    let requests_at_kill = origin.requests().len();

    let server = ServeProcess::start(&data);
    let ep = server.endpoint.clone();
    let started = Instant::now();
    let text = loop {
        let text = status_of(ep.clone()).await;
        if field(&text, "State") != "Running" {
            break text;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(field(&text, "State"), "Completed", "{text}");
    assert_eq!(field(&text, "Listed"), n.to_string());
    assert_eq!(
        field(&text, "Filled"),
        n.to_string(),
        "exact totals: {text}"
    );
    assert_eq!(field(&text, "AlreadyLocal"), "0");
    let fetched = origin.requests().len();
    assert!(
        fetched <= n as usize + 4,
        "{fetched} origin requests for {n} keys ({requests_at_kill} before the kill): at most the in-flight ones again"
    );
    let body = signed_to(&ep, http::Method::GET, "/kill/k/150")
        .send()
        .await
        .expect("sent");
    assert_eq!(body.text().await.expect("body"), "body 150");
}

/// `originstore backfill`: follows the job to its verdict, with progress lines when not on a
/// terminal; exit status 0 only when it is safe to cut over.
#[tokio::test]
async fn the_backfill_command_shows_progress_and_the_verdict() {
    let origin = StubOrigin::start().await;
    for i in 0..20 {
        origin.ok(&format!("/c/{i}"), "x");
    }
    let s = TestServer::start_with(|c| {
        c.users.push(originstore::identity::User {
            access_key: AK.into(),
            secret_key: SK.into(),
        })
    })
    .await;
    let owner = crate::support::server::client_for(s.addr, AK, SK);
    owner
        .create_bucket()
        .bucket("cli")
        .send()
        .await
        .expect("bucket");
    let config = document(&[Rule::mirror(&origin.host())]);
    let resp = crate::support::server::signed_request(
        &s.endpoint(),
        (AK, SK),
        http::Method::PUT,
        "/cli?origin",
        http::HeaderMap::new(),
    )
    .body(config)
    .send()
    .await
    .expect("sent");
    assert_eq!(resp.status(), 200);
    let manifest: String = (0..20).map(|i| format!("c/{i}\n")).collect();
    owner
        .put_object()
        .bucket("cli")
        .key("keys.txt")
        .body(manifest.into_bytes().into())
        .send()
        .await
        .expect("manifest");

    let endpoint = s.endpoint();
    let run = move |args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_originstore"));
        cmd.arg("backfill").args(args);
        crate::support::process::aws_env(&mut cmd).env("AWS_ENDPOINT_URL", &endpoint);
        cmd.output().expect("runs")
    };
    let out = tokio::task::spawn_blocking(move || {
        (
            run(&["cli", "--manifest", "keys.txt", "--concurrency", "2"]),
            run(&["cli", "--status"]),
        )
    });
    let (follow, status) = out.await.expect("joined");
    let stdout = String::from_utf8_lossy(&follow.stdout);
    let stderr = String::from_utf8_lossy(&follow.stderr);
    assert!(follow.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("20 filled"), "progress lines: {stderr}");
    assert!(
        stdout.contains("Completed: 20 listed, 20 filled, 0 already local, 0 failed, 20 bytes"),
        "{stdout}"
    );
    assert!(stdout.contains("safe to cut over"), "{stdout}");
    let again = String::from_utf8_lossy(&status.stdout);
    assert!(again.contains("Completed: 20 listed"), "{again}");
}
