//! Put/Get/DeleteBucketLifecycleConfiguration, and the `x-amz-expiration` header an object
//! answer carries when a rule will expire the object (the rules themselves are applied by
//! [`crate::lifecycle::expirer`]).

use std::sync::Arc;

use axum::response::Response;
use http::StatusCode;

use super::{empty_response, read_small_body, xml_response, RequestContext};
use crate::error::{S3Error, S3ErrorCode};
use crate::lifecycle::{document, expiry};
use crate::state::AppState;

/// A configuration of 1000 rules is well under this.
const MAX_LIFECYCLE_BODY: usize = 2 * 1024 * 1024;

pub async fn handle_put_bucket_lifecycle(
    state: &Arc<AppState>,
    ctx: &mut RequestContext,
    bucket: &str,
) -> Result<Response, S3Error> {
    let body = read_small_body(ctx, MAX_LIFECYCLE_BODY).await?;
    let lifecycle = document::parse(&body)?;
    state.lifecycle.set(bucket, Some(&lifecycle)).await?;
    Ok(empty_response(StatusCode::OK))
}

pub async fn handle_get_bucket_lifecycle(
    state: &Arc<AppState>,
    bucket: &str,
) -> Result<Response, S3Error> {
    match state.lifecycle.get(bucket)? {
        Some(lifecycle) => xml_response(StatusCode::OK, &lifecycle.document),
        None => Err(S3Error::new(
            S3ErrorCode::NoSuchLifecycleConfiguration,
            "The lifecycle configuration does not exist",
        )),
    }
}

pub async fn handle_delete_bucket_lifecycle(
    state: &Arc<AppState>,
    bucket: &str,
) -> Result<Response, S3Error> {
    state.lifecycle.set(bucket, None).await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}

/// Add `x-amz-expiration` to an answer about the current version `meta` of `bucket` when
/// one of the bucket's rules will expire it.
pub fn with_expiration(
    state: &AppState,
    bucket: &str,
    meta: &storage::ObjectMeta,
    mut response: Response,
) -> Result<Response, S3Error> {
    let Some(lifecycle) = state.lifecycle.get(bucket)? else {
        return Ok(response);
    };
    let expires = lifecycle.expiration_of(
        &meta.key,
        &meta.attrs.tags,
        meta.size,
        meta.last_modified,
        state.config.lifecycle_day,
    );
    if let Some((due, rule)) = expires {
        if let Ok(v) = http::HeaderValue::from_str(&expiry::header_value(due, rule)) {
            response.headers_mut().insert("x-amz-expiration", v);
        }
    }
    Ok(response)
}
