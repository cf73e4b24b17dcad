//! Put/Get/DeleteBucketCors, the preflight (`OPTIONS`) answer, and the CORS headers added to
//! every other answer (errors included) to a browser's request. Rules come from the bucket's
//! configuration or, for a bucket without one, from the server's `[cors]` default.

use std::sync::Arc;

use axum::response::Response;
use http::{HeaderMap, StatusCode};

use super::context::RequestContext;
use super::reply::{empty_response, read_small_body, xml_response};
use crate::cors::{document, Cors, CorsRequest};
use crate::error::{S3Error, S3ErrorCode};
use crate::state::AppState;

/// 100 rules with long origin lists fit well under this.
const MAX_CORS_BODY: usize = 256 * 1024;

pub async fn handle_put_bucket_cors(
    state: &Arc<AppState>,
    ctx: &mut RequestContext,
    bucket: &str,
) -> Result<Response, S3Error> {
    let body = read_small_body(ctx, MAX_CORS_BODY).await?;
    let cors = document::parse(&body)?;
    state.cors.set(bucket, Some(&cors)).await?;
    Ok(empty_response(StatusCode::OK))
}

pub async fn handle_get_bucket_cors(
    state: &Arc<AppState>,
    bucket: &str,
) -> Result<Response, S3Error> {
    match state.cors.get(bucket)? {
        Some(cors) => xml_response(StatusCode::OK, &cors.document),
        None => Err(no_cors_configuration()),
    }
}

pub async fn handle_delete_bucket_cors(
    state: &Arc<AppState>,
    bucket: &str,
) -> Result<Response, S3Error> {
    state.cors.set(bucket, None).await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}

fn no_cors_configuration() -> S3Error {
    S3Error::new(
        S3ErrorCode::NoSuchCORSConfiguration,
        "The CORS configuration does not exist",
    )
}

/// The rules that answer for `bucket`: its own, else the server's default.
fn rules_for(state: &AppState, bucket: Option<&str>) -> Result<Option<Arc<Cors>>, S3Error> {
    let own = match bucket {
        Some(bucket) => state.cors.get(bucket)?,
        None => None,
    };
    Ok(own.or_else(|| state.config.default_cors.clone()))
}

/// `OPTIONS`: 200 with the first matching rule's headers, else 403 as AWS answers.
pub fn handle_preflight(
    state: &AppState,
    bucket: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, S3Error> {
    let request = CorsRequest::preflight(headers)
        .map_err(|why| S3Error::new(S3ErrorCode::BadRequest, why))?;
    let forbidden =
        |why: &str| S3Error::new(S3ErrorCode::AccessForbidden, format!("CORSResponse: {why}"));
    let Some(cors) = rules_for(state, bucket)? else {
        return Err(forbidden("CORS is not enabled for this bucket."));
    };
    let Some(rule) = cors.find(&request) else {
        return Err(forbidden(
            "This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
        ));
    };
    let mut response = empty_response(StatusCode::OK);
    rule.apply(&request, true, response.headers_mut());
    Ok(response)
}

/// Add the CORS headers to the answer to a browser's request (one with `Origin`) when a rule
/// allows its origin and method. Never fails the request: a broken lookup only leaves the
/// headers out.
pub fn decorate(
    state: &AppState,
    bucket: Option<&str>,
    method: &http::Method,
    request_headers: &HeaderMap,
    response: &mut Response,
) {
    let Some(origin) = request_headers.get("origin").and_then(|v| v.to_str().ok()) else {
        return;
    };
    let cors = match rules_for(state, bucket) {
        Ok(Some(cors)) => cors,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "CORS rules could not be read");
            return;
        }
    };
    let request = CorsRequest {
        origin,
        method: method.as_str(),
        headers: Vec::new(),
    };
    match cors.find(&request) {
        Some(rule) => rule.apply(&request, false, response.headers_mut()),
        None => crate::cors::add_vary(response.headers_mut()),
    }
}
