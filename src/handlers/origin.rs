//! The bucket `origin` subresource (PutBucketOrigin, GetBucketOrigin, DeleteBucketOrigin,
//! COS's `OriginConfiguration` XML) and the hand-off from a GET/HEAD miss to the origin
//! engine ([`crate::origin::OriginEngine`]).

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, StatusCode};

use super::{empty_response, RequestContext};
use crate::error::{S3Error, S3ErrorCode};
use crate::origin::{ConfigErrorCode, OriginConfiguration};
use crate::origin::{Miss, Outcome, StaleAnswer, ORIGIN_STATUS_HEADER};
use crate::router::ReadParams;
use crate::state::AppState;

fn config_error(e: crate::origin::ConfigError) -> S3Error {
    let code = match e.code {
        ConfigErrorCode::MalformedXML => S3ErrorCode::MalformedXML,
        ConfigErrorCode::InvalidArgument => S3ErrorCode::InvalidArgument,
    };
    S3Error::new(code, e.message)
}

/// Replaces the whole configuration; a rejected document leaves the previous one in place.
pub async fn handle_put_bucket_origin(
    state: &Arc<AppState>,
    ctx: &mut RequestContext,
    bucket: &str,
) -> Result<Response, S3Error> {
    // One byte over the cap is enough to reject; the parser names the limit.
    let body = super::read_small_body(ctx, crate::origin::MAX_CONFIG_BYTES + 1)
        .await
        .map_err(|e| {
            if e.code == S3ErrorCode::InvalidRequest {
                S3Error::invalid_argument(format!(
                    "OriginConfiguration: the document is larger than {} bytes",
                    crate::origin::MAX_CONFIG_BYTES
                ))
            } else {
                e
            }
        })?;
    let mut config = crate::origin::parse(&body).map_err(config_error)?;
    // A document read back with GET carries redacted secrets: keep the stored ones.
    let previous = state.origin.bucket_config(bucket)?;
    config
        .restore_redacted_secrets(previous.as_deref())
        .map_err(config_error)?;
    state
        .origin
        .set_bucket_config(bucket, Some(&config))
        .await?;
    Ok(empty_response(StatusCode::OK))
}

/// The stored configuration in the same schema, secrets redacted.
pub async fn handle_get_bucket_origin(
    state: &Arc<AppState>,
    bucket: &str,
) -> Result<Response, S3Error> {
    let config = state.origin.required_config(bucket)?;
    Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/xml")
        .body(Body::from(config.to_xml(true)))
        .map_err(S3Error::internal)
}

pub async fn handle_delete_bucket_origin(
    state: &Arc<AppState>,
    bucket: &str,
) -> Result<Response, S3Error> {
    state.origin.set_bucket_config(bucket, None).await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}

/// originstore extension `DELETE /{bucket}/{key}?tombstone`: forget that the key was deleted
/// locally, so the origin is its source again.
pub async fn handle_delete_object_tombstone(
    state: &Arc<AppState>,
    bucket: &str,
    key: &str,
) -> Result<Response, S3Error> {
    state.store.clear_tombstone(bucket, key).await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}

/// A GET/HEAD found no local object in a bucket with an origin: pull it.
pub async fn on_miss(
    state: &Arc<AppState>,
    ctx: &RequestContext,
    (bucket, key): (&str, &str),
    params: &ReadParams,
    head: bool,
    config: &OriginConfiguration,
) -> Result<Outcome, S3Error> {
    let miss = miss(ctx, (bucket, key), params, head, config);
    state.origin.on_miss(miss).await
}

/// A GET/HEAD found a local copy from the origin that its rule says is stale `stale`:
/// revalidate it.
#[allow(clippy::too_many_arguments)]
pub async fn on_stale(
    state: &Arc<AppState>,
    ctx: &RequestContext,
    (bucket, key): (&str, &str),
    params: &ReadParams,
    head: bool,
    config: &OriginConfiguration,
    meta: &storage::ObjectMeta,
    stale: std::time::Duration,
) -> Result<StaleAnswer, S3Error> {
    let miss = miss(ctx, (bucket, key), params, head, config);
    state.origin.on_stale(miss, meta, stale).await
}

/// What the engine needs of a read that goes to the origin.
fn miss<'a>(
    ctx: &'a RequestContext,
    (bucket, key): (&'a str, &'a str),
    params: &ReadParams,
    head: bool,
    config: &'a OriginConfiguration,
) -> Miss<'a> {
    let headers = &ctx.parts.headers;
    let needs_local = [
        "if-match",
        "if-none-match",
        "if-modified-since",
        "if-unmodified-since",
    ]
    .iter()
    .any(|h| headers.contains_key(*h))
        || params.part_number.is_some()
        || !params.overrides.is_empty();
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    Miss {
        bucket,
        key,
        config,
        method: if head {
            http::Method::HEAD
        } else {
            http::Method::GET
        },
        range: headers
            .get(http::header::RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(super::headers::parse_range),
        needs_local,
        query: ctx.parts.uri.query(),
        headers,
        https,
    }
}

/// Tag a response of an origin bucket with how it was served.
pub fn tag(mut response: Response, value: &'static str) -> Response {
    response
        .headers_mut()
        .insert(ORIGIN_STATUS_HEADER, HeaderValue::from_static(value));
    response
}
