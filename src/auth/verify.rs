//! Which scheme authenticates a request — SigV4 in the `Authorization` header or a
//! presigned URL, a SigV2 presigned URL, Tencent COS's signature (header or query), or none
//! (anonymous) — and the retry of a
//! header-signed request whose signature covers its body's hash.

use std::time::SystemTime;

use super::context::AuthContext;
use super::error::AuthError;
use super::{cos, sigv2, sigv4};

/// Authenticates a request from its head. `secret_for(access_key)` returns the secret of a
/// known user; `now` is injected so tests can use the dates of the AWS examples.
///
/// Requests with neither an `Authorization` header nor an `X-Amz-Signature` /
/// `X-Amz-Algorithm` query parameter are anonymous.
pub fn verify_request(
    parts: &http::request::Parts,
    secret_for: &dyn Fn(&str) -> Option<String>,
    now: SystemTime,
) -> Result<AuthContext, AuthError> {
    let authorization = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if authorization.is_some_and(cos::is_cos_authorization) {
        cos::verify(parts, secret_for, now)
    } else if parts.headers.contains_key(http::header::AUTHORIZATION) {
        sigv4::verify_header(parts, secret_for, now)
    } else if sigv4::is_presigned(parts.uri.query().unwrap_or("")) {
        sigv4::verify_presigned(parts, secret_for, now)
    } else if cos::is_presigned(parts.uri.query().unwrap_or("")) {
        cos::verify(parts, secret_for, now)
    } else if sigv2::is_presigned(parts.uri.query().unwrap_or("")) {
        // `aws s3 presign`, boto3 (us-east-1, custom endpoint) and `s3cmd signurl` presign
        // with Signature Version 2; such URLs are verified, never treated as anonymous.
        sigv2::verify_presigned(parts, secret_for, now)
    } else {
        sigv4::anonymous(parts)
    }
}

/// A SigV4 header-signed request without `x-amz-content-sha256` whose signature did not
/// verify as `UNSIGNED-PAYLOAD` may have signed its body's hash (COS signatures never do): can the caller read the body (at most
/// `limit` bytes, by its Content-Length) to check that?
pub fn may_sign_body_hash(parts: &http::request::Parts, limit: u64) -> bool {
    let headers = &parts.headers;
    let cos = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(cos::is_cos_authorization);
    if cos
        || !headers.contains_key(http::header::AUTHORIZATION)
        || headers.contains_key("x-amz-content-sha256")
    {
        return false;
    }
    match headers.get(http::header::CONTENT_LENGTH) {
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|n| n <= limit),
        None => !headers.contains_key(http::header::TRANSFER_ENCODING),
    }
}

/// [`verify_request`] for a header-signed request whose body was read: `body_sha256_hex`
/// stands for the missing `x-amz-content-sha256`.
pub fn verify_request_with_body_hash(
    parts: &http::request::Parts,
    secret_for: &dyn Fn(&str) -> Option<String>,
    now: SystemTime,
    body_sha256_hex: &str,
) -> Result<AuthContext, AuthError> {
    sigv4::verify_header_with_body_hash(parts, secret_for, now, Some(body_sha256_hex))
}
