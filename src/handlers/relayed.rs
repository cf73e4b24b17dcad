//! The operations cluster mode relays to the cluster one-to-one: multipart uploads
//! (CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload,
//! AbortMultipartUpload, ListParts, ListMultipartUploads), CopyObject (a server-side copy
//! inside the cluster), object tagging, and what the cluster's versioning decides: the
//! bucket's versioning state, ListObjectVersions, reads of a version or of one part of an
//! object; and the bucket's lifecycle, which the cluster enforces. Upload ids, part ETags and
//! the answers are the cluster's. No part is staged on the node: a part streams to the
//! cluster while the node verifies it (length, Content-MD5, checksums, aws-chunked
//! signatures), its last piece held until those held. A completed or copied object replaces
//! the node's copy of the key, which the next read fills from the cluster; a tagging change
//! is applied to the node's copy too.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use http::{HeaderMap, Method};

use super::context::RequestContext;
use super::receive::stream_through;
use super::reply::{read_md5_checked_body, MAX_XML_BODY};
use crate::backend::tee::Tee;
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
    let mut out = crate::backend::object_headers(headers);
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

/// Whether `op` is relayed to the cluster (`cluster`: cluster mode; else to the old store
/// of a single node's write-through rule, which relays writes only: the node's versions
/// are its own).
pub fn relays(op: &ObjectOperation, cluster: bool) -> bool {
    match op {
        ObjectOperation::GetObject(p) | ObjectOperation::HeadObject(p) => {
            cluster && (p.version_id.is_some() || p.part_number.is_some())
        }
        op => matches!(
            op,
            ObjectOperation::CreateMultipartUpload
                | ObjectOperation::UploadPart { .. }
                | ObjectOperation::UploadPartCopy { .. }
                | ObjectOperation::CompleteMultipartUpload { .. }
                | ObjectOperation::AbortMultipartUpload { .. }
                | ObjectOperation::ListParts(_)
                | ObjectOperation::CopyObject { .. }
                | ObjectOperation::GetObjectTagging { .. }
                | ObjectOperation::PutObjectTagging { .. }
                | ObjectOperation::DeleteObjectTagging { .. }
        ),
    }
}

/// Whether the bucket operation `op` is relayed to the cluster.
pub fn relays_bucket(op: &BucketOperation) -> bool {
    matches!(
        op,
        BucketOperation::ListMultipartUploads(_)
            | BucketOperation::GetBucketVersioning
            | BucketOperation::PutBucketVersioning
            | BucketOperation::ListObjectVersions(_)
            | BucketOperation::GetBucketLifecycleConfiguration
            | BucketOperation::PutBucketLifecycleConfiguration
            | BucketOperation::DeleteBucketLifecycle
    )
}

/// Headers a read forwards: its range and conditions.
const READ_FORWARDED: &[&str] = &[
    "range",
    "if-match",
    "if-none-match",
    "if-modified-since",
    "if-unmodified-since",
];

/// Headers of the cluster's answer to a read that are not the object's (the connection's,
/// the cluster's own request ids).
const READ_DROPPED: &[&str] = &[
    "connection",
    "keep-alive",
    "transfer-encoding",
    "server",
    "date",
    "x-amz-request-id",
    "x-amz-id-2",
];

/// A read of a version or of one part, relayed: the cluster's status, object headers and
/// body (streamed; none for HEAD, whose errors have no body either).
async fn relay_read(
    backend: &Backend,
    ctx: &RequestContext,
    bucket: &str,
    key: &str,
    method: Method,
) -> Result<Response, S3Error> {
    let mut headers = HeaderMap::new();
    for name in READ_FORWARDED {
        if let Some(v) = ctx.parts.headers.get(*name) {
            headers.insert(*name, v.clone());
        }
    }
    let query = ctx.parts.uri.query().unwrap_or("");
    let head = method == Method::HEAD;
    let response = backend
        .forward(method, bucket, key, query, headers, None)
        .await?;
    let mut builder = Response::builder().status(response.status());
    for (name, value) in response.headers() {
        if !READ_DROPPED.contains(&name.as_str()) && !name.as_str().starts_with("x-originstore-") {
            builder = builder.header(name, value);
        }
    }
    let body = if head {
        Body::empty()
    } else {
        Body::from_stream(response.bytes_stream())
    };
    builder.body(body).map_err(S3Error::internal)
}

