//! Versioning with aws-sdk-s3: enabling and suspending, versioned writes and reads, delete
//! markers (404 and 405 with `x-amz-delete-marker`), permanent deletes, DeleteObjects with
//! versions, copies of versions and multipart completions into a versioned bucket. Listing
//! versions against a model is in `listing.rs`.

use aws_sdk_s3::types::{
    BucketVersioningStatus, Delete, MfaDelete, ObjectIdentifier, VersioningConfiguration,
};

use crate::support::server::{body_of, completed, expect_code, keys_of, xml_code, TestServer};

mod listing;

const BUCKET: &str = "vers";

/// A server with bucket [`BUCKET`] in the given versioning state.
pub(super) async fn versioned(status: BucketVersioningStatus) -> TestServer {
    let s = TestServer::with_bucket(BUCKET).await;
    set_versioning(&s, status).await;
    s
}

pub(super) async fn set_versioning(s: &TestServer, status: BucketVersioningStatus) {
    s.set_versioning(BUCKET, status).await;
}

/// PutObject, answering the new version's id.
pub(super) async fn put_version(s: &TestServer, key: &str, body: &str) -> String {
    let out = s.put(BUCKET, key, body.as_bytes().to_vec()).await;
    out.version_id().expect("x-amz-version-id").to_owned()
}

/// DeleteObject without a version id, answering the delete marker's id.
pub(super) async fn delete_current(s: &TestServer, key: &str) -> String {
    let out = s
        .client
        .delete_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .expect("delete");
    assert_eq!(out.delete_marker(), Some(true), "{key}: a delete marker");
    out.version_id().expect("marker's version id").to_owned()
}

/// ListObjectVersions of [`BUCKET`], with the ids of its versions and of its markers.
async fn version_ids(
    s: &TestServer,
) -> (
    aws_sdk_s3::operation::list_object_versions::ListObjectVersionsOutput,
    Vec<String>,
    Vec<String>,
) {
    let out = s
        .client
        .list_object_versions()
        .bucket(BUCKET)
        .send()
        .await
        .expect("versions");
    let ids = out
        .versions()
        .iter()
        .filter_map(|v| v.version_id())
        .map(str::to_owned)
        .collect();
    let markers = out
        .delete_markers()
        .iter()
        .filter_map(|m| m.version_id())
        .map(str::to_owned)
        .collect();
    (out, ids, markers)
}

async fn get_version(s: &TestServer, key: &str, version: &str) -> Vec<u8> {
    let out = s
        .client
        .get_object()
        .bucket(BUCKET)
        .key(key)
        .version_id(version)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {key}?versionId={version}: {e:?}"));
    assert_eq!(out.version_id(), Some(version));
    body_of(out).await
}

#[tokio::test]
async fn a_new_bucket_is_unversioned_and_versioning_states_round_trip() {
    let s = TestServer::with_bucket(BUCKET).await;
    let get = || s.client.get_bucket_versioning().bucket(BUCKET).send();
    assert_eq!(get().await.expect("get").status(), None);
    // An unversioned bucket's objects have no version id, and `null` addresses them.
    let put = s.put(BUCKET, "k", b"plain".to_vec()).await;
    assert_eq!(put.version_id(), None);
    let null = s
        .client
        .get_object()
        .bucket(BUCKET)
        .key("k")
        .version_id("null")
        .send()
        .await
        .expect("versionId=null");
    assert_eq!(body_of(null).await, b"plain");

    set_versioning(&s, BucketVersioningStatus::Enabled).await;
    let got = get().await.expect("get");
    assert_eq!(got.status(), Some(&BucketVersioningStatus::Enabled));
    assert_eq!(got.mfa_delete(), None);
    set_versioning(&s, BucketVersioningStatus::Suspended).await;
    assert_eq!(
        get().await.expect("get").status(),
        Some(&BucketVersioningStatus::Suspended)
    );

    // There is no way back to unversioned, and MFA delete needs a device we do not have.
    for (body, expected) in [
        (
            "<VersioningConfiguration><Status>Disabled</Status></VersioningConfiguration>",
            "MalformedXML",
        ),
        (
            "<VersioningConfiguration><Status>On</Status></VersioningConfiguration>",
            "MalformedXML",
        ),
        ("<NotVersioning/>", "MalformedXML"),
    ] {
        let path = format!("/{BUCKET}?versioning");
        assert_eq!(
            s.refusal(http::Method::PUT, &path, &[], body).await,
            (400, expected.to_owned()),
            "{body}"
        );
    }
    let mfa = s
        .client
        .put_bucket_versioning()
        .bucket(BUCKET)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .mfa_delete(MfaDelete::Enabled)
                .build(),
        )
        .send()
        .await;
    expect_code(mfa, "AccessDenied");
    assert_eq!(
        get().await.expect("get").status(),
        Some(&BucketVersioningStatus::Suspended),
        "a refused request changes nothing"
    );
    expect_code(
        s.client
            .get_bucket_versioning()
            .bucket("nobucket")
            .send()
            .await,
        "NoSuchBucket",
    );
}

