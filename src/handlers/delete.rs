//! DeleteObject and DeleteObjects (up to 1000 keys, each decided and conditioned on its
//! own, as AWS does). In a bucket with an origin a delete leaves a tombstone, so the key is
//! not pulled again. In cluster mode each key is deleted at the cluster first. A version
//! Object Lock protects is refused by the store (AccessDenied, that key's error in
//! DeleteObjects); `x-amz-bypass-governance-retention` lifts GOVERNANCE for a caller allowed
//! to bypass it.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html>

use std::sync::Arc;

use axum::response::Response;
use http::StatusCode;

use super::conditions;
use super::context::RequestContext;
use super::headers::VERSION_ID_HEADER;
use super::object_lock::{asks_bypass, bypass_governance};
use super::reply::{empty_response, read_small_body, xml_response};
use crate::access;
use crate::error::{S3Error, DELETE_MARKER_HEADER};
use crate::router::{ObjectOperation, Operation};
use crate::state::AppState;
use crate::xml;

/// Does the bucket pull misses from an origin? Deletes then leave tombstones. Not in cluster
/// mode: the delete reached the cluster, and a key written again through another node must
/// be pulled again.
fn origin_configured(state: &AppState, bucket: &str) -> Result<bool, S3Error> {
    if state.origin.reads_from_cluster() {
        return Ok(false);
    }
    Ok(state.origin.bucket_config(bucket)?.is_some())
}