/// A copy's headers for the cluster: its source named as the cluster names it. The source
/// must be written through to the same place (always so in cluster mode; a single node's
/// write-through bucket copies only from keys of the same old store).
fn copy_headers(
    state: &AppState,
    backend: &Arc<Backend>,
    headers: &HeaderMap,
    source: &CopySource,
) -> Result<HeaderMap, S3Error> {
    let same = state
        .write_target(&source.bucket, &source.key)?
        .is_some_and(|target| Arc::ptr_eq(&target, backend));
    if !same {
        return Err(S3Error::not_implemented(
            "a copy into a write-through key from a key not written through to the same store",
        ));
    }
    let mut out = forwarded(headers);
    for name in COPY_FORWARDED {
        if let Some(v) = headers.get(*name) {
            out.insert(*name, v.clone());
        }
    }
    let mut named = backend.copy_source(&source.bucket, &source.key);
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

/// The node's copy of `key` (if it holds one) takes the tags the cluster now has.
async fn retag_local(
    state: &AppState,
    bucket: &str,
    key: &str,
    tags: Vec<(String, String)>,
) -> Result<(), S3Error> {
    match state.store.set_object_tags(bucket, key, None, tags).await {
        Ok(_) | Err(storage::Error::NoSuchKey) => Ok(()),
        Err(e) => Err(e.into()),
    }
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
        ObjectOperation::GetObject(_) => relay_read(backend, ctx, bucket, key, Method::GET).await,
        ObjectOperation::HeadObject(_) => relay_read(backend, ctx, bucket, key, Method::HEAD).await,
        ObjectOperation::GetObjectTagging { .. } => relay(
            backend
                .forward(Method::GET, bucket, key, &query, HeaderMap::new(), None)
                .await?,
        ),
        ObjectOperation::PutObjectTagging { .. } => {
            let body = read_md5_checked_body(ctx, MAX_XML_BODY).await?;
            // Checked here as it would be locally, then the cluster's to decide.
            let tags = super::tags::parse_tagging(&body, super::tags::Owner::Object)?;
            let length = body.len() as u64;
            let response = backend
                .forward(
                    Method::PUT,
                    bucket,
                    key,
                    &query,
                    HeaderMap::new(),
                    Some((reqwest::Body::from(body), Some(length))),
                )
                .await?;
            retag_local(state, bucket, key, tags).await?;
            relay(response)
        }
        ObjectOperation::DeleteObjectTagging { .. } => {
            let response = backend
                .forward(Method::DELETE, bucket, key, &query, HeaderMap::new(), None)
                .await?;
            retag_local(state, bucket, key, Vec::new()).await?;
            relay(response)
        }
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
            let headers = copy_headers(state, backend, &ctx.parts.headers, source)?;
            let response = backend
                .forward(Method::PUT, bucket, key, &query, headers, None)
                .await?;
            let (relayed, text) = document(response).await?;
            forget_local(state, bucket, key).await;
            answer(http::StatusCode::OK, &relayed, Body::from(text))
        }
        ObjectOperation::UploadPartCopy { source, .. } => {
            let headers = copy_headers(state, backend, &ctx.parts.headers, source)?;
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

/// The bucket operations [`relays_bucket`] names, relayed.
pub async fn handle_bucket(
    backend: &Arc<Backend>,
    ctx: &mut RequestContext,
    bucket: &str,
    op: &BucketOperation,
) -> Result<Response, S3Error> {
    let query = ctx.parts.uri.query().unwrap_or("").to_owned();
    let (method, body) = match op {
        BucketOperation::ListMultipartUploads(_)
        | BucketOperation::GetBucketVersioning
        | BucketOperation::ListObjectVersions(_)
        | BucketOperation::GetBucketLifecycleConfiguration => (Method::GET, None),
        BucketOperation::PutBucketVersioning | BucketOperation::PutBucketLifecycleConfiguration => {
            let body = read_md5_checked_body(ctx, MAX_XML_BODY).await?;
            let length = body.len() as u64;
            (Method::PUT, Some((reqwest::Body::from(body), Some(length))))
        }
        BucketOperation::DeleteBucketLifecycle => (Method::DELETE, None),
        _ => return Err(S3Error::not_implemented(op.name())),
    };
    let mut headers = HeaderMap::new();
    if let Some(md5) = ctx.parts.headers.get("content-md5") {
        headers.insert("content-md5", md5.clone());
    }
    let response = backend
        .forward(method, bucket, "", &query, headers, body)
        .await?;
    let status = response.status();
    let mut relayed = relayed_headers(response.headers());
    // The node answers a document as the cluster wrote it.
    relayed.remove("etag");
    answer(status, &relayed, Body::from_stream(response.bytes_stream()))
}
