//! The operations cluster mode relays to the cluster one-to-one: multipart uploads
//! (CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload,
//! AbortMultipartUpload, ListParts, ListMultipartUploads) and CopyObject, a server-side copy
//! inside the cluster. Upload ids, part ETags and the answers are the cluster's. No part is
//! staged on the node: a part streams to the cluster while the node verifies it (length,
//! Content-MD5, checksums, aws-chunked signatures), its last piece held until those held. A
//! completed or copied object replaces the node's copy of the key, which the next read
//! fills from the cluster.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use http::{HeaderMap, Method};

use super::context::RequestContext;
use super::receive::stream_through;
use super::reply::read_md5_checked_body;
use super::tee::Tee;
use super::through::forwarded_headers;
use crate::backend::{relayed_headers, Backend};
use crate::error::S3Error;
use crate::router::{BucketOperation, CopySource, ObjectOperation};
use crate::state::AppState;

/// Headers a multipart operation forwards beyond an object write's.
const MULTIPART_FORWARDED: &[&str] = &[
    "x-amz-checksum-algorithm",
    "x-amz-checksum-type",
    "x-amz-mp-object-size",
    "x-amz-checksum-crc32",
    "x-amz-checksum-crc32c",
    "x-amz-checksum-crc64nvme",
    "x-amz-checksum-sha1",
    "x-amz-checksum-sha256",
];

fn forwarded(headers: &HeaderMap) -> HeaderMap {
    let mut out = forwarded_headers(headers);
    for name in MULTIPART_FORWARDED {
        if let Some(v) = headers.get(*name) {
            out.insert(*name, v.clone());
        }
    }
    out
}

/// Headers a copy forwards: its source, its conditions on the source, what it does with
/// the metadata and tags, and (with REPLACE) the new object headers.
const COPY_FORWARDED: &[&str] = &[
    "x-amz-copy-source-if-match",
    "x-amz-copy-source-if-none-match",
    "x-amz-copy-source-if-modified-since",
    "x-amz-copy-source-if-unmodified-since",
    "x-amz-copy-source-range",
    "x-amz-metadata-directive",
    "x-amz-tagging-directive",
];

/// Whether `op` is relayed to the cluster.
pub fn relays(op: &ObjectOperation) -> bool {
    matches!(
        op,
        ObjectOperation::CreateMultipartUpload
            | ObjectOperation::UploadPart { .. }
            | ObjectOperation::UploadPartCopy { .. }
            | ObjectOperation::CompleteMultipartUpload { .. }
            | ObjectOperation::AbortMultipartUpload { .. }
            | ObjectOperation::ListParts(_)
            | ObjectOperation::CopyObject { .. }
    )
}

/// A copy's headers for the cluster: its source named as the cluster names it.
fn copy_headers(
    backend: &Backend,
    headers: &HeaderMap,
    source: &CopySource,
) -> Result<HeaderMap, S3Error> {
    let mut out = forwarded(headers);
    for name in COPY_FORWARDED {
        if let Some(v) = headers.get(*name) {
            out.insert(*name, v.clone());
        }
    }
    let key =
        percent_encoding::utf8_percent_encode(&source.key, crate::auth::sigv4::URI_ENCODE_PATH);
    let mut named = format!(
        "/{}/{key}",
        backend.settings().cluster_bucket(&source.bucket)
    );
    if let Some(version) = &source.version_id {
        named.push_str(&format!("?versionId={version}"));
    }
    out.insert(
        "x-amz-copy-source",
        http::HeaderValue::from_str(&named).map_err(S3Error::internal)?,
    );
    Ok(out)
}

/// The node's copy of `key`, older than what the cluster now holds, is dropped; the next
/// read fills it again.
async fn forget_local(state: &AppState, bucket: &str, key: &str) {
    let _ = state
        .store
        .delete_if(bucket, key, None, false, &Default::default())
        .await;
}

/// A 200 answer whose document may be an `<Error>` (S3 answers a copy or a completion that
/// failed after it started so): the document, or its error.
async fn document(response: reqwest::Response) -> Result<(HeaderMap, bytes::Bytes), S3Error> {
    let relayed = relayed_headers(response.headers());
    let text = response.bytes().await.map_err(S3Error::internal)?;
    match crate::backend::error_document(&text) {
        Some(error) => Err(error),
        None => Ok((relayed, text)),
    }
}

