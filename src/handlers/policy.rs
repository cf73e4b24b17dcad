//! Put/Get/DeleteBucketPolicy and GetBucketPolicyStatus. The policy is evaluated for every
//! request by [`crate::access::authorize`]; Block Public Access refuses a public one
//! (`BlockPublicPolicy`) and makes a public one private (`RestrictPublicBuckets`).

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use http::StatusCode;

use super::context::RequestContext;
use super::reply::{empty_response, read_small_body, xml_response};
use crate::access::policy::MAX_POLICY_BYTES;
use crate::access::BucketPolicy;
use crate::error::{S3Error, S3ErrorCode};
use crate::state::AppState;

pub async fn handle_put_bucket_policy(
    state: &Arc<AppState>,
    ctx: &mut RequestContext,
    bucket: &str,
) -> Result<Response, S3Error> {
    // A little over the limit is read, so that a policy over it is refused as such.
    let body = read_small_body(ctx, MAX_POLICY_BYTES + 1024).await?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| S3Error::new(S3ErrorCode::MalformedPolicy, "Policies must be UTF-8"))?;
    let policy = BucketPolicy::parse(text, bucket, &state.directory.identities())?;
    if policy.is_public() && state.access.public_block(bucket)?.block_public_policy {
        return Err(crate::access::public_block::blocked());
    }
    state.access.policies.set(bucket, Some(&policy)).await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}

pub async fn handle_get_bucket_policy(
    state: &Arc<AppState>,
    bucket: &str,
) -> Result<Response, S3Error> {
    let policy = state.access.policies.get(bucket)?.ok_or_else(no_policy)?;
    Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::from(policy.text.clone()))
        .map_err(S3Error::internal)
}

pub async fn handle_delete_bucket_policy(
    state: &Arc<AppState>,
    bucket: &str,
) -> Result<Response, S3Error> {
    state.access.policies.set(bucket, None).await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}

pub async fn handle_get_bucket_policy_status(
    state: &Arc<AppState>,
    bucket: &str,
) -> Result<Response, S3Error> {
    let policy = state.access.policies.get(bucket)?.ok_or_else(no_policy)?;
    // A public policy does not make the bucket public while RestrictPublicBuckets confines
    // its Allows to the bucket's owner.
    let restricted = state.access.public_block(bucket)?.restrict_public_buckets;
    xml_response(
        StatusCode::OK,
        &crate::xml::PolicyStatus {
            is_public: policy.is_public() && !restricted,
        },
    )
}

fn no_policy() -> S3Error {
    S3Error::new(
        S3ErrorCode::NoSuchBucketPolicy,
        "The bucket policy does not exist",
    )
}
