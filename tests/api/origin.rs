//! Origin-pull: the `?origin` subresource and the three modes in the read path, against a
//! stub origin that counts requests.

use std::time::Duration;

use crate::common::{code, pattern, xml_code, TestServer};
use crate::stub_origin::{Behavior, StubOrigin};

const STATUS: &str = "x-originstore-origin";

/// One `OriginRule` with the given pieces (XML fragments).
struct Rule<'a> {
    priority: u32,
    kind: &'a str,
    prefix: &'a str,
    suffix: &'a str,
    parameter: &'a str,
    host_info: String,
    file_info: &'a str,
    standby_codes: &'a str,
}

impl<'a> Rule<'a> {
    fn mirror(host: &str) -> Rule<'a> {
        Rule {
            priority: 1,
            kind: "Mirror",
            prefix: "",
            suffix: "",
            parameter: "<Protocol>HTTP</Protocol>",
            host_info: format!("<HostName>{host}</HostName>"),
            file_info: "",
            standby_codes: "",
        }
    }

    fn xml(&self) -> String {
        format!(
            "<OriginRule><RulePriority>{}</RulePriority><OriginType>{}</OriginType>\
             <OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix>{}</Prefix><Suffix>{}</Suffix></OriginCondition>\
             <OriginParameter>{}</OriginParameter>{}\
             <OriginInfo><HostInfo>{}</HostInfo>{}</OriginInfo></OriginRule>",
            self.priority, self.kind, self.prefix, self.suffix, self.parameter, self.standby_codes, self.host_info, self.file_info
        )
    }
}

