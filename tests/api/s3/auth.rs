//! Authentication and access: signatures, presigned URLs, anonymous and public-read.

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;

use crate::support::server::{
    client_for, code, expect_code, presigning, xml_code, TestServer, ACCESS_KEY,
};

#[tokio::test]
async fn wrong_secret_and_unknown_key_are_refused() {
    let s = TestServer::with_bucket("bkt").await;
    let bad = client_for(s.addr, ACCESS_KEY, "wrong-secret");
    let err = bad.list_buckets().send().await.expect_err("refused");
    assert_eq!(code(&err), "SignatureDoesNotMatch");
    let unknown = client_for(s.addr, "NOSUCHKEY", "x");
    let err = unknown.list_buckets().send().await.expect_err("refused");
    assert_eq!(code(&err), "InvalidAccessKeyId");
    expect_code(
        bad.put_object()
            .bucket("bkt")
            .key("k")
            .body(b"x".to_vec().into())
            .send()
            .await,
        "SignatureDoesNotMatch",
    );
    assert_eq!(
        s.key_count("bkt").await,
        Some(0),
        "nothing stored by a refused PUT"
    );
}

/// As in AWS: a public-read bucket ACL lets anyone list the bucket, not read its objects;
/// an object is readable by anyone when its own ACL says so.
#[tokio::test]
async fn anonymous_requests_are_denied_unless_an_acl_allows_them() {
    let s = TestServer::with_bucket("private").await;
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
    s.client
        .put_object()
        .bucket("pub")
        .key("img.png")
        .acl(aws_sdk_s3::types::ObjectCannedAcl::PublicRead)
        .body(b"pixels".to_vec().into())
        .send()
        .await
        .expect("put public object");
    s.put("pub", "own.txt", "the owner's").await;
    let resp = reqwest::get(s.url("/pub/img.png")).await.expect("sent");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.expect("body"), "pixels");
    let resp = reqwest::get(s.url("/pub/own.txt")).await.expect("sent");
    assert_eq!(
        resp.status(),
        403,
        "an object without a public ACL stays private"
    );
    let resp = reqwest::get(s.url("/pub/missing")).await.expect("sent");
    assert_eq!(
        resp.status(),
        404,
        "who may list the bucket learns a key is missing"
    );
    let resp = reqwest::Client::new()
        .put(s.url("/pub/new"))
        .body("x")
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 403, "anonymous writes stay refused");
    let resp = reqwest::get(s.url("/pub")).await.expect("sent");
    assert_eq!(
        resp.status(),
        200,
        "the bucket's READ grant lets anyone list it"
    );
    let acl = s
        .client
        .get_bucket_acl()
        .bucket("pub")
        .send()
        .await
        .expect("acl");
    assert_eq!(acl.grants().len(), 2);
    // PutBucketAcl back to private: no listing; the object keeps its own ACL.
    s.client
        .put_bucket_acl()
        .bucket("pub")
        .acl(aws_sdk_s3::types::BucketCannedAcl::Private)
        .send()
        .await
        .expect("acl");
    let resp = reqwest::get(s.url("/pub")).await.expect("sent");
    assert_eq!(resp.status(), 403);
    let resp = reqwest::get(s.url("/pub/img.png")).await.expect("sent");
    assert_eq!(resp.status(), 200);
    // PutObjectAcl back to private.
    s.client
        .put_object_acl()
        .bucket("pub")
        .key("img.png")
        .acl(aws_sdk_s3::types::ObjectCannedAcl::Private)
        .send()
        .await
        .expect("object acl");
    let resp = reqwest::get(s.url("/pub/img.png")).await.expect("sent");
    assert_eq!(resp.status(), 403);
}

