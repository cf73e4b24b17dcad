//! Put/Get/DeleteBucketLifecycleConfiguration, and the `x-amz-expiration` header an object
//! answer carries when a rule will expire the object (the rules themselves are applied by
//! [`crate::lifecycle::expirer`]).

use std::sync::Arc;

use axum::response::Response;
use http::StatusCode;

use super::context::RequestContext;
use super::reply::{empty_response, read_small_body, xml_response};
use crate::error::{S3Error, S3ErrorCode};
use crate::lifecycle::document;
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
