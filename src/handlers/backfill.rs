//! `PUT`, `GET` and `DELETE /{bucket}?origin-backfill` (an originstore extension, bucket owner
//! only): start a backfill job, read its status, cancel it (see
//! [`crate::origin::backfill`]).

use std::sync::Arc;

use axum::response::Response;
use http::StatusCode;

use super::context::RequestContext;
use super::reply::{empty_response, read_small_body, xml_response};
use crate::error::{S3Error, S3ErrorCode};
use crate::origin::backfill::BackfillRequest;
use crate::state::AppState;

pub async fn handle_put_bucket_origin_backfill(
    state: &Arc<AppState>,
    ctx: &mut RequestContext,
    bucket: &str,
) -> Result<Response, S3Error> {
    let body = read_small_body(ctx, 64 * 1024).await?;
    let request = BackfillRequest::parse(&body)?;
    if state.passes.is_running(bucket) {
        return Err(S3Error::new(
            S3ErrorCode::OperationAborted,
            "A migration pass of this bucket is running; cancel it or wait for it to end",
        ));
    }
    let job = state.backfills.start(bucket, request).await?;
    xml_response(StatusCode::OK, &job.status())
}

pub async fn handle_get_bucket_origin_backfill(
    state: &Arc<AppState>,
    bucket: &str,
) -> Result<Response, S3Error> {
    state.store.head_bucket(bucket)?;
    match state.backfills.get(bucket)? {
        Some(job) => xml_response(StatusCode::OK, &job.status()),
        None => Err(S3Error::new(
            S3ErrorCode::NoSuchBackfill,
            "The bucket has no backfill job",
        )),
    }
}

pub async fn handle_delete_bucket_origin_backfill(
    state: &Arc<AppState>,
    bucket: &str,
) -> Result<Response, S3Error> {
    state.store.head_bucket(bucket)?;
    state.backfills.cancel(bucket).await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}
