//! Bucket settings are every node's: a bucket created through one node, with its policy,
//! CORS and origin rules, is known to another node before that node's first answer about
//! it; a change made through one node reaches the other within the refresh interval (1 s
//! here), a removal too; a bucket deleted through one node leaves the other. The settings
//! live at the cluster, in `originstore-settings`; so do users, their keys, policies and
//! temporary credentials.

use std::time::{Duration, Instant};

use crate::support::server::{TestServer, ACCESS_KEY, SECRET_KEY};

const BUCKET: &str = "common";

/// A node named `name` in front of `cluster`, on the data directory `dir`.
async fn node_in(cluster: &TestServer, name: &str, dir: tempfile::TempDir) -> TestServer {
    node_with(cluster, name, dir, |_| {}).await
}

/// [`node_in`] with more configuration (`tweak`).
async fn node_with(
    cluster: &TestServer,
    name: &str,
    dir: tempfile::TempDir,
    tweak: impl FnOnce(&mut originstore::config::Config),
) -> TestServer {
    let endpoint = cluster.endpoint();
    TestServer::start_in(dir, |c| {
        c.backend = Some(super::backend(
            &endpoint,
            "us-east-1",
            (ACCESS_KEY, SECRET_KEY),
            name,
        ));
        tweak(c);
    })
    .await
}

/// A cluster (a plain originstore) and two nodes in front of it.
async fn cluster_and_two_nodes() -> (TestServer, TestServer, TestServer) {
    let cluster = TestServer::start().await;
    let a = node_in(&cluster, "edge-a", tempfile::tempdir().expect("tempdir")).await;
    let b = node_in(&cluster, "edge-b", tempfile::tempdir().expect("tempdir")).await;
    (cluster, a, b)
}

/// Wait until `check` holds (at most 10 s: ten refresh intervals); `what` names it.
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(Instant::now() < deadline, "{what} never held");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An anonymous GET of `key` in BUCKET through `node`: its status.
/// Wait until `client` reads `doc.txt` of the shared bucket (its credentials reached the
/// node it talks to).
async fn reads_doc_eventually(what: &str, client: &aws_sdk_s3::Client) {
    eventually(what, async || {
        client
            .get_object()
            .bucket(BUCKET)
            .key("doc.txt")
            .send()
            .await
            .is_ok()
    })
    .await;
}

async fn anonymous_get(node: &TestServer, key: &str) -> u16 {
    reqwest::get(node.url(&format!("/{BUCKET}/{key}")))
        .await
        .expect("sent")
        .status()
        .as_u16()
}

