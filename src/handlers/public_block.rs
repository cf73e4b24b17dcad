//! Put/Get/DeletePublicAccessBlock: a bucket's Block Public Access switches, applied by the
//! access decision (`access/public_block.rs` says what each does).
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutPublicAccessBlock.html>

use std::sync::Arc;

use axum::response::Response;
use http::StatusCode;

use super::context::RequestContext;
use super::reply::{empty_response, read_small_body, xml_response, MAX_XML_BODY};
use crate::access::PublicAccessBlock;
use crate::error::{S3Error, S3ErrorCode};
use crate::state::AppState;

pub async fn handle_put_public_access_block(
    state: &Arc<AppState>,
    ctx: &mut RequestContext,
    bucket: &str,
) -> Result<Response, S3Error> {
    let body = read_small_body(ctx, MAX_XML_BODY).await?;
    let block = PublicAccessBlock::parse(&body)?;
    state.access.public_blocks.set(bucket, Some(&block)).await?;
    Ok(empty_response(StatusCode::OK))
}

pub async fn handle_get_public_access_block(
    state: &Arc<AppState>,
    bucket: &str,
) -> Result<Response, S3Error> {
    state.store.head_bucket(bucket)?;
    let block = state.access.public_blocks.get(bucket)?.ok_or_else(|| {
        S3Error::new(
            S3ErrorCode::NoSuchPublicAccessBlockConfiguration,
            "The public access block configuration was not found",
        )
    })?;
    xml_response(StatusCode::OK, &*block)
}

pub async fn handle_delete_public_access_block(
    state: &Arc<AppState>,
    bucket: &str,
) -> Result<Response, S3Error> {
    state.store.head_bucket(bucket)?;
    state.access.public_blocks.set(bucket, None).await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}
