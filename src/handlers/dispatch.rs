//! Dispatch from an authenticated, routed request to one handler per operation family, and
//! the access rule applied before any handler runs.
//!
//! Handlers are named `handle_<operation>`; they receive the bucket, key and typed
//! parameters the router parsed, and a [`RequestContext`] whose caller identity has already
//! been verified.

use std::sync::Arc;

use axum::response::Response;

use super::context::RequestContext;
use super::{
    acl, attributes, backfill, bucket, completion, copy, cors, delete, events, get, lifecycle,
    list, multipart, notification, object_lock, origin, origin_status, passes, policy, post_object,
    public_block, purge, put, relayed, report, tagging, through, versioning,
};
use crate::access;
use crate::error::{S3Error, S3ErrorCode};
use crate::origin::passes::PassKind;
use crate::router::{BucketOperation, ObjectOperation, Operation};
use crate::state::AppState;

pub async fn dispatch(
    state: &Arc<AppState>,
    op: Operation,
    mut ctx: RequestContext,
) -> Result<Response, S3Error> {
    if let Some(name) = op.not_implemented() {
        return Err(S3Error::not_implemented(name));
    }
    through::refuse_what_no_node_could_keep(state.backend.as_ref(), &op, &ctx.parts.headers)?;
    through::adopt_bucket(state, &op).await?;
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
    let planned = events::plan(state, &op);
    let answer = match op {
        Operation::ListBuckets(params) => bucket::handle_list_buckets(state, &ctx, params).await,
        Operation::Bucket { bucket, op } => dispatch_bucket(state, &bucket, op, &mut ctx).await,
        Operation::Object { bucket, key, op } => {
            dispatch_object(state, &bucket, &key, op, &mut ctx).await
        }
        // Answered by the request envelope before authentication.
        Operation::Health | Operation::Metrics | Operation::Preflight { .. } => {
            Err(S3Error::not_implemented(op.name()))
        }
    }?;
    // The events of a change are queued before it is acknowledged.
    if let Some(planned) = planned {
        let events = events::events_of(state, planned, &ctx, &answer);
        state.notify.emit(&events).await?;
    }
    Ok(answer)
}

async fn dispatch_bucket(
    state: &Arc<AppState>,
    b: &str,
    op: BucketOperation,
    ctx: &mut RequestContext,
) -> Result<Response, S3Error> {
    use BucketOperation as Op;
    if let Some(backend) = state
        .backend
        .as_ref()
        .filter(|_| relayed::relays_bucket(&op))
    {
        return relayed::handle_bucket(backend, ctx, b, &op).await;
    }
    match op {
        Op::CreateBucket => bucket::handle_create_bucket(state, ctx, b).await,
        Op::HeadBucket => bucket::handle_head_bucket(state, b).await,
        Op::GetBucketNotificationConfiguration => notification::handle_get(state, b).await,
        Op::PutBucketNotificationConfiguration => notification::handle_put(state, ctx, b).await,
        Op::ListenBucketEvents => notification::handle_listen(state, ctx, b),
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
        Op::GetObjectLockConfiguration => {
            object_lock::handle_get_object_lock_configuration(state, b).await
        }
        Op::PutObjectLockConfiguration => {
            object_lock::handle_put_object_lock_configuration(state, ctx, b).await
        }
        Op::GetPublicAccessBlock => public_block::handle_get_public_access_block(state, b).await,
        Op::PutPublicAccessBlock => {
            public_block::handle_put_public_access_block(state, ctx, b).await
        }
        Op::DeletePublicAccessBlock => {
            public_block::handle_delete_public_access_block(state, b).await
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
        Op::PutBucketOriginDelta => {
            passes::handle_put_bucket_origin_pass(state, ctx, b, PassKind::Delta).await
        }
        Op::GetBucketOriginDelta => {
            passes::handle_get_bucket_origin_pass(state, b, PassKind::Delta).await
        }
        Op::DeleteBucketOriginDelta => {
            passes::handle_delete_bucket_origin_pass(state, b, PassKind::Delta).await
        }
        Op::PutBucketOriginVerify => {
            passes::handle_put_bucket_origin_pass(state, ctx, b, PassKind::Verify).await
        }
        Op::GetBucketOriginVerify => {
            passes::handle_get_bucket_origin_pass(state, b, PassKind::Verify).await
        }
        Op::DeleteBucketOriginVerify => {
            passes::handle_delete_bucket_origin_pass(state, b, PassKind::Verify).await
        }
        Op::GetBucketOriginReport => report::handle_get_bucket_origin_report(state, ctx, b).await,
        Op::ListObjects(p) => list::handle_list_objects(state, b, p).await,
        Op::ListObjectsV2(p) => list::handle_list_objects_v2(state, b, p).await,
        Op::ListObjectVersions(p) => list::handle_list_object_versions(state, b, p).await,
        Op::ListMultipartUploads(p) => multipart::handle_list_multipart_uploads(state, b, p).await,
        Op::DeleteObjects => delete::handle_delete_objects(state, ctx, b).await,
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
    // Cluster mode: reads keep their objects in the cache longest.
    if let (Some(backend), Op::GetObject(_) | Op::HeadObject(_)) = (&state.backend, &op) {
        backend.cache.touch(b, k);
    }
    if relayed::relays(&op, state.backend.is_some()) {
        if let Some(target) = state.write_target(b, k)? {
            return relayed::handle_object(state, &target, ctx, b, k, &op).await;
        }
    }
    match op {
        Op::PutObject => put::handle_put_object(state, ctx, b, k).await,
        Op::CopyObject { source } => copy::handle_copy_object(state, ctx, b, k, &source).await,
        Op::GetObject(p) => {
            let read = get::handle_get_object(state, ctx, b, k, &p, false).await;
            missing_unless_listable(state, b, ctx, read)
        }
        Op::HeadObject(p) => {
            let read = get::handle_get_object(state, ctx, b, k, &p, true).await;
            missing_unless_listable(state, b, ctx, read)
        }
        Op::DeleteObject { version_id } => {
            delete::handle_delete_object(state, ctx, b, k, version_id.as_deref()).await
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
        Op::GetObjectRetention { version_id } => {
            object_lock::handle_get_object_retention(state, b, k, version_id.as_deref()).await
        }
        Op::PutObjectRetention { version_id } => {
            let version = version_id.as_deref();
            object_lock::handle_put_object_retention(state, ctx, b, k, version).await
        }
        Op::GetObjectLegalHold { version_id } => {
            object_lock::handle_get_object_legal_hold(state, b, k, version_id.as_deref()).await
        }
        Op::PutObjectLegalHold { version_id } => {
            let version = version_id.as_deref();
            object_lock::handle_put_object_legal_hold(state, ctx, b, k, version).await
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
            completion::handle_complete_multipart_upload(state, ctx, b, k, &upload_id).await
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
