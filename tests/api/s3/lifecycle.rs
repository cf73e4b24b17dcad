//! Bucket lifecycle with aws-sdk-s3, on a server whose lifecycle "day" is one second: the
//! configuration round trip and its errors, `x-amz-expiration`, and the expirer seen at
//! work on current versions, noncurrent versions, delete markers and incomplete uploads,
//! with objects outside a rule's filter untouched; and a kill -9 of the real server in the
//! middle of an expiration pass, after which every object is whole or gone and the rest
//! expire once it is back.

use std::time::{Duration, Instant};

use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, ExpirationStatus,
    LifecycleExpiration, LifecycleRule, LifecycleRuleAndOperator, LifecycleRuleFilter,
    NoncurrentVersionExpiration, Tag,
};

use crate::support::process::ServeProcess;
use crate::support::server::{expect_code, keys_of, TestServer};

const BUCKET: &str = "life";
const DAY: Duration = Duration::from_secs(1);

async fn server() -> TestServer {
    let s = TestServer::start_with(|c| c.lifecycle_day = DAY).await;
    s.create_bucket(BUCKET).await;
    s
}

pub(crate) fn prefix_rule(
    id: &str,
    prefix: &str,
) -> aws_sdk_s3::types::builders::LifecycleRuleBuilder {
    LifecycleRule::builder()
        .id(id)
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix(prefix).build())
}

pub(crate) async fn set_rules(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    rules: Vec<LifecycleRule>,
) {
    client
        .put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .set_rules(Some(rules))
                .build()
                .expect("configuration"),
        )
        .send()
        .await
        .expect("put lifecycle");
}

/// Poll `check` until it holds (or fail after `limit`).
async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn configuration_round_trip_and_errors() {
    let s = server().await;
    let get = || {
        s.client
            .get_bucket_lifecycle_configuration()
            .bucket(BUCKET)
            .send()
    };
    expect_code(get().await, "NoSuchLifecycleConfiguration");
    let rules = vec![
        prefix_rule("logs", "logs/")
            .expiration(LifecycleExpiration::builder().days(30).build())
            .build()
            .expect("rule"),
        LifecycleRule::builder()
            .id("tagged")
            .status(ExpirationStatus::Disabled)
            .filter(
                LifecycleRuleFilter::builder()
                    .and(
                        LifecycleRuleAndOperator::builder()
                            .prefix("tax/")
                            .tags(Tag::builder().key("k").value("v").build().expect("tag"))
                            .object_size_greater_than(100)
                            .build(),
                    )
                    .build(),
            )
            .noncurrent_version_expiration(
                NoncurrentVersionExpiration::builder()
                    .noncurrent_days(7)
                    .newer_noncurrent_versions(2)
                    .build(),
            )
            .build()
            .expect("rule"),
        prefix_rule("uploads", "")
            .abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder()
                    .days_after_initiation(3)
                    .build(),
            )
            .build()
            .expect("rule"),
    ];
    set_rules(&s.client, BUCKET, rules.clone()).await;
    let got = get().await.expect("get");
    assert_eq!(got.rules(), rules.as_slice());
    s.client
        .delete_bucket_lifecycle()
        .bucket(BUCKET)
        .send()
        .await
        .expect("delete");
    expect_code(get().await, "NoSuchLifecycleConfiguration");

    for (body, code) in [
        ("<LifecycleConfiguration><Rule><Filter/><Status>Enabled</Status><Expiration><Days>0</Days></Expiration></Rule></LifecycleConfiguration>", "InvalidArgument"),
        ("<LifecycleConfiguration><Rule><Filter/><Status>Enabled</Status></Rule></LifecycleConfiguration>", "InvalidRequest"),
        ("<LifecycleConfiguration/>", "MalformedXML"),
        // A transition Date must be midnight UTC, as an expiration Date.
        ("<LifecycleConfiguration><Rule><Filter/><Status>Enabled</Status><Transition><Date>2030-01-01T10:00:00Z</Date><StorageClass>GLACIER</StorageClass></Transition></Rule></LifecycleConfiguration>", "InvalidArgument"),
        ("<LifecycleConfiguration><Rule><Filter/><Status>Enabled</Status><Transition><Date>next week</Date><StorageClass>GLACIER</StorageClass></Transition></Rule></LifecycleConfiguration>", "InvalidArgument"),
    ] {
        let path = format!("/{BUCKET}?lifecycle");
        assert_eq!(
            s.refusal(http::Method::PUT, &path, &[], body).await,
            (400, code.to_owned()),
            "{body}"
        );
    }
    expect_code(get().await, "NoSuchLifecycleConfiguration");
}

