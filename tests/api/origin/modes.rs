//! The three modes in the read path: Mirror fills once and hits after (HEAD answered from
//! the origin, ETags on a miss, unkept copies), Proxy and Redirect answer a redirect; local
//! writes and deletes win; copies from origin-only keys; the aws CLI on a miss. And one fetch
//! per key: concurrent misses share one origin request, every client (joiners, late joiners,
//! Range requests) streams live from it, and conditional or ranged misses are answered after
//! the fill.

use std::sync::Arc;
use std::time::Duration;

use super::{document, get, read_at_least, setup, signed_to, Rule, STATUS};
use crate::support::server::{expect_code, pattern, user_meta};
use crate::support::stub_origin::{Behavior, StubOrigin};

#[tokio::test]
async fn mirror_fills_once_then_hits() {
    let data = pattern(3 * 1024 * 1024 + 17, 11);
    let origin = StubOrigin::serving(
        "/img/cat.jpg",
        Behavior::Ok {
            body: data.clone(),
            headers: vec![
                ("content-type", "image/jpeg".into()),
                ("cache-control", "max-age=600".into()),
                ("content-disposition", "inline".into()),
                ("content-encoding", "identity".into()),
                ("expires", "Thu, 01 Dec 2030 16:00:00 GMT".into()),
                ("x-amz-meta-author", "alice".into()),
                ("etag", "\"origin-etag-1\"".into()),
                ("last-modified", "Wed, 21 Oct 2015 07:28:00 GMT".into()),
            ],
        },
    )
    .await;
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;

    let resp = get(&s, "/site/img/cat.jpg").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()[STATUS], "miss-filled");
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    assert_eq!(resp.headers()["content-length"], data.len().to_string());
    assert_eq!(resp.bytes().await.expect("body").as_ref(), data.as_slice());
    assert_eq!(origin.count("/img/cat.jpg"), 1);

    // The next GET is a local hit with the origin's metadata kept.
    let got = s.get_object("site", "img/cat.jpg").await;
    assert_eq!(got.content_type(), Some("image/jpeg"));
    assert_eq!(got.cache_control(), Some("max-age=600"));
    assert_eq!(got.content_disposition(), Some("inline"));
    assert_eq!(got.content_encoding(), Some("identity"));
    assert_eq!(user_meta(got.metadata(), "author"), Some("alice"));
    assert!(
        got.expires_string().is_some_and(|e| e.contains("2030")),
        "{:?}",
        got.expires_string()
    );
    assert_eq!(
        crate::support::server::body_of(got).await.as_slice(),
        data.as_slice()
    );
    let resp = get(&s, "/site/img/cat.jpg").await;
    assert_eq!(resp.headers()[STATUS], "hit");
    assert_eq!(
        origin.count("/img/cat.jpg"),
        1,
        "hits never reach the origin"
    );
    // It is an ordinary object now: listed, with the MD5 ETag of its bytes.
    let listed = s
        .client
        .list_objects_v2()
        .bucket("site")
        .send()
        .await
        .expect("list");
    assert_eq!(listed.contents().len(), 1);
    assert_eq!(listed.contents()[0].size(), Some(data.len() as i64));
}

#[tokio::test]
async fn head_miss_answers_from_the_origin_and_stores_nothing() {
    let origin = StubOrigin::serving(
        "/doc.pdf",
        Behavior::Ok {
            body: vec![7; 1234],
            headers: vec![
                ("content-type", "application/pdf".into()),
                ("etag", "\"abc\"".into()),
            ],
        },
    )
    .await;
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    let head = s
        .client
        .head_object()
        .bucket("site")
        .key("doc.pdf")
        .send()
        .await
        .expect("head");
    assert_eq!(head.content_length(), Some(1234));
    assert_eq!(head.content_type(), Some("application/pdf"));
    assert_eq!(head.e_tag(), Some("\"abc\""));
    let reqs = origin.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "HEAD");
    assert_eq!(s.key_count("site").await, Some(0), "HEAD stores nothing");
    let resp = s.send_signed(http::Method::HEAD, "/site/missing").await;
    assert_eq!(resp.status(), 404);
}

