//! Every event kind reaches a webhook with AWS's record, signed (HMAC-SHA256 of the body)
//! and with its bearer token; filters by prefix and suffix; the test event on
//! configuration; what AWS refuses in a configuration; the live stream; a target that
//! never answers ends in dead letters that the admin API shows and redrives.

use std::time::Duration;

use futures::StreamExt as _;
use serde_json::Value;

use super::{names_and_keys, put_config, put_config_as, queue_config, target, Receiver};
use crate::support::process::{boto3_script, AK, SK};
use crate::support::server::{client_for, xml_code, TestServer};

const ARN: &str = "arn:originstore:sqs::hooks:webhook";

#[tokio::test]
async fn every_event_kind_reaches_a_webhook_with_its_record() {
    let hook = Receiver::start().await;
    let url = hook.url.clone();
    let s = TestServer::start_with(move |c| {
        c.users.push(originstore::identity::User { access_key: AK.into(), secret_key: SK.into() });
        c.lifecycle_day = Duration::from_secs(1);
        c.notify.targets.push(target(&format!(
            "id = \"hooks\"\nkind = \"webhook\"\nurl = \"{url}\"\nsecret = \"s3cr3t\"\ntoken = \"tok\""
        )));
    })
    .await;
    let client = client_for(s.addr, AK, SK);
    client
        .create_bucket()
        .bucket("events")
        .send()
        .await
        .expect("bucket");

    // What AWS refuses.
    let unknown = queue_config(
        "arn:originstore:sqs::nope:webhook",
        &["s3:ObjectCreated:*"],
        "",
        "",
    );
    let (status, body) = put_config_as(
        &s,
        (AK, SK),
        "events",
        &format!("<NotificationConfiguration>{unknown}</NotificationConfiguration>"),
    )
    .await;
    assert_eq!(
        (status, xml_code(&body)),
        (400, "InvalidArgument".into()),
        "{body}"
    );
    let overlapping = format!(
        "<NotificationConfiguration>{}{}</NotificationConfiguration>",
        queue_config(ARN, &["s3:ObjectCreated:*"], "in/", ""),
        queue_config(ARN, &["s3:ObjectCreated:Put"], "in/deeper/", "")
    );
    let (status, body) = put_config_as(&s, (AK, SK), "events", &overlapping).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("overlap"), "{body}");

    // Everything under in/ (and tagging/ACL under in/ too), nothing else; a test event first.
    let config = format!(
        "<NotificationConfiguration>{}</NotificationConfiguration>",
        queue_config(
            ARN,
            &[
                "s3:ObjectCreated:*",
                "s3:ObjectRemoved:*",
                "s3:ObjectTagging:*",
                "s3:ObjectAcl:Put",
                "s3:LifecycleExpiration:*"
            ],
            "in/",
            ""
        )
    );
    let (status, body) = put_config_as(&s, (AK, SK), "events", &config).await;
    assert_eq!(status, 200, "{body}");
    let first = hook.wait_for(1).await;
    assert_eq!(first[0]["Event"], "s3:TestEvent", "{first:?}");
    assert_eq!(first[0]["Bucket"], "events");
    let stored = crate::support::server::signed_request(
        &s.endpoint(),
        (AK, SK),
        http::Method::GET,
        "/events?notification",
        http::HeaderMap::new(),
    )
    .send()
    .await
    .expect("sent")
    .text()
    .await
    .expect("body");
    assert!(
        stored.contains(ARN) && stored.contains("<Id>notification-1</Id>"),
        "{stored}"
    );

    // The live stream, opened before the writes.
    let live = crate::support::server::signed_request(
        &s.endpoint(),
        (AK, SK),
        http::Method::GET,
        "/events?events&prefix=in/",
        http::HeaderMap::new(),
    )
    .send()
    .await
    .expect("stream");
    assert_eq!(live.headers()["content-type"], "application/x-ndjson");
    let mut live = live.bytes_stream();

    client
        .put_bucket_versioning()
        .bucket("events")
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("versioning");
    let put = client
        .put_object()
        .bucket("events")
        .key("in/a b+c.txt")
        .body(b"hello".to_vec().into())
        .send()
        .await
        .expect("put");
    client
        .put_object()
        .bucket("events")
        .key("out/ignored")
        .body(b"x".to_vec().into())
        .send()
        .await
        .expect("put outside");
    client
        .copy_object()
        .bucket("events")
        .key("in/copy")
        .copy_source("events/in/a%20b%2Bc.txt")
        .send()
        .await
        .expect("copy");
    let upload = client
        .create_multipart_upload()
        .bucket("events")
        .key("in/mp")
        .send()
        .await
        .expect("create");
    let id = upload.upload_id().expect("id");
    let part = client
        .upload_part()
        .bucket("events")
        .key("in/mp")
        .upload_id(id)
        .part_number(1)
        .body(vec![7u8; 100].into())
        .send()
        .await
        .expect("part");
    client
        .complete_multipart_upload()
        .bucket("events")
        .key("in/mp")
        .upload_id(id)
        .multipart_upload(crate::support::server::completed(&[part
            .e_tag()
            .expect("etag")
            .to_owned()]))
        .send()
        .await
        .expect("complete");
    // A form upload (boto3's presigned POST).
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = boto3_script(
        "presigned_post.py",
        &s.endpoint(),
        tmp.path(),
        &["events", "in/posted", "s3v4"],
    );
    let post: Value = serde_json::from_slice(&out.stdout).expect("boto3's form");
    let fields: Vec<(String, String)> = post["fields"]
        .as_object()
        .expect("fields")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("string").to_owned()))
        .collect();
    let posted = crate::s3::post_object::post_form(
        post["url"].as_str().expect("url"),
        crate::s3::post_object::form_body(&fields, Some(("f.txt", b"posted")), &[]),
    )
    .await;
    assert!(
        posted.status().is_success(),
        "{}",
        posted.text().await.unwrap_or_default()
    );
    let tags = aws_sdk_s3::types::Tagging::builder()
        .tag_set(
            aws_sdk_s3::types::Tag::builder()
                .key("k")
                .value("v")
                .build()
                .expect("tag"),
        )
        .build()
        .expect("tagging");
    client
        .put_object_tagging()
        .bucket("events")
        .key("in/copy")
        .tagging(tags)
        .send()
        .await
        .expect("tag");
    client
        .delete_object_tagging()
        .bucket("events")
        .key("in/copy")
        .send()
        .await
        .expect("untag");
    client
        .put_object_acl()
        .bucket("events")
        .key("in/copy")
        .acl(aws_sdk_s3::types::ObjectCannedAcl::Private)
        .send()
        .await
        .expect("acl");
    let marker = client
        .delete_object()
        .bucket("events")
        .key("in/copy")
        .send()
        .await
        .expect("delete");
    assert_eq!(marker.delete_marker(), Some(true));
    let version = put.version_id().expect("a version").to_owned();
    client
        .delete_object()
        .bucket("events")
        .key("in/a b+c.txt")
        .version_id(&version)
        .send()
        .await
        .expect("delete version");
    let batch = aws_sdk_s3::types::Delete::builder()
        .objects(
            aws_sdk_s3::types::ObjectIdentifier::builder()
                .key("in/mp")
                .build()
                .expect("id"),
        )
        .build()
        .expect("delete");
    client
        .delete_objects()
        .bucket("events")
        .delete(batch)
        .send()
        .await
        .expect("delete objects");

    let expected = [
        ("ObjectCreated:Put", "in/a+b%2Bc.txt"),
        ("ObjectCreated:Copy", "in/copy"),
        ("ObjectCreated:CompleteMultipartUpload", "in/mp"),
        ("ObjectCreated:Post", "in/posted"),
        ("ObjectTagging:Put", "in/copy"),
        ("ObjectTagging:Delete", "in/copy"),
        ("ObjectAcl:Put", "in/copy"),
        ("ObjectRemoved:DeleteMarkerCreated", "in/copy"),
        ("ObjectRemoved:Delete", "in/a+b%2Bc.txt"),
        ("ObjectRemoved:DeleteMarkerCreated", "in/mp"),
    ];
    let got = hook.wait_for(1 + expected.len()).await;
    let seen = names_and_keys(&got[1..]);
    let want: Vec<(String, String)> = expected
        .iter()
        .map(|(n, k)| ((*n).to_owned(), (*k).to_owned()))
        .collect();
    assert_eq!(seen, want, "every event, in order, none for out/");

    // The record of the first PUT, field by field.
    let record = &got[1]["Records"][0];
    assert_eq!(record["eventVersion"], "2.1");
    assert_eq!(record["eventSource"], "aws:s3");
    assert_eq!(record["awsRegion"], "us-east-1");
    assert_eq!(record["s3"]["bucket"]["name"], "events");
    assert_eq!(record["s3"]["object"]["size"], 5);
    assert_eq!(
        record["s3"]["object"]["eTag"],
        put.e_tag().expect("etag").trim_matches('"')
    );
    assert_eq!(record["s3"]["object"]["versionId"], version.as_str());
    assert_eq!(record["s3"]["configurationId"], "notification-1");
    assert_eq!(record["userIdentity"]["principalId"], AK);
    assert_eq!(record["requestParameters"]["sourceIPAddress"], "127.0.0.1");
    assert!(record["eventTime"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    // Sequencers grow for a key.
    let seq = |i: usize| {
        got[i]["Records"][0]["s3"]["object"]["sequencer"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        seq(2) < seq(5) && seq(5) < seq(6),
        "sequencers of in/copy grow"
    );
    // Signed and authorised.
    let (headers, _, _) = hook.got.lock().expect("lock")[1].clone();
    assert_eq!(headers["authorization"], "Bearer tok");
    let signature = headers["x-originstore-signature"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        signature.starts_with("sha256=") && signature.len() == 7 + 64,
        "{signature}"
    );

    // The live stream saw the same events.
    let mut lines = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut buffer = String::new();
    while lines.len() < expected.len() && tokio::time::Instant::now() < deadline {
        if let Ok(Some(Ok(chunk))) = tokio::time::timeout(Duration::from_secs(1), live.next()).await
        {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find('\n') {
                let line: String = buffer.drain(..=end).collect();
                if !line.trim().is_empty() {
                    lines.push(serde_json::from_str::<Value>(&line).expect("a JSON line"));
                }
            }
        }
    }
    assert_eq!(names_and_keys(&lines), want, "the live stream");

    // A lifecycle expiration is an event too.
    use crate::s3::lifecycle::{prefix_rule, set_rules};
    let expire = aws_sdk_s3::types::LifecycleExpiration::builder()
        .days(1)
        .build();
    let rule = prefix_rule("expire", "in/posted")
        .expiration(expire)
        .build()
        .expect("rule");
    set_rules(&client, "events", vec![rule]).await;
    let got = hook.wait_for(2 + expected.len()).await;
    let last = names_and_keys(&got[1 + expected.len()..]);
    assert_eq!(
        last,
        [(
            "LifecycleExpiration:DeleteMarkerCreated".to_owned(),
            "in/posted".to_owned()
        )]
    );
}

/// The HMAC signature is of the exact body.
#[tokio::test]
async fn a_signed_webhook_body_verifies() {
    let hook = Receiver::start().await;
    let url = hook.url.clone();
    let s = TestServer::start_with(move |c| {
        c.notify.targets.push(target(&format!(
            "id = \"hooks\"\nkind = \"webhook\"\nurl = \"{url}\"\nsecret = \"s3cr3t\""
        )));
    })
    .await;
    s.create_bucket("sig").await;
    let config = format!(
        "<NotificationConfiguration>{}</NotificationConfiguration>",
        queue_config(ARN, &["s3:ObjectCreated:*"], "", ".jpg")
    );
    assert_eq!(put_config(&s, "sig", &config).await.0, 200);
    s.put("sig", "skipped.png", "no").await;
    s.put("sig", "kept.jpg", "yes").await;
    hook.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        names_and_keys(&hook.bodies()[1..]),
        [("ObjectCreated:Put".to_owned(), "kept.jpg".to_owned())],
        "the suffix filter"
    );
    let (headers, _, raw) = hook.got.lock().expect("lock")[1].clone();
    let mac = originstore::auth::sigv4::hmac_sha256(b"s3cr3t", &raw);
    assert_eq!(
        headers["x-originstore-signature"],
        format!("sha256={}", hex::encode(mac))
    );
}

/// A target that never answers: its events become dead letters after max_attempts, the
/// admin API and /metrics show them, and a redrive delivers them once it answers.
#[tokio::test]
async fn dead_letters_are_kept_shown_and_redriven() {
    let port = crate::support::brokers::free_port();
    let s = TestServer::start_with(move |c| {
        c.notify.targets.push(target(&format!(
            "id = \"down\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:{port}/events\"\nmax_attempts = 2"
        )));
    })
    .await;
    s.create_bucket("deadl").await;
    let config = format!(
        "<NotificationConfiguration>{}</NotificationConfiguration>",
        queue_config(
            "arn:originstore:sqs::down:webhook",
            &["s3:ObjectCreated:*"],
            "",
            ""
        )
    );
    let mut skip = http::HeaderMap::new();
    skip.insert(
        "x-amz-skip-destination-validation",
        http::HeaderValue::from_static("true"),
    );
    let resp = s
        .signed_with(http::Method::PUT, "/deadl?notification", skip)
        .body(config)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
    s.put("deadl", "k", "v").await;
    let mut shown = Value::Null;
    for _ in 0..100 {
        let (_, targets) = s.admin(http::Method::GET, "notify/targets", "").await;
        shown = targets["targets"][0].clone();
        if shown["dead_letters"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(shown["dead_letters"], 1, "{shown}");
    assert_eq!(shown["arn"], "arn:originstore:sqs::down:webhook");
    assert!(
        shown["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("webhook")),
        "{shown}"
    );
    let metrics = s.metrics().await;
    assert!(
        metrics.contains("originstore_notify_dead_letters_total{target=\"down\"} 1"),
        "{metrics}"
    );

    // The target comes up on its port: a redrive delivers the dead letter.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind the target's port");
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Value>::new()));
    let keep = got.clone();
    let app = axum::Router::new().fallback(move |body: bytes::Bytes| {
        let keep = keep.clone();
        async move {
            keep.lock()
                .expect("lock")
                .push(serde_json::from_slice(&body).expect("json"));
            http::StatusCode::OK
        }
    });
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let (status, redriven) = s
        .admin(http::Method::POST, "notify/targets/down/redrive", "")
        .await;
    assert_eq!(
        (status, redriven["requeued"].clone()),
        (200, Value::from(1)),
        "{redriven}"
    );
    for _ in 0..100 {
        if !got.lock().expect("lock").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let delivered = got.lock().expect("lock").clone();
    assert_eq!(
        names_and_keys(&delivered),
        [("ObjectCreated:Put".to_owned(), "k".to_owned())]
    );
    server.abort();
}

/// Origin notifications an older release queued (one queue of `{webhook, document}`
/// records) are delivered by the `[origin] webhooks` target with the same URL after the
/// upgrade, then gone from the old queue.
#[tokio::test]
async fn origin_notifications_queued_by_an_older_release_are_delivered() {
    let hook = Receiver::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = storage::Store::open(dir.path().join("data"), storage::StoreOptions::default())
            .expect("store");
        let legacy = serde_json::json!({
            "webhook": hook.url,
            "document": {"Records": [{"eventName": "ObjectCreated:Origin", "s3": {"object": {"key": "old"}}}]},
        });
        store
            .enqueue_event(legacy.to_string().as_bytes())
            .await
            .expect("a record in the old queue");
    }
    let url = hook.url.clone();
    let s = TestServer::start_in(dir, move |c| c.origin.webhooks = vec![url]).await;
    let got = hook.wait_for(1).await;
    assert_eq!(
        names_and_keys(&got),
        [("ObjectCreated:Origin".to_owned(), "old".to_owned())]
    );
    assert!(s
        .server()
        .state()
        .store
        .queued_events(10)
        .expect("old queue")
        .is_empty());
}
