//! Three nodes behind HAProxy (hashing each request's path on a consistent ring) in front
//! of a 3-node Garage cluster: a bucket created through one node is known to all; every
//! PUT through the balancer is in the cluster before its 200, and the balancer spreads the
//! keys over the nodes; ListObjectsV2 with prefix, delimiter and paging is the same through
//! every node as at the cluster; of 50 racing `If-None-Match: *` PUTs of one key exactly one
//! wins (Garage does not enforce the condition: the owner node serialises them); a 3-part
//! multipart upload goes through; kill -9 of a node under load loses no acknowledged write;
//! adding a node moves about a quarter of the keys to it, and fills only those.

use std::collections::BTreeSet;

use crate::support::garage::{Garage, KEY_ID, REGION, SECRET};
use crate::support::haproxy::Balancer;
use crate::support::process::{ServeProcess, AK, SK};
use crate::support::server::{client_for, pattern, signed_request, TestServer};

const BUCKET: &str = "balanced";

async fn create_through(through: &aws_sdk_s3::Client) {
    through
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .expect("create through the balancer");
}

async fn node(garage: &Garage, n: usize) -> TestServer {
    named_node(garage, n, &format!("node-{n}")).await
}

/// A node named `name` in front of Garage node `n`.
async fn named_node(garage: &Garage, n: usize, name: &str) -> TestServer {
    let endpoint = garage.endpoints[n].clone();
    TestServer::start_with(|c| {
        c.backend = Some(super::backend(&endpoint, REGION, (KEY_ID, SECRET), name))
    })
    .await
}

