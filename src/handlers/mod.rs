//! Dispatch from an authenticated, routed request to one handler per operation family, and
//! the access rule applied before any handler runs.
//!
//! Handlers are named `handle_<operation>`; they receive the bucket, key and typed
//! parameters the router parsed, and a [`RequestContext`] whose caller identity has already
//! been verified.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use http::StatusCode;

use crate::access::{self, Principal, RequestInfo};
use crate::body::RequestBody;
use crate::error::{S3Error, S3ErrorCode};
use crate::router::{BucketOperation, ObjectOperation, Operation};
use crate::state::AppState;

pub mod acl;
pub mod attributes;
pub mod backfill;
pub mod bucket;
pub mod conditions;
pub mod cors;
pub mod headers;
pub mod lifecycle;
pub mod list;
pub mod multipart;
pub mod object;
pub mod origin;
pub mod origin_status;
pub mod policy;
pub mod post_object;
pub mod purge;
pub mod tagging;
pub mod versioning;

/// One request after routing and authentication.
pub struct RequestContext {
    pub parts: http::request::Parts,
    /// The verified access key; `None` for an anonymous request.
    pub user: Option<String>,
    /// The request body; taken once by the handler that reads it. (A mutex so the context
    /// is `Sync` and handlers can hold `&RequestContext` across awaits: bodies are not.)
    pub body: std::sync::Mutex<Option<RequestBody>>,
    pub request_id: String,
    /// The client's address (bucket policies' `aws:SourceIp`).
    pub source_ip: Option<std::net::IpAddr>,
}

impl RequestContext {
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

    pub fn principal(&self) -> Principal<'_> {
        Principal::from_user(self.user.as_deref())
    }

    /// What the access decision reads of the request.
    pub fn request_info(&self) -> RequestInfo<'_> {
        RequestInfo {
            headers: &self.parts.headers,
            source_ip: self.source_ip,
        }
    }
}

pub fn access_denied() -> S3Error {
    S3Error::new(S3ErrorCode::AccessDenied, "Access Denied")
}

pub async fn dispatch(
    state: &Arc<AppState>,
    op: Operation,
    mut ctx: RequestContext,
) -> Result<Response, S3Error> {
    if let Some(name) = op.not_implemented() {
        return Err(S3Error::not_implemented(name));
    }
    // A form upload is signed inside its body: its handler authorizes it once it has read
    // the signature. DeleteObjects is authorized key by key by its handler, as AWS does.
    if !matches!(
        op,
        Operation::Bucket {
            op: BucketOperation::PostObject | BucketOperation::DeleteObjects,
            ..
        }
    ) {
        access::authorize(&state.access, &op, ctx.principal(), &ctx.request_info())?;
        authorize_copy_source(state, &op, &ctx)?;
    }
    match op {
        Operation::ListBuckets(params) => bucket::handle_list_buckets(state, &ctx, params).await,
        Operation::Bucket { bucket, op } => dispatch_bucket(state, &bucket, op, &mut ctx).await,
        Operation::Object { bucket, key, op } => {
            dispatch_object(state, &bucket, &key, op, &mut ctx).await
        }
        // Answered by the request envelope before authentication.
        Operation::Health | Operation::Metrics | Operation::Preflight { .. } => {
            Err(S3Error::not_implemented(op.name()))
        }
    }
}