pub async fn handle_delete_object(
    state: &Arc<AppState>,
    ctx: &RequestContext,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> Result<Response, S3Error> {
    let tombstone = origin_configured(state, bucket)?;
    let mut condition = conditions::delete_condition(&ctx.parts.headers)?;
    condition.bypass_governance = bypass_governance(state, ctx, bucket, key)?;
    // Cluster mode: deleted at the cluster first (its condition held there, under the key's
    // lock on this node, which owns the key); then the node's copy goes.
    // (A single node's versions are its own: a versioned delete there stays local.)
    let target = match version_id {
        Some(_) if state.backend.is_none() => None,
        _ => state.write_target(bucket, key)?,
    };
    if let Some(backend) = target {
        let _held = backend
            .hold_condition(bucket, key, &ctx.parts.headers)
            .await?;
        let acknowledged = backend.delete_object(bucket, key, version_id).await?;
        forget_copy(state, bucket, key).await?;
        let mut response = empty_response(StatusCode::NO_CONTENT);
        response.headers_mut().extend(acknowledged.relay);
        return Ok(response);
    }
    let deleted = state
        .store
        .delete_if(bucket, key, version_id, tombstone, &condition)
        .await?;
    let mut response = empty_response(StatusCode::NO_CONTENT);
    let headers = response.headers_mut();
    if deleted.delete_marker {
        headers.insert(DELETE_MARKER_HEADER, http::HeaderValue::from_static("true"));
    }
    if let Some(v) = deleted
        .version_id
        .as_deref()
        .and_then(|v| http::HeaderValue::from_str(v).ok())
    {
        headers.insert(VERSION_ID_HEADER, v);
    }
    Ok(response)
}

/// Cluster mode: the node's copy of `key`, if any, goes (the cluster changed).
async fn forget_copy(state: &AppState, bucket: &str, key: &str) -> Result<(), S3Error> {
    match state
        .store
        .delete_if(bucket, key, None, false, &Default::default())
        .await
    {
        Ok(_) | Err(storage::Error::NoSuchKey) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Cluster mode: one key of a DeleteObjects deleted at the cluster, then here.
async fn delete_through(
    state: &AppState,
    backend: &crate::backend::Backend,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> Result<storage::Deleted, S3Error> {
    let acknowledged = backend.delete_object(bucket, key, version).await?;
    forget_copy(state, bucket, key).await?;
    let header = |name: &str| {
        acknowledged
            .relay
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    Ok(storage::Deleted {
        delete_marker: header(DELETE_MARKER_HEADER).as_deref() == Some("true"),
        version_id: header(VERSION_ID_HEADER),
        removed: None,
    })
}

/// DeleteObjects: up to 1000 keys, per-key results; Content-MD5 is optional (new SDKs send
/// a CRC32 instead), verified when present.
pub async fn handle_delete_objects(
    state: &Arc<AppState>,
    ctx: &mut RequestContext,
    bucket: &str,
) -> Result<Response, S3Error> {
    state.store.head_bucket(bucket)?;
    let body = read_small_body(ctx, 2 * 1024 * 1024).await?;
    let request: xml::Delete = xml::from_xml_document(&body, "Delete")?;
    // The schema wants 1 to 1000 Object entries.
    if request.objects.is_empty() || request.objects.len() > 1000 {
        return Err(S3Error::malformed_xml(
            "a DeleteObjects request names 1 to 1000 objects",
        ));
    }
    let tombstone = origin_configured(state, bucket)?;
    // Asking to bypass in a bucket without Object Lock fails the request, not each key.
    if asks_bypass(ctx) && state.object_locks.get(bucket)?.is_none() {
        return Err(S3Error::invalid_argument(
            "x-amz-bypass-governance-retention is only applicable to Object Lock enabled buckets.",
        ));
    }
    let mut result = xml::DeleteResult {
        ..Default::default()
    };
    let mut removed = super::events::Removed::default();
    for object in request.objects {
        // Each key is its own DeleteObject to the access decision, as in AWS.
        let one = Operation::Object {
            bucket: bucket.to_owned(),
            key: object.key.clone(),
            op: ObjectOperation::DeleteObject {
                version_id: object.version_id.clone(),
            },
        };
        let allowed = access::authorize(&state.access, &one, ctx.principal(), &ctx.request_info());
        let condition = conditions::entry_condition(
            object.etag.as_deref(),
            object.last_modified_time.as_deref(),
            object.size,
        )
        .and_then(|mut c| {
            c.bypass_governance = bypass_governance(state, ctx, bucket, &object.key)?;
            Ok(c)
        });
        let outcome = match allowed.and(condition) {
            Ok(condition) => {
                let version = object.version_id.as_deref();
                // Cluster mode: each key is deleted at the cluster first (a failure there is
                // that key's error, and the node keeps it).
                let target = match version {
                    Some(_) if state.backend.is_none() => Ok(None),
                    _ => state.write_target(bucket, &object.key),
                };
                match target {
                    Err(e) => Err(e),
                    Ok(None) => state
                        .store
                        .delete_if(bucket, &object.key, version, tombstone, &condition)
                        .await
                        .map_err(S3Error::from),
                    Ok(Some(backend)) => {
                        delete_through(state, &backend, bucket, &object.key, version).await
                    }
                }
            }
            Err(e) => Err(e),
        };
        if let Ok(deleted) = &outcome {
            let version = if deleted.delete_marker {
                deleted.version_id.clone()
            } else {
                object.version_id.clone()
            };
            removed
                .0
                .push((object.key.clone(), version, deleted.delete_marker));
        }
        match outcome {
            Ok(_) if request.quiet => {}
            Ok(deleted) => {
                let marker_id = deleted.delete_marker.then(|| deleted.version_id.clone());
                result.deleted.push(xml::DeletedEntry {
                    key: object.key,
                    // The version the request named (a new marker's id is reported apart).
                    version_id: object.version_id,
                    delete_marker: deleted.delete_marker.then_some(true),
                    delete_marker_version_id: marker_id.flatten(),
                })
            }
            Err(e) => result.errors.push(xml::DeleteError {
                key: object.key,
                code: e.code.as_str(),
                message: e.message,
            }),
        }
    }
    let mut response = xml_response(StatusCode::OK, &result)?;
    response.extensions_mut().insert(removed);
    Ok(response)
}
