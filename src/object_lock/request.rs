//! The Object Lock a write asks for: the `x-amz-object-lock-mode`,
//! `x-amz-object-lock-retain-until-date` and `x-amz-object-lock-legal-hold` headers of
//! PutObject, CopyObject, CreateMultipartUpload and PostObject (whose form fields arrive as
//! headers), else the bucket's default retention; and the answer's headers on GET and HEAD
//! (to callers who may read the lock).
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html#object-lock-put-object>

use std::time::SystemTime;

use http::HeaderMap;
use storage::ObjectLock;

use super::document::{not_lock_enabled, parse_hold_status, requested_retention};
use crate::access::{Principal, RequestInfo};
use crate::error::{S3Error, S3ErrorCode};
use crate::state::AppState;

const MODE: &str = "x-amz-object-lock-mode";
const UNTIL: &str = "x-amz-object-lock-retain-until-date";
const HOLD: &str = "x-amz-object-lock-legal-hold";

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Does the request name a lock of its own?
pub fn asks_for_lock(headers: &HeaderMap) -> bool {
    [MODE, UNTIL, HOLD].iter().any(|h| headers.contains_key(*h))
}

/// Does the request carry an integrity check of its body (`Content-MD5`, an
/// `x-amz-checksum-*` value or trailer, or the SDK's announced algorithm)?
fn has_integrity_check(headers: &HeaderMap) -> bool {
    headers.contains_key("content-md5")
        || headers.contains_key("x-amz-sdk-checksum-algorithm")
        || headers.keys().any(|n| {
            n.as_str().starts_with("x-amz-checksum-") && n.as_str() != "x-amz-checksum-mode"
        })
        || header(headers, "x-amz-trailer").is_some_and(|t| t.starts_with("x-amz-checksum-"))
}

/// What a new write carries a body for (PutObject, PostObject: AWS requires an integrity
/// check of a body written with a lock) or not (CopyObject, CreateMultipartUpload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    Body,
    NoBody,
}

/// The lock of the version that `caller`'s write (`request`, whose headers may ask for one)
/// creates at `bucket/key` now: its own headers, else the bucket's default retention, else
/// none. Refused as AWS refuses: a lock in a bucket without Object Lock (InvalidRequest), a
/// mode without a date or a date without a mode, a date in the past, an unknown mode or
/// hold status (InvalidArgument), a body without `Content-MD5` or a checksum
/// (InvalidRequest), a retention or a hold by a caller without `s3:PutObjectRetention` or
/// `s3:PutObjectLegalHold` (AccessDenied: a writer cannot lock the owner's bucket for
/// years); in cluster mode, where nothing would enforce the lock, 501.
pub fn for_new_version(
    state: &AppState,
    bucket: &str,
    key: &str,
    caller: Principal<'_>,
    request: &RequestInfo<'_>,
    write: Write,
) -> Result<ObjectLock, S3Error> {
    let headers = request.headers;
    let asked = asks_for_lock(headers);
    if asked && state.backend.is_some() {
        return Err(super::cluster_refusal());
    }
    let config = state.object_locks.get(bucket)?;
    if !asked {
        let retention = config
            .and_then(|c| c.default)
            .map(|d| d.applied_at(SystemTime::now()));
        return Ok(ObjectLock {
            retention,
            legal_hold: false,
        });
    }
    if config.is_none() {
        return Err(not_lock_enabled());
    }
    let retention = match (header(headers, MODE), header(headers, UNTIL)) {
        (Some(mode), Some(until)) => Some(requested_retention(mode, until)?),
        (None, None) => config
            .and_then(|c| c.default)
            .map(|d| d.applied_at(SystemTime::now())),
        _ => return Err(S3Error::invalid_argument(
            "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied",
        )),
    };
    let legal_hold = match header(headers, HOLD) {
        Some(status) => parse_hold_status(status)?,
        None => false,
    };
    let may = |action| crate::access::may_also(&state.access, bucket, key, caller, request, action);
    let retention_asked = headers.contains_key(MODE) || headers.contains_key(UNTIL);
    if (retention_asked && !may("s3:PutObjectRetention")?)
        || (headers.contains_key(HOLD) && !may("s3:PutObjectLegalHold")?)
    {
        return Err(S3Error::new(S3ErrorCode::AccessDenied, "Access Denied"));
    }
    if write == Write::Body && !has_integrity_check(headers) {
        return Err(S3Error::new(
            S3ErrorCode::InvalidRequest,
            "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters",
        ));
    }
    Ok(ObjectLock {
        retention,
        legal_hold,
    })
}

/// The headers a GET or HEAD answer carries of a version's lock, to a caller who may read
/// it: the retention with `s3:GetObjectRetention`, the legal hold with
/// `s3:GetObjectLegalHold` (the bucket's owner may, unless its policy denies it), as AWS
/// shows them; nothing to others.
pub fn lock_headers(
    state: &AppState,
    bucket: &str,
    key: &str,
    caller: Principal<'_>,
    request: &RequestInfo<'_>,
    lock: &ObjectLock,
) -> Result<Vec<(&'static str, String)>, S3Error> {
    let mut out = Vec::new();
    if *lock == ObjectLock::default() {
        return Ok(out);
    }
    let may = |action| crate::access::may_also(&state.access, bucket, key, caller, request, action);
    if let Some(r) = lock.retention {
        if may("s3:GetObjectRetention")? {
            out.push((MODE, r.mode.as_str().to_owned()));
            out.push((UNTIL, crate::xml::timestamp(r.until)));
        }
    }
    if lock.legal_hold && may("s3:GetObjectLegalHold")? {
        out.push((HOLD, "ON".to_owned()));
    }
    Ok(out)
}
