//! Secrets and signatures stay secret, and a presigned URL grants exactly what was signed:
//! a full debug-level run of the real server (signed, presigned, aws-chunked and form
//! requests, an origin configuration with a secret key, a failing request) leaves neither a
//! secret nor a signature in its logs; a presigned URL used for another method, key or
//! bucket, or with an unsigned `x-amz-*` header, is refused.

use crate::support::process::{ServeProcess, AK, SK};
use crate::support::server::{client_for, presigning, xml_code, TestServer};

#[tokio::test]
async fn a_debug_run_logs_no_secret_and_no_signature() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let log = tmp.path().join("server.log");
    let server = ServeProcess::start_logging_to(&tmp.path().join("data"), &log);
    let addr: std::net::SocketAddr = server
        .endpoint
        .trim_start_matches("http://")
        .parse()
        .expect("addr");
    let client = client_for(addr, AK, SK);
    client
        .create_bucket()
        .bucket("logs")
        .send()
        .await
        .expect("bucket");
    // aws-chunked with signed chunks (the SDK's default for PUT).
    client
        .put_object()
        .bucket("logs")
        .key("k")
        .body(vec![1u8; 100_000].into())
        .send()
        .await
        .expect("put");
    let presigned = client
        .get_object()
        .bucket("logs")
        .key("k")
        .presigned(presigning())
        .await
        .expect("presign");
    let signature = presigned
        .uri()
        .split("X-Amz-Signature=")
        .nth(1)
        .expect("a signature")
        .to_owned();
    assert_eq!(
        reqwest::get(presigned.uri()).await.expect("sent").status(),
        200
    );
    // A wrong secret, and an origin configuration carrying a secret key.
    let wrong = client_for(addr, AK, "not-the-secret-at-all-0000000000000000000");
    assert!(wrong.list_buckets().send().await.is_err());
    let origin_secret = "origin-secret-that-must-not-leak-000000";
    let config = format!(
        "<OriginConfiguration><OriginRule><RulePriority>1</RulePriority><OriginType>Mirror</OriginType>\
         <OriginInfo><HostInfo><PrivateHost><Host>127.0.0.1:9/src</Host><CredentialProvider>\
         <AuthorizationAlgorithm>AWS4-HMAC-SHA256</AuthorizationAlgorithm><Region>us-east-1</Region>\
         <SecretId>ORIGINAK</SecretId><SecretKey>{origin_secret}</SecretKey></CredentialProvider></PrivateHost>\
         </HostInfo></OriginInfo></OriginRule></OriginConfiguration>"
    );
    let resp = crate::origin::signed_to(&server.endpoint, http::Method::PUT, "/logs?origin")
        .body(config)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
    // A miss the (unreachable) private origin fails: the origin request is signed and logged.
    let _ = client
        .get_object()
        .bucket("logs")
        .key("missing")
        .send()
        .await;
    drop(server);

    let text = std::fs::read_to_string(&log).expect("log");
    assert!(text.contains("PutObject"), "the log has the run: {text}");
    for secret in [
        SK,
        origin_secret,
        signature.as_str(),
        "not-the-secret-at-all",
    ] {
        assert!(!text.contains(secret), "{secret:?} is in the log");
    }
    assert!(!text.contains("Signature="), "a signature is in the log");
    assert!(
        !text.contains("chunk-signature="),
        "a chunk signature is in the log"
    );
}

#[tokio::test]
async fn presigned_urls_cannot_be_widened() {
    let s = TestServer::start().await;
    s.create_bucket("narrow").await;
    s.create_bucket("other").await;
    s.put("narrow", "a", "a").await;
    s.put("narrow", "b", "b").await;
    s.put("other", "a", "other a").await;
    let url = s
        .client
        .get_object()
        .bucket("narrow")
        .key("a")
        .presigned(presigning())
        .await
        .expect("presign")
        .uri()
        .to_owned();
    let http = reqwest::Client::new();
    assert_eq!(http.get(&url).send().await.expect("sent").status(), 200);
    let refused = |resp: reqwest::Response| async move {
        let status = resp.status().as_u16();
        (status, xml_code(&resp.text().await.unwrap_or_default()))
    };
    // Another method, another key, another bucket.
    let put = http.put(&url).body("x").send().await.expect("sent");
    assert_eq!(refused(put).await, (403, "SignatureDoesNotMatch".into()));
    let other_key = http
        .get(url.replacen("/narrow/a?", "/narrow/b?", 1))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        refused(other_key).await,
        (403, "SignatureDoesNotMatch".into())
    );
    let other_bucket = http
        .get(url.replacen("/narrow/a?", "/other/a?", 1))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        refused(other_bucket).await,
        (403, "SignatureDoesNotMatch".into())
    );
    // A presigned PUT used with an x-amz header it did not sign.
    let put_url = s
        .client
        .put_object()
        .bucket("narrow")
        .key("c")
        .presigned(presigning())
        .await
        .expect("presign")
        .uri()
        .to_owned();
    let widened = http
        .put(&put_url)
        .header("x-amz-acl", "public-read")
        .body("c")
        .send()
        .await
        .expect("sent");
    assert_eq!(widened.status(), 403);
    assert_eq!(s.get_error("narrow", "c").await, "NoSuchKey");
    assert_eq!(
        http.put(&put_url)
            .body("c")
            .send()
            .await
            .expect("sent")
            .status(),
        200
    );
}
