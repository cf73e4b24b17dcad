//! Object Lock through the real server with aws-sdk-s3: buckets created with it (versioning
//! on for good) or given it, default retention on PutObject, multipart completions and
//! copies, per-version retention and legal holds, and the deletes that a naive server lets
//! through refused: a version delete, DeleteObjects with a locked version among unlocked
//! ones, the governance bypass without the permission, a lifecycle rule, an origin purge,
//! the bucket's deletion; and locks that survive kill -9.

use std::time::{Duration, SystemTime};

use aws_sdk_s3::primitives::DateTime;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketVersioningStatus, CompletedMultipartUpload, CompletedPart,
    DefaultRetention, Delete, ExpirationStatus, LifecycleRule, LifecycleRuleFilter,
    NoncurrentVersionExpiration, ObjectIdentifier, ObjectLockConfiguration, ObjectLockEnabled,
    ObjectLockLegalHold, ObjectLockLegalHoldStatus, ObjectLockMode, ObjectLockRetention,
    ObjectLockRetentionMode, ObjectLockRule, VersioningConfiguration,
};

use crate::support::process::ServeProcess;
use crate::support::server::{expect_code, TestServer};

const BUCKET: &str = "vault";

fn in_secs(secs: u64) -> DateTime {
    DateTime::from(SystemTime::now() + Duration::from_secs(secs))
}

async fn lock_bucket(client: &aws_sdk_s3::Client, bucket: &str) {
    client
        .create_bucket()
        .bucket(bucket)
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .expect("create a bucket with Object Lock");
}

fn default_rule(mode: ObjectLockRetentionMode, days: i32) -> ObjectLockConfiguration {
    ObjectLockConfiguration::builder()
        .object_lock_enabled(ObjectLockEnabled::Enabled)
        .rule(
            ObjectLockRule::builder()
                .default_retention(DefaultRetention::builder().mode(mode).days(days).build())
                .build(),
        )
        .build()
}

async fn put_locked(
    client: &aws_sdk_s3::Client,
    key: &str,
    mode: ObjectLockMode,
    secs: u64,
) -> String {
    client
        .put_object()
        .bucket(BUCKET)
        .key(key)
        .body(key.as_bytes().to_vec().into())
        .object_lock_mode(mode)
        .object_lock_retain_until_date(in_secs(secs))
        .send()
        .await
        .expect("put with a retention")
        .version_id()
        .expect("a version id")
        .to_owned()
}

async fn put_plain(client: &aws_sdk_s3::Client, key: &str) -> String {
    client
        .put_object()
        .bucket(BUCKET)
        .key(key)
        .body(b"plain".to_vec().into())
        .send()
        .await
        .expect("put")
        .version_id()
        .expect("a version id")
        .to_owned()
}

/// A legal hold document.
pub(crate) fn legal_hold(status: ObjectLockLegalHoldStatus) -> ObjectLockLegalHold {
    ObjectLockLegalHold::builder().status(status).build()
}

/// PutBucketVersioning Suspended on BUCKET.
async fn suspend_versioning(
    c: &aws_sdk_s3::Client,
) -> Result<
    aws_sdk_s3::operation::put_bucket_versioning::PutBucketVersioningOutput,
    aws_sdk_s3::error::SdkError<
        aws_sdk_s3::operation::put_bucket_versioning::PutBucketVersioningError,
    >,
> {
    c.put_bucket_versioning()
        .bucket(BUCKET)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Suspended)
                .build(),
        )
        .send()
        .await
}

async fn delete_version(
    client: &aws_sdk_s3::Client,
    key: &str,
    version: &str,
    bypass: bool,
) -> Result<
    aws_sdk_s3::operation::delete_object::DeleteObjectOutput,
    aws_sdk_s3::error::SdkError<aws_sdk_s3::operation::delete_object::DeleteObjectError>,
> {
    client
        .delete_object()
        .bucket(BUCKET)
        .key(key)
        .version_id(version)
        .set_bypass_governance_retention(bypass.then_some(true))
        .send()
        .await
}