#[tokio::test]
async fn every_write_of_an_enabled_bucket_is_a_new_version() {
    let s = versioned(BucketVersioningStatus::Enabled).await;
    let v1 = put_version(&s, "doc", "first").await;
    let v2 = put_version(&s, "doc", "second").await;
    let v3 = put_version(&s, "doc", "third").await;
    assert!(v1 != v2 && v2 != v3 && v1 != v3);
    for v in [&v1, &v2, &v3] {
        assert!(
            v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
            "URL-safe: {v}"
        );
    }
    // The newest is current; every version stays readable by id, HEAD included.
    let current = s.get_object(BUCKET, "doc").await;
    assert_eq!(current.version_id(), Some(v3.as_str()));
    assert_eq!(body_of(current).await, b"third");
    assert_eq!(get_version(&s, "doc", &v1).await, b"first");
    assert_eq!(get_version(&s, "doc", &v2).await, b"second");
    let head = s
        .client
        .head_object()
        .bucket(BUCKET)
        .key("doc")
        .version_id(&v1)
        .send()
        .await
        .expect("head v1");
    assert_eq!(head.content_length(), Some(5));
    assert_eq!(head.version_id(), Some(v1.as_str()));
    // Listing shows the key once, at its current size.
    let listed = s
        .client
        .list_objects_v2()
        .bucket(BUCKET)
        .send()
        .await
        .expect("list");
    assert_eq!(keys_of(listed.contents()), ["doc"]);
    assert_eq!(listed.contents()[0].size(), Some(5));

    // Unknown, malformed and `null` (none was written) version ids.
    let missing = format!("{}0", &v1[..v1.len() - 1]);
    let missing = if missing == v1 {
        format!("{}1", &v1[..v1.len() - 1])
    } else {
        missing
    };
    let get = |v: String| {
        s.client
            .get_object()
            .bucket(BUCKET)
            .key("doc")
            .version_id(v)
            .send()
    };
    expect_code(get(missing).await, "NoSuchVersion");
    expect_code(get("null".into()).await, "NoSuchVersion");
    expect_code(get("not a version".into()).await, "InvalidArgument");

    // GetObjectAcl takes a version id too.
    s.client
        .get_object_acl()
        .bucket(BUCKET)
        .key("doc")
        .version_id(&v1)
        .send()
        .await
        .expect("acl of v1");
}

