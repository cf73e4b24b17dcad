//! `PUT`, `GET` and `DELETE /{bucket}?origin-delta` and `?origin-verify` (originstore
//! extensions, bucket owner only): start a delta pass or a verification, read its status,
//! cancel it (see [`crate::origin::passes`]).

use std::sync::Arc;

use axum::response::Response;
use http::StatusCode;

use super::context::RequestContext;
use super::reply::{empty_response, read_small_body, xml_text_response};
use crate::error::{S3Error, S3ErrorCode};
use crate::origin::passes::{status_document, PassKind, PassRequest};
use crate::state::AppState;

pub async fn handle_put_bucket_origin_pass(
    state: &Arc<AppState>,
    ctx: &mut RequestContext,
    bucket: &str,
    kind: PassKind,
) -> Result<Response, S3Error> {
    state.store.head_bucket(bucket)?;
    let body = read_small_body(ctx, 64 * 1024).await?;
    let request = PassRequest::parse(kind, &body)?;
    let backfilling = state.backfills.is_running(bucket);
    let job = state.passes.start(bucket, request, backfilling).await?;
    xml_text_response(StatusCode::OK, status_document(&job.status()))
}

pub async fn handle_get_bucket_origin_pass(
    state: &Arc<AppState>,
    bucket: &str,
    kind: PassKind,
) -> Result<Response, S3Error> {
    state.store.head_bucket(bucket)?;
    match state.passes.get(bucket, kind)? {
        Some(job) => xml_text_response(StatusCode::OK, status_document(&job.status())),
        None => Err(S3Error::new(
            S3ErrorCode::NoSuchMigrationPass,
            format!("The bucket has had no {} pass", kind.element()),
        )),
    }
}

pub async fn handle_delete_bucket_origin_pass(
    state: &Arc<AppState>,
    bucket: &str,
    kind: PassKind,
) -> Result<Response, S3Error> {
    state.store.head_bucket(bucket)?;
    state.passes.cancel(bucket, kind).await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}
