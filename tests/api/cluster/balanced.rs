//! Three nodes behind HAProxy (hashing each request's path on a consistent ring) in front
//! of a 3-node Garage cluster: a bucket created through one node is known to all; every
//! PUT through the balancer is in the cluster before its 200, and the balancer spreads the
//! keys over the nodes; ListObjectsV2 with prefix, delimiter and paging is the same through
//! every node as at the cluster; of 50 racing `If-None-Match: *` PUTs of one key exactly one
//! wins (Garage does not enforce the condition: the owner node serialises them).

use std::collections::BTreeSet;

use originstore::backend::{Addressing, BackendSettings};

use crate::support::garage::{Garage, KEY_ID, REGION, SECRET};
use crate::support::haproxy::Balancer;
use crate::support::server::{client_for, pattern, TestServer};

const BUCKET: &str = "balanced";

async fn node(garage: &Garage, n: usize) -> TestServer {
    let endpoint = garage.endpoints[n].clone();
    TestServer::start_with(|c| {
        c.backend = Some(BackendSettings {
            endpoint,
            region: REGION.into(),
            access_key: KEY_ID.into(),
            secret_key: SECRET.into(),
            cache_bytes: 1 << 30,
            node: Some(format!("node-{n}")),
            addressing: Addressing::Path,
            bucket_prefix: String::new(),
            revalidate_after_secs: 60,
        })
    })
    .await
}

/// Every entry of a ListObjectsV2 walk (`prefix`, `delimiter`, 7 per page), common
/// prefixes included, page after page.
async fn listing(
    client: &aws_sdk_s3::Client,
    prefix: &str,
    delimiter: Option<&str>,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .list_objects_v2()
            .bucket(BUCKET)
            .prefix(prefix)
            .set_delimiter(delimiter.map(str::to_owned))
            .max_keys(7)
            .set_continuation_token(token.take())
            .send()
            .await
            .expect("list");
        out.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key())
                .map(str::to_owned),
        );
        out.extend(
            page.common_prefixes()
                .iter()
                .filter_map(|p| p.prefix())
                .map(|p| format!("prefix:{p}")),
        );
        match page.next_continuation_token() {
            Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_owned()),
            _ => break,
        }
    }
    out
}

#[tokio::test]
async fn three_nodes_behind_haproxy_over_garage() {
    let garage = Garage::start();
    let nodes = [
        node(&garage, 0).await,
        node(&garage, 1).await,
        node(&garage, 2).await,
    ];
    let balancer = Balancer::start(&nodes.iter().map(|n| n.addr).collect::<Vec<_>>());
    let through = client_for(
        balancer.addr,
        crate::support::server::ACCESS_KEY,
        crate::support::server::SECRET_KEY,
    );
    through
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .expect("create through the balancer");

    // Garage spreads a new bucket's name to its other nodes within moments; the test
    // starts once every Garage node knows it (what follows is about objects).
    for n in 0..3 {
        let started = std::time::Instant::now();
        while garage
            .client(n)
            .head_bucket()
            .bucket(BUCKET)
            .send()
            .await
            .is_err()
        {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "Garage node {n} never learned the bucket"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    let at_cluster = garage.client(1);
    let mut served_by = BTreeSet::new();
    let mut keys = Vec::new();
    for i in 0..40usize {
        let key = format!("d{}/k{i:02}", i % 3);
        let body = pattern(1000 + i * 37, i as u8);
        through
            .put_object()
            .bucket(BUCKET)
            .key(&key)
            .body(body.clone().into())
            .send()
            .await
            .expect("put through the balancer");
        // In the cluster the moment the 200 came back.
        let got = at_cluster
            .get_object()
            .bucket(BUCKET)
            .key(&key)
            .send()
            .await
            .expect("in the cluster")
            .body
            .collect()
            .await
            .expect("body")
            .into_bytes();
        assert_eq!(got.as_ref(), body.as_slice(), "{key}");
        // Which node owns it (each answer, even a refusal, names its node).
        let head = reqwest::Client::new()
            .head(format!("{}/{BUCKET}/{key}", balancer.endpoint()))
            .send()
            .await
            .expect("head");
        if let Some(node) = head.headers().get("x-originstore-node") {
            served_by.insert(node.to_str().unwrap_or_default().to_owned());
        }
        keys.push(key);
    }
    assert!(
        served_by.len() >= 2,
        "the balancer spread the keys over the nodes: {served_by:?}"
    );

    // Listings are the same through every node as at the cluster.
    for (prefix, delimiter) in [("", None), ("", Some("/")), ("d1/", None), ("d2/k1", None)] {
        let expected = listing(&at_cluster, prefix, delimiter).await;
        assert!(!expected.is_empty());
        for node in &nodes {
            assert_eq!(
                listing(&node.client, prefix, delimiter).await,
                expected,
                "prefix {prefix:?}, delimiter {delimiter:?}"
            );
        }
    }
    // 50 racing `If-None-Match: *` PUTs of one key: exactly one wins. Garage does not
    // enforce the condition; the node that owns the key serialises them.
    let racers = (0..50).map(|i| {
        let through = through.clone();
        async move {
            through
                .put_object()
                .bucket(BUCKET)
                .key("lock-file")
                .if_none_match("*")
                .body(format!("racer {i}").into_bytes().into())
                .send()
                .await
        }
    });
    let results = futures::future::join_all(racers).await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    let refused = results
        .iter()
        .filter(|r| {
            r.as_ref()
                .err()
                .is_some_and(|e| crate::support::server::code(e) == "PreconditionFailed")
        })
        .count();
    assert_eq!((won, refused), (1, 49), "exactly one racer wins");

    // Every key reads back through the balancer.
    for (i, key) in keys.iter().enumerate() {
        let got = through
            .get_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .expect("get through the balancer")
            .body
            .collect()
            .await
            .expect("body")
            .into_bytes();
        assert_eq!(got.as_ref(), pattern(1000 + i * 37, i as u8).as_slice());
    }
}
