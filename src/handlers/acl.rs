//! ACLs and object ownership: Get/PutBucketAcl, Get/PutObjectAcl and
//! Get/Put/DeleteBucketOwnershipControls. (The ACL a new bucket or object is created with is
//! `new_acl.rs`'.)
//! Whether a caller may do these is decided before, by [`crate::access::authorize`].

use std::sync::Arc;

use axum::response::Response;
use http::StatusCode;

use super::context::RequestContext;
use super::headers::with_version;
use super::new_acl::BUCKET_OWNER_FULL_CONTROL;
use super::reply::{empty_response, read_small_body, xml_response, MAX_XML_BODY};
use crate::access::ownership::acls_not_supported;
use crate::access::{Acl, ObjectOwnership};
use crate::error::{S3Error, S3ErrorCode};
use crate::identity::canonical_id;
use crate::state::AppState;

pub async fn handle_get_bucket_acl(
    state: &Arc<AppState>,
    bucket: &str,
) -> Result<Response, S3Error> {
    let owner = state.store.head_bucket(bucket)?.owner;
    let acl = if state.access.ownership_of(bucket)?.acls_enabled() {
        state.access.bucket_acl(bucket, &owner)?
    } else {
        Arc::new(Acl::private(&canonical_id(&owner)))
    };
    xml_response(StatusCode::OK, &acl.to_document())
}

/// The ACL a PutBucketAcl / PutObjectAcl asks for: from its headers or its
/// `AccessControlPolicy` body, for a resource owned by `owner` in a bucket owned by
/// `bucket_owner` (canonical ids).
async fn requested_acl(
    state: &AppState,
    ctx: &mut RequestContext,
    owner: &str,
    bucket_owner: &str,
) -> Result<Acl, S3Error> {
    let users = &state.directory.identities();
    if let Some(acl) = Acl::from_headers(&ctx.parts.headers, owner, bucket_owner, users)? {
        return Ok(acl);
    }
    let body = read_small_body(ctx, MAX_XML_BODY).await?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(S3Error::new(
            S3ErrorCode::MissingSecurityHeader,
            "Your request was missing a required header: x-amz-acl",
        ));
    }
    Acl::from_xml(&body, owner, users)
}

pub async fn handle_put_bucket_acl(
    state: &Arc<AppState>,
    ctx: &mut RequestContext,
    bucket: &str,
) -> Result<Response, S3Error> {
    let owner = canonical_id(&state.store.head_bucket(bucket)?.owner);
    let acl = requested_acl(state, ctx, &owner, &owner).await?;
    state.access.check_new_acl(bucket, &acl)?;
    if !state.access.ownership_of(bucket)?.acls_enabled() && acl != Acl::private(&owner) {
        return Err(acls_not_supported());
    }
    state.access.acls.set(bucket, Some(&acl)).await?;
    Ok(empty_response(StatusCode::OK))
}

/// An object version's ACL: its own while the bucket has ACLs enabled, else (or if it has
/// none) the bucket owner's private default.
fn object_acl_of(
    bucket_owner: &str,
    acls_enabled: bool,
    meta: &storage::ObjectMeta,
) -> Result<Acl, S3Error> {
    match &meta.attrs.acl {
        Some(stored) if acls_enabled => Acl::decode(stored),
        _ => Ok(Acl::private(bucket_owner)),
    }
}

pub async fn handle_get_object_acl(
    state: &Arc<AppState>,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> Result<Response, S3Error> {
    let meta = state.store.head_object_version(bucket, key, version_id)?;
    let bucket_owner = canonical_id(&state.store.head_bucket(bucket)?.owner);
    let acls_enabled = state.access.ownership_of(bucket)?.acls_enabled();
    let acl = object_acl_of(&bucket_owner, acls_enabled, &meta)?;
    let response = xml_response(StatusCode::OK, &acl.to_document())?;
    with_version(state, bucket, meta.version_id.as_deref(), response)
}

pub async fn handle_put_object_acl(
    state: &Arc<AppState>,
    ctx: &mut RequestContext,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> Result<Response, S3Error> {
    let meta = state.store.head_object_version(bucket, key, version_id)?;
    let bucket_owner = canonical_id(&state.store.head_bucket(bucket)?.owner);
    let acls_enabled = state.access.ownership_of(bucket)?.acls_enabled();
    let current = object_acl_of(&bucket_owner, acls_enabled, &meta)?;
    let acl = requested_acl(state, ctx, &current.owner, &bucket_owner).await?;
    state.access.check_new_acl(bucket, &acl)?;
    if !acls_enabled {
        // Only the bucket-owner-full-control ACL (which changes nothing) is accepted.
        if ctx.header("x-amz-acl") != Some(BUCKET_OWNER_FULL_CONTROL) {
            return Err(acls_not_supported());
        }
        return with_version(
            state,
            bucket,
            meta.version_id.as_deref(),
            empty_response(StatusCode::OK),
        );
    }
    let stored = if acl == Acl::private(&bucket_owner) {
        None
    } else {
        state.access.note_object_acl(bucket).await?;
        Some(acl.encode())
    };
    let version = state
        .store
        .set_object_acl(
            bucket,
            key,
            meta.version_id.as_deref().or(version_id),
            stored,
        )
        .await?;
    with_version(
        state,
        bucket,
        version.as_deref(),
        empty_response(StatusCode::OK),
    )
}

pub async fn handle_get_bucket_ownership_controls(
    state: &Arc<AppState>,
    bucket: &str,
) -> Result<Response, S3Error> {
    state.store.head_bucket(bucket)?;
    match state.access.ownership.get(bucket)? {
        Some(ownership) => xml_response(StatusCode::OK, &ownership.to_document()),
        None => Err(S3Error::new(
            S3ErrorCode::OwnershipControlsNotFoundError,
            "The bucket ownership controls were not found",
        )),
    }
}

pub async fn handle_put_bucket_ownership_controls(
    state: &Arc<AppState>,
    ctx: &mut RequestContext,
    bucket: &str,
) -> Result<Response, S3Error> {
    let body = read_small_body(ctx, MAX_XML_BODY).await?;
    let ownership = ObjectOwnership::from_xml(&body)?;
    if ownership == ObjectOwnership::BucketOwnerEnforced {
        // AWS refuses to disable ACLs while the bucket's own ACL grants to others.
        let owner = state.store.head_bucket(bucket)?.owner;
        let acl = state.access.bucket_acl(bucket, &owner)?;
        if *acl != Acl::private(&canonical_id(&owner)) {
            return Err(S3Error::new(
                S3ErrorCode::InvalidBucketAclWithObjectOwnership,
                "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
            ));
        }
    }
    state.access.ownership.set(bucket, Some(&ownership)).await?;
    Ok(empty_response(StatusCode::OK))
}

pub async fn handle_delete_bucket_ownership_controls(
    state: &Arc<AppState>,
    bucket: &str,
) -> Result<Response, S3Error> {
    state.store.head_bucket(bucket)?;
    state.access.ownership.set(bucket, None).await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}