/// S3 always sends an ETag, and clients rely on it: s3cmd `get` of a missed key died with
/// `KeyError: 'etag'` on the HEAD it sends first when the origin (python's http.server, many
/// static servers) sends no ETag and no Content-MD5. A miss now carries a stable made-up ETag
/// ending in `-1` (read by clients as "not an MD5": nothing checks the body against it), the
/// same for HEAD and GET; the stored copy then has the MD5 ETag of its bytes.
#[tokio::test]
async fn miss_without_origin_etag_still_has_an_etag() {
    let data = pattern(200_000, 21);
    // The origin holds back the rest of the body until the gate opens, so the GET below
    // streams before the body's MD5 is known.
    let gate = Arc::new(tokio::sync::Notify::new());
    let origin = StubOrigin::serving(
        "/plain.bin",
        Behavior::Gated {
            body: data.clone(),
            first: 100_000,
            gate: gate.clone(),
        },
    )
    .await;
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    let etag_of = |resp: &reqwest::Response| {
        resp.headers()
            .get("etag")
            .map(|v| v.to_str().expect("ascii").to_owned())
    };
    let head1 = s.send_signed(http::Method::HEAD, "/site/plain.bin").await;
    assert_eq!(head1.status(), 200);
    assert_eq!(head1.headers()[STATUS], "miss-proxied");
    let made_up = etag_of(&head1).expect("a HEAD miss carries an ETag");
    assert!(
        made_up.starts_with('"') && made_up.ends_with("-1\""),
        "{made_up}"
    );
    let head2 = s.send_signed(http::Method::HEAD, "/site/plain.bin").await;
    assert_eq!(etag_of(&head2).as_deref(), Some(made_up.as_str()), "stable");

    let resp = get(&s, "/site/plain.bin").await;
    assert_eq!(resp.headers()[STATUS], "miss-filled");
    assert_eq!(
        etag_of(&resp).as_deref(),
        Some(made_up.as_str()),
        "GET = HEAD"
    );
    gate.notify_one();
    assert_eq!(resp.bytes().await.expect("body").as_ref(), data.as_slice());

    let resp = get(&s, "/site/plain.bin").await;
    assert_eq!(resp.headers()[STATUS], "hit");
    let md5 = {
        use md5::Digest as _;
        hex::encode(md5::Md5::digest(&data))
    };
    assert_eq!(etag_of(&resp), Some(format!("\"{md5}\"")));
}

#[tokio::test]
async fn origin_redirects_are_followed() {
    let origin = StubOrigin::serving(
        "/old.txt",
        Behavior::Redirect {
            status: 301,
            location: "/mid.txt".into(),
        },
    )
    .await;
    origin.route(
        "/mid.txt",
        Behavior::Redirect {
            status: 302,
            location: format!("http://{}/new.txt", origin.host()),
        },
    );
    origin.ok("/new.txt", "moved content");
    origin.route(
        "/loop.txt",
        Behavior::Redirect {
            status: 302,
            location: "/loop.txt".into(),
        },
    );
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    assert_eq!(s.get_bytes("site", "old.txt").await, b"moved content");
    let resp = get(&s, "/site/loop.txt").await;
    assert!(
        resp.status().is_server_error(),
        "a redirect loop fails: {}",
        resp.status()
    );
    assert_eq!(
        origin.count("/loop.txt"),
        11,
        "the first request and 10 hops"
    );
}

#[tokio::test]
async fn chunked_origin_without_length_is_stored() {
    let origin = StubOrigin::start().await;
    let data = pattern(250_000, 14);
    origin.route("/chunked.bin", Behavior::Chunked { body: data.clone() });
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    let resp = get(&s, "/site/chunked.bin").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.expect("body").as_ref(), data.as_slice());
    let head = s
        .client
        .head_object()
        .bucket("site")
        .key("chunked.bin")
        .send()
        .await
        .expect("stored");
    assert_eq!(head.content_length(), Some(data.len() as i64));
    assert_eq!(origin.count("/chunked.bin"), 1);
}