/// The cluster's 2xx answer, relayed: its status, ETag, checksums and body (streamed).
fn relay(response: reqwest::Response) -> Result<Response, S3Error> {
    let status = response.status();
    let headers = relayed_headers(response.headers());
    answer(status, &headers, Body::from_stream(response.bytes_stream()))
}

fn answer(status: http::StatusCode, headers: &HeaderMap, body: Body) -> Result<Response, S3Error> {
    let mut builder = Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    builder.body(body).map_err(S3Error::internal)
}

pub async fn handle_object(
    state: &Arc<AppState>,
    backend: &Arc<Backend>,
    ctx: &mut RequestContext,
    bucket: &str,
    key: &str,
    op: &ObjectOperation,
) -> Result<Response, S3Error> {
    let query = ctx.parts.uri.query().unwrap_or("").to_owned();
    let headers = forwarded(&ctx.parts.headers);
    match op {
        ObjectOperation::UploadPart { .. } => {
            let backend = backend.clone();
            let (b, k) = (bucket.to_owned(), key.to_owned());
            let tee = Tee::new(Box::new(move |body, length| {
                tokio::spawn(async move {
                    let response = backend
                        .forward(Method::PUT, &b, &k, &query, headers, Some((body, length)))
                        .await?;
                    Ok(crate::backend::Acknowledged {
                        etag: None,
                        relay: relayed_headers(response.headers()),
                    })
                })
            }));
            let acknowledged = stream_through(ctx, tee).await?;
            answer(http::StatusCode::OK, &acknowledged.relay, Body::empty())
        }
        ObjectOperation::CompleteMultipartUpload { .. } => {
            // 10000 parts of ~100 bytes of XML each.
            let body = read_md5_checked_body(ctx, 4 * 1024 * 1024).await?;
            let length = body.len() as u64;
            let response = backend
                .forward(
                    Method::POST,
                    bucket,
                    key,
                    &query,
                    headers,
                    Some((reqwest::Body::from(body), Some(length))),
                )
                .await?;
            let (relayed, text) = document(response).await?;
            forget_local(state, bucket, key).await;
            answer(http::StatusCode::OK, &relayed, Body::from(text))
        }
        ObjectOperation::CopyObject { source } => {
            let headers = copy_headers(backend, &ctx.parts.headers, source)?;
            let response = backend
                .forward(Method::PUT, bucket, key, &query, headers, None)
                .await?;
            let (relayed, text) = document(response).await?;
            forget_local(state, bucket, key).await;
            answer(http::StatusCode::OK, &relayed, Body::from(text))
        }
        ObjectOperation::UploadPartCopy { source, .. } => {
            let headers = copy_headers(backend, &ctx.parts.headers, source)?;
            let response = backend
                .forward(Method::PUT, bucket, key, &query, headers, None)
                .await?;
            let (relayed, text) = document(response).await?;
            answer(http::StatusCode::OK, &relayed, Body::from(text))
        }
        ObjectOperation::CreateMultipartUpload => relay(
            backend
                .forward(Method::POST, bucket, key, &query, headers, None)
                .await?,
        ),
        ObjectOperation::AbortMultipartUpload { .. } => relay(
            backend
                .forward(Method::DELETE, bucket, key, &query, headers, None)
                .await?,
        ),
        ObjectOperation::ListParts(_) => relay(
            backend
                .forward(Method::GET, bucket, key, &query, headers, None)
                .await?,
        ),
        _ => Err(S3Error::not_implemented(op.name())),
    }
}

/// ListMultipartUploads, relayed.
pub async fn handle_bucket(
    backend: &Arc<Backend>,
    ctx: &RequestContext,
    bucket: &str,
    op: &BucketOperation,
) -> Result<Response, S3Error> {
    match op {
        BucketOperation::ListMultipartUploads(_) => {
            let query = ctx.parts.uri.query().unwrap_or("");
            relay(
                backend
                    .forward(Method::GET, bucket, "", query, HeaderMap::new(), None)
                    .await?,
            )
        }
        _ => Err(S3Error::not_implemented(op.name())),
    }
}
