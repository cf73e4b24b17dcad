//! Multipart uploads in cluster mode, one-to-one with the cluster's: CreateMultipartUpload,
//! UploadPart, CompleteMultipartUpload, AbortMultipartUpload, ListParts and
//! ListMultipartUploads are the cluster's own, relayed (upload ids, part ETags and the
//! answers are the cluster's). No part is staged on the node: a part streams to the
//! cluster while the node verifies it (length, Content-MD5, checksums, aws-chunked
//! signatures), its last piece held until those held. A completed object replaces the
//! node's copy of the key, which the next read fills from the cluster.

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
use crate::router::{BucketOperation, ObjectOperation};
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

/// Whether `op` is a multipart operation relayed to the cluster.
pub fn relays(op: &ObjectOperation) -> bool {
    matches!(
        op,
        ObjectOperation::CreateMultipartUpload
            | ObjectOperation::UploadPart { .. }
            | ObjectOperation::CompleteMultipartUpload { .. }
            | ObjectOperation::AbortMultipartUpload { .. }
            | ObjectOperation::ListParts(_)
    )
}

/// The cluster's 2xx answer, relayed: its status, ETag, checksums and body.
fn relay(response: reqwest::Response) -> Result<Response, S3Error> {
    let status = response.status();
    let headers = relayed_headers(response.headers());
    let mut builder = Response::builder().status(status);
    for (name, value) in &headers {
        builder = builder.header(name, value);
    }
    builder
        .body(Body::from_stream(response.bytes_stream()))
        .map_err(S3Error::internal)
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
            let mut builder = Response::builder().status(http::StatusCode::OK);
            for (name, value) in &acknowledged.relay {
                builder = builder.header(name, value);
            }
            builder.body(Body::empty()).map_err(S3Error::internal)
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
            // The cluster can answer 200 with an error document (S3 does, after a slow
            // completion): read it whole (small) and pass an error on as one.
            let relayed = relayed_headers(response.headers());
            let text = response.bytes().await.map_err(S3Error::internal)?;
            if let Some(error) = crate::backend::error_document(&text) {
                return Err(error);
            }
            // The node's copy of the key, if any, is older than the completed object.
            let _ = state
                .store
                .delete_if(bucket, key, None, false, &Default::default())
                .await;
            let mut builder = Response::builder().status(http::StatusCode::OK);
            for (name, value) in &relayed {
                builder = builder.header(name, value);
            }
            builder.body(Body::from(text)).map_err(S3Error::internal)
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