#[tokio::test]
async fn proxy_mode_redirects_then_fills_in_the_background() {
    let origin = StubOrigin::start().await;
    origin.ok("/p.txt", "proxied content");
    let mut rule = Rule::mirror(&origin.host());
    rule.kind = "Proxy";
    let s = setup(&origin, &[rule]).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let req = s
        .signed(http::Method::GET, "/site/p.txt")
        .build()
        .expect("request");
    let resp = client.execute(req).await.expect("sent");
    assert_eq!(resp.status(), 302);
    assert_eq!(
        resp.headers()["location"],
        format!("http://{}/p.txt", origin.host())
    );
    assert_eq!(resp.headers()[STATUS], "redirected");
    // The background copy lands shortly.
    let mut stored = false;
    for _ in 0..250 {
        if s.client
            .head_object()
            .bucket("site")
            .key("p.txt")
            .send()
            .await
            .is_ok()
        {
            stored = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(stored, "Proxy mode copies the object in the background");
    let resp = get(&s, "/site/p.txt").await;
    assert_eq!(resp.headers()[STATUS], "hit");
    assert_eq!(resp.text().await.expect("body"), "proxied content");
}

#[tokio::test]
async fn redirect_mode_copies_only_when_asked() {
    let origin = StubOrigin::start().await;
    origin.ok("/r.txt", "r");
    let mut rule = Rule::mirror(&origin.host());
    rule.kind = "Redirect";
    rule.parameter = "<Protocol>HTTP</Protocol><HttpRedirectCode>307</HttpRedirectCode><CopyOriginData>false</CopyOriginData>";
    let s = setup(&origin, &[rule]).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let resp = client
        .execute(
            s.signed(http::Method::GET, "/site/r.txt")
                .build()
                .expect("req"),
        )
        .await
        .expect("sent");
    assert_eq!(resp.status(), 307);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(origin.requests().len(), 0, "no copy without CopyOriginData");
    assert!(s
        .client
        .head_object()
        .bucket("site")
        .key("r.txt")
        .send()
        .await
        .is_err());
}

#[tokio::test]
async fn mirror_without_copy_proxies_every_time() {
    let origin = StubOrigin::start().await;
    origin.ok("/live.json", "{\"v\":1}");
    let mut rule = Rule::mirror(&origin.host());
    rule.parameter = "<Protocol>HTTP</Protocol><CopyOriginData>false</CopyOriginData>";
    let s = setup(&origin, &[rule]).await;
    for _ in 0..2 {
        let resp = get(&s, "/site/live.json").await;
        assert_eq!(resp.headers()[STATUS], "miss-proxied");
        assert_eq!(resp.text().await.expect("body"), "{\"v\":1}");
    }
    assert_eq!(origin.count("/live.json"), 2);
}

#[tokio::test]
async fn local_writes_win_and_deletes_stick() {
    let origin = StubOrigin::start().await;
    origin.ok("/k.txt", "origin version");
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    s.put("site", "local.txt", "local").await;
    assert_eq!(s.get_bytes("site", "local.txt").await, b"local");
    assert_eq!(
        origin.count("/local.txt"),
        0,
        "local objects never reach the origin"
    );

    assert_eq!(s.get_bytes("site", "k.txt").await, b"origin version");
    s.client
        .delete_object()
        .bucket("site")
        .key("k.txt")
        .send()
        .await
        .expect("delete");
    assert_eq!(s.get_error("site", "k.txt").await, "NoSuchKey", "deleted");
    assert_eq!(
        origin.count("/k.txt"),
        1,
        "a deleted key is not pulled again"
    );
    // The operator makes the origin its source again.
    let resp = s
        .send_signed(http::Method::DELETE, "/site/k.txt?tombstone")
        .await;
    assert_eq!(resp.status(), 204);
    assert_eq!(s.get_bytes("site", "k.txt").await, b"origin version");
    // A PUT after a delete clears the tombstone too.
    s.client
        .delete_object()
        .bucket("site")
        .key("k.txt")
        .send()
        .await
        .expect("delete");
    s.put("site", "k.txt", "new local").await;
    assert_eq!(s.get_bytes("site", "k.txt").await, b"new local");
}

/// CopyObject from a key that exists only on the origin pulls it first (a copy during a
/// lazy migration works), and then copies the stored object.
#[tokio::test]
async fn copy_from_an_origin_only_key_pulls_it_first() {
    let data = pattern(123_456, 21);
    let origin = StubOrigin::serving(
        "/src.bin",
        Behavior::Ok {
            body: data.clone(),
            headers: vec![("content-type", "image/png".into())],
        },
    )
    .await;
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    s.client
        .copy_object()
        .bucket("site")
        .key("dst.bin")
        .copy_source("site/src.bin")
        .send()
        .await
        .expect("copy pulls");
    let got = s.get_object("site", "dst.bin").await;
    assert_eq!(got.content_type(), Some("image/png"));
    assert_eq!(
        crate::support::server::body_of(got).await.as_slice(),
        data.as_slice()
    );
    assert_eq!(
        get(&s, "/site/src.bin").await.headers()[STATUS],
        "hit",
        "the source was kept"
    );
    assert_eq!(origin.count("/src.bin"), 1);
    expect_code(
        s.client
            .copy_object()
            .bucket("site")
            .key("x")
            .copy_source("site/absent")
            .send()
            .await,
        "NoSuchKey",
    );
}

/// `aws s3 cp s3://bucket/key .` sends HEAD before GET: both must work on a miss.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_copies_a_missed_key() {
    use crate::support::process::{aws, ServeProcess};
    let data = pattern(2 * 1024 * 1024 + 3, 16);
    let origin = StubOrigin::serving(
        "/media/clip.bin",
        Behavior::Ok {
            body: data.clone(),
            headers: vec![],
        },
    )
    .await;
    let tmp = tempfile::tempdir().expect("tempdir");
    let data_dir = tmp.path().join("data");
    let server = tokio::task::spawn_blocking(move || ServeProcess::start(&data_dir))
        .await
        .expect("start");
    let ep = server.endpoint.clone();
    let ep2 = ep.clone();
    tokio::task::spawn_blocking(move || aws(&ep2, &["s3", "mb", "s3://mirror"]))
        .await
        .expect("mb");

    let resp = signed_to(&ep, http::Method::PUT, "/mirror?origin")
        .body(document(&[Rule::mirror(&origin.host())]))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);

    let out = tmp.path().join("clip.bin");
    let out_arg = out.to_str().expect("utf8").to_owned();
    let ep2 = ep.clone();
    tokio::task::spawn_blocking(move || {
        aws(&ep2, &["s3", "cp", "s3://mirror/media/clip.bin", &out_arg])
    })
    .await
    .expect("cp");
    assert!(
        std::fs::read(&out).expect("read") == data,
        "the CLI got the origin's bytes"
    );
    let methods: Vec<String> = origin.requests().iter().map(|r| r.method.clone()).collect();
    // The CLI HEADs first (answered from origin HEADs, nothing stored), then one GET fills.
    assert!(
        methods.iter().filter(|m| *m == "HEAD").count() >= 1,
        "{methods:?}"
    );
    assert_eq!(
        methods.iter().filter(|m| *m == "GET").count(),
        1,
        "{methods:?}"
    );
    assert_eq!(
        methods.last().map(String::as_str),
        Some("GET"),
        "{methods:?}"
    );
    let ls = tokio::task::spawn_blocking(move || aws(&ep, &["s3", "ls", "s3://mirror/media/"]))
        .await
        .expect("ls");
    assert!(
        String::from_utf8_lossy(&ls.stdout).contains("clip.bin"),
        "the filled object is listed"
    );
}