async fn dispatch_bucket(
    state: &Arc<AppState>,
    b: &str,
    op: BucketOperation,
    ctx: &mut RequestContext,
) -> Result<Response, S3Error> {
    use BucketOperation as Op;
    match op {
        Op::CreateBucket => bucket::handle_create_bucket(state, ctx, b).await,
        Op::HeadBucket => bucket::handle_head_bucket(state, b).await,
        Op::DeleteBucket => bucket::handle_delete_bucket(state, b).await,
        Op::GetBucketLocation => bucket::handle_get_bucket_location(state, b).await,
        Op::GetBucketVersioning => versioning::handle_get_bucket_versioning(state, b).await,
        Op::PutBucketVersioning => versioning::handle_put_bucket_versioning(state, ctx, b).await,
        Op::GetBucketAcl => acl::handle_get_bucket_acl(state, b).await,
        Op::PutBucketAcl => acl::handle_put_bucket_acl(state, ctx, b).await,
        Op::GetBucketPolicy => policy::handle_get_bucket_policy(state, b).await,
        Op::PutBucketPolicy => policy::handle_put_bucket_policy(state, ctx, b).await,
        Op::DeleteBucketPolicy => policy::handle_delete_bucket_policy(state, b).await,
        Op::GetBucketPolicyStatus => policy::handle_get_bucket_policy_status(state, b).await,
        Op::GetBucketOwnershipControls => acl::handle_get_bucket_ownership_controls(state, b).await,
        Op::PutBucketOwnershipControls => {
            acl::handle_put_bucket_ownership_controls(state, ctx, b).await
        }
        Op::DeleteBucketOwnershipControls => {
            acl::handle_delete_bucket_ownership_controls(state, b).await
        }
        Op::GetBucketTagging => tagging::handle_get_bucket_tagging(state, b).await,
        Op::PutBucketTagging => tagging::handle_put_bucket_tagging(state, ctx, b).await,
        Op::DeleteBucketTagging => tagging::handle_delete_bucket_tagging(state, b).await,
        Op::GetBucketLifecycleConfiguration => {
            lifecycle::handle_get_bucket_lifecycle(state, b).await
        }
        Op::PutBucketLifecycleConfiguration => {
            lifecycle::handle_put_bucket_lifecycle(state, ctx, b).await
        }
        Op::DeleteBucketLifecycle => lifecycle::handle_delete_bucket_lifecycle(state, b).await,
        Op::GetBucketCors => cors::handle_get_bucket_cors(state, b).await,
        Op::PutBucketCors => cors::handle_put_bucket_cors(state, ctx, b).await,
        Op::DeleteBucketCors => cors::handle_delete_bucket_cors(state, b).await,
        Op::PutBucketOrigin => origin::handle_put_bucket_origin(state, ctx, b).await,
        Op::GetBucketOrigin => origin::handle_get_bucket_origin(state, b).await,
        Op::DeleteBucketOrigin => origin::handle_delete_bucket_origin(state, b).await,
        Op::PurgeBucketOrigin => purge::handle_purge_bucket_origin(state, ctx, b).await,
        Op::GetBucketOriginStatus => origin_status::handle_get_bucket_origin_status(state, b).await,
        Op::PutBucketOriginBackfill => {
            backfill::handle_put_bucket_origin_backfill(state, ctx, b).await
        }
        Op::GetBucketOriginBackfill => backfill::handle_get_bucket_origin_backfill(state, b).await,
        Op::DeleteBucketOriginBackfill => {
            backfill::handle_delete_bucket_origin_backfill(state, b).await
        }
        Op::ListObjects(p) => list::handle_list_objects(state, b, p).await,
        Op::ListObjectsV2(p) => list::handle_list_objects_v2(state, b, p).await,
        Op::ListObjectVersions(p) => list::handle_list_object_versions(state, b, p).await,
        Op::ListMultipartUploads(p) => multipart::handle_list_multipart_uploads(state, b, p).await,
        Op::DeleteObjects => object::handle_delete_objects(state, ctx, b).await,
        Op::PostObject => post_object::handle_post_object(state, ctx, b).await,
        Op::NotImplemented(name) => Err(S3Error::not_implemented(name)),
    }
}