#[tokio::test]
async fn a_delete_marker_hides_the_key_until_it_is_itself_deleted() {
    let s = versioned(BucketVersioningStatus::Enabled).await;
    let v1 = put_version(&s, "k", "one").await;
    let v2 = put_version(&s, "k", "two").await;
    let marker = delete_current(&s, "k").await;
    assert!(marker != v1 && marker != v2);

    // The key reads as missing, saying why; the listing no longer shows it.
    let resp = s
        .send_signed(http::Method::GET, &format!("/{BUCKET}/k"))
        .await;
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.headers()["x-amz-delete-marker"], "true");
    assert_eq!(resp.headers()["x-amz-version-id"], marker.as_str());
    assert_eq!(xml_code(&resp.text().await.expect("body")), "NoSuchKey");
    let resp = s
        .send_signed(http::Method::HEAD, &format!("/{BUCKET}/k"))
        .await;
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.headers()["x-amz-delete-marker"], "true");
    assert_eq!(s.key_count(BUCKET).await, Some(0));
    // Addressing the marker itself is 405 MethodNotAllowed, as on AWS.
    let path = format!("/{BUCKET}/k?versionId={marker}");
    for method in [http::Method::GET, http::Method::HEAD] {
        let resp = s.send_signed(method.clone(), &path).await;
        assert_eq!(resp.status(), 405, "{method}");
        assert_eq!(resp.headers()["x-amz-delete-marker"], "true");
        assert!(resp.headers().contains_key("last-modified"));
    }
    // Older versions are still there.
    assert_eq!(get_version(&s, "k", &v1).await, b"one");
    // A second delete stacks a second marker.
    let marker2 = delete_current(&s, "k").await;
    assert_ne!(marker2, marker);

    // Deleting the markers by id makes the newest version current again.
    for m in [&marker2, &marker] {
        let out = s
            .client
            .delete_object()
            .bucket(BUCKET)
            .key("k")
            .version_id(m)
            .send()
            .await
            .expect("delete marker");
        assert_eq!(
            out.delete_marker(),
            Some(true),
            "the deleted version was a marker"
        );
        assert_eq!(out.version_id(), Some(m.as_str()));
    }
    let current = s.get_object(BUCKET, "k").await;
    assert_eq!(current.version_id(), Some(v2.as_str()));
    assert_eq!(body_of(current).await, b"two");

    // Deleting the current version by id makes the one before it current.
    let out = s
        .client
        .delete_object()
        .bucket(BUCKET)
        .key("k")
        .version_id(&v2)
        .send()
        .await
        .expect("delete v2");
    assert_eq!(out.delete_marker(), None);
    assert_eq!(out.version_id(), Some(v2.as_str()));
    assert_eq!(s.get_bytes(BUCKET, "k").await, b"one");
    expect_code(
        s.client
            .get_object()
            .bucket(BUCKET)
            .key("k")
            .version_id(&v2)
            .send()
            .await,
        "NoSuchVersion",
    );
    // Deleting a version that is gone succeeds, as on AWS.
    s.client
        .delete_object()
        .bucket(BUCKET)
        .key("k")
        .version_id(&v2)
        .send()
        .await
        .expect("idempotent");
    // Deleting the last version leaves no trace of the key.
    s.client
        .delete_object()
        .bucket(BUCKET)
        .key("k")
        .version_id(&v1)
        .send()
        .await
        .expect("delete v1");
    assert_eq!(s.get_error(BUCKET, "k").await, "NoSuchKey");
    let (_, ids, markers) = version_ids(&s).await;
    assert!(ids.is_empty() && markers.is_empty());
}