#[tokio::test]
async fn concurrent_misses_share_one_origin_request() {
    let data = pattern(512 * 1024, 12);
    let origin = StubOrigin::serving(
        "/slow.bin",
        Behavior::Slow {
            body: data.clone(),
            chunks: 8,
            delay: Duration::from_millis(60),
        },
    )
    .await;
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let req = s.signed(http::Method::GET, "/site/slow.bin");
        let _ = &client;
        tasks.push(tokio::spawn(async move {
            let resp = req.send().await.expect("sent");
            let status = resp.status();
            let tag = resp
                .headers()
                .get(STATUS)
                .map(|v| v.to_str().unwrap_or("").to_owned());
            (status, tag, resp.bytes().await.expect("body"))
        }));
    }
    for task in tasks {
        let (status, tag, body) = task.await.expect("task");
        assert_eq!(status, 200);
        assert_eq!(tag.as_deref(), Some("miss-filled"));
        assert_eq!(body.as_ref(), data.as_slice());
    }
    assert_eq!(
        origin.count("/slow.bin"),
        1,
        "32 concurrent misses, one origin request"
    );
}

/// An origin that sends a little every few milliseconds, never pausing long enough for the
/// fill's idle flush, still reaches the client while it sends (bytes written behind the
/// network are published at least every 100 ms), not only when it ends.
#[tokio::test]
async fn a_trickling_origin_streams_before_it_ends() {
    let gate = Arc::new(tokio::sync::Notify::new());
    let origin = StubOrigin::serving(
        "/drip.txt",
        Behavior::Trickle {
            piece: b"drip ".to_vec(),
            every: Duration::from_millis(5),
            gate: gate.clone(),
        },
    )
    .await;
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    let mut resp = tokio::time::timeout(Duration::from_secs(10), get(&s, "/site/drip.txt"))
        .await
        .expect("the head arrives while the origin still trickles");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()[STATUS], "miss-filled");
    let first = read_at_least(&mut resp, 50).await;
    assert!(first.starts_with(b"drip drip "), "{first:?}");
    gate.notify_one();
    let rest = resp.bytes().await.expect("body");
    let body = [first, rest.to_vec()].concat();
    assert_eq!(body.len() % 5, 0);
    assert!(body.chunks(5).all(|c| c == b"drip "));
}

