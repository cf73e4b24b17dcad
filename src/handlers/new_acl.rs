//! The ACL and object ownership a new bucket or object is created with, from its request's
//! `x-amz-acl`, `x-amz-grant-*` and `x-amz-object-ownership` headers and the bucket's object
//! ownership: for CreateBucket, PutObject, CopyObject, CreateMultipartUpload and PostObject.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html>

use http::HeaderMap;

use crate::access::ownership::acls_not_supported;
use crate::access::{Acl, ObjectOwnership};
use crate::error::{S3Error, S3ErrorCode};
use crate::identity::canonical_id;
use crate::state::AppState;

/// The canned ACL a bucket with ACLs disabled still accepts on writes.
pub const BUCKET_OWNER_FULL_CONTROL: &str = "bucket-owner-full-control";

/// Does the request set an ACL (`x-amz-acl` or a grant header)?
fn sets_acl(headers: &HeaderMap) -> bool {
    headers
        .keys()
        .any(|n| n.as_str() == "x-amz-acl" || n.as_str().starts_with("x-amz-grant-"))
}

/// The ACL a new object written by `writer` (`None`: anonymous) into `bucket` is stored with:
/// `None` for the default (the bucket owner's, private). The bucket's object ownership
/// decides who owns it and whether an ACL may be asked for at all.
pub async fn acl_for_new_object(
    state: &AppState,
    bucket: &str,
    writer: Option<&str>,
    headers: &HeaderMap,
) -> Result<Option<String>, S3Error> {
    let bucket_owner = canonical_id(&state.store.head_bucket(bucket)?.owner);
    let canned = headers.get("x-amz-acl").and_then(|v| v.to_str().ok());
    let owner = match state.access.ownership_of(bucket)? {
        ObjectOwnership::BucketOwnerEnforced => {
            let only_full_control = canned == Some(BUCKET_OWNER_FULL_CONTROL)
                && !headers
                    .keys()
                    .any(|n| n.as_str().starts_with("x-amz-grant-"));
            if sets_acl(headers) && !only_full_control {
                return Err(acls_not_supported());
            }
            return Ok(None);
        }
        ObjectOwnership::BucketOwnerPreferred if canned == Some(BUCKET_OWNER_FULL_CONTROL) => {
            bucket_owner.clone()
        }
        // Anonymous writes (a public-read-write bucket) belong to the bucket's owner; so do
        // those of users created at runtime (the server's own users, as IAM users' objects
        // are their account's), so that the owner reads what a colleague uploads.
        _ => match writer {
            Some(w) if !state.directory.is_managed(w) => canonical_id(w),
            _ => bucket_owner.clone(),
        },
    };
    let acl = Acl::from_headers(
        headers,
        &owner,
        &bucket_owner,
        &state.directory.identities(),
    )?
    .unwrap_or_else(|| Acl::private(&owner));
    state.access.check_new_acl(bucket, &acl)?;
    if acl == Acl::private(&bucket_owner) {
        return Ok(None);
    }
    state.access.note_object_acl(bucket).await?;
    Ok(Some(acl.encode()))
}

/// CreateBucket's ACL and ownership: `x-amz-object-ownership` (else the server's default)
/// and `x-amz-acl` / `x-amz-grant-*`, which a bucket with ACLs disabled refuses unless it
/// asks for `private`.
pub struct NewBucketAccess {
    pub ownership: ObjectOwnership,
    /// `None`: the default, private.
    pub acl: Option<Acl>,
    /// The ownership was asked for or differs from the legacy default: stored.
    pub store_ownership: bool,
}

pub fn new_bucket_access(
    state: &AppState,
    headers: &HeaderMap,
    owner: &str,
) -> Result<NewBucketAccess, S3Error> {
    let asked = headers
        .get("x-amz-object-ownership")
        .and_then(|v| v.to_str().ok());
    let ownership = match asked {
        Some(name) => ObjectOwnership::parse(name).ok_or_else(|| {
            S3Error::invalid_argument(format!("Invalid x-amz-object-ownership header: {name}"))
        })?,
        None => state.config.default_object_ownership,
    };
    let owner = canonical_id(owner);
    let acl = Acl::from_headers(headers, &owner, &owner, &state.directory.identities())?
        .filter(|acl| *acl != Acl::private(&owner));
    if acl.is_some() && !ownership.acls_enabled() {
        return Err(S3Error::new(
            S3ErrorCode::InvalidBucketAclWithObjectOwnership,
            "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
        ));
    }
    Ok(NewBucketAccess {
        ownership,
        acl,
        store_ownership: asked.is_some() || ownership != ObjectOwnership::ObjectWriter,
    })
}
