use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;

/// Made by cos-python-sdk-v5 1.9.44's `CosS3Auth` at time 1700000000 for this request.
const AUTHORIZATION: &str = "q-sign-algorithm=sha1&q-ak=AKIDEXAMPLE&q-sign-time=1699999940;1700010000&q-key-time=1699999940;1700010000&q-header-list=content-length;content-md5;host;x-cos-meta-colour&q-url-param-list=origin;versionid&q-signature=ab23b4a3003abc5796c65147e29e7c67dbb5c861";

fn request(tweak: impl FnOnce(http::request::Builder) -> http::request::Builder) -> Parts {
    let builder = http::Request::builder()
        .method("PUT")
        .uri("/photos/a%20b%2B%C3%A9.txt?origin&versionId=v1")
        .header("host", "bkt-1250000000.cos.ap-guangzhou.myqcloud.com")
        .header("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==")
        .header("x-cos-meta-colour", "Blue Sky")
        .header("content-length", "0")
        .header("authorization", AUTHORIZATION);
    tweak(builder).body(()).expect("request").into_parts().0
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn secret_for(access_key: &str) -> Option<String> {
    (access_key == "AKIDEXAMPLE").then(|| "secretexample/key".to_owned())
}

#[test]
fn the_cos_sdks_signature_verifies() {
    let ctx = verify(&request(|b| b), &secret_for, at(1_700_000_000)).expect("verifies");
    assert_eq!(ctx.access_key.as_deref(), Some("AKIDEXAMPLE"));
    assert!(matches!(ctx.payload, Payload::Unsigned));
    // The host with a port (the SDK signs the name alone).
    let with_port =
        request(|b| b.header("host", "bkt-1250000000.cos.ap-guangzhou.myqcloud.com:9000"));
    let mut with_port = with_port;
    with_port.headers.insert(
        "host",
        http::HeaderValue::from_static("bkt-1250000000.cos.ap-guangzhou.myqcloud.com:9000"),
    );
    verify(&with_port, &secret_for, at(1_700_000_000)).expect("verifies with a port");
}

#[test]
fn what_breaks_it_is_refused() {
    let now = at(1_700_000_000);
    let mut changed = request(|b| b);
    changed
        .headers
        .insert("x-cos-meta-colour", http::HeaderValue::from_static("Red"));
    assert_eq!(
        verify(&changed, &secret_for, now)
            .expect_err("tampered")
            .to_string(),
        AuthError::SignatureDoesNotMatch.to_string()
    );
    let other_path = http::Request::builder()
        .method("PUT")
        .uri("/photos/other.txt?origin&versionId=v1")
        .header("host", "bkt-1250000000.cos.ap-guangzhou.myqcloud.com")
        .header("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==")
        .header("x-cos-meta-colour", "Blue Sky")
        .header("content-length", "0")
        .header("authorization", AUTHORIZATION)
        .body(())
        .expect("request")
        .into_parts()
        .0;
    assert!(matches!(
        verify(&other_path, &secret_for, now),
        Err(AuthError::SignatureDoesNotMatch)
    ));
    let unsigned = request(|b| b.header("x-cos-acl", "public-read"));
    assert!(matches!(
        verify(&unsigned, &secret_for, now),
        Err(AuthError::AccessDenied(_))
    ));
    assert!(matches!(
        verify(&request(|b| b), &secret_for, at(1_700_010_001)),
        Err(AuthError::AccessDenied(_))
    ));
    assert!(matches!(
        verify(&request(|b| b), &secret_for, at(1_699_999_940 - 3600)),
        Err(AuthError::RequestTimeTooSkewed)
    ));
    let nobody = |_: &str| None;
    assert!(matches!(
        verify(&request(|b| b), &nobody, now),
        Err(AuthError::InvalidAccessKeyId)
    ));
}

#[test]
fn a_presigned_url_verifies() {
    // The same signature carried in the query (as the SDK's get_presigned_url does).
    let query: String = AUTHORIZATION
        .split('&')
        .map(|p| {
            let (n, v) = p.split_once('=').expect("pair");
            format!("{n}={}", utf8_percent_encode(v, COS_ENCODE))
        })
        .collect::<Vec<_>>()
        .join("&");
    let parts = http::Request::builder()
        .method("PUT")
        .uri(format!(
            "/photos/a%20b%2B%C3%A9.txt?origin&versionId=v1&{query}"
        ))
        .header("host", "bkt-1250000000.cos.ap-guangzhou.myqcloud.com")
        .header("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==")
        .header("x-cos-meta-colour", "Blue Sky")
        .header("content-length", "0")
        .body(())
        .expect("request")
        .into_parts()
        .0;
    assert!(is_presigned(parts.uri.query().unwrap_or("")));
    verify(&parts, &secret_for, at(1_700_000_000)).expect("verifies");
}