/// Every client of one fetch is streamed live: the first one, one that joins while the
/// origin is still sending, and a Range request, all get their bytes while the origin is
/// held back half way; one origin request in all.
#[tokio::test]
async fn joined_and_ranged_clients_stream_live_from_the_one_fetch() {
    let data = pattern(2 * 1024 * 1024, 18);
    let half = data.len() / 2;
    let gate = std::sync::Arc::new(tokio::sync::Notify::new());
    let origin = StubOrigin::serving(
        "/big.bin",
        Behavior::Gated {
            body: data.clone(),
            first: half,
            gate: gate.clone(),
        },
    )
    .await;
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;

    let mut first = get(&s, "/site/big.bin").await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()[STATUS], "miss-filled");
    assert_eq!(first.headers()["content-length"], data.len().to_string());
    let first_bytes = read_at_least(&mut first, half).await;
    assert_eq!(&first_bytes[..], &data[..first_bytes.len()]);

    // A late joiner starts from byte 0 while the origin is still blocked.
    let mut joiner = get(&s, "/site/big.bin").await;
    assert_eq!(joiner.status(), 200);
    let joined_bytes = read_at_least(&mut joiner, half).await;
    assert_eq!(&joined_bytes[..], &data[..joined_bytes.len()]);

    // A Range inside what has arrived is answered 206 at once.
    let mut ranged = s
        .signed(http::Method::GET, "/site/big.bin")
        .header("range", "bytes=1000-1999")
        .send()
        .await
        .expect("sent");
    assert_eq!(ranged.status(), 206);
    assert_eq!(
        ranged.headers()["content-range"],
        format!("bytes 1000-1999/{}", data.len())
    );
    let ranged_bytes = read_at_least(&mut ranged, 1000).await;
    assert_eq!(&ranged_bytes[..], &data[1000..2000]);

    assert_eq!(
        origin.count("/big.bin"),
        1,
        "one origin request for all of them"
    );
    gate.notify_one();
    let rest = first.bytes().await.expect("rest");
    assert_eq!([first_bytes, rest.to_vec()].concat(), data);
    let rest = joiner.bytes().await.expect("rest");
    assert_eq!([joined_bytes, rest.to_vec()].concat(), data);
    let resp = get(&s, "/site/big.bin").await;
    assert_eq!(resp.headers()[STATUS], "hit");
    assert_eq!(origin.count("/big.bin"), 1);
}

#[tokio::test]
async fn range_and_conditional_misses_are_served_after_the_fill() {
    let data = pattern(100_000, 15);
    let origin = StubOrigin::serving(
        "/r.bin",
        Behavior::Ok {
            body: data.clone(),
            headers: vec![],
        },
    )
    .await;
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    let got = s
        .client
        .get_object()
        .bucket("site")
        .key("r.bin")
        .range("bytes=1000-1999")
        .send()
        .await
        .expect("range");
    assert_eq!(got.content_range(), Some("bytes 1000-1999/100000"));
    assert_eq!(
        crate::support::server::body_of(got).await.as_slice(),
        &data[1000..2000]
    );
    assert_eq!(origin.count("/r.bin"), 1);
    let head = s
        .client
        .head_object()
        .bucket("site")
        .key("r.bin")
        .send()
        .await
        .expect("stored whole");
    assert_eq!(head.content_length(), Some(100_000));
}
