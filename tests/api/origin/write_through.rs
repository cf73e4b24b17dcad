//! A reversible migration on one node: a rule with `<WriteThrough>true</WriteThrough>`
//! mirrors the bucket's writes and deletes of its keys to the old store (another real S3
//! server: a second originstore) before they are acknowledged, so the old store holds
//! everything at every moment and the move can be rolled back. A write the old store
//! refuses changes nothing here; keys outside the rule stay local.

use aws_sdk_s3::types::{Delete, ObjectIdentifier};

use super::{document, put_origin, Rule};
use crate::support::server::{expect_code, pattern, TestServer, SECRET_KEY};

const BUCKET: &str = "moving";

/// The old store (bucket `legacy`, holding `old.txt`) and a node whose bucket pulls from it
/// and writes through to it for keys under `data/` and `old.txt`'s prefix-less rule.
async fn old_store_and_node() -> (TestServer, TestServer) {
    let old = TestServer::with_bucket("legacy").await;
    old.put("legacy", "old.txt", "from before").await;
    let node = TestServer::with_bucket(BUCKET).await;
    let private = super::private_host(&old, "legacy", SECRET_KEY);
    let mut through = Rule::mirror("");
    through.priority = 1;
    through.prefix = "data/";
    through.parameter = "<Protocol>HTTP</Protocol><WriteThrough>true</WriteThrough>";
    through.host_info = private.clone();
    let mut read_only = Rule::mirror("");
    read_only.priority = 2;
    read_only.host_info = private;
    let resp = put_origin(&node, BUCKET, &document(&[through, read_only])).await;
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    (old, node)
}

#[tokio::test]
async fn writes_reach_the_old_store_before_they_are_acknowledged() {
    let (old, node) = old_store_and_node().await;
    // The rule shows as sent.
    let shown = node
        .send_signed(http::Method::GET, &format!("/{BUCKET}?origin"))
        .await
        .text()
        .await
        .expect("body");
    assert!(
        shown.contains("<WriteThrough>true</WriteThrough>"),
        "{shown}"
    );

    let body = pattern(300_000, 3);
    node.client
        .put_object()
        .bucket(BUCKET)
        .key("data/a.bin")
        .content_type("application/x-new")
        .body(body.clone().into())
        .send()
        .await
        .expect("put");
    let at_old = old.get_object("legacy", "data/a.bin").await;
    assert_eq!(at_old.content_type(), Some("application/x-new"));
    assert_eq!(crate::support::server::body_of(at_old).await, body);
    assert_eq!(node.get_bytes(BUCKET, "data/a.bin").await, body);

    // A multipart upload is the old store's, and reads back through the node.
    let parts = [pattern(5 * 1024 * 1024, 1), pattern(1000, 2)];
    crate::cluster::upload_in_parts(&node.client, BUCKET, "data/big", &parts).await;
    let whole = parts.concat();
    assert_eq!(old.get_bytes("legacy", "data/big").await, whole);
    assert_eq!(node.get_bytes(BUCKET, "data/big").await, whole);

    // A copy inside the store.
    node.client
        .copy_object()
        .bucket(BUCKET)
        .key("data/copy.bin")
        .copy_source(format!("{BUCKET}/data/a.bin"))
        .send()
        .await
        .expect("copy");
    assert_eq!(old.get_bytes("legacy", "data/copy.bin").await, body);

    // Deletes, one and many.
    node.client
        .delete_object()
        .bucket(BUCKET)
        .key("data/a.bin")
        .send()
        .await
        .expect("delete");
    assert_eq!(old.get_error("legacy", "data/a.bin").await, "NoSuchKey");
    assert_eq!(node.get_error(BUCKET, "data/a.bin").await, "NoSuchKey");
    let ids = ["data/big", "data/copy.bin"]
        .iter()
        .map(|k| ObjectIdentifier::builder().key(*k).build().expect("id"))
        .collect();
    let out = node
        .client
        .delete_objects()
        .bucket(BUCKET)
        .delete(
            Delete::builder()
                .set_objects(Some(ids))
                .build()
                .expect("delete"),
        )
        .send()
        .await
        .expect("delete objects");
    assert!(out.errors().is_empty(), "{:?}", out.errors());
    assert_eq!(old.keys("legacy").await, ["old.txt"]);

    // Keys outside the write-through rule stay local; what was there before still reads.
    node.put(BUCKET, "local.txt", "here only").await;
    assert_eq!(old.get_error("legacy", "local.txt").await, "NoSuchKey");
    assert_eq!(node.get_bytes(BUCKET, "old.txt").await, b"from before");
}

#[tokio::test]
async fn a_write_the_old_store_refuses_changes_nothing() {
    let (old, node) = old_store_and_node().await;
    node.put(BUCKET, "data/k", "first").await;
    // The old store holds the condition: If-None-Match on a key it has.
    expect_code(
        node.client
            .put_object()
            .bucket(BUCKET)
            .key("data/k")
            .if_none_match("*")
            .body(b"second".to_vec().into())
            .send()
            .await,
        "PreconditionFailed",
    );
    assert_eq!(node.get_bytes(BUCKET, "data/k").await, b"first");
    // The old store gone: writes are 503 with Retry-After and nothing is kept.
    let mut old = old;
    old.stop().await;
    let resp = node
        .signed(http::Method::PUT, &format!("/{BUCKET}/data/new"))
        .body("never")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().contains_key("retry-after"));
    let resp = node
        .send_signed(http::Method::GET, &format!("/{BUCKET}/data/k"))
        .await;
    assert_eq!(resp.text().await.expect("body"), "first", "kept as it was");
    let store_has_new = node
        .client
        .head_object()
        .bucket(BUCKET)
        .key("data/new")
        .send()
        .await
        .is_ok();
    assert!(!store_has_new, "a refused write left nothing");
}

/// WriteThrough is checked: it needs one PrivateHost and keys unchanged.
#[tokio::test]
async fn write_through_needs_a_private_host_and_unchanged_keys() {
    let node = TestServer::with_bucket(BUCKET).await;
    let mut plain = Rule::mirror("old.example");
    plain.parameter = "<Protocol>HTTP</Protocol><WriteThrough>true</WriteThrough>";
    let resp = put_origin(&node, BUCKET, &document(&[plain])).await;
    assert_eq!(resp.status(), 400);
    let text = resp.text().await.expect("body");
    assert!(text.contains("WriteThrough"), "{text}");
}
