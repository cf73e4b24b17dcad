//! Write-through and fill: a PUT through the node is at the cluster before its 200, a
//! DELETE likewise; a refusal of the cluster is answered as its own and changes nothing on
//! the node, an unreachable cluster is `503` with `Retry-After` and nothing is kept, a cut
//! upload leaves the cluster without the object; a key the cluster has is filled on a
//! miss and listed through; writes not yet written through are `501`; every answer names
//! the node.

use std::time::Duration;

use originstore::backend::{Addressing, BackendSettings};
use tokio::io::AsyncWriteExt as _;

use crate::support::server::{expect_code, signed_request, TestServer, ACCESS_KEY, SECRET_KEY};
use crate::support::wire::Head;

const BUCKET: &str = "shared";

fn settings(endpoint: String) -> BackendSettings {
    BackendSettings {
        endpoint,
        region: "us-east-1".into(),
        access_key: ACCESS_KEY.into(),
        secret_key: SECRET_KEY.into(),
        cache_bytes: 1 << 30,
        node: Some("edge-a".into()),
        addressing: Addressing::Path,
        bucket_prefix: String::new(),
        revalidate_after_secs: 60,
    }
}

/// A cluster (a plain originstore) and a node in front of it, with BUCKET created through
/// the node.
async fn cluster_and_node() -> (TestServer, TestServer) {
    let cluster = TestServer::start().await;
    let endpoint = cluster.endpoint();
    let node = TestServer::start_with(|c| c.backend = Some(settings(endpoint))).await;
    node.create_bucket(BUCKET).await;
    (cluster, node)
}

#[tokio::test]
async fn writes_reach_the_cluster_before_they_are_acknowledged() {
    let (cluster, node) = cluster_and_node().await;
    assert!(
        cluster
            .client
            .head_bucket()
            .bucket(BUCKET)
            .send()
            .await
            .is_ok(),
        "CreateBucket went through"
    );
    let body = vec![7u8; 300_000];
    let put = node
        .client
        .put_object()
        .bucket(BUCKET)
        .key("dir/a b.bin")
        .content_type("application/x-test")
        .metadata("colour", "blue")
        .body(body.clone().into())
        .send()
        .await
        .expect("put through the node");
    // At the cluster the moment the node said 200, with its headers.
    let at_cluster = cluster
        .client
        .get_object()
        .bucket(BUCKET)
        .key("dir/a b.bin")
        .send()
        .await
        .expect("at the cluster");
    assert_eq!(at_cluster.content_type(), Some("application/x-test"));
    assert_eq!(
        at_cluster
            .metadata()
            .and_then(|m| m.get("colour"))
            .map(String::as_str),
        Some("blue")
    );
    assert_eq!(at_cluster.e_tag(), put.e_tag(), "one ETag for one body");
    let got = at_cluster.body.collect().await.expect("body").into_bytes();
    assert_eq!(got.as_ref(), body.as_slice());
    assert_eq!(node.get_bytes(BUCKET, "dir/a b.bin").await, body);

    node.client
        .delete_object()
        .bucket(BUCKET)
        .key("dir/a b.bin")
        .send()
        .await
        .expect("delete through the node");
    assert_eq!(cluster.get_error(BUCKET, "dir/a b.bin").await, "NoSuchKey");
    assert_eq!(node.get_error(BUCKET, "dir/a b.bin").await, "NoSuchKey");
}

#[tokio::test]
async fn misses_are_filled_from_the_cluster_and_listings_come_through() {
    let (cluster, node) = cluster_and_node().await;
    // Written at the cluster by someone else (another node).
    cluster
        .put(BUCKET, "elsewhere/one", "from another node")
        .await;
    cluster.put(BUCKET, "elsewhere/two", "2").await;
    assert_eq!(
        node.get_bytes(BUCKET, "elsewhere/one").await,
        b"from another node"
    );
    let listed = node
        .client
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix("elsewhere/")
        .send()
        .await
        .expect("list");
    let keys: Vec<_> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["elsewhere/one", "elsewhere/two"]);
    // Deleted at the cluster through the node: gone for the node too, not a tombstone
    // (written again elsewhere, it is pulled again).
    node.client
        .delete_object()
        .bucket(BUCKET)
        .key("elsewhere/one")
        .send()
        .await
        .expect("delete");
    cluster.put(BUCKET, "elsewhere/one", "again").await;
    assert_eq!(node.get_bytes(BUCKET, "elsewhere/one").await, b"again");
}