#[tokio::test]
async fn lock_configuration_turns_versioning_on_for_good_and_is_refused_where_aws_refuses_it() {
    let s = TestServer::start().await;
    let c = &s.client;
    lock_bucket(c, BUCKET).await;
    let versioning = c.get_bucket_versioning().bucket(BUCKET).send().await;
    assert_eq!(
        versioning.expect("versioning").status(),
        Some(&BucketVersioningStatus::Enabled)
    );
    let config = c
        .get_object_lock_configuration()
        .bucket(BUCKET)
        .send()
        .await
        .expect("get configuration");
    let config = config.object_lock_configuration().expect("configuration");
    assert_eq!(
        config.object_lock_enabled(),
        Some(&ObjectLockEnabled::Enabled)
    );
    assert!(config.rule().is_none());
    // Versioning cannot be suspended any more.
    expect_code(suspend_versioning(c).await, "InvalidBucketState");
    // A default rule: set, read back; a bad one refused.
    let rule = default_rule(ObjectLockRetentionMode::Compliance, 3);
    c.put_object_lock_configuration()
        .bucket(BUCKET)
        .object_lock_configuration(rule.clone())
        .send()
        .await
        .expect("put a default rule");
    let read = c
        .get_object_lock_configuration()
        .bucket(BUCKET)
        .send()
        .await
        .expect("get");
    assert_eq!(read.object_lock_configuration(), Some(&rule));
    expect_code(
        c.put_object_lock_configuration()
            .bucket(BUCKET)
            .object_lock_configuration(default_rule(ObjectLockRetentionMode::Governance, 0))
            .send()
            .await,
        "InvalidArgument",
    );
    // A bucket without Object Lock: no configuration, no locks; enabling it needs versioning.
    s.create_bucket("plain").await;
    expect_code(
        c.get_object_lock_configuration()
            .bucket("plain")
            .send()
            .await,
        "ObjectLockConfigurationNotFoundError",
    );
    expect_code(
        c.put_object()
            .bucket("plain")
            .key("k")
            .body(b"x".to_vec().into())
            .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
            .send()
            .await,
        "InvalidRequest",
    );
    expect_code(
        c.put_object_legal_hold()
            .bucket("plain")
            .key("k")
            .legal_hold(legal_hold(ObjectLockLegalHoldStatus::On))
            .send()
            .await,
        "InvalidRequest",
    );
    let enabled = ObjectLockConfiguration::builder()
        .object_lock_enabled(ObjectLockEnabled::Enabled)
        .build();
    expect_code(
        c.put_object_lock_configuration()
            .bucket("plain")
            .object_lock_configuration(enabled.clone())
            .send()
            .await,
        "InvalidBucketState",
    );
    s.put("plain", "k", "x").await;
    expect_code(
        c.delete_object()
            .bucket("plain")
            .key("k")
            .bypass_governance_retention(true)
            .send()
            .await,
        "InvalidArgument",
    );
    s.set_versioning("plain", BucketVersioningStatus::Enabled)
        .await;
    c.put_object_lock_configuration()
        .bucket("plain")
        .object_lock_configuration(enabled)
        .send()
        .await
        .expect("Object Lock on an existing versioned bucket");
}

