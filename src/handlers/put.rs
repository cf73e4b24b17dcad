//! PutObject: the body streamed into a blob ([`super::receive`]), its conditions checked
//! before and again at the commit, its ACL decided by the bucket's object ownership. In
//! cluster mode the body streams to the cluster too, whose acknowledgement (its conditions
//! held there) comes before the node keeps its copy.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html>

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use http::StatusCode;
use storage::ObjectMeta;

use super::conditions;
use super::context::RequestContext;
use super::headers;
use super::new_acl::acl_for_new_object;
use super::receive::{receive_blob, receive_blob_through, BodyKind};
use crate::error::{S3Error, S3ErrorCode};
use crate::object_lock::request::{self, Write};
use crate::state::AppState;

fn put_response(
    meta: &ObjectMeta,
    announced: &[storage::ChecksumAlgorithm],
) -> Result<Response, S3Error> {
    let mut builder = Response::builder()
        .status(StatusCode::OK)
        .header("etag", headers::quoted_etag(&meta.etag));
    for c in meta
        .checksums
        .iter()
        .filter(|c| announced.contains(&c.algorithm))
    {
        builder = builder.header(c.algorithm.header_name(), &c.value);
    }
    builder.body(Body::empty()).map_err(S3Error::internal)
}

pub async fn handle_put_object(
    state: &Arc<AppState>,
    ctx: &mut RequestContext,
    bucket: &str,
    key: &str,
) -> Result<Response, S3Error> {
    let mut attrs = headers::object_attrs(&ctx.parts.headers)?;
    attrs.acl = acl_for_new_object(state, bucket, ctx.user.as_deref(), &ctx.parts.headers).await?;
    let (caller, info) = (ctx.principal(), ctx.request_info());
    attrs.lock = request::for_new_version(state, bucket, key, caller, &info, Write::Body)?;
    let (blob, announced, condition, version) = match state.write_target(bucket, key)? {
        None => {
            let condition = conditions::write_condition(state, &ctx.parts.headers, bucket, key)?;
            let (blob, announced) = receive_blob(state, ctx, BodyKind::Object, None).await?;
            (blob, announced, condition, None)
        }
        // Cluster mode: the cluster has the object (its conditions held there) before the
        // node keeps its copy; a refusal changes nothing here.
        Some(backend) => {
            let backend = &backend;
            // Held until the node keeps its copy: this node owns the key.
            let _held = backend
                .hold_condition(bucket, key, &ctx.parts.headers)
                .await?;
            let forwarded = crate::backend::object_headers(&ctx.parts.headers);
            let mut tee = crate::backend::tee::put(backend, bucket, key, forwarded);
            let received = receive_blob_through(state, ctx, BodyKind::Object, None, &mut tee).await;
            let (blob, announced) = match received {
                Ok(received) => received,
                Err(local) => {
                    // The cluster's own refusal, when it stopped reading, says more.
                    return Err(match tee.answer().await {
                        Err(cluster) if local.code == S3ErrorCode::ServiceUnavailable => cluster,
                        _ => local,
                    });
                }
            };
            let acknowledged = tee.finish().await?;
            attrs.origin = Some(acknowledged.stamp(backend.url(bucket, key)));
            // The version is the cluster's (its versioning is the bucket's).
            let version = acknowledged.relay.get("x-amz-version-id").cloned();
            (blob, announced, storage::CommitCondition::Always, version)
        }
    };
    let meta = state
        .store
        .commit_object(bucket, key, attrs, blob, condition)
        .await?
        .ok_or_else(|| S3Error::internal("a client's commit reported a lost fill race"))?;
    let mut response = put_response(&meta, &announced)?;
    if let Some(version) = version {
        response.headers_mut().insert("x-amz-version-id", version);
        return Ok(response);
    }
    let response = headers::with_expiration(state, bucket, &meta, response)?;
    headers::with_version(state, bucket, meta.version_id.as_deref(), response)
}
