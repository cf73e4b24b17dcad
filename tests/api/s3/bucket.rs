//! Bucket operations.

use crate::support::server::{expect_code, xml_code, TestServer};

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

/// AWS: re-creating a bucket you own answers 200 in us-east-1 (objects kept, ACL reset to
/// the request's) and 409 BucketAlreadyOwnedByYou in every other region.
#[tokio::test]
async fn create_conflicts_and_invalid_names() {
    let s = TestServer::with_bucket("taken").await;
    s.put("taken", "kept", "still here").await;
    s.client
        .put_bucket_acl()
        .bucket("taken")
        .acl(aws_sdk_s3::types::BucketCannedAcl::PublicRead)
        .send()
        .await
        .expect("public");
    s.client
        .create_bucket()
        .bucket("taken")
        .send()
        .await
        .expect("us-east-1: re-creating your own bucket is 200");
    assert_eq!(s.get_bytes("taken", "kept").await, b"still here");
    let acl = s
        .client
        .get_bucket_acl()
        .bucket("taken")
        .send()
        .await
        .expect("acl");
    assert_eq!(acl.grants().len(), 1, "the ACL is reset to private");
    // A bucket elsewhere than us-east-1 answers 409, even on a us-east-1 server.
    let west = aws_sdk_s3::types::CreateBucketConfiguration::builder()
        .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
        .build();
    s.client
        .create_bucket()
        .bucket("west")
        .create_bucket_configuration(west.clone())
        .send()
        .await
        .expect("west");
    expect_code(
        s.client
            .create_bucket()
            .bucket("west")
            .create_bucket_configuration(west)
            .send()
            .await,
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
async fn a_server_in_another_region_answers_409_to_a_re_create() {
    let s = TestServer::start_with(|c| c.region = "eu-central-1".into()).await;
    s.create_bucket("mine").await;
    expect_code(
        s.client.create_bucket().bucket("mine").send().await,
        "BucketAlreadyOwnedByYou",
    );
}

/// ListBuckets pages with max-buckets and continuation-token (an SDK paginator), filters by
/// prefix and bucket-region, and echoes the prefix.
#[tokio::test]
async fn list_buckets_pages_and_filters() {
    let s = TestServer::start().await;
    let names = ["a-one", "a-three", "a-two", "b-four", "b-five"];
    for name in names {
        s.create_bucket(name).await;
    }
    s.other_client()
        .create_bucket()
        .bucket("a-other")
        .send()
        .await
        .expect("other user's bucket");
    let west = aws_sdk_s3::types::CreateBucketConfiguration::builder()
        .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
        .build();
    s.client
        .create_bucket()
        .bucket("a-west")
        .create_bucket_configuration(west)
        .send()
        .await
        .expect("west");
    let mut all = names.to_vec();
    all.push("a-west");
    all.sort_unstable();
    for page_size in 1..=7 {
        let pages: Vec<_> = s
            .client
            .list_buckets()
            .max_buckets(page_size)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .expect("pages");
        let listed: Vec<_> = pages
            .iter()
            .flat_map(|p| p.buckets())
            .filter_map(|b| b.name())
            .collect();
        assert_eq!(listed, all, "max-buckets {page_size}");
        let full_pages = all.len().div_ceil(page_size as usize);
        assert_eq!(pages.len(), full_pages, "max-buckets {page_size}");
        assert!(pages
            .last()
            .is_some_and(|p| p.continuation_token().is_none()));
    }
    let a = s
        .client
        .list_buckets()
        .prefix("a-")
        .send()
        .await
        .expect("prefix");
    assert_eq!(a.prefix(), Some("a-"));
    let a_names: Vec<_> = a.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(a_names, ["a-one", "a-three", "a-two", "a-west"]);
    let in_west = s
        .client
        .list_buckets()
        .bucket_region("eu-west-1")
        .send()
        .await
        .expect("region");
    let west_names: Vec<_> = in_west.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(west_names, ["a-west"]);
    for bad in [
        "/?max-buckets=0",
        "/?max-buckets=x",
        "/?continuation-token=%21%21",
    ] {
        let resp = s.send_signed(http::Method::GET, bad).await;
        assert_eq!(resp.status(), 400, "{bad}");
        assert_eq!(
            xml_code(&resp.text().await.expect("body")),
            "InvalidArgument",
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
        s.client.get_bucket_website().bucket("bkt").send().await,
        "NotImplemented",
    );
    let resp = s.send_signed(http::Method::GET, "/bkt?replication").await;
    assert_eq!(resp.status(), 501);
    assert!(resp
        .text()
        .await
        .expect("body")
        .contains("GetBucketReplication"));
}

#[tokio::test]
async fn health_needs_no_auth() {
    let s = TestServer::start().await;
    let resp = reqwest::get(s.url("/health")).await.expect("sent");
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().contains_key("x-amz-request-id"));
}