async fn dispatch_object(
    state: &Arc<AppState>,
    b: &str,
    k: &str,
    op: ObjectOperation,
    ctx: &mut RequestContext,
) -> Result<Response, S3Error> {
    use ObjectOperation as Op;
    match op {
        Op::PutObject => object::handle_put_object(state, ctx, b, k).await,
        Op::CopyObject { source } => object::handle_copy_object(state, ctx, b, k, &source).await,
        Op::GetObject(p) => {
            let read = object::handle_get_object(state, ctx, b, k, &p, false).await;
            missing_unless_listable(state, b, ctx, read)
        }
        Op::HeadObject(p) => {
            let read = object::handle_get_object(state, ctx, b, k, &p, true).await;
            missing_unless_listable(state, b, ctx, read)
        }
        Op::DeleteObject { version_id } => {
            object::handle_delete_object(state, ctx, b, k, version_id.as_deref()).await
        }
        Op::GetObjectAcl { version_id } => {
            acl::handle_get_object_acl(state, b, k, version_id.as_deref()).await
        }
        Op::PutObjectAcl { version_id } => {
            acl::handle_put_object_acl(state, ctx, b, k, version_id.as_deref()).await
        }
        Op::GetObjectAttributes(p) => {
            attributes::handle_get_object_attributes(state, b, k, &p).await
        }
        Op::GetObjectTagging { version_id } => {
            tagging::handle_get_object_tagging(state, b, k, version_id.as_deref()).await
        }
        Op::PutObjectTagging { version_id } => {
            let version = version_id.as_deref();
            tagging::handle_put_object_tagging(state, ctx, b, k, version).await
        }
        Op::DeleteObjectTagging { version_id } => {
            tagging::handle_delete_object_tagging(state, b, k, version_id.as_deref()).await
        }
        Op::DeleteObjectTombstone => origin::handle_delete_object_tombstone(state, b, k).await,
        Op::CreateMultipartUpload => {
            multipart::handle_create_multipart_upload(state, ctx, b, k).await
        }
        Op::UploadPart {
            upload_id,
            part_number,
        } => multipart::handle_upload_part(state, ctx, b, k, &upload_id, part_number).await,
        Op::UploadPartCopy {
            upload_id,
            part_number,
            source,
        } => {
            let part = multipart::PartTarget {
                bucket: b,
                key: k,
                upload_id: &upload_id,
                part_number,
            };
            multipart::handle_upload_part_copy(state, ctx, part, &source).await
        }
        Op::CompleteMultipartUpload { upload_id } => {
            multipart::handle_complete_multipart_upload(state, ctx, b, k, &upload_id).await
        }
        Op::AbortMultipartUpload { upload_id } => {
            multipart::handle_abort_multipart_upload(state, b, k, &upload_id).await
        }
        Op::ListParts(p) => multipart::handle_list_parts(state, b, k, &p).await,
        Op::NotImplemented(name) => Err(S3Error::not_implemented(name)),
    }
}

/// A read of a missing key answers NoSuchKey only to a caller who may list the bucket; to
/// the others AccessDenied, so that they cannot probe which keys exist (as AWS answers).
fn missing_unless_listable(
    state: &AppState,
    bucket: &str,
    ctx: &RequestContext,
    read: Result<Response, S3Error>,
) -> Result<Response, S3Error> {
    match read {
        Err(e) if e.code == S3ErrorCode::NoSuchKey && !e.is_delete_marker() => {
            // HeadBucket needs what listing needs: s3:ListBucket, the bucket's READ.
            let list = Operation::Bucket {
                bucket: bucket.to_owned(),
                op: BucketOperation::HeadBucket,
            };
            access::authorize(&state.access, &list, ctx.principal(), &ctx.request_info())?;
            Err(e)
        }
        other => other,
    }
}

/// CopyObject and UploadPartCopy also read their source: the caller needs GetObject on it.
fn authorize_copy_source(
    state: &AppState,
    op: &Operation,
    ctx: &RequestContext,
) -> Result<(), S3Error> {
    let source = match op {
        Operation::Object {
            op:
                ObjectOperation::CopyObject { source } | ObjectOperation::UploadPartCopy { source, .. },
            ..
        } => source,
        _ => return Ok(()),
    };
    let read = Operation::Object {
        bucket: source.bucket.clone(),
        key: source.key.clone(),
        op: ObjectOperation::GetObject(crate::router::ReadParams {
            version_id: source.version_id.clone(),
            ..Default::default()
        }),
    };
    access::authorize(&state.access, &read, ctx.principal(), &ctx.request_info())
}

/// A response carrying an XML document.
pub fn xml_response<T: serde::Serialize>(status: StatusCode, doc: &T) -> Result<Response, S3Error> {
    xml_text_response(status, crate::xml::to_xml(doc))
}

/// A response carrying an already serialised XML document.
pub fn xml_text_response(status: StatusCode, xml: String) -> Result<Response, S3Error> {
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/xml")
        .body(Body::from(xml))
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
