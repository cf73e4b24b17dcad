//! Bucket operations: ListBuckets, CreateBucket (with its ACL and object ownership),
//! HeadBucket, DeleteBucket, GetBucketLocation (ACLs: `acl.rs`; versioning: `versioning.rs`).

use std::sync::Arc;

use axum::response::Response;
use http::StatusCode;

use super::context::RequestContext;
use super::new_acl::new_bucket_access;
use super::reply::{empty_response, xml_response, MAX_XML_BODY};
use super::token::{decode_token, encode_token};
use crate::error::S3Error;
use crate::router::{ListBucketsParams, MAX_BUCKETS};
use crate::state::AppState;
use crate::xml;

/// The user's buckets in name order, a page at a time: the continuation token is the
/// base64url of the last name of the page before.
pub async fn handle_list_buckets(
    state: &Arc<AppState>,
    ctx: &RequestContext,
    params: ListBucketsParams,
) -> Result<Response, S3Error> {
    let user = ctx.user()?;
    let after = params
        .continuation_token
        .as_deref()
        .map(decode_token)
        .transpose()?;
    let prefix = params.prefix.as_deref().unwrap_or("");
    let page_size = params.max_buckets.unwrap_or(MAX_BUCKETS);
    // A user created at runtime also sees the buckets its policies let it list.
    let listable = |bucket: &str| match state.directory.policies_of(user) {
        Some(policies) => policies.iter().any(|p| {
            p.evaluate(
                crate::access::Principal::User(user),
                "s3:ListBucket",
                &format!("arn:aws:s3:::{bucket}"),
                &Default::default(),
            ) == crate::access::policy::Verdict::Allow
        }),
        None => false,
    };
    let mut mine = state.store.list_buckets()?.into_iter().filter(|b| {
        (b.owner == user || listable(&b.name))
            && b.name.starts_with(prefix)
            && after.as_deref().is_none_or(|a| b.name.as_str() > a)
            && params
                .bucket_region
                .as_deref()
                .is_none_or(|r| r == b.region)
    });
    let page: Vec<_> = mine.by_ref().take(page_size).collect();
    let continuation_token = match (mine.next(), page.last()) {
        (Some(_), Some(last)) => Some(encode_token(&last.name)),
        _ => None,
    };
    let buckets = page
        .into_iter()
        .map(|b| xml::BucketEntry {
            name: b.name,
            creation_date: xml::timestamp(b.created),
            region: b.region,
        })
        .collect();
    xml_response(
        StatusCode::OK,
        &xml::ListAllMyBucketsResult {
            owner: xml::Owner::new(user),
            buckets: xml::Buckets { bucket: buckets },
            continuation_token,
            prefix: params.prefix,
        },
    )
}

/// The region where CreateBucket of a bucket you already own answers 200 (see below).
const LEGACY_REGION: &str = "us-east-1";

