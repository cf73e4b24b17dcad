//! Share links: a SigV4 presigned GET URL of an object, signed with the signed-in user's
//! own secret, made only when that user may read the object.

use std::sync::Arc;
use std::time::SystemTime;

use axum::response::Response;
use http::StatusCode;

use super::{denied, json, request_info, signed_in};
use crate::error::S3Error;
use crate::router::Operation;
use crate::state::AppState;

/// A share link: a presigned GET URL, if the signed-in user may read the object.
pub fn presign(
    state: &Arc<AppState>,
    req: axum::extract::Request,
    source_ip: Option<std::net::IpAddr>,
) -> Result<Response, S3Error> {
    let (parts, _) = req.into_parts();
    let session = signed_in(state, &parts.headers).ok_or_else(denied)?;
    let query = crate::router::Query::parse(parts.uri.query());
    let bucket = query.get("bucket").unwrap_or_default().to_owned();
    let key = query.get("key").unwrap_or_default().to_owned();
    let expires: u64 = query
        .get("expires")
        .and_then(|e| e.parse().ok())
        .unwrap_or(3600)
        .clamp(1, 604_800);
    let read = Operation::Object {
        bucket: bucket.clone(),
        key: key.clone(),
        op: crate::router::ObjectOperation::GetObject(Default::default()),
    };
    let info = request_info(&parts, source_ip);
    crate::access::authorize(
        &state.access,
        &read,
        crate::access::Principal::User(&state.identity_of(&session.access_key)),
        &info,
    )?;
    let secret = state.secret_for(&session.access_key).ok_or_else(denied)?;
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_owned();
    let url = presigned_url(
        &host,
        &bucket,
        &key,
        (&session.access_key, &secret),
        &state.config.region,
        expires,
        SystemTime::now(),
    )
    .ok_or_else(|| S3Error::internal("the clock is outside the years SigV4 can sign"))?;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({"url": url, "expires": expires}),
    ))
}

/// A SigV4 presigned GET URL of `bucket/key` on `host` (path style, http).
pub fn presigned_url(
    host: &str,
    bucket: &str,
    key: &str,
    (access_key, secret): (&str, &str),
    region: &str,
    expires: u64,
    now: SystemTime,
) -> Option<String> {
    use crate::auth::sigv4;
    use percent_encoding::utf8_percent_encode;
    let datetime = sigv4::format_amz_date(now)?;
    let date = &datetime[..8];
    let scope = format!("{date}/{region}/s3/aws4_request");
    let path = format!(
        "/{bucket}/{}",
        utf8_percent_encode(key, sigv4::URI_ENCODE_PATH)
    );
    // Already in canonical order (sorted by name) and encoding.
    let query = format!(
        "X-Amz-Algorithm={}&X-Amz-Credential={}&X-Amz-Date={datetime}&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host",
        sigv4::ALGORITHM,
        utf8_percent_encode(&format!("{access_key}/{scope}"), sigv4::URI_ENCODE)
    );
    let canonical = sigv4::canonical_request(
        "GET",
        &path,
        &query,
        format!("host:{host}\n").as_bytes(),
        "host",
        sigv4::UNSIGNED_PAYLOAD,
    );
    let string_to_sign = sigv4::string_to_sign(&datetime, &scope, &canonical);
    let key = sigv4::signing_key(secret, date, region, "s3");
    let signature = hex::encode(sigv4::hmac_sha256(&key, string_to_sign.as_bytes()));
    Some(format!(
        "http://{host}{path}?{query}&X-Amz-Signature={signature}"
    ))
}