#[tokio::test]
async fn the_clusters_refusal_is_answered_and_changes_nothing() {
    let (cluster, node) = cluster_and_node().await;
    node.put(BUCKET, "k", "first").await;
    // The cluster enforces the condition; the node answers its 412 and keeps "first".
    expect_code(
        node.client
            .put_object()
            .bucket(BUCKET)
            .key("k")
            .if_none_match("*")
            .body(b"second".to_vec().into())
            .send()
            .await,
        "PreconditionFailed",
    );
    assert_eq!(node.get_bytes(BUCKET, "k").await, b"first");
    assert_eq!(cluster.get_bytes(BUCKET, "k").await, b"first");
    // A body that does not match its checksum reaches neither: the node verifies it (the
    // header is not forwarded) before the last byte goes to the cluster.
    for (key, header, value) in [
        ("held", "x-amz-checksum-crc32", "AAAAAA=="),
        ("k", "content-md5", "1B2M2Y8AsgTpgAmY7PhCfg=="),
    ] {
        let mut headers = http::HeaderMap::new();
        headers.insert(header, http::HeaderValue::from_static(value));
        let resp = signed_request(
            &node.endpoint(),
            (ACCESS_KEY, SECRET_KEY),
            http::Method::PUT,
            &format!("/{BUCKET}/{key}"),
            headers,
        )
        .body("not empty")
        .send()
        .await
        .expect("sent");
        assert_eq!(resp.status(), 400, "{header}");
    }
    assert_eq!(cluster.get_error(BUCKET, "held").await, "NoSuchKey");
    assert_eq!(cluster.get_bytes(BUCKET, "k").await, b"first");
    // Writes that do not go through yet are refused, not kept on one node.
    expect_code(
        node.client
            .copy_object()
            .bucket(BUCKET)
            .key("copy")
            .copy_source(format!("{BUCKET}/k"))
            .send()
            .await,
        "NotImplemented",
    );
    // Every answer names the node.
    let resp = node
        .send_signed(http::Method::GET, &format!("/{BUCKET}/k"))
        .await;
    assert_eq!(
        resp.headers()
            .get("x-originstore-node")
            .and_then(|v| v.to_str().ok()),
        Some("edge-a")
    );
}

#[tokio::test]
async fn a_cut_upload_never_reaches_the_cluster() {
    let (cluster, node) = cluster_and_node().await;
    let mut head = Head::new("PUT", &format!("/{BUCKET}/cut"), &node.addr.to_string());
    head.sign("UNSIGNED-PAYLOAD");
    let head = head.header("content-length", "1000000");
    let mut stream = tokio::net::TcpStream::connect(node.addr)
        .await
        .expect("connect");
    stream
        .write_all(head.to_http().as_bytes())
        .await
        .expect("head");
    stream.write_all(&[b'x'; 500_000]).await.expect("half");
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(stream);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(cluster.get_error(BUCKET, "cut").await, "NoSuchKey");
    assert_eq!(node.get_error(BUCKET, "cut").await, "NoSuchKey");
}

#[tokio::test]
async fn an_unreachable_cluster_is_503_and_nothing_is_kept() {
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let mut node = TestServer::start_with(|c| c.backend = Some(settings(endpoint))).await;
    let resp = node.send_signed(http::Method::PUT, "/nowhere").await;
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().contains_key("retry-after"));
    node.stop().await;
    // The node kept nothing: its store has no such bucket.
    let store =
        storage::Store::open(node.dir.path().join("data"), Default::default()).expect("opens");
    assert!(store.head_bucket("nowhere").is_err());
}