/// Rules sent without an `ID` get a unique one, which GET returns and a second PUT of the
/// returned document keeps; a transition at midnight UTC is accepted and returned.
#[tokio::test]
async fn rules_without_an_id_get_one() {
    let s = server().await;
    let body = "<LifecycleConfiguration>\
        <Rule><Filter><Prefix>a/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>3</Days></Expiration></Rule>\
        <Rule><Filter><Prefix>b/</Prefix></Filter><Status>Enabled</Status><Transition><Date>2030-01-01T00:00:00Z</Date><StorageClass>GLACIER</StorageClass></Transition></Rule>\
        </LifecycleConfiguration>";
    let path = format!("/{BUCKET}?lifecycle");
    let (status, _) = s.refusal(http::Method::PUT, &path, &[], body).await;
    assert_eq!(status, 200);
    let got = s
        .client
        .get_bucket_lifecycle_configuration()
        .bucket(BUCKET)
        .send()
        .await
        .expect("get");
    let ids: Vec<&str> = got
        .rules()
        .iter()
        .map(|r| r.id().unwrap_or_default())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(
        ids.iter().all(|id| !id.is_empty()) && ids[0] != ids[1],
        "{ids:?}"
    );
    let transition = &got.rules()[1].transitions()[0];
    assert!(transition.date().is_some());
    // The returned rules, sent back, keep their ids.
    set_rules(&s.client, BUCKET, got.rules().to_vec()).await;
    let again = s
        .client
        .get_bucket_lifecycle_configuration()
        .bucket(BUCKET)
        .send()
        .await
        .expect("get");
    let again: Vec<&str> = again
        .rules()
        .iter()
        .map(|r| r.id().unwrap_or_default())
        .collect();
    assert_eq!(again, ids);
}

#[tokio::test]
async fn current_versions_expire_inside_the_filter_only() {
    let s = server().await;
    set_rules(
        &s.client,
        BUCKET,
        vec![
            prefix_rule("logs", "logs/")
                .expiration(LifecycleExpiration::builder().days(2).build())
                .build()
                .expect("rule"),
            LifecycleRule::builder()
                .id("tagged")
                .status(ExpirationStatus::Enabled)
                .filter(
                    LifecycleRuleFilter::builder()
                        .tag(
                            Tag::builder()
                                .key("expire")
                                .value("yes")
                                .build()
                                .expect("tag"),
                        )
                        .build(),
                )
                .expiration(LifecycleExpiration::builder().days(1).build())
                .build()
                .expect("rule"),
        ],
    )
    .await;
    let put = s.put(BUCKET, "logs/a", b"a".to_vec()).await;
    let expiration = put
        .expiration()
        .expect("x-amz-expiration on PUT")
        .to_owned();
    assert!(
        expiration.starts_with("expiry-date=\"") && expiration.ends_with("rule-id=\"logs\""),
        "{expiration}"
    );
    s.put(BUCKET, "keep/b", "b").await;
    s.client
        .put_object()
        .bucket(BUCKET)
        .key("other/tagged")
        .tagging("expire=yes")
        .body(b"t".to_vec().into())
        .send()
        .await
        .expect("tagged");
    s.client
        .put_object()
        .bucket(BUCKET)
        .key("other/untagged")
        .tagging("expire=no")
        .body(b"u".to_vec().into())
        .send()
        .await
        .expect("untagged");
    let head = |key: &'static str| s.client.head_object().bucket(BUCKET).key(key).send();
    assert_eq!(
        head("logs/a").await.expect("head").expiration(),
        Some(expiration.as_str())
    );
    assert_eq!(head("keep/b").await.expect("head").expiration(), None);
    let tagged = head("other/tagged").await.expect("head");
    assert!(tagged
        .expiration()
        .is_some_and(|e| e.contains("rule-id=\"tagged\"")));

    eventually(Duration::from_secs(15), "expiry", || async {
        s.keys(BUCKET).await == ["keep/b", "other/untagged"]
    })
    .await;
    assert_eq!(s.get_bytes(BUCKET, "keep/b").await, b"b");
}

