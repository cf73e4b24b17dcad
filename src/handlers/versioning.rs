//! Bucket versioning: PutBucketVersioning and GetBucketVersioning. (The `x-amz-version-id`
//! every answer about an object of a versioned bucket carries is `headers.rs`'.)
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketVersioning.html>

use std::sync::Arc;

use axum::response::Response;
use http::StatusCode;
use storage::Versioning;

use super::context::RequestContext;
use super::reply::{empty_response, read_small_body, xml_response, MAX_XML_BODY};
use crate::error::{S3Error, S3ErrorCode};
use crate::state::AppState;
use crate::xml;

pub async fn handle_put_bucket_versioning(
    state: &Arc<AppState>,
    ctx: &mut RequestContext,
    bucket: &str,
) -> Result<Response, S3Error> {
    let body = read_small_body(ctx, MAX_XML_BODY).await?;
    let request: xml::VersioningConfigurationRequest =
        xml::from_xml_document(&body, "VersioningConfiguration")?;
    match request.mfa_delete.as_deref() {
        None | Some("Disabled") => {}
        // MFA delete needs an MFA device: originstore has none to check a code against.
        Some("Enabled") if ctx.header("x-amz-mfa").is_none() => {
            return Err(S3Error::new(
                S3ErrorCode::AccessDenied,
                "Mfa Authentication must be used for this request",
            ))
        }
        Some("Enabled") => return Err(S3Error::not_implemented("MFA delete")),
        Some(other) => {
            return Err(S3Error::malformed_xml(format!(
                "MfaDelete must be Enabled or Disabled, not {other}"
            )))
        }
    }
    let target = match request.status.as_deref() {
        Some("Enabled") => Versioning::Enabled,
        Some("Suspended") => Versioning::Suspended,
        // No status: nothing to change (MfaDelete alone).
        None => {
            state.store.head_bucket(bucket)?;
            return Ok(empty_response(StatusCode::OK));
        }
        Some(other) => {
            return Err(S3Error::malformed_xml(format!(
                "Status must be Enabled or Suspended, not {other}"
            )))
        }
    };
    // Object Lock keeps versioning on for good.
    if target == Versioning::Suspended && state.object_locks.get(bucket)?.is_some() {
        return Err(S3Error::new(
            S3ErrorCode::InvalidBucketState,
            "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.",
        ));
    }
    state.store.set_versioning(bucket, target).await?;
    Ok(empty_response(StatusCode::OK))
}

pub async fn handle_get_bucket_versioning(
    state: &Arc<AppState>,
    bucket: &str,
) -> Result<Response, S3Error> {
    state.store.head_bucket(bucket)?;
    let status = match state.store.versioning(bucket)? {
        // Never versioned: an empty configuration, as AWS answers.
        Versioning::Unversioned => None,
        Versioning::Enabled => Some("Enabled"),
        Versioning::Suspended => Some("Suspended"),
    };
    xml_response(StatusCode::OK, &xml::VersioningConfiguration { status })
}