#[tokio::test]
async fn suspended_writes_replace_the_null_version_and_keep_the_others() {
    let s = TestServer::with_bucket(BUCKET).await;
    s.put(BUCKET, "k", "from before versioning").await;
    set_versioning(&s, BucketVersioningStatus::Enabled).await;
    let v1 = put_version(&s, "k", "enabled one").await;
    set_versioning(&s, BucketVersioningStatus::Suspended).await;
    assert_eq!(put_version(&s, "k", "suspended one").await, "null");
    // The null version written before versioning was replaced, not kept twice.
    assert_eq!(put_version(&s, "k", "suspended two").await, "null");
    let (versions, ids, markers) = version_ids(&s).await;
    assert_eq!(ids, ["null", v1.as_str()]);
    assert!(markers.is_empty());
    assert_eq!(versions.versions()[0].is_latest(), Some(true));
    assert_eq!(get_version(&s, "k", "null").await, b"suspended two");
    assert_eq!(get_version(&s, "k", &v1).await, b"enabled one");
    let current = s.get_object(BUCKET, "k").await;
    assert_eq!(current.version_id(), Some("null"));

    // A suspended delete is a null delete marker, replacing the null version.
    assert_eq!(delete_current(&s, "k").await, "null");
    assert_eq!(s.get_error(BUCKET, "k").await, "NoSuchKey");
    let (_, ids, markers) = version_ids(&s).await;
    assert_eq!(ids, [v1.as_str()]);
    assert_eq!(markers, ["null"]);
    // Enabled again, the next write gets a real id; the null marker stays in the history.
    set_versioning(&s, BucketVersioningStatus::Enabled).await;
    let v3 = put_version(&s, "k", "enabled again").await;
    assert_ne!(v3, "null");
    let resp = s
        .send_signed(http::Method::GET, &format!("/{BUCKET}/k?versionId=null"))
        .await;
    assert_eq!(resp.status(), 405, "the null version is a delete marker");
}

#[tokio::test]
async fn delete_objects_deletes_versions_and_reports_markers() {
    let s = versioned(BucketVersioningStatus::Enabled).await;
    let a1 = put_version(&s, "a", "a1").await;
    let a2 = put_version(&s, "a", "a2").await;
    let b1 = put_version(&s, "b", "b1").await;
    let c_marker = {
        put_version(&s, "c", "c1").await;
        delete_current(&s, "c").await
    };
    let id = |key: &str, version: Option<&str>| {
        ObjectIdentifier::builder()
            .key(key)
            .set_version_id(version.map(str::to_owned))
            .build()
            .expect("identifier")
    };
    let out = s
        .client
        .delete_objects()
        .bucket(BUCKET)
        .delete(
            Delete::builder()
                .objects(id("a", Some(&a1)))
                .objects(id("b", None))
                .objects(id("c", Some(&c_marker)))
                .build()
                .expect("delete"),
        )
        .send()
        .await
        .expect("delete objects");
    assert!(out.errors().is_empty(), "{:?}", out.errors());
    let by_key = |k: &str| {
        out.deleted()
            .iter()
            .find(|d| d.key() == Some(k))
            .unwrap_or_else(|| panic!("{k} reported"))
    };
    // A version deleted for good: its id, no marker.
    assert_eq!(by_key("a").version_id(), Some(a1.as_str()));
    assert_eq!(by_key("a").delete_marker(), None);
    // A delete without a version: a new marker, reported with its id.
    let b = by_key("b");
    assert_eq!(b.delete_marker(), Some(true));
    let b_marker = b.delete_marker_version_id().expect("marker id").to_owned();
    assert_ne!(b_marker, b1);
    // A marker deleted by id: reported as a marker, with its id.
    let c = by_key("c");
    assert_eq!(c.delete_marker(), Some(true));
    assert_eq!(c.version_id(), Some(c_marker.as_str()));
    assert_eq!(c.delete_marker_version_id(), Some(c_marker.as_str()));

    assert_eq!(s.get_bytes(BUCKET, "a").await, b"a2");
    expect_code(
        s.client
            .get_object()
            .bucket(BUCKET)
            .key("a")
            .version_id(&a1)
            .send()
            .await,
        "NoSuchVersion",
    );
    assert_eq!(get_version(&s, "a", &a2).await, b"a2");
    assert_eq!(s.get_error(BUCKET, "b").await, "NoSuchKey");
    assert_eq!(get_version(&s, "b", &b1).await, b"b1");
    assert_eq!(s.get_bytes(BUCKET, "c").await, b"c1", "the marker is gone");

    // A malformed version id is a per-key error, the rest of the batch is done.
    let out = s
        .client
        .delete_objects()
        .bucket(BUCKET)
        .delete(
            Delete::builder()
                .objects(id("a", Some("bad id")))
                .objects(id("a", Some(&a2)))
                .build()
                .expect("delete"),
        )
        .send()
        .await
        .expect("delete objects");
    assert_eq!(out.errors().len(), 1);
    assert_eq!(out.errors()[0].code(), Some("InvalidArgument"));
    assert_eq!(out.deleted().len(), 1);
    assert_eq!(s.get_error(BUCKET, "a").await, "NoSuchKey");
}