#[tokio::test]
async fn noncurrent_versions_markers_and_uploads_expire() {
    let s = server().await;
    s.set_versioning(BUCKET, aws_sdk_s3::types::BucketVersioningStatus::Enabled)
        .await;
    let put = |key: &'static str, body: &'static str| {
        let s = &s;
        async move {
            s.client
                .put_object()
                .bucket(BUCKET)
                .key(key)
                .body(body.as_bytes().to_vec().into())
                .send()
                .await
                .expect("put")
                .version_id()
                .expect("version")
                .to_owned()
        }
    };
    let _v1 = put("v", "one").await;
    let v2 = put("v", "two").await;
    let v3 = put("v", "three").await;
    put("d", "doomed").await;
    s.client
        .delete_object()
        .bucket(BUCKET)
        .key("d")
        .send()
        .await
        .expect("marker");
    let upload = s
        .client
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("pending")
        .send()
        .await
        .expect("upload");
    assert!(upload.upload_id().is_some());
    set_rules(
        &s.client,
        BUCKET,
        vec![
            // v keeps its newest noncurrent version; d keeps none.
            prefix_rule("keep-one", "v")
                .noncurrent_version_expiration(
                    NoncurrentVersionExpiration::builder()
                        .noncurrent_days(1)
                        .newer_noncurrent_versions(1)
                        .build(),
                )
                .build()
                .expect("rule"),
            prefix_rule("tidy", "d")
                .noncurrent_version_expiration(
                    NoncurrentVersionExpiration::builder()
                        .noncurrent_days(1)
                        .build(),
                )
                .expiration(
                    LifecycleExpiration::builder()
                        .expired_object_delete_marker(true)
                        .build(),
                )
                .build()
                .expect("rule"),
            prefix_rule("uploads", "")
                .abort_incomplete_multipart_upload(
                    AbortIncompleteMultipartUpload::builder()
                        .days_after_initiation(1)
                        .build(),
                )
                .build()
                .expect("rule"),
        ],
    )
    .await;
    let versions = || async {
        let out = s
            .client
            .list_object_versions()
            .bucket(BUCKET)
            .send()
            .await
            .expect("versions");
        let mut entries: Vec<String> = out
            .versions()
            .iter()
            .map(|v| format!("{}@{}", v.key().unwrap_or(""), v.version_id().unwrap_or("")))
            .collect();
        entries.extend(
            out.delete_markers()
                .iter()
                .map(|m| format!("marker:{}", m.key().unwrap_or(""))),
        );
        entries
    };
    // v keeps its current version and its newest noncurrent one; d loses its old version,
    // then its delete marker, now alone; the upload is aborted.
    let wanted = vec![format!("v@{v3}"), format!("v@{v2}")];
    eventually(Duration::from_secs(15), "noncurrent expiry", || async {
        versions().await == wanted
    })
    .await;
    eventually(Duration::from_secs(15), "upload abort", || async {
        s.client
            .list_multipart_uploads()
            .bucket(BUCKET)
            .send()
            .await
            .expect("uploads")
            .uploads()
            .is_empty()
    })
    .await;
    assert_eq!(s.get_bytes(BUCKET, "v").await, b"three");
}

