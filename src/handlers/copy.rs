//! CopyObject: the source opened by `copy_source.rs`, the metadata and tag directives
//! (`COPY` or `REPLACE`), the destination's conditions and a fresh ACL; the bytes are
//! copied by storage through the same commit as a PUT.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html>

use std::sync::Arc;

use axum::response::Response;
use http::StatusCode;

use super::conditions;
use super::context::RequestContext;
use super::copy_source::open_copy_source;
use super::headers;
use super::new_acl::acl_for_new_object;
use super::reply::xml_response;
use super::tags;
use crate::error::{S3Error, S3ErrorCode};
use crate::router::CopySource;
use crate::state::AppState;
use crate::xml;

pub async fn handle_copy_object(
    state: &Arc<AppState>,
    ctx: &RequestContext,
    bucket: &str,
    key: &str,
    source: &CopySource,
) -> Result<Response, S3Error> {
    // The destination's own conditions, before the source is read.
    let condition = conditions::write_condition(state, &ctx.parts.headers, bucket, key)?;
    let (meta, reader) = open_copy_source(state, ctx, source, None).await?;
    let replace = match ctx.header("x-amz-metadata-directive") {
        None | Some("COPY") => false,
        Some("REPLACE") => true,
        Some(other) => {
            return Err(S3Error::invalid_argument(format!(
                "Unknown metadata directive: {other}"
            )))
        }
    };
    let replace_tags = match ctx.header("x-amz-tagging-directive") {
        None | Some("COPY") => false,
        Some("REPLACE") => true,
        Some(_) => return Err(S3Error::invalid_argument("Unknown tag directive.")),
    };
    let storage_class = headers::storage_class(ctx.header("x-amz-storage-class"))?;
    // Copying a named version onto its own key restores it: allowed.
    let changes_nothing = !replace && storage_class == meta.attrs.storage_class;
    if source.bucket == bucket
        && source.key == key
        && changes_nothing
        && source.version_id.is_none()
    {
        return Err(S3Error::new(
            S3ErrorCode::InvalidRequest,
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        ));
    }
    let mut attrs = if replace {
        headers::object_attrs(&ctx.parts.headers)?
    } else {
        meta.attrs.clone()
    };
    // The tag set follows x-amz-tagging-directive, whatever the metadata directive says;
    // the storage class is the request's.
    attrs.tags = match (replace_tags, ctx.header("x-amz-tagging")) {
        (false, _) => meta.attrs.tags.clone(),
        (true, Some(header)) => tags::from_header(header)?,
        (true, None) => Vec::new(),
    };
    attrs.storage_class = storage_class;
    // A copy never takes its source's ACL: it gets the one this request asks for.
    attrs.acl = acl_for_new_object(state, bucket, ctx.user.as_deref(), &ctx.parts.headers).await?;
    // Nor its lock: the copy is a new version, locked as this request or the bucket says.
    attrs.lock = crate::object_lock::request::for_new_version(
        state,
        bucket,
        key,
        ctx.principal(),
        &ctx.request_info(),
        crate::object_lock::request::Write::NoBody,
    )?;
    let source_version =
        headers::version_header(state, &source.bucket, meta.version_id.as_deref())?;
    let copied = state
        .store
        .copy_object_if((meta, reader), bucket, key, attrs, condition)
        .await?;
    let mut response = xml_response(
        StatusCode::OK,
        &xml::CopyObjectResult {
            last_modified: xml::timestamp(copied.last_modified),
            etag: headers::quoted_etag(&copied.etag),
        },
    )?;
    if let Some(v) = source_version.and_then(|v| http::HeaderValue::from_str(&v).ok()) {
        response
            .headers_mut()
            .insert("x-amz-copy-source-version-id", v);
    }
    let response = headers::with_expiration(state, bucket, &copied, response)?;
    headers::with_version(state, bucket, copied.version_id.as_deref(), response)
}
