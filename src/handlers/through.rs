//! Cluster mode as the families meet it: what no node could keep as the cluster keeps it,
//! refused rather than left on one node, and the adoption of a bucket another node created.

use std::sync::Arc;

use http::HeaderMap;

use crate::backend::Backend;
use crate::error::S3Error;
use crate::router::{BucketOperation, ObjectOperation, Operation};
use crate::state::AppState;

/// In cluster mode, what no node could keep as the cluster keeps it is refused (501):
/// object ACLs (originstore decides access with them, and the cluster keeps none that
/// every node could read; bucket policies and bucket ACLs are shared), the origin
/// extension that forgets a local delete (the cluster's delete is the delete), and every
/// Object Lock setting and lock header (the cluster's engine would have to enforce the
/// lock; a lock accepted and not enforced is worse than none).
pub fn refuse_what_no_node_could_keep(
    backend: Option<&Arc<Backend>>,
    op: &Operation,
    headers: &HeaderMap,
) -> Result<(), S3Error> {
    if backend.is_none() {
        return Ok(());
    }
    if asks_for_object_lock(op, headers) {
        return Err(crate::object_lock::cluster_refusal());
    }
    let refused = match op {
        Operation::Bucket {
            op: BucketOperation::PostObject,
            ..
        } => false,
        Operation::Object { op, .. } => match op {
            ObjectOperation::PutObjectAcl { .. } | ObjectOperation::DeleteObjectTombstone => true,
            ObjectOperation::PutObject
            | ObjectOperation::CopyObject { .. }
            | ObjectOperation::CreateMultipartUpload => asks_for_an_object_acl(headers),
            _ => false,
        },
        _ => false,
    };
    if refused {
        Err(object_acl_refused(op.name()))
    } else {
        Ok(())
    }
}

/// Whether the request sets Object Lock: its configuration, a version's retention or legal
/// hold, a lock on a new object or bucket (a PostObject's fields are checked by its handler).
fn asks_for_object_lock(op: &Operation, headers: &HeaderMap) -> bool {
    let setting = match op {
        Operation::Bucket { op, .. } => matches!(
            op,
            BucketOperation::PutObjectLockConfiguration
                | BucketOperation::GetObjectLockConfiguration
        ),
        Operation::Object { op, .. } => matches!(
            op,
            ObjectOperation::PutObjectRetention { .. }
                | ObjectOperation::GetObjectRetention { .. }
                | ObjectOperation::PutObjectLegalHold { .. }
                | ObjectOperation::GetObjectLegalHold { .. }
        ),
        _ => false,
    };
    setting
        || crate::object_lock::request::asks_for_lock(headers)
        || headers.contains_key("x-amz-bucket-object-lock-enabled")
}

/// The refusal of an object ACL in cluster mode.
pub fn object_acl_refused(operation: &str) -> S3Error {
    S3Error::not_implemented(&format!(
        "{operation} with an object ACL in cluster mode (use a bucket policy)"
    ))
}

/// Whether a write asks for an object ACL other than the default (the owner's full
/// control): a canned ACL that grants more, or a grant header.
pub fn asks_for_an_object_acl(headers: &HeaderMap) -> bool {
    let canned = headers
        .get("x-amz-acl")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let more_than_default = !matches!(canned, None | Some("private" | "bucket-owner-full-control"));
    more_than_default
        || headers
            .keys()
            .any(|name| name.as_str().starts_with("x-amz-grant-"))
}

/// Cluster mode: a bucket another node created is adopted here (its owner and settings as
/// recorded at the cluster) the first time a request names it, so that every node knows
/// every bucket.
pub async fn adopt_bucket(state: &AppState, op: &Operation) -> Result<(), S3Error> {
    let (Some(shared), Some(bucket)) = (&state.shared, op.bucket()) else {
        return Ok(());
    };
    let creating = matches!(
        op,
        Operation::Bucket {
            op: BucketOperation::CreateBucket,
            ..
        }
    );
    if creating
        || !matches!(
            state.store.head_bucket(bucket),
            Err(storage::Error::NoSuchBucket)
        )
    {
        return Ok(());
    }
    shared
        .adopt(&state.settings, bucket, &state.config.region)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_acl_beyond_the_owners_full_control_is_an_object_acl() {
        let with = |pairs: &[(&'static str, &'static str)]| {
            let mut headers = HeaderMap::new();
            for (name, value) in pairs {
                headers.insert(*name, http::HeaderValue::from_static(value));
            }
            asks_for_an_object_acl(&headers)
        };
        assert!(!with(&[]));
        assert!(!with(&[("x-amz-acl", "private")]));
        assert!(!with(&[("x-amz-acl", "bucket-owner-full-control")]));
        assert!(with(&[("x-amz-acl", "public-read")]));
        assert!(with(&[("x-amz-acl", "authenticated-read")]));
        assert!(with(&[(
            "x-amz-grant-read",
            "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\""
        )]));
    }
}