#[tokio::test]
async fn copies_read_a_chosen_version_and_write_a_new_one() {
    let s = versioned(BucketVersioningStatus::Enabled).await;
    let v1 = put_version(&s, "src", "version one").await;
    let _v2 = put_version(&s, "src", "version two").await;
    let out = s
        .client
        .copy_object()
        .bucket(BUCKET)
        .key("dst")
        .copy_source(format!("{BUCKET}/src?versionId={v1}"))
        .send()
        .await
        .expect("copy v1");
    assert_eq!(out.copy_source_version_id(), Some(v1.as_str()));
    let dst_version = out.version_id().expect("destination version").to_owned();
    assert_eq!(get_version(&s, "dst", &dst_version).await, b"version one");
    // Copying over itself (a metadata refresh) makes a new version too.
    let again = s
        .client
        .copy_object()
        .bucket(BUCKET)
        .key("dst")
        .copy_source(format!("{BUCKET}/dst"))
        .metadata_directive(aws_sdk_s3::types::MetadataDirective::Replace)
        .content_type("text/plain")
        .send()
        .await
        .expect("copy onto itself");
    assert_eq!(again.copy_source_version_id(), Some(dst_version.as_str()));
    assert_ne!(again.version_id(), Some(dst_version.as_str()));

    // A source whose current version is a marker is missing; a marker by id cannot be copied.
    let marker = delete_current(&s, "src").await;
    let copy = |source: String| {
        s.client
            .copy_object()
            .bucket(BUCKET)
            .key("x")
            .copy_source(source)
            .send()
    };
    expect_code(copy(format!("{BUCKET}/src")).await, "NoSuchKey");
    expect_code(
        copy(format!("{BUCKET}/src?versionId={marker}")).await,
        "InvalidRequest",
    );
    // An older version is still a valid source.
    copy(format!("{BUCKET}/src?versionId={v1}"))
        .await
        .expect("v1 copies");
}

#[tokio::test]
async fn multipart_completion_is_a_version_and_a_retry_answers_the_same() {
    let s = versioned(BucketVersioningStatus::Enabled).await;
    let before = put_version(&s, "big", "small predecessor").await;
    let create = s
        .client
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("big")
        .send()
        .await
        .expect("create");
    let upload_id = create.upload_id().expect("upload id");
    let part = vec![7u8; 5 * 1024 * 1024];
    let etags = [s
        .upload_part(BUCKET, "big", upload_id, 1, part.clone())
        .await];
    let complete = || {
        s.client
            .complete_multipart_upload()
            .bucket(BUCKET)
            .key("big")
            .upload_id(upload_id)
            .multipart_upload(completed(&etags))
            .send()
    };
    let first = complete().await.expect("complete");
    let version = first.version_id().expect("version").to_owned();
    assert_ne!(version, before);
    // An SDK retrying after a lost answer gets the same answer, not NoSuchUpload.
    let retry = complete().await.expect("retried complete");
    assert_eq!(retry.e_tag(), first.e_tag());
    assert_eq!(retry.location(), first.location());
    assert_eq!(retry.version_id(), Some(version.as_str()));
    assert_eq!(get_version(&s, "big", &version).await, part);
    assert_eq!(get_version(&s, "big", &before).await, b"small predecessor");
    // Once the key changes, the upload is gone for good.
    put_version(&s, "big", "newer").await;
    expect_code(complete().await, "NoSuchUpload");
}