/// Three nodes over `garage` (one per Garage node) behind HAProxy, BUCKET created through
/// the balancer and spread through Garage; a client of the balancer.
async fn three_nodes_with_bucket(
    garage: &Garage,
) -> (Vec<TestServer>, Balancer, aws_sdk_s3::Client) {
    let nodes = vec![
        node(garage, 0).await,
        node(garage, 1).await,
        node(garage, 2).await,
    ];
    let balancer = Balancer::start(&nodes.iter().map(|n| n.addr).collect::<Vec<_>>());
    let through = client_for(
        balancer.addr,
        crate::support::server::ACCESS_KEY,
        crate::support::server::SECRET_KEY,
    );
    create_through(&through).await;
    // Garage spreads a new bucket's name to its other nodes within moments; what follows
    // is about objects.
    garage.await_bucket(BUCKET).await;
    (nodes, balancer, through)
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
    let (nodes, balancer, through) = three_nodes_with_bucket(&garage).await;
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

    // A 3-part multipart upload through the balancer: every part reaches the node that
    // owns the key (the hash is on the path, never on the uploadId), and the cluster has
    // the whole.
    let parts = [
        pattern(5 * 1024 * 1024, 1),
        pattern(5 * 1024 * 1024, 2),
        pattern(1234, 3),
    ];
    super::upload_in_parts(&through, BUCKET, "d0/multipart", &parts).await;
    let whole = parts.concat();
    let got = at_cluster
        .get_object()
        .bucket(BUCKET)
        .key("d0/multipart")
        .send()
        .await
        .expect("the upload is in the cluster")
        .body
        .collect()
        .await
        .expect("body")
        .into_bytes();
    assert!(
        got.as_ref() == whole.as_slice(),
        "the cluster has the 3 parts in order"
    );

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

/// `originstore serve` processes as cluster nodes over `garage`, configured by file as an
/// operator would.
fn node_processes(garage: &Garage, dir: &std::path::Path) -> Vec<ServeProcess> {
    (0..3)
        .map(|n| {
            let config = dir.join(format!("node-{n}.toml"));
            std::fs::write(
                &config,
                format!(
                    "[backend]\nendpoint = \"{}\"\nregion = \"{REGION}\"\n\
                     access_key = \"{KEY_ID}\"\nsecret_key = \"{SECRET}\"\nnode = \"node-{n}\"\n",
                    garage.endpoints[n]
                ),
            )
            .expect("config");
            ServeProcess::start_with_config(&dir.join(format!("data-{n}")), Some(&config))
        })
        .collect()
}

/// kill -9 of one of three nodes under mixed load (writers and readers through HAProxy):
/// afterwards every write that was acknowledged is in the cluster and reads back through
/// the balancer, the dead node's keys served by the others through fills. Then keys are
/// overwritten through the balancer while the node is down, and the node is restarted on
/// its data directory and port: it serves the new bodies (it revalidates what it held).
#[tokio::test]
async fn killing_a_node_under_load_loses_no_acknowledged_write() {
    use std::sync::{Arc, Mutex};
    let garage = Garage::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut nodes = node_processes(&garage, dir.path());
    let addrs: Vec<std::net::SocketAddr> = nodes
        .iter()
        .map(|n| {
            n.endpoint
                .trim_start_matches("http://")
                .parse()
                .expect("addr")
        })
        .collect();
    let balancer = Balancer::start(&addrs);
    let through = client_for(balancer.addr, AK, SK);
    create_through(&through).await;
    // Garage spreads a new bucket's name to its other nodes within moments; what follows
    // is about objects.
    garage.await_bucket(BUCKET).await;

    // (key, body) of every write the balancer answered 200.
    type Acked = Arc<Mutex<Vec<(String, Vec<u8>)>>>;
    let acknowledged: Acked = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut load = Vec::new();
    for writer in 0..6u8 {
        let (through, acked, stop) = (through.clone(), acknowledged.clone(), stop.clone());
        load.push(tokio::spawn(async move {
            let mut i = 0usize;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let key = format!("w{writer}/{i:04}");
                let body = pattern(2000 + i * 13, writer.wrapping_add(i as u8));
                let put = through
                    .put_object()
                    .bucket(BUCKET)
                    .key(&key)
                    .body(body.clone().into())
                    .send()
                    .await;
                if put.is_ok() {
                    acked.lock().expect("lock").push((key, body));
                }
                // A read of something acknowledged, for mixed traffic.
                let earlier = {
                    let acked = acked.lock().expect("lock");
                    acked.get(i / 2).map(|(k, _)| k.clone())
                };
                if let Some(earlier) = earlier {
                    let _ = through
                        .get_object()
                        .bucket(BUCKET)
                        .key(earlier)
                        .send()
                        .await;
                }
                i += 1;
            }
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let early = acknowledged.lock().expect("lock").clone();
    nodes.remove(1).kill9();
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for task in load {
        task.await.expect("load task");
    }

    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(acknowledged.len() > 50, "load ran: {}", acknowledged.len());
    let at_cluster = garage.client(2);
    for (key, body) in &acknowledged {
        let got = through
            .get_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{key} was acknowledged but does not read back: {e:?}"))
            .body
            .collect()
            .await
            .expect("body")
            .into_bytes();
        assert_eq!(got.as_ref(), body.as_slice(), "{key} through the balancer");
        let in_cluster = at_cluster
            .get_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{key} was acknowledged but is not in the cluster: {e:?}"));
        assert_eq!(
            in_cluster.content_length(),
            Some(body.len() as i64),
            "{key}"
        );
    }

    // While node-1 is down, overwrite what was written before its death (a third of it
    // is node-1's, cached there); then bring node-1 back on its data directory and port.
    for (key, _) in &early {
        through
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .body(format!("newer {key}").into_bytes().into())
            .send()
            .await
            .expect("overwrite while node-1 is down");
    }
    let _node1 = ServeProcess::restart_on(
        &dir.path().join("data-1"),
        &dir.path().join("node-1.toml"),
        &addrs[1].to_string(),
    );
    let back = std::time::Instant::now();
    'up: loop {
        for (key, _) in &early {
            if owner(&balancer, key).await == "node-1" {
                break 'up;
            }
        }
        assert!(
            back.elapsed().as_secs() < 10,
            "HAProxy never marked node-1 up"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let (mut on_node1, mut revalidated) = (0, 0);
    for (key, _) in &early {
        let resp = signed_request(
            &balancer.endpoint(),
            (AK, SK),
            http::Method::GET,
            &format!("/{BUCKET}/{key}"),
            http::HeaderMap::new(),
        )
        .send()
        .await
        .expect("get after the restart");
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        if header("x-originstore-node") == "node-1" {
            on_node1 += 1;
            if header("x-originstore-cache") == "revalidated" {
                revalidated += 1;
            }
        }
        let body = resp.bytes().await.expect("body");
        assert_eq!(body.as_ref(), format!("newer {key}").as_bytes(), "{key}");
    }
    assert!(on_node1 > 0, "node-1 serves its keys again");
    assert!(
        revalidated > 0,
        "node-1 revalidated what it held ({revalidated} of its {on_node1} keys)"
    );
}

/// The node that answered `key` through `balancer` (every answer names it).
async fn owner(balancer: &Balancer, key: &str) -> String {
    let resp = reqwest::Client::new()
        .head(format!("{}/{BUCKET}/{key}", balancer.endpoint()))
        .send()
        .await
        .expect("head");
    resp.headers()
        .get("x-originstore-node")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The requests `node` sent to the cluster for BUCKET's objects (its fills and
/// revalidations), from its metrics.
async fn cluster_requests(node: &TestServer) -> u64 {
    let text = reqwest::get(format!("{}/metrics", node.endpoint()))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let line = format!("originstore_origin_requests_total{{bucket=\"{BUCKET}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(line.as_str()))
        .map_or(0, |n| n.trim().parse().expect("a count"))
}

/// A fourth node joins (the balancer's ring grows from three servers to four): about a
/// quarter of the keys move, all of them to the new node, and reading every key afterwards
/// costs the cluster one GET per moved key and nothing for the others (their owners still
/// hold them).
#[tokio::test]
async fn adding_a_node_moves_a_share_of_the_keys_and_fills_only_those() {
    const KEYS: usize = 120;
    let garage = Garage::start();
    let (mut nodes, three, through) = three_nodes_with_bucket(&garage).await;
    let keys: Vec<String> = (0..KEYS).map(|i| format!("item/{i:03}")).collect();
    let mut before = Vec::new();
    for key in &keys {
        through
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .body(key.as_bytes().to_vec().into())
            .send()
            .await
            .expect("put through three nodes");
        before.push(owner(&three, key).await);
    }

    // The fourth node, as the fourth server of a new balancer (the same three first).
    nodes.push(named_node(&garage, 0, "node-3").await);
    let four = Balancer::start(&nodes.iter().map(|n| n.addr).collect::<Vec<_>>());
    let mut asked = 0;
    for node in &nodes {
        asked += cluster_requests(node).await;
    }
    let through = client_for(
        four.addr,
        crate::support::server::ACCESS_KEY,
        crate::support::server::SECRET_KEY,
    );
    let mut moved = 0u64;
    for (key, was) in keys.iter().zip(&before) {
        let got = through
            .get_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .expect("get through four nodes");
        let body = got.body.collect().await.expect("body").into_bytes();
        assert_eq!(body.as_ref(), key.as_bytes());
        let is = owner(&four, key).await;
        if &is != was {
            assert_eq!(is, "node-3", "{key} moved from {was} to the new node only");
            moved += 1;
        }
    }
    let share = moved as f64 / KEYS as f64;
    assert!(
        (0.08..=0.45).contains(&share),
        "about a quarter of the keys moved: {moved} of {KEYS}"
    );
    let mut asked_after = 0;
    for node in &nodes {
        asked_after += cluster_requests(node).await;
    }
    assert_eq!(
        asked_after - asked,
        moved,
        "one cluster GET per moved key, none for the others"
    );
}
