//! Bucket versioning: PutBucketVersioning and GetBucketVersioning, and the
//! `x-amz-version-id` every answer about an object of a versioned bucket carries.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketVersioning.html>

use std::sync::Arc;

use axum::response::Response;
use http::StatusCode;
use storage::Versioning;

use super::bucket::MAX_XML_BODY;
use super::{empty_response, read_small_body, xml_response, RequestContext};
use crate::error::{S3Error, S3ErrorCode};
use crate::state::AppState;
use crate::xml;

/// Response header naming the version an answer is about.
pub const VERSION_ID_HEADER: &str = "x-amz-version-id";

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

/// The `x-amz-version-id` of an answer about `version_id` of an object of `bucket`: none
/// in a bucket that was never versioned, `null` for the null version.
pub fn version_header(
    state: &AppState,
    bucket: &str,
    version_id: Option<&str>,
) -> Result<Option<String>, S3Error> {
    Ok(match version_id {
        Some(v) => Some(v.to_owned()),
        None if state.store.versioning(bucket)? == Versioning::Unversioned => None,
        None => Some("null".to_owned()),
    })
}

/// Add `x-amz-version-id` to `response` (see [`version_header`]).
pub fn with_version(
    state: &AppState,
    bucket: &str,
    version_id: Option<&str>,
    mut response: Response,
) -> Result<Response, S3Error> {
    if let Some(v) = version_header(state, bucket, version_id)? {
        if let Ok(v) = http::HeaderValue::from_str(&v) {
            response.headers_mut().insert(VERSION_ID_HEADER, v);
        }
    }
    Ok(response)
}
