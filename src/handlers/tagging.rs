//! Tagging: Put/Get/DeleteObjectTagging (of any version) and Put/Get/DeleteBucketTagging.
//! Tag sets are checked by `tags.rs`, which the `x-amz-tagging` header of PutObject,
//! CopyObject and CreateMultipartUpload goes through too.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html>

use std::sync::Arc;

use axum::response::Response;
use http::StatusCode;

use super::context::RequestContext;
use super::headers::with_version;
use super::reply::{
    empty_response, read_small_body, xml_response, xml_text_response, MAX_XML_BODY,
};
use super::tags::{parse_tagging, to_document, Owner, Tags};
use crate::error::{S3Error, S3ErrorCode};
use crate::state::AppState;
use crate::xml;

/// Bucket setting holding the bucket's tag set (a `Tagging` document).
const BUCKET_TAGGING_SETTING: &str = "tagging";

/// Read and check a `Tagging` request document.
async fn read_tagging(ctx: &mut RequestContext, owner: Owner) -> Result<Tags, S3Error> {
    let body = read_small_body(ctx, MAX_XML_BODY).await?;
    parse_tagging(&body, owner)
}

pub async fn handle_put_object_tagging(
    state: &Arc<AppState>,
    ctx: &mut RequestContext,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> Result<Response, S3Error> {
    let tags = read_tagging(ctx, Owner::Object).await?;
    let version = state
        .store
        .set_object_tags(bucket, key, version_id, tags)
        .await?;
    with_version(
        state,
        bucket,
        version.as_deref(),
        empty_response(StatusCode::OK),
    )
}

pub async fn handle_get_object_tagging(
    state: &Arc<AppState>,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> Result<Response, S3Error> {
    let meta = state.store.head_object_version(bucket, key, version_id)?;
    let response = xml_response(StatusCode::OK, &to_document(&meta.attrs.tags))?;
    with_version(state, bucket, meta.version_id.as_deref(), response)
}

pub async fn handle_delete_object_tagging(
    state: &Arc<AppState>,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> Result<Response, S3Error> {
    let version = state
        .store
        .set_object_tags(bucket, key, version_id, Vec::new())
        .await?;
    let response = empty_response(StatusCode::NO_CONTENT);
    with_version(state, bucket, version.as_deref(), response)
}

pub async fn handle_put_bucket_tagging(
    state: &Arc<AppState>,
    ctx: &mut RequestContext,
    bucket: &str,
) -> Result<Response, S3Error> {
    let tags = read_tagging(ctx, Owner::Bucket).await?;
    let document = xml::to_xml(&to_document(&tags));
    state
        .settings
        .set(
            bucket,
            BUCKET_TAGGING_SETTING,
            Some(document.as_bytes()),
            true,
        )
        .await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}

pub async fn handle_get_bucket_tagging(
    state: &Arc<AppState>,
    bucket: &str,
) -> Result<Response, S3Error> {
    match state.store.bucket_setting(bucket, BUCKET_TAGGING_SETTING)? {
        Some(document) => xml_text_response(
            StatusCode::OK,
            String::from_utf8_lossy(&document).into_owned(),
        ),
        None => Err(S3Error::new(
            S3ErrorCode::NoSuchTagSet,
            "The TagSet does not exist",
        )),
    }
}

pub async fn handle_delete_bucket_tagging(
    state: &Arc<AppState>,
    bucket: &str,
) -> Result<Response, S3Error> {
    state
        .settings
        .set(bucket, BUCKET_TAGGING_SETTING, None, true)
        .await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}