/// kill -9 of the real server in the middle of an expiration pass over 1500 objects: after
/// the restart every object left is whole, objects outside the rule are untouched, the rest
/// expire, and no blob is left behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_an_expiration_pass() {
    const N: usize = 1500;
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let config = tmp.path().join("config.toml");
    // Objects above `pack_max_bytes` have a file each, so the end can count them.
    std::fs::write(&config, "lifecycle_day_secs = 1\npack_max_bytes = 8192\n").expect("config");
    let start = {
        let (data, config) = (data.clone(), config.clone());
        move || ServeProcess::start_with_config(&data, Some(&config))
    };
    let server = tokio::task::spawn_blocking(start.clone())
        .await
        .expect("start");
    let client = server.client();
    client
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .expect("bucket");
    // Above the pack threshold: each object is a blob file, so the end can check that none
    // is left behind.
    let body = |i: usize| format!("object {i:05} ").repeat(1300).into_bytes();
    for chunk in (0..N).collect::<Vec<_>>().chunks(50) {
        let puts = chunk.iter().map(|&i| {
            client
                .put_object()
                .bucket(BUCKET)
                .key(format!("logs/{i:05}"))
                .body(body(i).into())
                .send()
        });
        for r in futures::future::join_all(puts).await {
            r.expect("put");
        }
    }
    for i in 0..5 {
        client
            .put_object()
            .bucket(BUCKET)
            .key(format!("keep/{i}"))
            .body(body(i).into())
            .send()
            .await
            .expect("keep");
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    set_rules(
        &client,
        BUCKET,
        vec![prefix_rule("logs", "logs/")
            .expiration(LifecycleExpiration::builder().days(1).build())
            .build()
            .expect("rule")],
    )
    .await;
    let count = |client: aws_sdk_s3::Client| async move {
        let pages: Vec<_> = client
            .list_objects_v2()
            .bucket(BUCKET)
            .prefix("logs/")
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .expect("list");
        pages.iter().map(|p| p.contents().len()).sum::<usize>()
    };
    eventually(Duration::from_secs(20), "expiration started", || {
        let client = client.clone();
        async move { count(client).await < N }
    })
    .await;
    drop(server); // SIGKILL, mid-pass
    let server = tokio::task::spawn_blocking(start).await.expect("restart");
    let client = server.client();
    let left = count(client.clone()).await;
    assert!(left < N, "some expired before the kill");
    // Whatever is left is whole.
    let listed = client
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix("logs/")
        .max_keys(50)
        .send()
        .await
        .expect("list");
    for key in keys_of(listed.contents()) {
        let i: usize = key["logs/".len()..].parse().expect("index");
        match client.get_object().bucket(BUCKET).key(&key).send().await {
            Ok(got) => assert_eq!(crate::support::server::body_of(got).await, body(i), "{key}"),
            Err(e) => assert_eq!(crate::support::server::code(&e), "NoSuchKey", "{key}"),
        }
    }
    eventually(
        Duration::from_secs(30),
        "the rest expire after the restart",
        || {
            let client = client.clone();
            async move { count(client).await == 0 }
        },
    )
    .await;
    for i in 0..5 {
        let got = client
            .get_object()
            .bucket(BUCKET)
            .key(format!("keep/{i}"))
            .send()
            .await
            .expect("kept");
        assert_eq!(crate::support::server::body_of(got).await, body(i));
    }
    drop(server);
    // A clean open sweeps what the kill orphaned: one blob per kept object remains.
    let store = storage::Store::open(&data, storage::StoreOptions::default()).expect("opens");
    drop(store);
    let blobs = crate::support::server::files_under(&data.join("blobs")).len();
    assert_eq!(blobs, 5, "only the kept objects' blobs remain");
}