#[tokio::test]
async fn presigned_get_and_put() {
    let s = TestServer::with_bucket("bkt").await;
    s.put("bkt", "a b+c", "presigned body").await;
    let presigned = s
        .client
        .get_object()
        .bucket("bkt")
        .key("a b+c")
        .presigned(presigning())
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
        .presigned(presigning())
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
    let s = TestServer::with_bucket("bkt").await;
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

/// Sign like curl 7.x's `--aws-sigv4`: the body's SHA-256 as payload hash without sending
/// `x-amz-content-sha256`, and a valueless query parameter written `name` instead of `name=`.
fn curl7_style(
    s: &TestServer,
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
) -> reqwest::RequestBuilder {
    use originstore::auth::sigv4::{hmac_sha256, sha256_hex, signing_key};
    let now = time::OffsetDateTime::now_utc();
    let date = format!(
        "{:04}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    );
    let datetime = format!(
        "{date}T{:02}{:02}{:02}Z",
        now.hour(),
        now.minute(),
        now.second()
    );
    let host = s.addr.to_string();
    let canonical = format!(
        "{method}\n{path}\n{query}\nhost:{host}\nx-amz-date:{datetime}\n\nhost;x-amz-date\n{}",
        sha256_hex(body)
    );
    let scope = format!("{date}/us-east-1/s3/aws4_request");
    let sts = format!(
        "AWS4-HMAC-SHA256\n{datetime}\n{scope}\n{}",
        sha256_hex(canonical.as_bytes())
    );
    let key = signing_key(crate::support::server::SECRET_KEY, &date, "us-east-1", "s3");
    let signature = hex::encode(hmac_sha256(&key, sts.as_bytes()));
    reqwest::Client::new()
        .request(method.parse().expect("method"), s.url(&format!("{path}?{query}")))
        .header("x-amz-date", datetime)
        .header(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{scope}, SignedHeaders=host;x-amz-date, Signature={signature}"),
        )
        .body(body.to_vec())
}

/// Regression: curl 7.x's signatures were refused (SignatureDoesNotMatch), which broke the
/// README's way of setting an origin configuration.
#[tokio::test]
async fn curl7_style_signatures_are_accepted() {
    let s = TestServer::with_bucket("bkt").await;
    let resp = curl7_style(&s, "GET", "/bkt", "versioning", b"")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    let body = b"<CreateBucketConfiguration><LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>";
    let resp = curl7_style(&s, "PUT", "/bkt2", "", body)
        .send()
        .await
        .expect("sent");
    assert_eq!(
        resp.status(),
        200,
        "a signed body hash without x-amz-content-sha256"
    );
    // The body hash is really checked: a different body is refused and nothing happens.
    let signed = curl7_style(&s, "PUT", "/bkt3", "", body)
        .build()
        .expect("request");
    let mut tampered = signed;
    *tampered.body_mut() = Some(b"<CreateBucketConfiguration/>".to_vec().into());
    let resp = reqwest::Client::new()
        .execute(tampered)
        .await
        .expect("sent");
    assert_eq!(resp.status(), 403);
    let err = s
        .client
        .head_bucket()
        .bucket("bkt3")
        .send()
        .await
        .expect_err("not created");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));
}

/// The real curl, as the README uses it for `?origin` (skipped only if curl is absent).
#[tokio::test]
async fn real_curl_aws_sigv4_works() {
    let Ok(out) = std::process::Command::new("curl").arg("--version").output() else {
        eprintln!("curl not installed; skipping");
        return;
    };
    assert!(out.status.success());
    let s = TestServer::with_bucket("bkt").await;
    let user = format!("{ACCESS_KEY}:{}", crate::support::server::SECRET_KEY);
    let url = s.url("/bkt/hello.txt");
    let run = move |args: Vec<String>| {
        std::process::Command::new("curl")
            .args([
                "-sS",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "--aws-sigv4",
                "aws:amz:us-east-1:s3",
                "--user",
                &user,
            ])
            .args(args)
            .output()
            .expect("curl runs")
    };
    let put = tokio::task::spawn_blocking({
        let (run, url) = (run.clone(), url.clone());
        move || {
            run(vec![
                "-X".into(),
                "PUT".into(),
                "--data-binary".into(),
                "hello from curl".into(),
                url,
            ])
        }
    })
    .await
    .expect("join");
    assert_eq!(
        String::from_utf8_lossy(&put.stdout),
        "200",
        "{}",
        String::from_utf8_lossy(&put.stderr)
    );
    assert_eq!(s.get_bytes("bkt", "hello.txt").await, b"hello from curl");
    let acl = tokio::task::spawn_blocking(move || run(vec![format!("{url}?acl")]))
        .await
        .expect("join");
    assert_eq!(String::from_utf8_lossy(&acl.stdout), "200");
}