#[tokio::test]
async fn locked_versions_refuse_every_delete_until_their_lock_lifts() {
    let s = TestServer::start().await;
    let c = &s.client;
    lock_bucket(c, BUCKET).await;
    let compliance = put_locked(c, "c", ObjectLockMode::Compliance, 3600).await;
    let governance = put_locked(c, "g", ObjectLockMode::Governance, 3600).await;
    let free = put_plain(c, "free").await;
    // GET and HEAD say what holds the version; so does GetObjectRetention.
    let head = c
        .head_object()
        .bucket(BUCKET)
        .key("c")
        .send()
        .await
        .expect("head");
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Compliance));
    let until = head.object_lock_retain_until_date().expect("a date");
    assert!(until.secs() > in_secs(3500).secs());
    let retention = c
        .get_object_retention()
        .bucket(BUCKET)
        .key("c")
        .version_id(&compliance)
        .send()
        .await
        .expect("get retention");
    assert_eq!(
        retention.retention().and_then(|r| r.mode()),
        Some(&ObjectLockRetentionMode::Compliance)
    );
    expect_code(
        c.get_object_retention()
            .bucket(BUCKET)
            .key("free")
            .send()
            .await,
        "NoSuchObjectLockConfiguration",
    );

    // A version delete is refused; a delete without a version id adds a marker.
    expect_code(
        delete_version(c, "c", &compliance, false).await,
        "AccessDenied",
    );
    expect_code(
        delete_version(c, "c", &compliance, true).await,
        "AccessDenied",
    );
    let marker = c
        .delete_object()
        .bucket(BUCKET)
        .key("c")
        .send()
        .await
        .expect("a delete marker is allowed");
    assert_eq!(marker.delete_marker(), Some(true));
    let still = c
        .get_object()
        .bucket(BUCKET)
        .key("c")
        .version_id(&compliance)
        .send()
        .await
        .expect("the locked version is still there");
    let bytes = still.body.collect().await.expect("body").into_bytes();
    assert_eq!(&bytes[..], b"c");

    // DeleteObjects: the locked version is that key's error, the others go.
    let ids = [("c", &compliance), ("g", &governance), ("free", &free)];
    let delete = Delete::builder()
        .set_objects(Some(
            ids.iter()
                .map(|(k, v)| {
                    ObjectIdentifier::builder()
                        .key(*k)
                        .version_id(v.as_str())
                        .build()
                        .expect("identifier")
                })
                .collect(),
        ))
        .build()
        .expect("delete");
    let out = c
        .delete_objects()
        .bucket(BUCKET)
        .delete(delete)
        .send()
        .await
        .expect("delete objects");
    let refused: Vec<_> = out
        .errors()
        .iter()
        .map(|e| (e.key().unwrap_or_default(), e.code().unwrap_or_default()))
        .collect();
    assert_eq!(refused, [("c", "AccessDenied"), ("g", "AccessDenied")]);
    let deleted: Vec<_> = out.deleted().iter().filter_map(|d| d.key()).collect();
    assert_eq!(deleted, ["free"]);

    // COMPLIANCE: never shortened, never weakened; lengthened freely.
    let retention = |mode, secs| {
        ObjectLockRetention::builder()
            .mode(mode)
            .retain_until_date(in_secs(secs))
            .build()
    };
    for bypass in [None, Some(true)] {
        expect_code(
            c.put_object_retention()
                .bucket(BUCKET)
                .key("c")
                .version_id(&compliance)
                .retention(retention(ObjectLockRetentionMode::Compliance, 60))
                .set_bypass_governance_retention(bypass)
                .send()
                .await,
            "AccessDenied",
        );
    }
    expect_code(
        c.put_object_retention()
            .bucket(BUCKET)
            .key("c")
            .version_id(&compliance)
            .retention(retention(ObjectLockRetentionMode::Governance, 7200))
            .send()
            .await,
        "AccessDenied",
    );
    c.put_object_retention()
        .bucket(BUCKET)
        .key("c")
        .version_id(&compliance)
        .retention(retention(ObjectLockRetentionMode::Compliance, 7200))
        .send()
        .await
        .expect("a longer retention");

    // GOVERNANCE: the bypass lifts it, but only for a caller allowed to bypass it.
    let deny_bypass = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Principal":"*","Action":"s3:BypassGovernanceRetention","Resource":"arn:aws:s3:::{BUCKET}/*"}}]}}"#
    );
    c.put_bucket_policy()
        .bucket(BUCKET)
        .policy(deny_bypass)
        .send()
        .await
        .expect("policy");
    expect_code(
        delete_version(c, "g", &governance, true).await,
        "AccessDenied",
    );
    c.delete_bucket_policy()
        .bucket(BUCKET)
        .send()
        .await
        .expect("delete policy");
    expect_code(
        delete_version(c, "g", &governance, false).await,
        "AccessDenied",
    );
    // Another user, even allowed to delete versions, may not bypass.
    let allow_others = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:DeleteObjectVersion","Resource":"arn:aws:s3:::{BUCKET}/*"}}]}}"#
    );
    c.put_bucket_policy()
        .bucket(BUCKET)
        .policy(allow_others)
        .send()
        .await
        .expect("policy");
    let other = s.other_client();
    expect_code(
        delete_version(&other, "g", &governance, true).await,
        "AccessDenied",
    );
    delete_version(c, "g", &governance, true)
        .await
        .expect("the owner bypasses GOVERNANCE");

    // A legal hold holds against everyone until it is lifted, bypass or not.
    let held = put_plain(c, "held").await;
    c.put_object_legal_hold()
        .bucket(BUCKET)
        .key("held")
        .version_id(&held)
        .legal_hold(legal_hold(ObjectLockLegalHoldStatus::On))
        .send()
        .await
        .expect("hold");
    let status = c
        .get_object_legal_hold()
        .bucket(BUCKET)
        .key("held")
        .version_id(&held)
        .send()
        .await
        .expect("get hold");
    assert_eq!(
        status.legal_hold().and_then(|h| h.status()),
        Some(&ObjectLockLegalHoldStatus::On)
    );
    expect_code(delete_version(c, "held", &held, true).await, "AccessDenied");
    c.put_object_legal_hold()
        .bucket(BUCKET)
        .key("held")
        .version_id(&held)
        .legal_hold(legal_hold(ObjectLockLegalHoldStatus::Off))
        .send()
        .await
        .expect("lift the hold");
    delete_version(c, "held", &held, false)
        .await
        .expect("deleted once the hold is lifted");

    // A bucket holding locked versions cannot go.
    expect_code(
        c.delete_bucket().bucket(BUCKET).send().await,
        "BucketNotEmpty",
    );
}

/// A write that sets a lock must carry Content-MD5 or a checksum; a date in the past and a
/// mode without a date are refused.
#[tokio::test]
async fn lock_headers_are_validated_as_aws_validates_them() {
    let s = TestServer::start().await;
    lock_bucket(&s.client, BUCKET).await;
    let until = "2999-01-01T00:00:00.000Z";
    let put = |headers: &[(&str, &str)]| {
        let mut map = http::HeaderMap::new();
        for (name, value) in headers {
            map.insert(
                http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
                http::HeaderValue::from_str(value).expect("value"),
            );
        }
        s.signed_with(http::Method::PUT, &format!("/{BUCKET}/k"), map)
            .body("bytes")
            .send()
    };
    let code = |r: reqwest::Response| async move {
        let status = r.status().as_u16();
        (
            status,
            crate::support::server::xml_code(&r.text().await.expect("body")),
        )
    };
    let no_checksum = put(&[
        ("x-amz-object-lock-mode", "GOVERNANCE"),
        ("x-amz-object-lock-retain-until-date", until),
    ])
    .await
    .expect("send");
    assert_eq!(code(no_checksum).await, (400, "InvalidRequest".to_owned()));
    let md5 = "SzpiGLs+OnMD6KFxpg/Pkg=="; // of "bytes"
    for (headers, expected) in [
        (
            vec![
                ("x-amz-object-lock-mode", "GOVERNANCE"),
                (
                    "x-amz-object-lock-retain-until-date",
                    "2001-01-01T00:00:00Z",
                ),
                ("content-md5", md5),
            ],
            "InvalidArgument",
        ),
        (
            vec![
                ("x-amz-object-lock-mode", "GOVERNANCE"),
                ("content-md5", md5),
            ],
            "InvalidArgument",
        ),
        (
            vec![
                ("x-amz-object-lock-legal-hold", "YES"),
                ("content-md5", md5),
            ],
            "InvalidArgument",
        ),
    ] {
        let r = put(&headers).await.expect("send");
        assert_eq!(code(r).await, (400, expected.to_owned()), "{headers:?}");
    }
    let ok = put(&[
        ("x-amz-object-lock-mode", "GOVERNANCE"),
        ("x-amz-object-lock-retain-until-date", until),
        ("x-amz-object-lock-legal-hold", "ON"),
        ("content-md5", md5),
    ])
    .await
    .expect("send");
    assert_eq!(ok.status(), 200);
    let head = s
        .signed(http::Method::HEAD, &format!("/{BUCKET}/k"))
        .send()
        .await
        .expect("head");
    let header = |name: &str| {
        head.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(
        header("x-amz-object-lock-mode").as_deref(),
        Some("GOVERNANCE")
    );
    assert_eq!(
        header("x-amz-object-lock-retain-until-date").as_deref(),
        Some(until)
    );
    assert_eq!(
        header("x-amz-object-lock-legal-hold").as_deref(),
        Some("ON")
    );
    // A reader the bucket's policy lets read the object, but not its lock, sees none of it.
    let public = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{BUCKET}/*"}}]}}"#
    );
    s.client
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(public)
        .send()
        .await
        .expect("policy");
    let anonymous = reqwest::get(s.url(&format!("/{BUCKET}/k")))
        .await
        .expect("get");
    assert_eq!(anonymous.status(), 200);
    for name in [
        "x-amz-object-lock-mode",
        "x-amz-object-lock-retain-until-date",
        "x-amz-object-lock-legal-hold",
    ] {
        assert!(
            anonymous.headers().get(name).is_none(),
            "{name} shown to anyone"
        );
    }
}

#[tokio::test]
async fn default_retention_locks_puts_completions_and_copies_but_not_copied_locks() {
    let s = TestServer::start().await;
    let c = &s.client;
    lock_bucket(c, BUCKET).await;
    let source = put_locked(c, "source", ObjectLockMode::Compliance, 3600).await;
    c.put_object_lock_configuration()
        .bucket(BUCKET)
        .object_lock_configuration(default_rule(ObjectLockRetentionMode::Governance, 1))
        .send()
        .await
        .expect("default rule");
    let day = 24 * 3600;
    let governed = |head: &aws_sdk_s3::operation::head_object::HeadObjectOutput| {
        let until = head.object_lock_retain_until_date().map(|d| d.secs());
        head.object_lock_mode() == Some(&ObjectLockMode::Governance)
            && until
                .is_some_and(|u| (in_secs(day - 60).secs()..=in_secs(day + 60).secs()).contains(&u))
    };
    let head = |key: &'static str| c.head_object().bucket(BUCKET).key(key).send();

    put_plain(c, "put").await;
    assert!(governed(&head("put").await.expect("head")), "PutObject");

    // A multipart upload completes into a version under the default retention.
    let upload = c
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("multi")
        .send()
        .await
        .expect("create upload");
    let id = upload.upload_id().expect("upload id");
    let part = c
        .upload_part()
        .bucket(BUCKET)
        .key("multi")
        .upload_id(id)
        .part_number(1)
        .body(b"one part".to_vec().into())
        .send()
        .await
        .expect("part");
    let done = c
        .complete_multipart_upload()
        .bucket(BUCKET)
        .key("multi")
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(
                    CompletedPart::builder()
                        .part_number(1)
                        .e_tag(part.e_tag().expect("etag"))
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("complete");
    assert!(governed(&head("multi").await.expect("head")), "completion");
    expect_code(
        delete_version(c, "multi", done.version_id().expect("version"), false).await,
        "AccessDenied",
    );

    // A copy of a locked source is a new version: the bucket's default, not the source's
    // COMPLIANCE lock; the source keeps its own.
    c.copy_object()
        .bucket(BUCKET)
        .key("copy")
        .copy_source(format!("{BUCKET}/source?versionId={source}"))
        .send()
        .await
        .expect("copy");
    assert!(governed(&head("copy").await.expect("head")), "copy");
    assert_eq!(
        head("source").await.expect("head").object_lock_mode(),
        Some(&ObjectLockMode::Compliance)
    );
    // An explicit lock on the write wins over the default.
    c.put_object()
        .bucket(BUCKET)
        .key("explicit")
        .body(b"x".to_vec().into())
        .object_lock_mode(ObjectLockMode::Compliance)
        .object_lock_retain_until_date(in_secs(120))
        .send()
        .await
        .expect("explicit");
    assert_eq!(
        head("explicit").await.expect("head").object_lock_mode(),
        Some(&ObjectLockMode::Compliance)
    );
}

/// A lifecycle rule that would expire a locked noncurrent version leaves it, and removes
/// the unlocked one beside it.
#[tokio::test]
async fn lifecycle_expiration_skips_locked_versions() {
    let s = TestServer::start_with(|c| c.lifecycle_day = Duration::from_secs(1)).await;
    let c = &s.client;
    lock_bucket(c, BUCKET).await;
    let locked = put_locked(c, "k", ObjectLockMode::Compliance, 3600).await;
    let unlocked = put_plain(c, "k").await;
    put_plain(c, "k").await;
    c.put_bucket_lifecycle_configuration()
        .bucket(BUCKET)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(
                    LifecycleRule::builder()
                        .id("old")
                        .status(ExpirationStatus::Enabled)
                        .filter(LifecycleRuleFilter::builder().prefix("").build())
                        .noncurrent_version_expiration(
                            NoncurrentVersionExpiration::builder()
                                .noncurrent_days(1)
                                .build(),
                        )
                        .build()
                        .expect("rule"),
                )
                .build()
                .expect("lifecycle"),
        )
        .send()
        .await
        .expect("put lifecycle");
    let started = std::time::Instant::now();
    loop {
        let versions = c
            .list_object_versions()
            .bucket(BUCKET)
            .send()
            .await
            .expect("list versions");
        let ids: Vec<_> = versions
            .versions()
            .iter()
            .filter_map(|v| v.version_id())
            .collect();
        if !ids.contains(&unlocked.as_str()) {
            assert!(
                ids.contains(&locked.as_str()),
                "the locked version went: {ids:?}"
            );
            assert_eq!(ids.len(), 2, "{ids:?}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the unlocked noncurrent version never expired"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Locks are durable: after kill -9 and a restart the locked versions are still locked.
#[tokio::test]
async fn locks_survive_kill_9() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let (compliance, held) = {
        let server = ServeProcess::start(&data);
        let c = server.client();
        lock_bucket(&c, BUCKET).await;
        let compliance = put_locked(&c, "c", ObjectLockMode::Compliance, 3600).await;
        let held = put_plain(&c, "h").await;
        c.put_object_legal_hold()
            .bucket(BUCKET)
            .key("h")
            .version_id(&held)
            .legal_hold(legal_hold(ObjectLockLegalHoldStatus::On))
            .send()
            .await
            .expect("hold");
        server.kill9();
        (compliance, held)
    };
    let server = ServeProcess::start(&data);
    let c = server.client();
    expect_code(
        delete_version(&c, "c", &compliance, true).await,
        "AccessDenied",
    );
    expect_code(delete_version(&c, "h", &held, true).await, "AccessDenied");
    let head = c
        .head_object()
        .bucket(BUCKET)
        .key("h")
        .send()
        .await
        .expect("head");
    assert_eq!(
        head.object_lock_legal_hold_status(),
        Some(&ObjectLockLegalHoldStatus::On)
    );
    expect_code(suspend_versioning(&c).await, "InvalidBucketState");
}

/// A writer is not a locker: another user allowed to write into the bucket cannot lock what
/// it writes (the bucket's owner could never delete it) unless the policy grants
/// `s3:PutObjectRetention` / `s3:PutObjectLegalHold`, as on AWS.
#[tokio::test]
async fn writers_need_the_lock_permissions_to_lock() {
    let s = TestServer::start().await;
    let c = &s.client;
    lock_bucket(c, BUCKET).await;
    let policy = |actions: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":[{actions}],"Resource":"arn:aws:s3:::{BUCKET}/*"}}]}}"#
        )
    };
    c.put_bucket_policy()
        .bucket(BUCKET)
        .policy(policy(r#""s3:PutObject""#))
        .send()
        .await
        .expect("policy");
    let other = s.other_client();
    let locked_put = |mode| {
        other
            .put_object()
            .bucket(BUCKET)
            .key("theirs")
            .body(b"x".to_vec().into())
            .object_lock_mode(mode)
            .object_lock_retain_until_date(in_secs(3600))
            .send()
    };
    expect_code(locked_put(ObjectLockMode::Compliance).await, "AccessDenied");
    expect_code(
        other
            .put_object()
            .bucket(BUCKET)
            .key("theirs")
            .body(b"x".to_vec().into())
            .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On)
            .send()
            .await,
        "AccessDenied",
    );
    other
        .put_object()
        .bucket(BUCKET)
        .key("theirs")
        .body(b"x".to_vec().into())
        .send()
        .await
        .expect("a plain write is allowed");
    c.put_bucket_policy()
        .bucket(BUCKET)
        .policy(policy(r#""s3:PutObject","s3:PutObjectRetention""#))
        .send()
        .await
        .expect("policy");
    locked_put(ObjectLockMode::Governance)
        .await
        .expect("with s3:PutObjectRetention");
}
