//! Tagging and storage classes with aws-sdk-s3: object tags (of any version) and bucket
//! tags with AWS's limits and errors, `x-amz-tagging` on PutObject, CreateMultipartUpload
//! and CopyObject (with `x-amz-tagging-directive`), `x-amz-tagging-count` on reads, and
//! `x-amz-storage-class` stored and echoed.

use aws_sdk_s3::types::{StorageClass, Tag, Tagging, TaggingDirective};

use crate::support::server::{completed, expect_code, keys_of, TestServer};

const BUCKET: &str = "tags";

fn tagging(pairs: &[(&str, &str)]) -> Tagging {
    Tagging::builder()
        .set_tag_set(Some(
            pairs
                .iter()
                .map(|(k, v)| Tag::builder().key(*k).value(*v).build().expect("tag"))
                .collect(),
        ))
        .build()
        .expect("tagging")
}

async fn tags_of(s: &TestServer, key: &str, version: Option<&str>) -> Vec<(String, String)> {
    s.client
        .get_object_tagging()
        .bucket(BUCKET)
        .key(key)
        .set_version_id(version.map(str::to_owned))
        .send()
        .await
        .expect("get tagging")
        .tag_set()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn object_tags_round_trip_and_are_counted_on_reads() {
    let s = TestServer::with_bucket(BUCKET).await;
    s.client
        .put_object()
        .bucket(BUCKET)
        .key("k")
        .body(b"x".to_vec().into())
        .tagging("project=apollo&stage=a%20b")
        .send()
        .await
        .expect("put with tags");
    assert_eq!(
        tags_of(&s, "k", None).await,
        pairs(&[("project", "apollo"), ("stage", "a b")])
    );
    let head = s
        .client
        .head_object()
        .bucket(BUCKET)
        .key("k")
        .send()
        .await
        .expect("head");
    assert_eq!(head.tag_count(), Some(2));
    let etag = head.e_tag().map(str::to_owned);
    s.client
        .put_object_tagging()
        .bucket(BUCKET)
        .key("k")
        .tagging(tagging(&[("only", "one")]))
        .send()
        .await
        .expect("put tagging");
    assert_eq!(tags_of(&s, "k", None).await, pairs(&[("only", "one")]));
    let got = s.get_object(BUCKET, "k").await;
    assert_eq!(got.tag_count(), Some(1));
    assert_eq!(
        got.e_tag().map(str::to_owned),
        etag,
        "tagging is not a write"
    );
    s.client
        .delete_object_tagging()
        .bucket(BUCKET)
        .key("k")
        .send()
        .await
        .expect("delete tagging");
    assert!(tags_of(&s, "k", None).await.is_empty());
    assert_eq!(s.get_object(BUCKET, "k").await.tag_count(), None);
    expect_code(
        s.client
            .get_object_tagging()
            .bucket(BUCKET)
            .key("missing")
            .send()
            .await,
        "NoSuchKey",
    );
}

#[tokio::test]
async fn tag_limits_are_refused_with_the_aws_errors() {
    let s = TestServer::with_bucket(BUCKET).await;
    s.put(BUCKET, "k", "x").await;
    let put = |t: Tagging| {
        s.client
            .put_object_tagging()
            .bucket(BUCKET)
            .key("k")
            .tagging(t)
            .send()
    };
    put(tagging(&[("kept", "yes")])).await.expect("valid");
    let eleven: Vec<(String, String)> = (0..11).map(|i| (format!("k{i}"), "v".into())).collect();
    let eleven: Vec<(&str, &str)> = eleven
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    expect_code(put(tagging(&eleven)).await, "BadRequest");
    expect_code(put(tagging(&[("a", "1"), ("a", "2")])).await, "InvalidTag");
    let long_key = "k".repeat(129);
    expect_code(put(tagging(&[(&long_key, "v")])).await, "InvalidTag");
    let long_value = "v".repeat(257);
    expect_code(put(tagging(&[("k", &long_value)])).await, "InvalidTag");
    expect_code(put(tagging(&[("aws:reserved", "v")])).await, "InvalidTag");
    assert_eq!(
        tags_of(&s, "k", None).await,
        pairs(&[("kept", "yes")]),
        "unchanged"
    );
    // 10 tags of 128-character keys and 256-character values are within the limits.
    let ten: Vec<(String, String)> = (0..10)
        .map(|i| (format!("{i}{}", "k".repeat(127)), "é".repeat(256)))
        .collect();
    let ten_refs: Vec<(&str, &str)> = ten.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    put(tagging(&ten_refs)).await.expect("at the limits");
    assert_eq!(tags_of(&s, "k", None).await, ten);
    // A bad x-amz-tagging header refuses the PUT itself.
    let path = format!("/{BUCKET}/dup");
    let headers = [("x-amz-tagging", "a=1&a=2")];
    assert_eq!(
        s.refusal(http::Method::PUT, &path, &headers, "x").await,
        (400, "InvalidArgument".to_owned())
    );
    assert_eq!(s.get_error(BUCKET, "dup").await, "NoSuchKey");
}

#[tokio::test]
async fn tags_travel_with_multipart_uploads_and_copies() {
    let s = TestServer::with_bucket(BUCKET).await;
    let id = s
        .client
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("mp")
        .tagging("from=upload")
        .storage_class(StorageClass::StandardIa)
        .send()
        .await
        .expect("create")
        .upload_id()
        .expect("id")
        .to_owned();
    let etag = s
        .upload_part(BUCKET, "mp", &id, 1, b"only part".to_vec())
        .await;
    s.client
        .complete_multipart_upload()
        .bucket(BUCKET)
        .key("mp")
        .upload_id(&id)
        .multipart_upload(completed(&[etag]))
        .send()
        .await
        .expect("complete");
    assert_eq!(tags_of(&s, "mp", None).await, pairs(&[("from", "upload")]));
    let head = s
        .client
        .head_object()
        .bucket(BUCKET)
        .key("mp")
        .send()
        .await
        .expect("head");
    assert_eq!(head.storage_class(), Some(&StorageClass::StandardIa));

    // CopyObject: the tags are copied by default, replaced with REPLACE.
    let copy = |dst: &str| {
        s.client
            .copy_object()
            .bucket(BUCKET)
            .key(dst)
            .copy_source(format!("{BUCKET}/mp"))
    };
    copy("copied").send().await.expect("copy");
    assert_eq!(
        tags_of(&s, "copied", None).await,
        pairs(&[("from", "upload")])
    );
    copy("replaced")
        .tagging_directive(TaggingDirective::Replace)
        .tagging("new=tag")
        .send()
        .await
        .expect("copy replace");
    assert_eq!(
        tags_of(&s, "replaced", None).await,
        pairs(&[("new", "tag")])
    );
    copy("cleared")
        .tagging_directive(TaggingDirective::Replace)
        .send()
        .await
        .expect("copy without tags");
    assert!(tags_of(&s, "cleared", None).await.is_empty());
    // The copy's storage class is the request's: STANDARD unless asked.
    let head = s
        .client
        .head_object()
        .bucket(BUCKET)
        .key("copied")
        .send()
        .await
        .expect("head");
    assert_eq!(head.storage_class(), None, "STANDARD is not echoed");
}

#[tokio::test]
async fn versions_have_their_own_tags() {
    let s = TestServer::with_bucket(BUCKET).await;
    s.set_versioning(BUCKET, aws_sdk_s3::types::BucketVersioningStatus::Enabled)
        .await;
    let put = |body: &'static str, tags: &'static str| {
        s.client
            .put_object()
            .bucket(BUCKET)
            .key("k")
            .body(body.as_bytes().to_vec().into())
            .tagging(tags)
            .send()
    };
    let v1 = put("one", "v=1")
        .await
        .expect("v1")
        .version_id()
        .expect("id")
        .to_owned();
    let v2 = put("two", "v=2")
        .await
        .expect("v2")
        .version_id()
        .expect("id")
        .to_owned();
    let out = s
        .client
        .put_object_tagging()
        .bucket(BUCKET)
        .key("k")
        .version_id(&v1)
        .tagging(tagging(&[("v", "one retagged")]))
        .send()
        .await
        .expect("tag v1");
    assert_eq!(out.version_id(), Some(v1.as_str()));
    assert_eq!(
        tags_of(&s, "k", Some(&v1)).await,
        pairs(&[("v", "one retagged")])
    );
    assert_eq!(tags_of(&s, "k", None).await, pairs(&[("v", "2")]));
    let versions = s
        .client
        .list_object_versions()
        .bucket(BUCKET)
        .send()
        .await
        .expect("versions");
    assert_eq!(versions.versions().len(), 2, "tagging adds no version");
    // GetObjectAttributes reads a chosen version too.
    let attributes = s
        .client
        .get_object_attributes()
        .bucket(BUCKET)
        .key("k")
        .version_id(&v1)
        .object_attributes(aws_sdk_s3::types::ObjectAttributes::ObjectSize)
        .send()
        .await
        .expect("attributes of v1");
    assert_eq!(attributes.object_size(), Some(3));
    assert_eq!(attributes.version_id(), Some(v1.as_str()));
    assert_eq!(
        s.get_object(BUCKET, "k").await.version_id(),
        Some(v2.as_str())
    );

    // A delete marker has no tags.
    let marker = s
        .client
        .delete_object()
        .bucket(BUCKET)
        .key("k")
        .send()
        .await
        .expect("delete")
        .version_id()
        .expect("marker")
        .to_owned();
    expect_code(
        s.client
            .get_object_tagging()
            .bucket(BUCKET)
            .key("k")
            .send()
            .await,
        "NoSuchKey",
    );
    expect_code(
        s.client
            .get_object_tagging()
            .bucket(BUCKET)
            .key("k")
            .version_id(&marker)
            .send()
            .await,
        "MethodNotAllowed",
    );
}

#[tokio::test]
async fn bucket_tags() {
    let s = TestServer::with_bucket(BUCKET).await;
    let get = || s.client.get_bucket_tagging().bucket(BUCKET).send();
    expect_code(get().await, "NoSuchTagSet");
    let fifty: Vec<(String, String)> = (0..50)
        .map(|i| (format!("team{i}"), format!("{i}")))
        .collect();
    let refs: Vec<(&str, &str)> = fifty
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    s.client
        .put_bucket_tagging()
        .bucket(BUCKET)
        .tagging(tagging(&refs))
        .send()
        .await
        .expect("50 tags");
    let got: Vec<(String, String)> = get()
        .await
        .expect("get")
        .tag_set()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    assert_eq!(got, fifty);
    let mut too_many = refs.clone();
    too_many.push(("one", "more"));
    expect_code(
        s.client
            .put_bucket_tagging()
            .bucket(BUCKET)
            .tagging(tagging(&too_many))
            .send()
            .await,
        "BadRequest",
    );
    s.client
        .delete_bucket_tagging()
        .bucket(BUCKET)
        .send()
        .await
        .expect("delete");
    expect_code(get().await, "NoSuchTagSet");
}

#[tokio::test]
async fn storage_classes_are_stored_and_listed() {
    let s = TestServer::with_bucket(BUCKET).await;
    s.client
        .put_object()
        .bucket(BUCKET)
        .key("cold")
        .body(b"x".to_vec().into())
        .storage_class(StorageClass::Glacier)
        .send()
        .await
        .expect("put");
    s.put(BUCKET, "warm", "x").await;
    let listed = s
        .client
        .list_objects_v2()
        .bucket(BUCKET)
        .send()
        .await
        .expect("list");
    assert_eq!(keys_of(listed.contents()), ["cold", "warm"]);
    let classes: Vec<_> = listed
        .contents()
        .iter()
        .map(|o| o.storage_class().map(|c| c.as_str().to_owned()))
        .collect();
    assert_eq!(
        classes,
        [Some("GLACIER".to_owned()), Some("STANDARD".to_owned())]
    );
    let got = s.get_object(BUCKET, "cold").await;
    assert_eq!(got.storage_class(), Some(&StorageClass::Glacier));
    let path = format!("/{BUCKET}/bad");
    let headers = [("x-amz-storage-class", "COLDEST")];
    assert_eq!(
        s.refusal(http::Method::PUT, &path, &headers, "x").await,
        (400, "InvalidStorageClass".to_owned())
    );
}