fn document(rules: &[Rule<'_>]) -> String {
    let rules: String = rules.iter().map(Rule::xml).collect();
    format!("<OriginConfiguration>{rules}</OriginConfiguration>")
}

async fn put_origin(s: &TestServer, bucket: &str, xml: &str) -> reqwest::Response {
    s.signed(http::Method::PUT, &format!("/{bucket}?origin"))
        .body(xml.to_owned())
        .send()
        .await
        .expect("sent")
}

/// A server with bucket `site` pulling from `origin` with `rules`.
async fn setup(origin: &StubOrigin, rules: &[Rule<'_>]) -> TestServer {
    setup_with(origin, rules, |_| {}).await
}

async fn setup_with(
    _origin: &StubOrigin,
    rules: &[Rule<'_>],
    tweak: impl FnOnce(&mut originstore::config::Config),
) -> TestServer {
    let s = TestServer::start_with(tweak).await;
    s.create_bucket("site").await;
    let resp = put_origin(&s, "site", &document(rules)).await;
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    s
}

async fn get(s: &TestServer, path: &str) -> reqwest::Response {
    s.signed(http::Method::GET, path)
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn mirror_fills_once_then_hits() {
    let origin = StubOrigin::start().await;
    let data = pattern(3 * 1024 * 1024 + 17, 11);
    origin.route(
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
    );
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;

    let resp = get(&s, "/site/img/cat.jpg").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()[STATUS], "miss-filled");
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    assert_eq!(resp.headers()["content-length"], data.len().to_string());
    assert_eq!(resp.bytes().await.expect("body").as_ref(), data.as_slice());
    assert_eq!(origin.count("/img/cat.jpg"), 1);

    // The next GET is a local hit with the origin's metadata kept.
    let got = s
        .client
        .get_object()
        .bucket("site")
        .key("img/cat.jpg")
        .send()
        .await
        .expect("hit");
    assert_eq!(got.content_type(), Some("image/jpeg"));
    assert_eq!(got.cache_control(), Some("max-age=600"));
    assert_eq!(got.content_disposition(), Some("inline"));
    assert_eq!(got.content_encoding(), Some("identity"));
    assert_eq!(
        got.metadata()
            .and_then(|m| m.get("author"))
            .map(String::as_str),
        Some("alice")
    );
    assert!(
        got.expires_string().is_some_and(|e| e.contains("2030")),
        "{:?}",
        got.expires_string()
    );
    assert_eq!(
        crate::common::body_of(got).await.as_slice(),
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
async fn concurrent_misses_share_one_origin_request() {
    let origin = StubOrigin::start().await;
    let data = pattern(512 * 1024, 12);
    origin.route(
        "/slow.bin",
        Behavior::Slow {
            body: data.clone(),
            chunks: 8,
            delay: Duration::from_millis(60),
        },
    );
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

#[tokio::test]
async fn head_miss_answers_from_the_origin_and_stores_nothing() {
    let origin = StubOrigin::start().await;
    origin.route(
        "/doc.pdf",
        Behavior::Ok {
            body: vec![7; 1234],
            headers: vec![
                ("content-type", "application/pdf".into()),
                ("etag", "\"abc\"".into()),
            ],
        },
    );
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
    let resp = s
        .signed(http::Method::HEAD, "/site/missing")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 404);
}

/// S3 always sends an ETag, and clients rely on it: s3cmd `get` of a missed key died with
/// `KeyError: 'etag'` on the HEAD it sends first when the origin (python's http.server, many
/// static servers) sends no ETag and no Content-MD5. A miss now carries a stable made-up ETag
/// ending in `-1` (read by clients as "not an MD5": nothing checks the body against it), the
/// same for HEAD and GET; the stored copy then has the MD5 ETag of its bytes.
#[tokio::test]
async fn miss_without_origin_etag_still_has_an_etag() {
    let origin = StubOrigin::start().await;
    let data = pattern(200_000, 21);
    origin.route(
        "/plain.bin",
        Behavior::Ok {
            body: data.clone(),
            headers: vec![("last-modified", "Wed, 21 Oct 2015 07:28:00 GMT".into())],
        },
    );
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    let etag_of = |resp: &reqwest::Response| {
        resp.headers()
            .get("etag")
            .map(|v| v.to_str().expect("ascii").to_owned())
    };
    let head1 = s
        .signed(http::Method::HEAD, "/site/plain.bin")
        .send()
        .await
        .expect("sent");
    assert_eq!(head1.status(), 200);
    assert_eq!(head1.headers()[STATUS], "miss-proxied");
    let made_up = etag_of(&head1).expect("a HEAD miss carries an ETag");
    assert!(
        made_up.starts_with('"') && made_up.ends_with("-1\""),
        "{made_up}"
    );
    let head2 = s
        .signed(http::Method::HEAD, "/site/plain.bin")
        .send()
        .await
        .expect("sent");
    assert_eq!(etag_of(&head2).as_deref(), Some(made_up.as_str()), "stable");

    let resp = get(&s, "/site/plain.bin").await;
    assert_eq!(resp.headers()[STATUS], "miss-filled");
    assert_eq!(
        etag_of(&resp).as_deref(),
        Some(made_up.as_str()),
        "GET = HEAD"
    );
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
async fn origin_404_is_no_such_key_and_negatively_cached() {
    let origin = StubOrigin::start().await;
    let s = setup_with(&origin, &[Rule::mirror(&origin.host())], |c| {
        c.origin.negative_cache_secs = 1
    })
    .await;
    let err = s
        .client
        .get_object()
        .bucket("site")
        .key("nope")
        .send()
        .await
        .expect_err("404");
    assert_eq!(code(&err), "NoSuchKey");
    let err = s
        .client
        .get_object()
        .bucket("site")
        .key("nope")
        .send()
        .await
        .expect_err("404");
    assert_eq!(code(&err), "NoSuchKey");
    assert_eq!(
        origin.count("/nope"),
        1,
        "the second miss is answered from the negative cache"
    );
    origin.ok("/nope", "now here");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(s.get_bytes("site", "nope").await, b"now here");
}

#[tokio::test]
async fn prefix_and_suffix_conditions_choose_rules_in_priority_order() {
    let a = StubOrigin::start().await;
    let b = StubOrigin::start().await;
    a.ok("/images/x.jpg", "from a");
    b.ok("/images/x.jpg", "from b");
    b.ok("/docs/y.txt", "from b");
    a.ok("/docs/y.txt", "from a");
    let mut first = Rule::mirror(&a.host());
    first.priority = 2;
    first.prefix = "images/";
    first.suffix = ".jpg";
    let mut second = Rule::mirror(&b.host());
    second.priority = 1;
    second.prefix = "docs/";
    let s = setup(&a, &[first, second]).await;
    assert_eq!(s.get_bytes("site", "images/x.jpg").await, b"from a");
    assert_eq!(s.get_bytes("site", "docs/y.txt").await, b"from b");
    let err = s
        .client
        .get_object()
        .bucket("site")
        .key("other/z.png")
        .send()
        .await
        .expect_err("no rule");
    assert_eq!(code(&err), "NoSuchKey");
    let err = s
        .client
        .get_object()
        .bucket("site")
        .key("images/x.png")
        .send()
        .await
        .expect_err("suffix");
    assert_eq!(code(&err), "NoSuchKey");
    assert_eq!(
        a.requests().len() + b.requests().len(),
        2,
        "unmatched keys never reach an origin"
    );
}

#[tokio::test]
async fn file_info_rewrites_the_origin_path() {
    let origin = StubOrigin::start().await;
    origin.ok("/v2/pic.jpeg", "rewritten");
    origin.ok("/fallback.png", "fixed");
    let mut rewrite = Rule::mirror(&origin.host());
    rewrite.prefix = "static/";
    rewrite.file_info = "<FileInfo><PrefixConfiguration><Prefix>static/</Prefix><ReplacedWithPrefix>v2/</ReplacedWithPrefix></PrefixConfiguration>\
        <SuffixConfiguration><Suffix>.jpg</Suffix><ReplacedWithSuffix>.jpeg</ReplacedWithSuffix></SuffixConfiguration></FileInfo>";
    let mut fixed = Rule::mirror(&origin.host());
    fixed.priority = 2;
    fixed.file_info = "<FileInfo><FixedFileConfiguration><FixedFilePath>/fallback.png</FixedFilePath></FixedFileConfiguration></FileInfo>";
    let s = setup(&origin, &[rewrite, fixed]).await;
    assert_eq!(s.get_bytes("site", "static/pic.jpg").await, b"rewritten");
    assert_eq!(s.get_bytes("site", "anything/else.png").await, b"fixed");
}

#[tokio::test]
async fn query_string_and_header_rules_reach_the_origin() {
    let origin = StubOrigin::start().await;
    origin.ok("/q.txt", "q");
    origin.ok("/noq.txt", "noq");
    let mut rule = Rule::mirror(&origin.host());
    rule.parameter = "<Protocol>HTTP</Protocol><FollowQueryString>true</FollowQueryString><HttpHeader>\
        <FollowAllHeaders>false</FollowAllHeaders>\
        <FollowHttpHeaders><Header><Key>x-trace-id</Key></Header></FollowHttpHeaders>\
        <NewHttpHeaders><Header><Key>x-from</Key><Value>originstore</Value></Header></NewHttpHeaders></HttpHeader>";
    let s = setup(&origin, &[rule]).await;
    let resp = s
        .signed(http::Method::GET, "/site/q.txt?v=3&size=large")
        .header("x-trace-id", "trace-1")
        .header("x-other", "secret")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
    let req = &origin.requests()[0];
    assert_eq!(req.path_and_query, "/q.txt?v=3&size=large");
    assert_eq!(req.headers["x-trace-id"], "trace-1");
    assert_eq!(req.headers["x-from"], "originstore");
    assert!(
        !req.headers.contains_key("x-other"),
        "unlisted headers are not forwarded"
    );
    assert!(
        !req.headers.contains_key("authorization"),
        "the client's credentials never reach the origin"
    );

    // FollowQueryString=false drops the query.
    let origin2 = StubOrigin::start().await;
    origin2.ok("/noq.txt", "noq");
    let mut rule = Rule::mirror(&origin2.host());
    rule.parameter = "<Protocol>HTTP</Protocol><FollowQueryString>false</FollowQueryString>";
    let s2 = setup(&origin2, &[rule]).await;
    let resp = get(&s2, "/site/noq.txt?v=3").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(origin2.requests()[0].path_and_query, "/noq.txt");
}

#[tokio::test]
async fn origin_redirects_are_followed() {
    let origin = StubOrigin::start().await;
    origin.route(
        "/old.txt",
        Behavior::Redirect {
            status: 301,
            location: "/mid.txt".into(),
        },
    );
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
async fn truncated_origin_body_is_an_error_and_stores_nothing() {
    let origin = StubOrigin::start().await;
    let data = pattern(400_000, 13);
    origin.route(
        "/cut.bin",
        Behavior::Truncated {
            body: data.clone(),
            sent: 150_000,
        },
    );
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    let resp = get(&s, "/site/cut.bin").await;
    assert_eq!(
        resp.status(),
        200,
        "the head was already sent when the origin cut the body"
    );
    let result = resp.bytes().await;
    assert!(
        result.is_err(),
        "the client must see an error, not a short 200: got {:?}",
        result.map(|b| b.len())
    );
    // Give the fill task a moment to clean up, then: nothing stored.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(s.key_count("site").await, Some(0));
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
async fn failover_to_standby_hosts() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead_host = dead.local_addr().expect("addr").to_string();
    drop(dead); // connection refused from now on
    let failing = StubOrigin::start().await;
    failing.route("/f.txt", Behavior::Status(503));
    let standby = StubOrigin::start().await;
    standby.ok("/f.txt", "from standby");
    let mut rule = Rule::mirror(&dead_host);
    rule.host_info = format!(
        "<HostName>{dead_host}</HostName><StandbyHostName_1>{}</StandbyHostName_1><StandbyHostName_3>{}</StandbyHostName_3>",
        failing.host(),
        standby.host()
    );
    let s = setup(&standby, &[rule]).await;
    assert_eq!(s.get_bytes("site", "f.txt").await, b"from standby");
    assert_eq!(failing.count("/f.txt"), 1);

    // HTTPStandbyCode makes a 403 fail over too.
    let forbidden = StubOrigin::start().await;
    forbidden.route("/g.txt", Behavior::Status(403));
    standby.ok("/g.txt", "g from standby");
    let mut rule = Rule::mirror(&forbidden.host());
    rule.host_info = format!(
        "<HostName>{}</HostName><StandbyHostName_1>{}</StandbyHostName_1>",
        forbidden.host(),
        standby.host()
    );
    rule.standby_codes = "<HTTPStandbyCode><StatusCode>403</StatusCode></HTTPStandbyCode>";
    let s = setup(&standby, &[rule]).await;
    assert_eq!(s.get_bytes("site", "g.txt").await, b"g from standby");
}

#[tokio::test]
async fn all_hosts_failing_is_a_retryable_error_or_transparent() {
    let failing = StubOrigin::start().await;
    failing.route("/x", Behavior::Status(500));
    let s = setup(&failing, &[Rule::mirror(&failing.host())]).await;
    let resp = get(&s, "/site/x").await;
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().contains_key("retry-after"));
    assert_eq!(xml_code(&resp.text().await.expect("body")), "SlowDown");

    let mut rule = Rule::mirror(&failing.host());
    rule.parameter = "<Protocol>HTTP</Protocol><TransparentErrorCode>true</TransparentErrorCode>";
    let s = setup(&failing, &[rule]).await;
    let resp = get(&s, "/site/x").await;
    assert_eq!(
        resp.status(),
        500,
        "TransparentErrorCode passes the origin's status"
    );
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
    let err = s
        .client
        .get_object()
        .bucket("site")
        .key("k.txt")
        .send()
        .await
        .expect_err("deleted");
    assert_eq!(code(&err), "NoSuchKey");
    assert_eq!(
        origin.count("/k.txt"),
        1,
        "a deleted key is not pulled again"
    );
    // The operator makes the origin its source again.
    let resp = s
        .signed(http::Method::DELETE, "/site/k.txt?tombstone")
        .send()
        .await
        .expect("sent");
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

#[tokio::test]
async fn range_and_conditional_misses_are_served_after_the_fill() {
    let origin = StubOrigin::start().await;
    let data = pattern(100_000, 15);
    origin.route(
        "/r.bin",
        Behavior::Ok {
            body: data.clone(),
            headers: vec![],
        },
    );
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
        crate::common::body_of(got).await.as_slice(),
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

#[tokio::test]
async fn deleting_the_configuration_stops_pulling() {
    let origin = StubOrigin::start().await;
    origin.ok("/a.txt", "a");
    origin.ok("/b.txt", "b");
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    assert_eq!(s.get_bytes("site", "a.txt").await, b"a");
    let resp = s
        .signed(http::Method::DELETE, "/site?origin")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 204);
    let err = s
        .client
        .get_object()
        .bucket("site")
        .key("b.txt")
        .send()
        .await
        .expect_err("no origin");
    assert_eq!(code(&err), "NoSuchKey");
    assert_eq!(origin.count("/b.txt"), 0);
    let resp = get(&s, "/site/a.txt").await;
    assert!(
        resp.headers().get(STATUS).is_none(),
        "no origin header once the origin is gone"
    );
    let resp = get(&s, "/site?origin").await;
    assert_eq!(resp.status(), 404);
    assert_eq!(
        xml_code(&resp.text().await.expect("body")),
        "NoSuchOriginConfiguration"
    );
}

#[tokio::test]
async fn configuration_round_trip_validation_and_persistence() {
    let origin = StubOrigin::start().await;
    let mut s = TestServer::start().await;
    s.create_bucket("site").await;
    let resp = get(&s, "/site?origin").await;
    assert_eq!(
        xml_code(&resp.text().await.expect("body")),
        "NoSuchOriginConfiguration"
    );

    // A COS SDK-shaped document with every element present.
    let full = format!(
        "<OriginConfiguration><OriginRule><RulePriority>1</RulePriority><OriginType>Mirror</OriginType>\
         <OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix>images/</Prefix><Suffix>.jpg</Suffix></OriginCondition>\
         <OriginParameter><Protocol>HTTP</Protocol><TransparentErrorCode>false</TransparentErrorCode><FollowQueryString>true</FollowQueryString>\
         <HttpHeader><FollowAllHeaders>false</FollowAllHeaders><FollowHttpHeaders><Header><Key>x-trace-id</Key></Header></FollowHttpHeaders>\
         <ForbidFollowHttpHeaders><Header><Key>cookie</Key></Header></ForbidFollowHttpHeaders>\
         <NewHttpHeaders><Header><Key>x-from</Key><Value>originstore</Value></Header></NewHttpHeaders></HttpHeader>\
         <FollowRedirection>true</FollowRedirection><HttpRedirectCode>302</HttpRedirectCode><CopyOriginData>true</CopyOriginData></OriginParameter>\
         <HTTPStandbyCode><StatusCode>403</StatusCode></HTTPStandbyCode>\
         <OriginInfo><HostInfo><HostName>{host}</HostName><Weight>1</Weight><StandbyHostName_1>backup.example.com</StandbyHostName_1>\
         <PrivateHost><Host>origin-bucket.s3.example.com</Host><CredentialProvider><AuthorizationAlgorithm>AWS4-HMAC-SHA256</AuthorizationAlgorithm>\
         <Region>us-east-1</Region><SecretId>AKIDEXAMPLE</SecretId><SecretKey>very-secret-key</SecretKey></CredentialProvider></PrivateHost></HostInfo>\
         <FileInfo><PrefixConfiguration><Prefix>images/</Prefix><ReplacedWithPrefix>v2/</ReplacedWithPrefix></PrefixConfiguration>\
         <SuffixConfiguration><Suffix>.jpg</Suffix><ReplacedWithSuffix>.jpeg</ReplacedWithSuffix></SuffixConfiguration></FileInfo>\
         </OriginInfo></OriginRule></OriginConfiguration>",
        host = origin.host()
    );
    let resp = put_origin(&s, "site", &full).await;
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    let stored = get(&s, "/site?origin").await.text().await.expect("body");
    assert!(
        stored.contains("<HostName>") && stored.contains("origin-bucket.s3.example.com"),
        "{stored}"
    );
    assert!(
        !stored.contains("very-secret-key"),
        "secrets are redacted: {stored}"
    );

    // Each invalid document is refused with a message naming the element, and the previous
    // configuration stays.
    let good = Rule::mirror(&origin.host());
    let cases: Vec<(String, &str, &str)> = vec![
        (document(&[Rule { kind: "Mirrorr", ..Rule::mirror(&origin.host()) }]), "InvalidArgument", "OriginType"),
        (document(&[Rule { host_info: "<HostName>http://x.example.com</HostName>".into(), ..Rule::mirror(&origin.host()) }]), "InvalidArgument", "HostName"),
        (document(&[Rule { host_info: "<HostName>x.example.com/path</HostName>".into(), ..Rule::mirror(&origin.host()) }]), "InvalidArgument", "HostName"),
        (document(&[Rule::mirror(&origin.host()), Rule::mirror(&origin.host())]), "InvalidArgument", "RulePriority"),
        (document(&[Rule { parameter: "<HttpRedirectCode>303</HttpRedirectCode>", ..Rule::mirror(&origin.host()) }]), "InvalidArgument", "HttpRedirectCode"),
        (
            document(&[Rule {
                file_info: "<FileInfo><PrefixConfiguration><Prefix>a/</Prefix><ReplacedWithPrefix>b/</ReplacedWithPrefix></PrefixConfiguration><FixedFileConfiguration><FixedFilePath>/f</FixedFilePath></FixedFileConfiguration></FileInfo>",
                ..Rule::mirror(&origin.host())
            }]),
            "InvalidArgument",
            "FixedFile",
        ),
        ("<OriginConfiguration><OriginRule>".to_owned(), "MalformedXML", ""),
    ];
    for (doc, want_code, element) in &cases {
        let resp = put_origin(&s, "site", doc).await;
        assert_eq!(resp.status(), 400, "{doc}");
        let body = resp.text().await.expect("body");
        assert_eq!(xml_code(&body), *want_code, "{body}");
        assert!(
            body.contains(element),
            "the message names {element}: {body}"
        );
    }
    let too_many: String = (0..11)
        .map(|i| format!("<Header><Key>x-h{i}</Key><Value>v</Value></Header>"))
        .collect();
    let param = format!("<HttpHeader><NewHttpHeaders>{too_many}</NewHttpHeaders></HttpHeader>");
    let resp = put_origin(
        &s,
        "site",
        &document(&[Rule {
            parameter: &param,
            ..Rule::mirror(&origin.host())
        }]),
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.expect("body").contains("NewHttpHeaders"));
    let huge = format!(
        "<OriginConfiguration>{}</OriginConfiguration>",
        " ".repeat(70 * 1024)
    );
    let resp = put_origin(&s, "site", &huge).await;
    assert_eq!(resp.status(), 400);
    let still = get(&s, "/site?origin").await.text().await.expect("body");
    assert_eq!(
        still, stored,
        "rejected PUTs leave the configuration untouched"
    );

    // Only the owner may read or change it.
    let other = s.other_client();
    let err = other
        .get_object()
        .bucket("site")
        .key("x")
        .send()
        .await
        .expect_err("denied");
    assert_eq!(code(&err), "AccessDenied");

    // It survives a restart.
    let resp = put_origin(&s, "site", &document(&[good])).await;
    assert_eq!(resp.status(), 200);
    let before = get(&s, "/site?origin").await.text().await.expect("body");
    s.stop().await;
    let data_dir = s.dir.path().join("data");
    let s2 = TestServer::start_with(|c| c.data_dir = data_dir).await;
    let after = get(&s2, "/site?origin").await.text().await.expect("body");
    assert_eq!(before, after);
    origin.ok("/after-restart.txt", "still pulling");
    assert_eq!(
        s2.get_bytes("site", "after-restart.txt").await,
        b"still pulling"
    );
}

/// `aws s3 cp s3://bucket/key .` sends HEAD before GET: both must work on a miss.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_copies_a_missed_key() {
    use crate::cli::{aws, ServeProcess, AK, SK};
    let origin = StubOrigin::start().await;
    let data = pattern(2 * 1024 * 1024 + 3, 16);
    origin.route(
        "/media/clip.bin",
        Behavior::Ok {
            body: data.clone(),
            headers: vec![],
        },
    );
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

    let url = format!("{ep}/mirror?origin");
    let mut headers = http::HeaderMap::new();
    originstore::origin::sign::sign_origin_request(
        &http::Method::PUT,
        &url,
        &mut headers,
        "us-east-1",
        AK,
        SK,
        time::OffsetDateTime::now_utc(),
    )
    .expect("sign");
    let resp = reqwest::Client::new()
        .put(&url)
        .headers(headers)
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

/// A private S3-compatible origin: another originstore bucket, reached with SigV4-signed
/// requests (PrivateHost + CredentialProvider). Its ETag (an MD5) is verified on fill.
#[tokio::test]
async fn private_s3_origin_with_sigv4() {
    use crate::common::{ACCESS_KEY, SECRET_KEY};
    let upstream = TestServer::start().await;
    upstream.create_bucket("source").await;
    let data = pattern(1_500_000, 17);
    upstream
        .client
        .put_object()
        .bucket("source")
        .key("dir/a b.bin")
        .body(data.clone().into())
        .content_type("application/x-private")
        .metadata("tier", "cold")
        .send()
        .await
        .expect("seed upstream");

    let edge = TestServer::start().await;
    edge.create_bucket("edge").await;
    let mut rule = Rule::mirror("");
    rule.host_info = format!(
        "<PrivateHost><Host>{}/source</Host><CredentialProvider><AuthorizationAlgorithm>AWS4-HMAC-SHA256</AuthorizationAlgorithm>\
         <Region>us-east-1</Region><SecretId>{ACCESS_KEY}</SecretId><SecretKey>{SECRET_KEY}</SecretKey></CredentialProvider></PrivateHost>",
        upstream.addr
    );
    let resp = put_origin(&edge, "edge", &document(&[rule])).await;
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );

    let got = edge
        .client
        .get_object()
        .bucket("edge")
        .key("dir/a b.bin")
        .send()
        .await
        .expect("pulled through SigV4");
    assert_eq!(got.content_type(), Some("application/x-private"));
    assert_eq!(
        got.metadata()
            .and_then(|m| m.get("tier"))
            .map(String::as_str),
        Some("cold")
    );
    let etag = got.e_tag().map(str::to_owned);
    assert_eq!(
        crate::common::body_of(got).await.as_slice(),
        data.as_slice()
    );
    let head = upstream
        .client
        .head_object()
        .bucket("source")
        .key("dir/a b.bin")
        .send()
        .await
        .expect("head");
    assert_eq!(
        etag.as_deref(),
        head.e_tag(),
        "the copy has the upstream's MD5 ETag"
    );
    let err = edge
        .client
        .get_object()
        .bucket("edge")
        .key("dir/missing")
        .send()
        .await
        .expect_err("404");
    assert_eq!(code(&err), "NoSuchKey");

    // Wrong credentials: the upstream refuses (403), which is not a 404 and not retried.
    let edge2 = TestServer::start().await;
    edge2.create_bucket("edge").await;
    let mut rule = Rule::mirror("");
    rule.host_info = format!(
        "<PrivateHost><Host>{}/source</Host><CredentialProvider><AuthorizationAlgorithm>AWS4-HMAC-SHA256</AuthorizationAlgorithm>\
         <Region>us-east-1</Region><SecretId>{ACCESS_KEY}</SecretId><SecretKey>wrong</SecretKey></CredentialProvider></PrivateHost>",
        upstream.addr
    );
    assert_eq!(
        put_origin(&edge2, "edge", &document(&[rule]))
            .await
            .status(),
        200
    );
    let err = edge2
        .client
        .get_object()
        .bucket("edge")
        .key("dir/a b.bin")
        .send()
        .await
        .expect_err("refused upstream");
    assert_eq!(
        code(&err),
        "NoSuchKey",
        "a refused origin is a miss unless TransparentErrorCode"
    );
}

/// Regression: the parsed configuration is cached per bucket; a bucket deleted and created
/// again under the same name must start without the old origin.
#[tokio::test]
async fn recreated_bucket_does_not_inherit_a_cached_origin() {
    let origin = StubOrigin::start().await;
    origin.ok("/a.txt", "a");
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    assert_eq!(s.get_bytes("site", "a.txt").await, b"a");
    s.client
        .delete_object()
        .bucket("site")
        .key("a.txt")
        .send()
        .await
        .expect("delete");
    s.client
        .delete_bucket()
        .bucket("site")
        .send()
        .await
        .expect("delete bucket");
    s.create_bucket("site").await;
    let err = s
        .client
        .get_object()
        .bucket("site")
        .key("a.txt")
        .send()
        .await
        .expect_err("no origin");
    assert_eq!(code(&err), "NoSuchKey");
    assert_eq!(origin.count("/a.txt"), 1);
    let resp = get(&s, "/site?origin").await;
    assert_eq!(resp.status(), 404);
}

/// Read from `resp` until at least `n` bytes arrived.
async fn read_at_least(resp: &mut reqwest::Response, n: usize) -> Vec<u8> {
    let mut got = Vec::new();
    while got.len() < n {
        match tokio::time::timeout(Duration::from_secs(10), resp.chunk()).await {
            Ok(Ok(Some(chunk))) => got.extend_from_slice(&chunk),
            other => panic!(
                "stream ended or stalled after {} bytes: {other:?}",
                got.len()
            ),
        }
    }
    got
}

/// Every client of one fetch is streamed live: the first one, one that joins while the
/// origin is still sending, and a Range request, all get their bytes while the origin is
/// held back half way; one origin request in all.
#[tokio::test]
async fn joined_and_ranged_clients_stream_live_from_the_one_fetch() {
    let origin = StubOrigin::start().await;
    let data = pattern(2 * 1024 * 1024, 18);
    let half = data.len() / 2;
    let gate = std::sync::Arc::new(tokio::sync::Notify::new());
    origin.route(
        "/big.bin",
        Behavior::Gated {
            body: data.clone(),
            first: half,
            gate: gate.clone(),
        },
    );
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

/// A body whose Content-MD5 does not match is never delivered whole: every client's
/// response ends with an error, nothing is stored.
#[tokio::test]
async fn corrupt_origin_body_is_an_error_for_every_client() {
    let origin = StubOrigin::start().await;
    let data = pattern(300_000, 19);
    origin.route(
        "/bad.bin",
        Behavior::Ok {
            body: data.clone(),
            headers: vec![("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==".into())],
        },
    );
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    let (a, b) = tokio::join!(get(&s, "/site/bad.bin"), get(&s, "/site/bad.bin"));
    for resp in [a, b] {
        if resp.status() == 200 {
            let body = resp.bytes().await;
            assert!(
                body.is_err(),
                "a corrupt body must not arrive whole: {:?}",
                body.map(|b| b.len())
            );
        } else {
            assert!(resp.status().is_server_error(), "{}", resp.status());
        }
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(s.key_count("site").await, Some(0), "nothing stored");
}

/// `GET /metrics` (unsigned, Prometheus text) counts origin activity per bucket.
#[tokio::test]
async fn metrics_count_origin_activity_per_bucket() {
    let origin = StubOrigin::start().await;
    let data = pattern(200_000, 20);
    origin.route(
        "/m.bin",
        Behavior::Slow {
            body: data.clone(),
            chunks: 4,
            delay: Duration::from_millis(50),
        },
    );
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    let (a, b, c) = tokio::join!(
        get(&s, "/site/m.bin"),
        get(&s, "/site/m.bin"),
        get(&s, "/site/m.bin")
    );
    for resp in [a, b, c] {
        assert_eq!(resp.bytes().await.expect("body").len(), data.len());
    }
    assert_eq!(get(&s, "/site/m.bin").await.headers()[STATUS], "hit");
    let _ = s
        .client
        .get_object()
        .bucket("site")
        .key("absent")
        .send()
        .await;
    let text = reqwest::get(s.url("/metrics"))
        .await
        .expect("sent")
        .text()
        .await
        .expect("body");
    let value = |name: &str| -> f64 {
        let prefix = format!("originstore_{name}{{bucket=\"site\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} missing in\n{text}"))
    };
    assert_eq!(value("origin_fills_total"), 1.0);
    assert_eq!(
        value("origin_misses_total"),
        4.0,
        "3 concurrent misses of m.bin and one of absent"
    );
    assert_eq!(value("origin_joined_waiters_total"), 2.0);
    assert_eq!(value("origin_hits_total"), 1.0);
    assert_eq!(value("origin_pulled_bytes_total"), data.len() as f64);
    assert_eq!(
        value("origin_requests_total"),
        2.0,
        "one fill of m.bin, one 404 for absent"
    );
    assert!(
        text.contains("originstore_origin_latency_seconds_count{bucket=\"site\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("originstore_requests_total{operation=\"GetObject\",status=\"200\"}"),
        "{text}"
    );
}

/// Fills that commit or fail are announced to the configured webhooks as S3 event
/// documents; a failing webhook is retried; queued events survive a restart.
#[tokio::test]
async fn fill_events_reach_webhooks_with_retries_and_survive_restarts() {
    use crate::stub_origin::StubWebhook;
    let origin = StubOrigin::start().await;
    origin.ok("/dir/ok%20file.txt", "filled bytes");
    origin.route("/broken.txt", Behavior::Status(500));
    let hook = StubWebhook::start(false).await;
    let flaky = StubWebhook::start(true).await;
    let urls = vec![hook.url.clone(), flaky.url.clone()];
    let mut s = setup_with(&origin, &[Rule::mirror(&origin.host())], |c| {
        c.origin.webhooks = urls.clone()
    })
    .await;

    assert_eq!(
        s.get_bytes("site", "dir/ok file.txt").await,
        b"filled bytes"
    );
    let resp = get(&s, "/site/broken.txt").await;
    assert_eq!(resp.status(), 503);
    let docs = hook.wait_for(2).await;
    let record = |doc: &serde_json::Value| doc["Records"][0].clone();
    let created = docs
        .iter()
        .map(record)
        .find(|r| r["eventName"] == "ObjectCreated:Origin")
        .expect("created event");
    assert_eq!(created["s3"]["bucket"]["name"], "site");
    assert_eq!(created["s3"]["object"]["key"], "dir/ok+file.txt");
    assert_eq!(created["s3"]["object"]["size"], 12);
    assert!(
        created["origin"]["url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/dir/ok%20file.txt")),
        "{created}"
    );
    let failed = docs
        .iter()
        .map(record)
        .find(|r| r["eventName"] == "OriginFailed")
        .expect("failed event");
    assert_eq!(failed["s3"]["object"]["key"], "broken.txt");
    assert!(
        failed["origin"]["error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{failed}"
    );

    // The failing webhook is retried; its events stay queued across a restart and are
    // delivered once it recovers.
    for _ in 0..100 {
        if flaky.attempts() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        flaky.attempts() >= 3,
        "retried: {} attempts",
        flaky.attempts()
    );
    assert!(flaky.received().is_empty());
    s.stop().await;
    flaky.set_failing(false);
    let data_dir = s.dir.path().join("data");
    let _s2 = TestServer::start_with(|c| {
        c.data_dir = data_dir;
        c.origin.webhooks = urls;
    })
    .await;
    let delivered = flaky.wait_for(2).await;
    let names: Vec<_> = delivered
        .iter()
        .map(|d| {
            d["Records"][0]["eventName"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert!(
        names.contains(&"ObjectCreated:Origin".to_owned())
            && names.contains(&"OriginFailed".to_owned()),
        "{names:?}"
    );
    assert_eq!(
        hook.received().len(),
        2,
        "delivered webhooks are not sent the events again"
    );
}

/// CopyObject from a key that exists only on the origin pulls it first (a copy during a
/// lazy migration works), and then copies the stored object.
#[tokio::test]
async fn copy_from_an_origin_only_key_pulls_it_first() {
    let origin = StubOrigin::start().await;
    let data = pattern(123_456, 21);
    origin.route(
        "/src.bin",
        Behavior::Ok {
            body: data.clone(),
            headers: vec![("content-type", "image/png".into())],
        },
    );
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    s.client
        .copy_object()
        .bucket("site")
        .key("dst.bin")
        .copy_source("site/src.bin")
        .send()
        .await
        .expect("copy pulls");
    let got = s
        .client
        .get_object()
        .bucket("site")
        .key("dst.bin")
        .send()
        .await
        .expect("copied");
    assert_eq!(got.content_type(), Some("image/png"));
    assert_eq!(
        crate::common::body_of(got).await.as_slice(),
        data.as_slice()
    );
    assert_eq!(
        get(&s, "/site/src.bin").await.headers()[STATUS],
        "hit",
        "the source was kept"
    );
    assert_eq!(origin.count("/src.bin"), 1);
    let err = s
        .client
        .copy_object()
        .bucket("site")
        .key("x")
        .copy_source("site/absent")
        .send()
        .await
        .expect_err("404");
    assert_eq!(code(&err), "NoSuchKey");
}

/// A request to a spawned server, signed with the CLI test user's keys.
fn signed_to(endpoint: &str, method: http::Method, path: &str) -> reqwest::RequestBuilder {
    use crate::cli::{AK, SK};
    let url = format!("{endpoint}{path}");
    let mut headers = http::HeaderMap::new();
    originstore::origin::sign::sign_origin_request(
        &method,
        &url,
        &mut headers,
        "us-east-1",
        AK,
        SK,
        time::OffsetDateTime::now_utc(),
    )
    .expect("sign");
    reqwest::Client::new().request(method, url).headers(headers)
}

/// kill -9 of the real server in the middle of an origin fill: after a restart nothing
/// partial is visible, the fill's temp file was swept, and the next GET fills cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_fill_leaves_nothing_partial() {
    use crate::cli::ServeProcess;
    let origin = StubOrigin::start().await;
    let data = pattern(4 * 1024 * 1024, 22);
    let gate = std::sync::Arc::new(tokio::sync::Notify::new());
    origin.route(
        "/video.bin",
        Behavior::Gated {
            body: data.clone(),
            first: data.len() / 2,
            gate,
        },
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let data_dir = tmp.path().join("data");
    let dir = data_dir.clone();
    let server = tokio::task::spawn_blocking(move || ServeProcess::start(&dir))
        .await
        .expect("start");
    let ep = server.endpoint.clone();
    assert_eq!(
        signed_to(&ep, http::Method::PUT, "/media")
            .send()
            .await
            .expect("mb")
            .status(),
        200
    );
    let resp = signed_to(&ep, http::Method::PUT, "/media?origin")
        .body(document(&[Rule::mirror(&origin.host())]))
        .send()
        .await
        .expect("origin");
    assert_eq!(resp.status(), 200);

    let mut resp = signed_to(&ep, http::Method::GET, "/media/video.bin")
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), 200);
    let _ = read_at_least(&mut resp, data.len() / 2).await;
    let temp_files = || {
        std::fs::read_dir(data_dir.join("tmp"))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    assert_eq!(temp_files(), 1, "the fill is being written");
    drop(server); // SIGKILL, mid-fill
    assert!(resp.bytes().await.is_err(), "the client sees the cut");

    origin.route(
        "/video.bin",
        Behavior::Ok {
            body: data.clone(),
            headers: vec![],
        },
    );
    let dir = data_dir.clone();
    let server = tokio::task::spawn_blocking(move || ServeProcess::start(&dir))
        .await
        .expect("restart");
    let ep = server.endpoint.clone();
    assert_eq!(
        temp_files(),
        0,
        "the recovery sweep removed the partial fill"
    );
    let listed = signed_to(&ep, http::Method::GET, "/media?list-type=2")
        .send()
        .await
        .expect("list");
    assert!(
        !listed.text().await.expect("body").contains("<Key>"),
        "nothing partial is visible"
    );
    let resp = signed_to(&ep, http::Method::GET, "/media/video.bin")
        .send()
        .await
        .expect("get");
    assert_eq!(resp.headers()[STATUS], "miss-filled");
    assert!(
        resp.bytes().await.expect("body") == data,
        "the fill after the restart is whole"
    );
    let resp = signed_to(&ep, http::Method::GET, "/media/video.bin")
        .send()
        .await
        .expect("get");
    assert_eq!(resp.headers()[STATUS], "hit");
    assert!(resp.bytes().await.expect("body") == data);
}
