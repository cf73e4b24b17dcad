//! The bucket `origin` subresource (PutBucketOrigin, GetBucketOrigin, DeleteBucketOrigin,
//! COS's `OriginConfiguration` XML) and the `?tombstone` extension. (A GET/HEAD miss goes to
//! the origin engine from `get.rs`.)

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use http::StatusCode;

use super::context::RequestContext;
use super::reply::{empty_response, read_small_body};
use crate::error::{S3Error, S3ErrorCode};
use crate::origin::ConfigErrorCode;
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
    let body = read_small_body(ctx, crate::origin::MAX_CONFIG_BYTES + 1)
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
    let previous = state.origin.stored_config(bucket)?;
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