const PUBLIC_READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::common/*"}]}"#;

#[tokio::test]
async fn bucket_settings_made_through_one_node_reach_every_node() {
    let (cluster, a, b) = cluster_and_two_nodes().await;
    a.create_bucket(BUCKET).await;
    a.put(BUCKET, "doc.txt", "hello").await;
    a.client
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(PUBLIC_READ)
        .send()
        .await
        .expect("policy through a");
    // b has never seen the bucket: it adopts it with its policy before it answers.
    assert_eq!(anonymous_get(&b, "doc.txt").await, 200);

    // A change through a reaches b.
    let rule = aws_sdk_s3::types::CorsRule::builder()
        .allowed_methods("GET")
        .allowed_origins("https://app.example")
        .build()
        .expect("rule");
    a.client
        .put_bucket_cors()
        .bucket(BUCKET)
        .cors_configuration(
            aws_sdk_s3::types::CorsConfiguration::builder()
                .cors_rules(rule)
                .build()
                .expect("cors"),
        )
        .send()
        .await
        .expect("cors through a");
    eventually("b answers a's CORS", async || {
        b.client
            .get_bucket_cors()
            .bucket(BUCKET)
            .send()
            .await
            .is_ok_and(|c| c.cors_rules()[0].allowed_origins() == ["https://app.example"])
    })
    .await;
    let origin = "<OriginConfiguration><OriginRule><RulePriority>1</RulePriority>\
        <OriginType>Mirror</OriginType><OriginCondition><HTTPStatusCode>404</HTTPStatusCode>\
        </OriginCondition><OriginParameter><Protocol>HTTP</Protocol></OriginParameter>\
        <OriginInfo><HostInfo><HostName>old.example:8080</HostName></HostInfo></OriginInfo>\
        </OriginRule></OriginConfiguration>";
    let resp = crate::origin::put_origin(&a, BUCKET, origin).await;
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    eventually("b answers a's origin rules", async || {
        let resp = b
            .send_signed(http::Method::GET, &format!("/{BUCKET}?origin"))
            .await;
        resp.status() == 200
            && resp
                .text()
                .await
                .is_ok_and(|t| t.contains("old.example:8080"))
    })
    .await;
    // They are the cluster's: objects of its settings bucket.
    let kept = cluster.keys("originstore-settings").await;
    for setting in ["cors", "origin", "policy"] {
        let key = format!("buckets/{BUCKET}/setting/{setting}");
        assert!(kept.contains(&key), "{key} in {kept:?}");
    }

    // A removal through a reaches b: the object is no longer public there.
    a.client
        .delete_bucket_policy()
        .bucket(BUCKET)
        .send()
        .await
        .expect("policy removed through a");
    eventually("b refuses the anonymous read", async || {
        anonymous_get(&b, "doc.txt").await == 403
    })
    .await;

    // A bucket deleted through a leaves b (its cached copy of doc.txt with it).
    a.client
        .delete_object()
        .bucket(BUCKET)
        .key("doc.txt")
        .send()
        .await
        .expect("delete");
    a.client
        .delete_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .expect("bucket deleted through a");
    eventually("b no longer has the bucket", async || {
        b.client.head_bucket().bucket(BUCKET).send().await.is_err()
            && b.client
                .list_buckets()
                .send()
                .await
                .is_ok_and(|l| l.buckets().iter().all(|x| x.name() != Some(BUCKET)))
    })
    .await;
    assert!(
        cluster
            .keys("originstore-settings")
            .await
            .iter()
            .all(|k| !k.starts_with(&format!("buckets/{BUCKET}/"))),
        "nothing of the bucket is left at the cluster"
    );
}

/// A node that was down while another node changed a bucket's settings takes the
/// cluster's before it answers again.
#[tokio::test]
async fn a_restarted_node_takes_the_settings_changed_while_it_was_down() {
    let (cluster, a, mut b) = cluster_and_two_nodes().await;
    a.create_bucket(BUCKET).await;
    a.put(BUCKET, "doc.txt", "hello").await;
    // b knows the bucket, private.
    assert_eq!(anonymous_get(&b, "doc.txt").await, 403);
    b.stop().await;
    a.client
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(PUBLIC_READ)
        .send()
        .await
        .expect("policy through a");
    let dir = std::mem::replace(&mut b.dir, tempfile::tempdir().expect("tempdir"));
    let b = node_in(&cluster, "edge-b", dir).await;
    assert_eq!(anonymous_get(&b, "doc.txt").await, 200);
}

/// Users are every node's: a user and key created through one node sign on the other
/// within the refresh interval, its policy holds there, a second key (rotation) reaches it
/// too, and its removal stops it there; temporary credentials issued by one node work on
/// the other. The nodes share the key that seals secrets (`secrets_key_file`).
#[tokio::test]
async fn users_made_through_one_node_sign_on_every_node() {
    use crate::support::server::{client_for, session_client_for};
    let cluster = TestServer::start().await;
    let keys = tempfile::tempdir().expect("tempdir");
    let key_file = keys.path().join("secrets.key");
    let node = |name: &'static str| {
        let endpoint = cluster.endpoint();
        let key_file = key_file.clone();
        async move {
            TestServer::start_in(tempfile::tempdir().expect("tempdir"), move |c| {
                c.backend = Some(super::backend(
                    &endpoint,
                    "us-east-1",
                    (ACCESS_KEY, SECRET_KEY),
                    name,
                ));
                c.secrets_key_file = Some(key_file);
            })
            .await
        }
    };
    let a = node("edge-a").await;
    let b = node("edge-b").await;
    a.create_bucket(BUCKET).await;
    a.put(BUCKET, "doc.txt", "hello").await;
    let (_, created) = a
        .admin(http::Method::POST, "users", r#"{"name":"ana"}"#)
        .await;
    let (ak, sk) = (
        created["access_key"].as_str().expect("key").to_owned(),
        created["secret_key"].as_str().expect("secret").to_owned(),
    );
    let readonly = originstore::users::canned::policy("readonly", Some(BUCKET)).expect("canned");
    let (status, _) = a
        .admin(http::Method::PUT, "users/ana/policies/ro", &readonly)
        .await;
    assert_eq!(status, 200);
    let on_b = client_for(b.addr, &ak, &sk);
    reads_doc_eventually("ana's key signs on b", &on_b).await;
    assert!(
        on_b.put_object()
            .bucket(BUCKET)
            .key("w")
            .body(b"x".to_vec().into())
            .send()
            .await
            .is_err(),
        "her read-only policy holds on b"
    );
    // Temporary credentials made by a sign on b.
    let session = a
        .server()
        .state()
        .directory
        .assume("ana", 900, None)
        .await
        .expect("assume");
    let temp = session_client_for(
        b.addr,
        &session.access_key,
        &session.secret_key,
        Some(&session.token),
    );
    reads_doc_eventually("a's session works on b", &temp).await;
    // Removed through b: refused on a.
    let (status, _) = b.admin(http::Method::DELETE, "users/ana", "").await;
    assert_eq!(status, 200);
    let on_a = client_for(a.addr, &ak, &sk);
    eventually("ana is refused on a", async || {
        on_a.get_object()
            .bucket(BUCKET)
            .key("doc.txt")
            .send()
            .await
            .is_err()
    })
    .await;
    assert!(
        cluster
            .keys("originstore-settings")
            .await
            .iter()
            .all(|k| !k.starts_with("server/user/")),
        "nothing of ana is left at the cluster"
    );
}

/// Notifications in cluster mode: a configuration set through one node is every node's
/// (a shared setting), and each node queues the events of the writes it acknowledged.
#[tokio::test]
async fn a_notification_configuration_set_through_one_node_serves_writes_through_another() {
    let hook = crate::notify::Receiver::start().await;
    let cluster = TestServer::start().await;
    let node = |name: &'static str| {
        let url = hook.url.clone();
        node_with(
            &cluster,
            name,
            tempfile::tempdir().expect("tempdir"),
            move |c| {
                c.notify.targets.push(crate::notify::target(&format!(
                    "id = \"hooks\"\nkind = \"webhook\"\nurl = \"{url}\""
                )));
            },
        )
    };
    let a = node("edge-a").await;
    let b = node("edge-b").await;
    a.create_bucket(BUCKET).await;
    let xml = format!(
        "<NotificationConfiguration>{}</NotificationConfiguration>",
        crate::notify::queue_config(
            "arn:originstore:sqs::hooks:webhook",
            &["s3:ObjectCreated:*"],
            "",
            ""
        )
    );
    let (status, body) = crate::notify::put_config(&a, BUCKET, &xml).await;
    assert_eq!(status, 200, "{body}");
    eventually("the other node follows the configuration", async || {
        let got = b
            .send_signed(http::Method::GET, &format!("/{BUCKET}?notification"))
            .await;
        got.text()
            .await
            .is_ok_and(|t| t.contains("arn:originstore:sqs::hooks:webhook"))
    })
    .await;
    b.put(BUCKET, "via-b.txt", "written through b").await;
    a.put(BUCKET, "via-a.txt", "written through a").await;
    let got = hook.wait_for(3).await;
    let mut events = crate::notify::names_and_keys(&got);
    events.sort();
    assert_eq!(
        events,
        [
            ("ObjectCreated:Put".to_owned(), "via-a.txt".to_owned()),
            ("ObjectCreated:Put".to_owned(), "via-b.txt".to_owned()),
        ],
        "each node told of the write it acknowledged"
    );
}
