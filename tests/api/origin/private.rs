//! A private S3-compatible origin reached with SigV4-signed requests.

use super::{document, put_origin, Rule};
use crate::support::server::{code, pattern, user_meta, TestServer};

/// A private S3-compatible origin: another originstore bucket, reached with SigV4-signed
/// requests (PrivateHost + CredentialProvider). Its ETag (an MD5) is verified on fill.
#[tokio::test]
async fn private_s3_origin_with_sigv4() {
    use crate::support::server::SECRET_KEY;
    let upstream = TestServer::start().await;
    upstream.create_bucket("source").await;
    let data = pattern(1_500_000, 17);
    upstream
        .client
        .put_object()
        .bucket("source")
        .key("dir/a b.bin")
        .body(data.clone().into())
        .content_type("application/x-private")
        .metadata("tier", "cold")
        .send()
        .await
        .expect("seed upstream");

    let edge = TestServer::start().await;
    edge.create_bucket("edge").await;
    let mut rule = Rule::mirror("");
    rule.host_info = super::private_host(&upstream, "source", SECRET_KEY);
    let resp = put_origin(&edge, "edge", &document(&[rule])).await;
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );

    let got = edge.get_object("edge", "dir/a b.bin").await;
    assert_eq!(got.content_type(), Some("application/x-private"));
    assert_eq!(user_meta(got.metadata(), "tier"), Some("cold"));
    let etag = got.e_tag().map(str::to_owned);
    assert_eq!(
        crate::support::server::body_of(got).await.as_slice(),
        data.as_slice()
    );
    let head = upstream
        .client
        .head_object()
        .bucket("source")
        .key("dir/a b.bin")
        .send()
        .await
        .expect("head");
    assert_eq!(
        etag.as_deref(),
        head.e_tag(),
        "the copy has the upstream's MD5 ETag"
    );
    assert_eq!(
        edge.get_error("edge", "dir/missing").await,
        "NoSuchKey",
        "404"
    );

    // Wrong credentials: the upstream refuses (403), which is not a 404 and not retried.
    let edge2 = TestServer::start().await;
    edge2.create_bucket("edge").await;
    let mut rule = Rule::mirror("");
    rule.host_info = super::private_host(&upstream, "source", "wrong");
    assert_eq!(
        put_origin(&edge2, "edge", &document(&[rule]))
            .await
            .status(),
        200
    );
    let err = edge2
        .client
        .get_object()
        .bucket("edge")
        .key("dir/a b.bin")
        .send()
        .await
        .expect_err("refused upstream");
    assert_eq!(
        code(&err),
        "NoSuchKey",
        "a refused origin is a miss unless TransparentErrorCode"
    );
}
