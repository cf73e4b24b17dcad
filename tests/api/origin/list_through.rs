//! List-through against a second originstore as the private S3 origin: listings merge the
//! origin's keys (each once, the local copy winning, local deletes hidden), page exactly with
//! the SDK's paginator, group by delimiter, and a rule that could not list is refused.

use super::{document, put_origin, Rule};
use crate::support::server::{code, TestServer, SECRET_KEY};

/// A rule pulling from `upstream`'s bucket `source` with `parameter` (OriginParameter).
fn private_rule<'a>(upstream: &TestServer, parameter: &'a str) -> Rule<'a> {
    let mut rule = Rule::mirror("");
    rule.host_info = super::private_host(upstream, "source", SECRET_KEY);
    rule.parameter = parameter;
    rule
}

async fn all_keys(client: &aws_sdk_s3::Client, prefix: &str, page: i32) -> Vec<(String, i64)> {
    let mut pages = client
        .list_objects_v2()
        .bucket("edge")
        .prefix(prefix)
        .max_keys(page)
        .into_paginator()
        .send();
    let mut keys = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.expect("page");
        for o in page.contents() {
            keys.push((
                o.key().unwrap_or_default().to_owned(),
                o.size().unwrap_or(-1),
            ));
        }
    }
    keys
}

#[tokio::test]
async fn listings_merge_the_origin_exactly() {
    let upstream = TestServer::start().await;
    upstream.create_bucket("source").await;
    let origin_keys = [
        "docs/a.txt",
        "docs/b.txt",
        "docs/sub/c.txt",
        "img/x.png",
        "img/y.png",
        "z",
    ];
    for key in origin_keys {
        upstream.put("source", key, "origin").await;
    }
    let edge = TestServer::start().await;
    edge.create_bucket("edge").await;
    let resp = put_origin(
        &edge,
        "edge",
        &document(&[private_rule(
            &upstream,
            "<Protocol>HTTP</Protocol><ListThrough>true</ListThrough>",
        )]),
    )
    .await;
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    edge.put("edge", "docs/a.txt", "local!!").await;
    edge.put("edge", "docs/local.txt", "only here").await;
    edge.client
        .delete_object()
        .bucket("edge")
        .key("img/x.png")
        .send()
        .await
        .expect("delete leaves a tombstone");

    let expected = vec![
        ("docs/a.txt".to_owned(), 7),
        ("docs/b.txt".to_owned(), 6),
        ("docs/local.txt".to_owned(), 9),
        ("docs/sub/c.txt".to_owned(), 6),
        ("img/y.png".to_owned(), 6),
        ("z".to_owned(), 6),
    ];
    for page in [1, 2, 3, 1000] {
        assert_eq!(
            all_keys(&edge.client, "", page).await,
            expected,
            "pages of {page}"
        );
    }
    let docs: Vec<_> = expected
        .iter()
        .filter(|(k, _)| k.starts_with("docs/"))
        .cloned()
        .collect();
    assert_eq!(all_keys(&edge.client, "docs/", 2).await, docs);

    // Delimiter: common prefixes from both sides, once.
    let top = edge
        .client
        .list_objects_v2()
        .bucket("edge")
        .delimiter("/")
        .send()
        .await
        .expect("list");
    let prefixes: Vec<_> = top
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(prefixes, ["docs/", "img/"]);
    let keys: Vec<_> = top.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["z"]);
    // v1 with a marker.
    let v1 = edge
        .client
        .list_objects()
        .bucket("edge")
        .marker("docs/local.txt")
        .max_keys(2)
        .send()
        .await
        .expect("v1");
    let keys: Vec<_> = v1.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["docs/sub/c.txt", "img/y.png"]);
    assert_eq!(v1.is_truncated(), Some(true));

    // Only S3-compatible origins can be listed.
    let mut plain = Rule::mirror("origin.example.com");
    plain.parameter = "<ListThrough>true</ListThrough>";
    let resp = put_origin(&edge, "edge", &document(&[plain])).await;
    assert_eq!(resp.status(), 400);
    // Without ListThrough, listings are local only.
    let plain_rule = private_rule(&upstream, "<Protocol>HTTP</Protocol>");
    let resp = put_origin(&edge, "edge", &document(&[plain_rule])).await;
    assert_eq!(resp.status(), 200);
    let local: Vec<_> = all_keys(&edge.client, "", 1000)
        .await
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(local, ["docs/a.txt", "docs/local.txt"]);
    let missing = edge.client.list_objects_v2().bucket("nope").send().await;
    assert_eq!(code(&missing.expect_err("no bucket")), "NoSuchBucket");
}

/// A rule that replaces a prefix toward the origin lists the origin's keys back under the
/// local prefix.
#[tokio::test]
async fn a_prefix_replacement_is_undone_in_listings() {
    let upstream = TestServer::start().await;
    upstream.create_bucket("source").await;
    for key in ["v2/a.css", "v2/b/c.js", "other/x"] {
        upstream.put("source", key, "origin").await;
    }
    let edge = TestServer::start().await;
    edge.create_bucket("edge").await;
    let mut rule = private_rule(
        &upstream,
        "<Protocol>HTTP</Protocol><ListThrough>true</ListThrough>",
    );
    rule.prefix = "static/";
    rule.file_info = "<FileInfo><PrefixConfiguration><Prefix>static/</Prefix><ReplacedWithPrefix>v2/</ReplacedWithPrefix></PrefixConfiguration></FileInfo>";
    let resp = put_origin(&edge, "edge", &document(&[rule])).await;
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    edge.put("edge", "index.html", "local").await;
    let keys: Vec<_> = all_keys(&edge.client, "", 1)
        .await
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, ["index.html", "static/a.css", "static/b/c.js"]);
    let top = edge
        .client
        .list_objects_v2()
        .bucket("edge")
        .prefix("static/")
        .delimiter("/")
        .send()
        .await
        .expect("list");
    let prefixes: Vec<_> = top
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(prefixes, ["static/b/"]);
    // And a listed key reads through the same rewrite.
    assert_eq!(edge.get_bytes("edge", "static/b/c.js").await, b"origin");
}
