//! Dispatch from an authenticated, routed request to one handler per operation family, and
//! the access rule applied before any handler runs.
//!
//! Handlers are named `handle_<operation>`; they receive a [`RequestContext`] whose caller
//! identity has already been verified.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use http::StatusCode;

use crate::body::RequestBody;
use crate::error::{S3Error, S3ErrorCode};
use crate::router::{Operation, Route};
use crate::server::AppState;

pub mod bucket;
pub mod headers;
pub mod list;
pub mod multipart;
pub mod object;
pub mod origin;

/// One request after routing and authentication.
pub struct RequestContext {
    pub parts: http::request::Parts,
    pub route: Route,
    /// The verified access key; `None` for an anonymous request.
    pub user: Option<String>,
    /// The request body; taken once by the handler that reads it. (A mutex so the context
    /// is `Sync` and handlers can hold `&RequestContext` across awaits: bodies are not.)
    pub body: std::sync::Mutex<Option<RequestBody>>,
    pub request_id: String,
}

impl RequestContext {
    /// The bucket of a bucket or object operation (the router guarantees one).
    pub fn bucket(&self) -> Result<&str, S3Error> {
        self.route
            .bucket
            .as_deref()
            .ok_or_else(|| S3Error::new(S3ErrorCode::InvalidRequest, "no bucket in the request"))
    }
    /// The key of an object operation (the router guarantees one).
    pub fn key(&self) -> Result<&str, S3Error> {
        self.route
            .key
            .as_deref()
            .ok_or_else(|| S3Error::new(S3ErrorCode::InvalidRequest, "no key in the request"))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// Take the request body (once).
    pub fn take_body(&mut self) -> Result<RequestBody, S3Error> {
        let slot = self
            .body
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        slot.take()
            .ok_or_else(|| S3Error::internal("request body taken twice"))
    }
    /// The authenticated user, or AccessDenied.
    pub fn user(&self) -> Result<&str, S3Error> {
        self.user.as_deref().ok_or_else(access_denied)
    }
}

pub fn access_denied() -> S3Error {
    S3Error::new(S3ErrorCode::AccessDenied, "Access Denied")
}

/// Bucket setting holding the canned ACL (`public-read` or absent).
pub const ACL_SETTING: &str = "acl";

pub async fn dispatch(state: &Arc<AppState>, mut ctx: RequestContext) -> Result<Response, S3Error> {
    use Operation as Op;
    let op = ctx.route.operation;
    if let Op::NotImplemented(name) = op {
        return Err(S3Error::not_implemented(name));
    }
    authorize(state, &ctx)?;
    match op {
        Op::ListBuckets => bucket::handle_list_buckets(state, &ctx).await,
        Op::CreateBucket => bucket::handle_create_bucket(state, &mut ctx).await,
        Op::HeadBucket => bucket::handle_head_bucket(state, &ctx).await,
        Op::DeleteBucket => bucket::handle_delete_bucket(state, &ctx).await,
        Op::GetBucketLocation => bucket::handle_get_bucket_location(state, &ctx).await,
        Op::GetBucketVersioning => bucket::handle_get_bucket_versioning(state, &ctx).await,
        Op::GetBucketAcl => bucket::handle_get_bucket_acl(state, &ctx).await,
        Op::PutBucketAcl => bucket::handle_put_bucket_acl(state, &mut ctx).await,
        Op::PutBucketOrigin => origin::handle_put_bucket_origin(state, &mut ctx).await,
        Op::GetBucketOrigin => origin::handle_get_bucket_origin(state, &ctx).await,
        Op::DeleteBucketOrigin => origin::handle_delete_bucket_origin(state, &ctx).await,
        Op::DeleteObjectTombstone => origin::handle_delete_object_tombstone(state, &ctx).await,
        Op::ListObjects => list::handle_list_objects(state, &ctx).await,
        Op::ListObjectsV2 => list::handle_list_objects_v2(state, &ctx).await,
        Op::ListObjectVersions => list::handle_list_object_versions(state, &ctx).await,
        Op::ListMultipartUploads => multipart::handle_list_multipart_uploads(state, &ctx).await,
        Op::DeleteObjects => object::handle_delete_objects(state, &mut ctx).await,
        Op::PutObject => object::handle_put_object(state, &mut ctx).await,
        Op::CopyObject => object::handle_copy_object(state, &ctx).await,
        Op::GetObject => object::handle_get_object(state, &ctx, false).await,
        Op::HeadObject => object::handle_get_object(state, &ctx, true).await,
        Op::DeleteObject => object::handle_delete_object(state, &ctx).await,
        Op::GetObjectAcl => object::handle_get_object_acl(state, &ctx).await,
        Op::CreateMultipartUpload => multipart::handle_create_multipart_upload(state, &ctx).await,
        Op::UploadPart => multipart::handle_upload_part(state, &mut ctx).await,
        Op::UploadPartCopy => multipart::handle_upload_part_copy(state, &ctx).await,
        Op::CompleteMultipartUpload => {
            multipart::handle_complete_multipart_upload(state, &mut ctx).await
        }
        Op::AbortMultipartUpload => multipart::handle_abort_multipart_upload(state, &ctx).await,
        Op::ListParts => multipart::handle_list_parts(state, &ctx).await,
        Op::Health | Op::Metrics | Op::NotImplemented(_) => {
            Err(S3Error::not_implemented(op.name()))
        }
    }
}

/// The access rule, checked once before dispatch:
/// - ListBuckets and CreateBucket need an authenticated user;
/// - every other operation needs the bucket's owner, except anonymous GetObject/HeadObject
///   on a `public-read` bucket.
///
/// A missing bucket is reported as NoSuchBucket to authenticated users (as AWS does) and
/// AccessDenied to anonymous ones (who may not learn which buckets exist).
fn authorize(state: &AppState, ctx: &RequestContext) -> Result<(), S3Error> {
    let op = ctx.route.operation;
    let Some(bucket) = ctx.route.bucket.as_deref() else {
        ctx.user()?;
        return Ok(());
    };
    if op == Operation::CreateBucket {
        ctx.user()?;
        return Ok(());
    }
    let meta = match state.store.head_bucket(bucket) {
        Ok(meta) => meta,
        Err(storage::Error::NoSuchBucket) if ctx.user.is_some() => {
            return Err(storage::Error::NoSuchBucket.into())
        }
        Err(storage::Error::NoSuchBucket) => return Err(access_denied()),
        Err(e) => return Err(e.into()),
    };
    match ctx.user.as_deref() {
        Some(user) if user == meta.owner => Ok(()),
        Some(_) => Err(access_denied()),
        None if op.is_public_read() && is_public_read(state, bucket)? => Ok(()),
        None => Err(access_denied()),
    }
}

pub fn is_public_read(state: &AppState, bucket: &str) -> Result<bool, S3Error> {
    Ok(state.store.bucket_setting(bucket, ACL_SETTING)?.as_deref()
        == Some(b"public-read".as_slice()))
}

/// A 200 with an XML document.
pub fn xml_response<T: serde::Serialize>(status: StatusCode, doc: &T) -> Result<Response, S3Error> {
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/xml")
        .body(Body::from(crate::xml::to_xml(doc)))
        .map_err(S3Error::internal)
}

/// An empty response with `status`.
pub fn empty_response(status: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r
}

/// Does the bucket pull misses from an origin? Deletes then leave tombstones.
pub fn origin_configured(state: &AppState, bucket: &str) -> Result<bool, S3Error> {
    Ok(state.origin.bucket_config(bucket)?.is_some())
}

/// Read a small request document whole (under `limit`), verifying Content-MD5 when sent.
pub async fn read_small_body(
    ctx: &mut RequestContext,
    limit: usize,
) -> Result<bytes::Bytes, S3Error> {
    let plan = headers::ChecksumPlan::from_headers(&ctx.parts.headers, None)?;
    let body = ctx.take_body()?.collect(limit).await?;
    if let Some(expected) = plan.expect.md5 {
        use md5::Digest as _;
        if md5::Md5::digest(&body).as_slice() != expected.as_slice() {
            return Err(S3Error::new(
                S3ErrorCode::BadDigest,
                "The Content-MD5 you specified did not match what we received.",
            ));
        }
    }
    Ok(body)
}
