//! Write-through and fill: a PUT through the node is at the cluster before its 200, a
//! DELETE likewise; a refusal of the cluster is answered as its own and changes nothing on
//! the node, an unreachable cluster is `503` with `Retry-After` and nothing is kept, a cut
//! upload leaves the cluster without the object; a key the cluster has is filled on a
//! miss and listed through; copies, multipart uploads and tags are the cluster's; object
//! ACLs, Object Lock and quotas are `501`; every answer names the node.

use std::time::Duration;

use originstore::backend::BackendSettings;
use tokio::io::AsyncWriteExt as _;

use crate::support::server::{expect_code, signed_request, TestServer, ACCESS_KEY, SECRET_KEY};
use crate::support::wire::Head;

const BUCKET: &str = "shared";

fn settings(endpoint: String) -> BackendSettings {
    super::backend(&endpoint, "us-east-1", (ACCESS_KEY, SECRET_KEY), "edge-a")
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

    // DeleteObjects: every key deleted at the cluster too.
    for k in ["m/1", "m/2", "m/3"] {
        node.put(BUCKET, k, k).await;
    }
    let ids = ["m/1", "m/2", "never"]
        .iter()
        .map(|k| {
            aws_sdk_s3::types::ObjectIdentifier::builder()
                .key(*k)
                .build()
                .expect("id")
        })
        .collect();
    let out = node
        .client
        .delete_objects()
        .bucket(BUCKET)
        .delete(
            aws_sdk_s3::types::Delete::builder()
                .set_objects(Some(ids))
                .build()
                .expect("delete"),
        )
        .send()
        .await
        .expect("delete objects");
    assert!(out.errors().is_empty(), "{:?}", out.errors());
    assert_eq!(cluster.keys(BUCKET).await, ["m/3"]);
    assert_eq!(node.keys(BUCKET).await, ["m/3"]);
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
    // Tags are the cluster's: set through the node, read back at the cluster and through
    // the node.
    let tag = aws_sdk_s3::types::Tag::builder()
        .key("team")
        .value("blue")
        .build()
        .expect("tag");
    node.client
        .put_object_tagging()
        .bucket(BUCKET)
        .key("k")
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .set_tag_set(Some(vec![tag]))
                .build()
                .expect("tagging"),
        )
        .send()
        .await
        .expect("tagging through the node");
    for (who, client) in [("cluster", &cluster.client), ("node", &node.client)] {
        let tags = client
            .get_object_tagging()
            .bucket(BUCKET)
            .key("k")
            .send()
            .await
            .expect("tags");
        let set: Vec<_> = tags
            .tag_set()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect();
        assert_eq!(set, [("team".to_owned(), "blue".to_owned())], "{who}");
    }
    // An object ACL no node could keep as the cluster keeps it is refused, not kept on one
    // node.
    expect_code(
        node.client
            .put_object()
            .bucket(BUCKET)
            .key("public")
            .acl(aws_sdk_s3::types::ObjectCannedAcl::PublicRead)
            .body(b"x".to_vec().into())
            .send()
            .await,
        "NotImplemented",
    );
    assert_eq!(cluster.get_error(BUCKET, "public").await, "NoSuchKey");
    // A copy is the cluster's own, server-side; the node's old copy of the target goes.
    node.put(BUCKET, "copy", "stale").await;
    node.client
        .copy_object()
        .bucket(BUCKET)
        .key("copy")
        .copy_source(format!("{BUCKET}/k"))
        .metadata_directive(aws_sdk_s3::types::MetadataDirective::Replace)
        .content_type("text/copied")
        .send()
        .await
        .expect("copy through the node");
    assert_eq!(cluster.get_bytes(BUCKET, "copy").await, b"first");
    let copied = node
        .client
        .get_object()
        .bucket(BUCKET)
        .key("copy")
        .send()
        .await
        .expect("get the copy");
    assert_eq!(copied.content_type(), Some("text/copied"));
    assert_eq!(
        copied
            .body
            .collect()
            .await
            .expect("body")
            .into_bytes()
            .as_ref(),
        b"first"
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

/// Object Lock is refused (501) in cluster mode, never accepted and left unenforced: its
/// configuration, a bucket created with it, a write, a copy or an upload asking for a lock,
/// a retention or a legal hold; nothing of it reaches the cluster. So is a bucket quota,
/// which no node could hold.
#[tokio::test]
async fn object_lock_and_quotas_are_refused_in_cluster_mode() {
    use aws_sdk_s3::types::{
        ObjectLockConfiguration, ObjectLockEnabled, ObjectLockLegalHoldStatus, ObjectLockMode,
    };
    let (cluster, node) = cluster_and_node().await;
    node.put(BUCKET, "k", "data").await;
    let c = &node.client;
    expect_code(
        c.put_object_lock_configuration()
            .bucket(BUCKET)
            .object_lock_configuration(
                ObjectLockConfiguration::builder()
                    .object_lock_enabled(ObjectLockEnabled::Enabled)
                    .build(),
            )
            .send()
            .await,
        "NotImplemented",
    );
    expect_code(
        c.create_bucket()
            .bucket("vault")
            .object_lock_enabled_for_bucket(true)
            .send()
            .await,
        "NotImplemented",
    );
    let until = aws_sdk_s3::primitives::DateTime::from(
        std::time::SystemTime::now() + Duration::from_secs(3600),
    );
    expect_code(
        c.put_object()
            .bucket(BUCKET)
            .key("locked")
            .body(b"x".to_vec().into())
            .object_lock_mode(ObjectLockMode::Compliance)
            .object_lock_retain_until_date(until)
            .send()
            .await,
        "NotImplemented",
    );
    expect_code(
        c.copy_object()
            .bucket(BUCKET)
            .key("locked")
            .copy_source(format!("{BUCKET}/k"))
            .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
            .send()
            .await,
        "NotImplemented",
    );
    expect_code(
        c.create_multipart_upload()
            .bucket(BUCKET)
            .key("locked")
            .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
            .send()
            .await,
        "NotImplemented",
    );
    expect_code(
        c.put_object_legal_hold()
            .bucket(BUCKET)
            .key("k")
            .legal_hold(crate::s3::object_lock::legal_hold(
                ObjectLockLegalHoldStatus::On,
            ))
            .send()
            .await,
        "NotImplemented",
    );
    assert_eq!(cluster.get_error(BUCKET, "locked").await, "NoSuchKey");
    // A quota no node could hold (each counts its cache, not the cluster's objects) is
    // refused, not kept on one node.
    let resp = signed_request(
        &node.endpoint(),
        (ACCESS_KEY, SECRET_KEY),
        http::Method::PUT,
        &format!("/_admin/v1/buckets/{BUCKET}/quota"),
        http::HeaderMap::new(),
    )
    .body(r#"{"max_objects":1}"#)
    .send()
    .await
    .expect("sent");
    assert_eq!(resp.status(), 501);
    expect_code(
        cluster
            .client
            .get_object_lock_configuration()
            .bucket(BUCKET)
            .send()
            .await,
        "ObjectLockConfigurationNotFoundError",
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

/// Multipart uploads are the cluster's, one-to-one: ids, part ETags and the completed
/// object come from it; no part is kept on the node; a part that fails its Content-MD5
/// never reaches the cluster; ListParts, ListMultipartUploads and Abort are the cluster's.
#[tokio::test]
async fn multipart_uploads_are_the_clusters() {
    use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
    let (cluster, node) = cluster_and_node().await;
    let parts = [
        crate::support::server::pattern(5 * 1024 * 1024, 1),
        crate::support::server::pattern(5 * 1024 * 1024, 2),
        crate::support::server::pattern(1234, 3),
    ];
    let created = node
        .client
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("big")
        .content_type("application/x-big")
        .send()
        .await
        .expect("create");
    let id = created.upload_id().expect("id").to_owned();
    // The cluster knows the upload by the same id.
    let at_cluster = cluster
        .client
        .list_multipart_uploads()
        .bucket(BUCKET)
        .send()
        .await
        .expect("uploads at the cluster");
    assert_eq!(at_cluster.uploads()[0].upload_id(), Some(id.as_str()));
    // A part whose Content-MD5 is wrong reaches neither.
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "content-md5",
        http::HeaderValue::from_static("1B2M2Y8AsgTpgAmY7PhCfg=="),
    );
    let bad = signed_request(
        &node.endpoint(),
        (ACCESS_KEY, SECRET_KEY),
        http::Method::PUT,
        &format!("/{BUCKET}/big?partNumber=9&uploadId={id}"),
        headers,
    )
    .body("not the md5's body")
    .send()
    .await
    .expect("sent");
    assert_eq!(bad.status(), 400);
    let mut done = Vec::new();
    for (i, data) in parts.iter().enumerate() {
        let out = node
            .client
            .upload_part()
            .bucket(BUCKET)
            .key("big")
            .upload_id(&id)
            .part_number(i as i32 + 1)
            .body(data.clone().into())
            .send()
            .await
            .expect("part");
        done.push(
            CompletedPart::builder()
                .part_number(i as i32 + 1)
                .e_tag(out.e_tag().expect("etag"))
                .build(),
        );
    }
    let listed = node
        .client
        .list_parts()
        .bucket(BUCKET)
        .key("big")
        .upload_id(&id)
        .send()
        .await
        .expect("list parts");
    let numbers: Vec<_> = listed
        .parts()
        .iter()
        .filter_map(|p| p.part_number())
        .collect();
    assert_eq!(numbers, [1, 2, 3], "the bad part 9 never arrived");
    node.client
        .complete_multipart_upload()
        .bucket(BUCKET)
        .key("big")
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(done))
                .build(),
        )
        .send()
        .await
        .expect("complete");
    let whole = parts.concat();
    assert_eq!(cluster.get_bytes(BUCKET, "big").await, whole);
    assert_eq!(
        node.get_bytes(BUCKET, "big").await,
        whole,
        "filled from the cluster"
    );

    // An aborted upload is gone at the cluster.
    let other = node
        .client
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("abandoned")
        .send()
        .await
        .expect("create");
    let other_id = other.upload_id().expect("id");
    node.client
        .abort_multipart_upload()
        .bucket(BUCKET)
        .key("abandoned")
        .upload_id(other_id)
        .send()
        .await
        .expect("abort");
    let uploads = node
        .client
        .list_multipart_uploads()
        .bucket(BUCKET)
        .send()
        .await
        .expect("uploads");
    assert!(uploads.uploads().is_empty(), "{uploads:?}");
}

/// A node that was down while another node overwrote its keys serves the new bodies once
/// restarted: every copy the cluster vouched for before the restart is revalidated (one
/// conditional request) before it is served. Object reads say how they were served.
#[tokio::test]
async fn a_restarted_node_revalidates_what_it_holds() {
    let (cluster, mut a) = cluster_and_node().await;
    let endpoint = cluster.endpoint();
    let b = TestServer::start_with(|c| c.backend = Some(settings(endpoint.clone()))).await;
    a.put(BUCKET, "k", "version 1").await;
    a.put(BUCKET, "same", "unchanged").await;
    let cache = |resp: &reqwest::Response| {
        resp.headers()
            .get("x-originstore-cache")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let resp = a
        .send_signed(http::Method::GET, &format!("/{BUCKET}/k"))
        .await;
    assert_eq!(cache(&resp).as_deref(), Some("hit"));
    a.stop().await;
    // While a is down, b overwrites k.
    b.put(BUCKET, "k", "version 2").await;
    let dir = std::mem::replace(&mut a.dir, tempfile::tempdir().expect("tempdir"));
    let a = TestServer::start_in(dir, |c| c.backend = Some(settings(endpoint))).await;
    let resp = a
        .send_signed(http::Method::GET, &format!("/{BUCKET}/k"))
        .await;
    assert_eq!(cache(&resp).as_deref(), Some("revalidated"));
    assert_eq!(resp.text().await.expect("body"), "version 2");
    let resp = a
        .send_signed(http::Method::GET, &format!("/{BUCKET}/same"))
        .await;
    assert_eq!(cache(&resp).as_deref(), Some("revalidated"));
    assert_eq!(resp.text().await.expect("body"), "unchanged");
    // Revalidated once; then a hit.
    let resp = a
        .send_signed(http::Method::GET, &format!("/{BUCKET}/same"))
        .await;
    assert_eq!(cache(&resp).as_deref(), Some("hit"));
    let resp = a
        .send_signed(http::Method::GET, &format!("/{BUCKET}/never"))
        .await;
    assert_eq!(resp.status(), 404);
    b.put(BUCKET, "fresh", "filled").await;
    let resp = a
        .send_signed(http::Method::GET, &format!("/{BUCKET}/fresh"))
        .await;
    assert_eq!(cache(&resp).as_deref(), Some("miss"));
}

/// The cache bound holds while four times its size is written and read through the node:
/// the least recently used copies go (the cluster fills them again), and every read is
/// still the object's bytes.
#[tokio::test]
async fn the_cache_bound_holds() {
    const BOUND: u64 = 2 * 1024 * 1024;
    let cluster = TestServer::start().await;
    let endpoint = cluster.endpoint();
    let mut node = TestServer::start_with(|c| {
        c.backend = Some(BackendSettings {
            cache_bytes: BOUND,
            ..settings(endpoint)
        })
    })
    .await;
    node.create_bucket(BUCKET).await;
    let body = |i: usize| crate::support::server::pattern(100 * 1024, i as u8);
    for i in 0..80 {
        node.put(BUCKET, &format!("k{i:02}"), body(i)).await;
    }
    for round in 0..2 {
        for i in 0..80 {
            assert_eq!(
                node.get_bytes(BUCKET, &format!("k{i:02}")).await,
                body(i),
                "round {round}, k{i:02}"
            );
        }
    }
    // A pass runs every second; it reports what it did.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let metrics = node.metrics().await;
    let value = |name: &str| -> u64 {
        metrics
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0, |v| v as u64)
    };
    assert!(value("originstore_cache_evictions_total") > 0, "{metrics}");
    let reported = value("originstore_cache_bytes");
    assert!(reported > 0 && reported <= BOUND, "{metrics}");
    node.stop().await;
    let store =
        storage::Store::open(node.dir.path().join("data"), Default::default()).expect("opens");
    let held: u64 = store
        .list_objects(
            BUCKET,
            &storage::ListQuery {
                max_keys: 1000,
                ..Default::default()
            },
        )
        .expect("list")
        .objects
        .iter()
        .map(|m| m.size)
        .sum();
    assert!(
        held <= BOUND,
        "the node holds {held} bytes, over its bound of {BOUND}"
    );
    assert!(held > 0, "the most recently read stay cached");
    assert_eq!(cluster.keys(BUCKET).await.len(), 80, "all in the cluster");
}

/// A bucket at the cluster can still migrate from an old store: a key the cluster lacks
/// falls through to the bucket's own origin rule, and what it pulls is written through to
/// the cluster before the node keeps it (so every node finds it there afterwards).
#[tokio::test]
async fn a_cluster_miss_falls_through_to_the_buckets_origin() {
    let old = TestServer::with_bucket("legacy").await;
    let data = crate::support::server::pattern(700_000, 5);
    old.client
        .put_object()
        .bucket("legacy")
        .key("old/a.bin")
        .content_type("application/x-old")
        .body(data.clone().into())
        .send()
        .await
        .expect("seed the old store");
    old.put("legacy", "old/b.txt", "second").await;
    let (cluster, node) = cluster_and_node().await;
    let rule = format!(
        "<OriginConfiguration><OriginRule><RulePriority>1</RulePriority><OriginType>Mirror</OriginType>\
         <OriginCondition><HTTPStatusCode>404</HTTPStatusCode></OriginCondition>\
         <OriginParameter><Protocol>HTTP</Protocol></OriginParameter>\
         <OriginInfo><HostInfo>{}</HostInfo></OriginInfo></OriginRule></OriginConfiguration>",
        crate::origin::private_host(&old, "legacy", SECRET_KEY)
    );
    let resp = crate::origin::put_origin(&node, BUCKET, &rule).await;
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );

    // HEAD answers from the old store without pulling.
    let head = node
        .client
        .head_object()
        .bucket(BUCKET)
        .key("old/b.txt")
        .send()
        .await
        .expect("head through to the old store");
    assert_eq!(head.content_length(), Some(6));
    assert_eq!(cluster.get_error(BUCKET, "old/b.txt").await, "NoSuchKey");

    let got = node.get_object(BUCKET, "old/a.bin").await;
    assert_eq!(got.content_type(), Some("application/x-old"));
    assert_eq!(crate::support::server::body_of(got).await, data);
    // At the cluster now, with its headers: written through before it was kept.
    let at_cluster = cluster.get_object(BUCKET, "old/a.bin").await;
    assert_eq!(at_cluster.content_type(), Some("application/x-old"));
    assert_eq!(crate::support::server::body_of(at_cluster).await, data);
    // A key in neither is NoSuchKey; a key the cluster has is the cluster's.
    assert_eq!(node.get_error(BUCKET, "old/none").await, "NoSuchKey");
    cluster
        .put(BUCKET, "old/b.txt", "newer at the cluster")
        .await;
    assert_eq!(
        node.get_bytes(BUCKET, "old/b.txt").await,
        b"newer at the cluster"
    );

    // A backfill from the old store writes through too, and never over what the cluster
    // already has (it is asked first).
    old.put("legacy", "old/c.txt", "cold tail").await;
    old.put("legacy", "old/d.txt", "stale in the old store")
        .await;
    cluster.put(BUCKET, "old/d.txt", "the cluster's").await;
    let resp = node
        .signed(http::Method::PUT, &format!("/{BUCKET}?origin-backfill"))
        .body("<Backfill><Source>List</Source></Backfill>")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    let started = std::time::Instant::now();
    loop {
        let status = node
            .send_signed(http::Method::GET, &format!("/{BUCKET}?origin-backfill"))
            .await
            .text()
            .await
            .expect("status");
        if status.contains("<State>Completed</State>") {
            break;
        }
        assert!(!status.contains("<State>Failed"), "{status}");
        assert!(!status.contains("CompletedWithFailures"), "{status}");
        assert!(started.elapsed() < Duration::from_secs(20), "{status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(cluster.get_bytes(BUCKET, "old/c.txt").await, b"cold tail");
    assert_eq!(
        cluster.get_bytes(BUCKET, "old/d.txt").await,
        b"the cluster's"
    );
    assert_eq!(node.get_bytes(BUCKET, "old/d.txt").await, b"the cluster's");
}

/// Versioning is the cluster's: turned on through the node, each PUT's version id is the
/// cluster's, ListObjectVersions and reads of a version come from it, a versioned delete
/// removes the cluster's version; the lifecycle is the cluster's too.
#[tokio::test]
async fn versioning_and_lifecycle_are_the_clusters() {
    use aws_sdk_s3::types::BucketVersioningStatus;
    let (cluster, node) = cluster_and_node().await;
    node.set_versioning(BUCKET, BucketVersioningStatus::Enabled)
        .await;
    let at_cluster = cluster
        .client
        .get_bucket_versioning()
        .bucket(BUCKET)
        .send()
        .await
        .expect("versioning at the cluster");
    assert_eq!(at_cluster.status(), Some(&BucketVersioningStatus::Enabled));
    let mut versions = Vec::new();
    for body in ["one", "two"] {
        let put = node
            .client
            .put_object()
            .bucket(BUCKET)
            .key("v")
            .body(body.as_bytes().to_vec().into())
            .send()
            .await
            .expect("put");
        versions.push(
            put.version_id()
                .expect("the cluster's version id")
                .to_owned(),
        );
    }
    let listed = node
        .client
        .list_object_versions()
        .bucket(BUCKET)
        .send()
        .await
        .expect("versions");
    let ids: Vec<&str> = listed
        .versions()
        .iter()
        .filter_map(|v| v.version_id())
        .collect();
    assert_eq!(ids, [versions[1].as_str(), versions[0].as_str()]);
    let old = node
        .client
        .get_object()
        .bucket(BUCKET)
        .key("v")
        .version_id(&versions[0])
        .send()
        .await
        .expect("an old version through the node");
    assert_eq!(old.version_id(), Some(versions[0].as_str()));
    assert_eq!(crate::support::server::body_of(old).await, b"one");
    assert_eq!(node.get_bytes(BUCKET, "v").await, b"two");
    // Deleting the current version: the older one is current again, at the cluster and
    // through the node (its copy of "two" went with it).
    node.client
        .delete_object()
        .bucket(BUCKET)
        .key("v")
        .version_id(&versions[1])
        .send()
        .await
        .expect("versioned delete");
    assert_eq!(cluster.get_bytes(BUCKET, "v").await, b"one");
    assert_eq!(node.get_bytes(BUCKET, "v").await, b"one");

    let rule = aws_sdk_s3::types::LifecycleRule::builder()
        .id("expire-tmp")
        .filter(
            aws_sdk_s3::types::LifecycleRuleFilter::builder()
                .prefix("tmp/")
                .build(),
        )
        .status(aws_sdk_s3::types::ExpirationStatus::Enabled)
        .expiration(
            aws_sdk_s3::types::LifecycleExpiration::builder()
                .days(1)
                .build(),
        )
        .build()
        .expect("rule");
    node.client
        .put_bucket_lifecycle_configuration()
        .bucket(BUCKET)
        .lifecycle_configuration(
            aws_sdk_s3::types::BucketLifecycleConfiguration::builder()
                .rules(rule)
                .build()
                .expect("lifecycle"),
        )
        .send()
        .await
        .expect("lifecycle through the node");
    let at_cluster = cluster
        .client
        .get_bucket_lifecycle_configuration()
        .bucket(BUCKET)
        .send()
        .await
        .expect("lifecycle at the cluster");
    assert_eq!(at_cluster.rules()[0].id(), Some("expire-tmp"));
    let through_node = node
        .client
        .get_bucket_lifecycle_configuration()
        .bucket(BUCKET)
        .send()
        .await
        .expect("lifecycle through the node");
    assert_eq!(through_node.rules()[0].id(), Some("expire-tmp"));
}
