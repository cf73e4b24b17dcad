//! The `?origin` subresource and what a rule selects: validation, round trips and
//! persistence, rule choice by priority and condition, the key rewrite, forwarded query and
//! headers, deletion, and a recreated bucket.

use super::{document, get, put_origin, setup, Rule, STATUS};
use crate::support::server::{expect_code, xml_code, TestServer};
use crate::support::stub_origin::StubOrigin;

#[tokio::test]
async fn configuration_round_trip_validation_and_persistence() {
    let origin = StubOrigin::start().await;
    let mut s = TestServer::with_bucket("site").await;
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
    expect_code(
        other.get_object().bucket("site").key("x").send().await,
        "AccessDenied",
    );

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
    assert_eq!(
        s.get_error("site", "other/z.png").await,
        "NoSuchKey",
        "no rule"
    );
    assert_eq!(
        s.get_error("site", "images/x.png").await,
        "NoSuchKey",
        "suffix"
    );
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
async fn deleting_the_configuration_stops_pulling() {
    let origin = StubOrigin::start().await;
    origin.ok("/a.txt", "a");
    origin.ok("/b.txt", "b");
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    assert_eq!(s.get_bytes("site", "a.txt").await, b"a");
    let resp = s.send_signed(http::Method::DELETE, "/site?origin").await;
    assert_eq!(resp.status(), 204);
    assert_eq!(s.get_error("site", "b.txt").await, "NoSuchKey", "no origin");
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
    assert_eq!(s.get_error("site", "a.txt").await, "NoSuchKey", "no origin");
    assert_eq!(origin.count("/a.txt"), 1);
    let resp = get(&s, "/site?origin").await;
    assert_eq!(resp.status(), 404);
}
