//! Bucket operations.

use crate::common::{expect_code, xml_code, TestServer};

#[tokio::test]
async fn create_list_head_delete() {
    let s = TestServer::with_bucket("alpha").await;
    s.create_bucket("beta").await;
    let out = s.client.list_buckets().send().await.expect("list");
    let names: Vec<_> = out.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["alpha", "beta"]);
    assert!(out.buckets()[0].creation_date().is_some());
    s.client
        .head_bucket()
        .bucket("alpha")
        .send()
        .await
        .expect("head");
    s.client
        .delete_bucket()
        .bucket("alpha")
        .send()
        .await
        .expect("delete");
    let err = s
        .client
        .head_bucket()
        .bucket("alpha")
        .send()
        .await
        .expect_err("gone");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));
    let out = s.client.list_buckets().send().await.expect("list");
    assert_eq!(out.buckets().len(), 1);
}

#[tokio::test]
async fn create_conflicts_and_invalid_names() {
    let s = TestServer::with_bucket("taken").await;
    expect_code(
        s.client.create_bucket().bucket("taken").send().await,
        "BucketAlreadyOwnedByYou",
    );
    expect_code(
        s.other_client()
            .create_bucket()
            .bucket("taken")
            .send()
            .await,
        "BucketAlreadyExists",
    );
    for bad in ["ab", "UPPER", "a..b", "192.168.1.1", "-dash", "under_score"] {
        let resp = s.send_signed(http::Method::PUT, &format!("/{bad}")).await;
        assert_eq!(resp.status(), 400, "{bad}");
        assert_eq!(
            xml_code(&resp.text().await.expect("body")),
            "InvalidBucketName",
            "{bad}"
        );
    }
}

#[tokio::test]
async fn create_with_location_constraint_and_get_location() {
    let s = TestServer::with_bucket("east").await;
    let loc = s
        .client
        .get_bucket_location()
        .bucket("east")
        .send()
        .await
        .expect("location");
    // us-east-1 is reported as an empty constraint.
    assert!(
        loc.location_constraint()
            .is_none_or(|c| c.as_str().is_empty()),
        "{loc:?}"
    );
    let resp = s.send_signed(http::Method::GET, "/east?location").await;
    let body = resp.text().await.expect("body");
    assert!(
        body.contains("<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>"),
        "{body}"
    );

    let body = "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>";
    let resp = s
        .signed(http::Method::PUT, "/west")
        .body(body)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
    let resp = s.send_signed(http::Method::GET, "/west?location").await;
    assert!(resp
        .text()
        .await
        .expect("body")
        .contains(">eu-west-1</LocationConstraint>"));
    let resp = s
        .signed(http::Method::PUT, "/bad-xml-bucket")
        .body("<CreateBucketConfiguration>")
        .send()
        .await
        .expect("sent");
    assert_eq!(xml_code(&resp.text().await.expect("body")), "MalformedXML");
}

#[tokio::test]
async fn delete_refuses_non_empty_and_missing() {
    let s = TestServer::with_bucket("full").await;
    s.put("full", "k", "v").await;
    expect_code(
        s.client.delete_bucket().bucket("full").send().await,
        "BucketNotEmpty",
    );
    s.client
        .delete_object()
        .bucket("full")
        .key("k")
        .send()
        .await
        .expect("delete object");
    s.client
        .delete_bucket()
        .bucket("full")
        .send()
        .await
        .expect("now empty");
    expect_code(
        s.client.delete_bucket().bucket("full").send().await,
        "NoSuchBucket",
    );
    expect_code(
        s.client.list_objects_v2().bucket("never").send().await,
        "NoSuchBucket",
    );
}

#[tokio::test]
async fn buckets_belong_to_their_creator() {
    let s = TestServer::with_bucket("mine").await;
    s.put("mine", "k", "v").await;
    let other = s.other_client();
    expect_code(
        other.get_object().bucket("mine").key("k").send().await,
        "AccessDenied",
    );
    expect_code(
        other
            .put_object()
            .bucket("mine")
            .key("k2")
            .body(b"x".to_vec().into())
            .send()
            .await,
        "AccessDenied",
    );
    let listed = other.list_buckets().send().await.expect("list");
    assert!(
        listed.buckets().is_empty(),
        "a user lists only their buckets"
    );
}

#[tokio::test]
async fn versioning_acl_and_unimplemented_subresources() {
    let s = TestServer::with_bucket("bkt").await;
    let v = s
        .client
        .get_bucket_versioning()
        .bucket("bkt")
        .send()
        .await
        .expect("versioning");
    assert!(v.status().is_none());
    let acl = s
        .client
        .get_bucket_acl()
        .bucket("bkt")
        .send()
        .await
        .expect("acl");
    assert_eq!(acl.grants().len(), 1);
    expect_code(
        s.client.get_bucket_policy().bucket("bkt").send().await,
        "NotImplemented",
    );
    let resp = s.send_signed(http::Method::GET, "/bkt?cors").await;
    assert_eq!(resp.status(), 501);
    assert!(resp.text().await.expect("body").contains("GetBucketCors"));
}

#[tokio::test]
async fn health_needs_no_auth() {
    let s = TestServer::start().await;
    let resp = reqwest::get(s.url("/health")).await.expect("sent");
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().contains_key("x-amz-request-id"));
}
