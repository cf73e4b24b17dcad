//! Authentication and access: signatures, presigned URLs, anonymous and public-read.

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;

use crate::common::{client_for, code, xml_code, TestServer, ACCESS_KEY};

#[tokio::test]
async fn wrong_secret_and_unknown_key_are_refused() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    let bad = client_for(s.addr, ACCESS_KEY, "wrong-secret");
    let err = bad.list_buckets().send().await.expect_err("refused");
    assert_eq!(code(&err), "SignatureDoesNotMatch");
    let unknown = client_for(s.addr, "NOSUCHKEY", "x");
    let err = unknown.list_buckets().send().await.expect_err("refused");
    assert_eq!(code(&err), "InvalidAccessKeyId");
    let err = bad
        .put_object()
        .bucket("bkt")
        .key("k")
        .body(b"x".to_vec().into())
        .send()
        .await
        .expect_err("refused");
    assert_eq!(code(&err), "SignatureDoesNotMatch");
    let listed = s
        .client
        .list_objects_v2()
        .bucket("bkt")
        .send()
        .await
        .expect("list");
    assert_eq!(
        listed.key_count(),
        Some(0),
        "nothing stored by a refused PUT"
    );
}

#[tokio::test]
async fn anonymous_requests_are_denied_unless_public_read() {
    let s = TestServer::start().await;
    s.create_bucket("private").await;
    s.put("private", "k", "secret").await;
    let resp = reqwest::get(s.url("/private/k")).await.expect("sent");
    assert_eq!(resp.status(), 403);
    assert_eq!(xml_code(&resp.text().await.expect("body")), "AccessDenied");
    let resp = reqwest::get(s.url("/")).await.expect("sent");
    assert_eq!(resp.status(), 403);

    s.client
        .create_bucket()
        .bucket("pub")
        .acl(aws_sdk_s3::types::BucketCannedAcl::PublicRead)
        .send()
        .await
        .expect("create public");
    s.put("pub", "img.png", "pixels").await;
    let resp = reqwest::get(s.url("/pub/img.png")).await.expect("sent");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.expect("body"), "pixels");
    let resp = reqwest::Client::new()
        .put(s.url("/pub/new"))
        .body("x")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 403, "anonymous writes stay refused");
    let resp = reqwest::get(s.url("/pub")).await.expect("sent");
    assert_eq!(resp.status(), 403, "anonymous listing stays refused");
    let acl = s
        .client
        .get_bucket_acl()
        .bucket("pub")
        .send()
        .await
        .expect("acl");
    assert_eq!(acl.grants().len(), 2);
    // PutBucketAcl back to private.
    s.client
        .put_bucket_acl()
        .bucket("pub")
        .acl(aws_sdk_s3::types::BucketCannedAcl::Private)
        .send()
        .await
        .expect("acl");
    let resp = reqwest::get(s.url("/pub/img.png")).await.expect("sent");
    assert_eq!(resp.status(), 403);
}

#[tokio::test]
async fn presigned_get_and_put() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    s.put("bkt", "a b+c", "presigned body").await;
    let presigned = s
        .client
        .get_object()
        .bucket("bkt")
        .key("a b+c")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).expect("config"))
        .await
        .expect("presign");
    let resp = reqwest::get(presigned.uri()).await.expect("sent");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.expect("body"), "presigned body");
    // An extra unsigned query parameter does not break the signature... it must be signed
    // to be honoured, but a tampered signature must fail.
    let tampered = presigned
        .uri()
        .replace("X-Amz-Signature=", "X-Amz-Signature=0");
    let resp = reqwest::get(tampered).await.expect("sent");
    assert_eq!(resp.status(), 403);

    let put = s
        .client
        .put_object()
        .bucket("bkt")
        .key("up")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).expect("config"))
        .await
        .expect("presign");
    let resp = reqwest::Client::new()
        .put(put.uri())
        .body("via presigned put")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
    assert_eq!(s.get_bytes("bkt", "up").await, b"via presigned put");
}

#[tokio::test]
async fn expired_presigned_url_is_access_denied() {
    let s = TestServer::start().await;
    s.create_bucket("bkt").await;
    s.put("bkt", "k", "x").await;
    let past = std::time::SystemTime::now() - Duration::from_secs(3600);
    let presigned = s
        .client
        .get_object()
        .bucket("bkt")
        .key("k")
        .presigned(
            PresigningConfig::builder()
                .start_time(past)
                .expires_in(Duration::from_secs(60))
                .build()
                .expect("config"),
        )
        .await
        .expect("presign");
    let resp = reqwest::get(presigned.uri()).await.expect("sent");
    assert_eq!(resp.status(), 403);
    let body = resp.text().await.expect("body");
    assert_eq!(xml_code(&body), "AccessDenied");
    assert!(body.contains("Request has expired"), "{body}");
}
