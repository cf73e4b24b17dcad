//! Object Lock's operations: Put/GetObjectLockConfiguration on a bucket, and
//! Put/GetObjectRetention and Put/GetObjectLegalHold on a version. The store refuses every
//! change a lock forbids; here are the documents, AWS's refusals of a bucket without Object
//! Lock, and the governance bypass (`x-amz-bypass-governance-retention: true` from a caller
//! allowed `s3:BypassGovernanceRetention`).
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectLockConfiguration.html>

use std::sync::Arc;

use axum::response::Response;
use http::StatusCode;
use storage::Versioning;

use super::context::RequestContext;
use super::reply::{empty_response, read_small_body, xml_response, MAX_XML_BODY};
use crate::error::{S3Error, S3ErrorCode};
use crate::object_lock::document::{
    not_lock_enabled, parse_legal_hold, parse_retention, LegalHoldWire, RetentionWire,
};
use crate::object_lock::LockConfiguration;
use crate::state::AppState;

pub async fn handle_put_object_lock_configuration(
    state: &Arc<AppState>,
    ctx: &mut RequestContext,
    bucket: &str,
) -> Result<Response, S3Error> {
    let body = read_small_body(ctx, MAX_XML_BODY).await?;
    let config = LockConfiguration::parse(&body)?;
    if state.store.versioning(bucket)? != Versioning::Enabled {
        state.store.head_bucket(bucket)?;
        return Err(S3Error::new(
            S3ErrorCode::InvalidBucketState,
            "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
        ));
    }
    state.object_locks.set(bucket, Some(&config)).await?;
    Ok(empty_response(StatusCode::OK))
}

pub async fn handle_get_object_lock_configuration(
    state: &Arc<AppState>,
    bucket: &str,
) -> Result<Response, S3Error> {
    state.store.head_bucket(bucket)?;
    let config = state.object_locks.get(bucket)?.ok_or_else(|| {
        S3Error::new(
            S3ErrorCode::ObjectLockConfigurationNotFoundError,
            "Object Lock configuration does not exist for this bucket",
        )
    })?;
    xml_response(StatusCode::OK, &config.to_wire())
}

/// The bucket has Object Lock, or InvalidRequest as AWS answers.
fn require_lock_enabled(state: &AppState, bucket: &str) -> Result<(), S3Error> {
    state.store.head_bucket(bucket)?;
    match state.object_locks.get(bucket)? {
        Some(_) => Ok(()),
        None => Err(not_lock_enabled()),
    }
}

/// Does the request ask to bypass GOVERNANCE retention?
pub fn asks_bypass(ctx: &RequestContext) -> bool {
    ctx.header("x-amz-bypass-governance-retention")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Whether the request asks to bypass GOVERNANCE retention and its caller may
/// (`s3:BypassGovernanceRetention`). A caller who may not gets no bypass: a version under
/// GOVERNANCE then stays refused (AccessDenied), and an unlocked one goes as it would have.
/// Asking in a bucket without Object Lock is InvalidArgument, as AWS answers.
pub fn bypass_governance(
    state: &AppState,
    ctx: &RequestContext,
    bucket: &str,
    key: &str,
) -> Result<bool, S3Error> {
    if !asks_bypass(ctx) {
        return Ok(false);
    }
    if state.object_locks.get(bucket)?.is_none() {
        state.store.head_bucket(bucket)?;
        return Err(S3Error::invalid_argument(
            "x-amz-bypass-governance-retention is only applicable to Object Lock enabled buckets.",
        ));
    }
    crate::access::may_also(
        &state.access,
        bucket,
        key,
        ctx.principal(),
        &ctx.request_info(),
        "s3:BypassGovernanceRetention",
    )
}

fn with_version(mut response: Response, version: Option<String>) -> Response {
    if let Some(v) = version.and_then(|v| http::HeaderValue::from_str(&v).ok()) {
        response.headers_mut().insert("x-amz-version-id", v);
    }
    response
}

pub async fn handle_put_object_retention(
    state: &Arc<AppState>,
    ctx: &mut RequestContext,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> Result<Response, S3Error> {
    require_lock_enabled(state, bucket)?;
    let body = read_small_body(ctx, MAX_XML_BODY).await?;
    let retention = parse_retention(&body)?;
    let bypass = bypass_governance(state, ctx, bucket, key)?;
    let version = state
        .store
        .set_object_retention(bucket, key, version_id, retention, bypass)
        .await?;
    Ok(with_version(empty_response(StatusCode::OK), version))
}

pub async fn handle_get_object_retention(
    state: &Arc<AppState>,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> Result<Response, S3Error> {
    require_lock_enabled(state, bucket)?;
    let meta = state.store.head_object_version(bucket, key, version_id)?;
    let retention = meta.attrs.lock.retention.ok_or_else(|| {
        S3Error::new(
            S3ErrorCode::NoSuchObjectLockConfiguration,
            "The specified object does not have a ObjectLock configuration",
        )
    })?;
    xml_response(
        StatusCode::OK,
        &RetentionWire {
            mode: Some(retention.mode.as_str().to_owned()),
            retain_until_date: Some(crate::xml::timestamp(retention.until)),
        },
    )
}

pub async fn handle_put_object_legal_hold(
    state: &Arc<AppState>,
    ctx: &mut RequestContext,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> Result<Response, S3Error> {
    require_lock_enabled(state, bucket)?;
    let body = read_small_body(ctx, MAX_XML_BODY).await?;
    let on = parse_legal_hold(&body)?;
    let version = state
        .store
        .set_object_legal_hold(bucket, key, version_id, on)
        .await?;
    Ok(with_version(empty_response(StatusCode::OK), version))
}

pub async fn handle_get_object_legal_hold(
    state: &Arc<AppState>,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> Result<Response, S3Error> {
    require_lock_enabled(state, bucket)?;
    let meta = state.store.head_object_version(bucket, key, version_id)?;
    let status = if meta.attrs.lock.legal_hold {
        "ON"
    } else {
        "OFF"
    };
    xml_response(
        StatusCode::OK,
        &LegalHoldWire {
            status: Some(status.to_owned()),
        },
    )
}