pub async fn handle_create_bucket(
    state: &Arc<AppState>,
    ctx: &mut RequestContext,
    bucket: &str,
) -> Result<Response, S3Error> {
    let user = ctx.user()?.to_owned();
    let access = new_bucket_access(state, &ctx.parts.headers, &user)?;
    if let Some(acl) = &access.acl {
        state.access.check_new_acl(bucket, acl)?;
    }
    let object_lock = match ctx.header("x-amz-bucket-object-lock-enabled") {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(v) => {
            return Err(S3Error::invalid_argument(format!(
                "x-amz-bucket-object-lock-enabled must be true or false, not {v}"
            )))
        }
    };
    let body = ctx.take_body()?.collect(MAX_XML_BODY).await?;
    let mut region = state.config.region.clone();
    if !body.iter().all(u8::is_ascii_whitespace) {
        let conf: xml::CreateBucketConfiguration = xml::from_xml(&body)?;
        if let Some(constraint) = conf.location_constraint.filter(|c| !c.is_empty()) {
            // Any region is accepted (a local server has one); it is reported back as given.
            region = constraint;
        }
    }
    // Cluster mode: the bucket exists at the cluster before it does here, and every node
    // can learn its owner there.
    if let (Some(backend), Some(shared)) = (&state.backend, &state.shared) {
        if bucket == crate::backend::SETTINGS_BUCKET {
            return Err(S3Error::new(
                crate::error::S3ErrorCode::BucketAlreadyExists,
                "This bucket name is the cluster's own (originstore keeps bucket settings in it).",
            ));
        }
        backend.create_bucket(bucket).await?;
        shared.record_owner(bucket, &user).await?;
    }
    let recreated = match state.store.create_bucket(bucket, &user, &region).await {
        Ok(_) => false,
        // AWS's legacy behaviour in us-east-1 only: re-creating your own bucket succeeds,
        // keeps its objects and resets its ACL to the one this request asks for.
        Err(storage::Error::BucketAlreadyOwnedByYou)
            if region == LEGACY_REGION && state.store.head_bucket(bucket)?.region == region =>
        {
            true
        }
        Err(e) => return Err(e.into()),
    };
    if access.acl.is_some() || recreated {
        state.access.acls.set(bucket, access.acl.as_ref()).await?;
    }
    if access.store_ownership {
        state
            .access
            .ownership
            .set(bucket, Some(&access.ownership))
            .await?;
    }
    // Object Lock turns versioning on for good (versioning first: a crash between the two
    // leaves a versioned bucket without a lock, never a lock without versions).
    if object_lock && !recreated {
        state
            .store
            .set_versioning(bucket, storage::Versioning::Enabled)
            .await?;
        let config = crate::object_lock::LockConfiguration { default: None };
        state.object_locks.set(bucket, Some(&config)).await?;
    }
    Response::builder()
        .status(StatusCode::OK)
        .header(http::header::LOCATION, format!("/{bucket}"))
        .body(axum::body::Body::empty())
        .map_err(S3Error::internal)
}

pub async fn handle_head_bucket(state: &Arc<AppState>, bucket: &str) -> Result<Response, S3Error> {
    let meta = state.store.head_bucket(bucket)?;
    Response::builder()
        .status(StatusCode::OK)
        .header("x-amz-bucket-region", meta.region)
        .body(axum::body::Body::empty())
        .map_err(S3Error::internal)
}

pub async fn handle_delete_bucket(
    state: &Arc<AppState>,
    bucket: &str,
) -> Result<Response, S3Error> {
    if let (Some(backend), Some(shared)) = (&state.backend, &state.shared) {
        // The cluster refuses a bucket that still holds objects (BucketNotEmpty).
        state.store.head_bucket(bucket)?;
        backend.delete_bucket(bucket).await?;
        // Then its owner and settings, so that the other nodes drop it.
        shared.forget_bucket(bucket).await?;
        // The node's cached copies go with it.
        crate::backend::shared::drop_bucket(&state.settings, bucket).await?;
    } else {
        state.store.delete_bucket(bucket).await?;
    }
    // A bucket created again under this name starts without the old origin configuration.
    state.origin.forget_bucket(bucket);
    state.backfills.forget(bucket);
    state.passes.forget(bucket);
    state.lifecycle.forget(bucket);
    state.cors.forget(bucket);
    state.access.forget(bucket);
    state.object_locks.forget(bucket);
    Ok(empty_response(StatusCode::NO_CONTENT))
}

pub async fn handle_get_bucket_location(
    state: &Arc<AppState>,
    bucket: &str,
) -> Result<Response, S3Error> {
    let meta = state.store.head_bucket(bucket)?;
    // us-east-1 is reported as an empty LocationConstraint.
    let region = if meta.region == "us-east-1" {
        String::new()
    } else {
        meta.region
    };
    xml_response(StatusCode::OK, &xml::LocationConstraint { region })
}
