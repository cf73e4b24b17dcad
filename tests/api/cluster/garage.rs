//! A node in front of a real distributed engine: a 3-node Garage cluster on loopback
//! (replication factor 3). What the node acknowledged is in the cluster, read back through
//! another Garage node, a 3-part multipart upload included; what another writer put in the
//! cluster is filled and listed through the node; a delete through the node reaches the
//! cluster.
//!
//! Garage does not enforce conditional writes (`If-None-Match: *`), so no conditional
//! test runs against it here.

use crate::support::garage::{Garage, KEY_ID, REGION, SECRET};
use crate::support::server::{pattern, TestServer};

const BUCKET: &str = "through-garage";

async fn node_over(garage: &Garage) -> TestServer {
    let endpoint = garage.endpoints[0].clone();
    TestServer::start_with(|c| {
        c.backend = Some(super::backend(
            &endpoint,
            REGION,
            (KEY_ID, SECRET),
            "edge-a",
        ))
    })
    .await
}

async fn cluster_bytes(garage: &Garage, n: usize, key: &str) -> Option<Vec<u8>> {
    let out = garage
        .client(n)
        .get_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .ok()?;
    Some(
        out.body
            .collect()
            .await
            .expect("body")
            .into_bytes()
            .to_vec(),
    )
}

#[tokio::test]
async fn a_node_writes_through_to_garage_and_fills_from_it() {
    let garage = Garage::start();
    let node = node_over(&garage).await;
    node.create_bucket(BUCKET).await;
    garage
        .client(1)
        .head_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .expect("the bucket is in the cluster");

    // Acknowledged writes are in the cluster, read through another Garage node.
    for (i, size) in [0usize, 1, 70_000, 3 * 1024 * 1024 + 5]
        .into_iter()
        .enumerate()
    {
        let key = format!("written/{i}");
        let body = pattern(size, i as u8);
        node.put(BUCKET, &key, body.clone()).await;
        assert_eq!(
            cluster_bytes(&garage, 2, &key).await.as_deref(),
            Some(body.as_slice()),
            "{key} ({size} bytes) at the cluster"
        );
    }

    // Written by someone else at the cluster: filled and listed through the node.
    let elsewhere = pattern(200_000, 9);
    garage
        .client(2)
        .put_object()
        .bucket(BUCKET)
        .key("elsewhere/big")
        .body(elsewhere.clone().into())
        .send()
        .await
        .expect("put at the cluster");
    assert_eq!(node.get_bytes(BUCKET, "elsewhere/big").await, elsewhere);
    let listed = node
        .client
        .list_objects_v2()
        .bucket(BUCKET)
        .send()
        .await
        .expect("list");
    let keys: Vec<_> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(
        keys,
        [
            "elsewhere/big",
            "written/0",
            "written/1",
            "written/2",
            "written/3"
        ]
    );

    // A 3-part multipart upload through the node is Garage's own upload.
    let parts = vec![
        pattern(5 * 1024 * 1024, 4),
        pattern(5 * 1024 * 1024, 5),
        pattern(99, 6),
    ];
    super::upload_in_parts(&node.client, BUCKET, "multipart", &parts).await;
    assert_eq!(
        cluster_bytes(&garage, 1, "multipart").await,
        Some(parts.concat())
    );

    // A delete through the node reaches the cluster.
    node.client
        .delete_object()
        .bucket(BUCKET)
        .key("written/2")
        .send()
        .await
        .expect("delete");
    assert_eq!(cluster_bytes(&garage, 1, "written/2").await, None);
    assert_eq!(node.get_error(BUCKET, "written/2").await, "NoSuchKey");
}
