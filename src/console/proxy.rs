//! The APIs the page speaks, as the signed-in user: `/console/s3/...` is the S3 API and
//! `/console/api/admin/v1/...` the admin API, each answered by the same handlers as a
//! signed request (there is no second implementation of listing, uploads, access rules or
//! user management). A change needs the session's CSRF token.

use std::sync::Arc;

use axum::response::Response;
use http::Method;

use super::{check_csrf, denied, signed_in};
use crate::error::{S3Error, S3ErrorCode};
use crate::handlers::{self, RequestContext};
use crate::router::Operation;
use crate::state::AppState;

/// The S3 API as the signed-in user: `/console/s3/...` routed as `/...`.
pub async fn s3(
    state: &Arc<AppState>,
    req: axum::extract::Request,
    request_id: &str,
    source_ip: Option<std::net::IpAddr>,
) -> Result<Response, S3Error> {
    let (mut parts, body) = req.into_parts();
    let session = signed_in(state, &parts.headers).ok_or_else(denied)?;
    if !matches!(parts.method, Method::GET | Method::HEAD) {
        check_csrf(Some(&session), &parts.headers)?;
    }
    let path = parts.uri.path().strip_prefix("/console/s3").unwrap_or("/");
    let path = if path.is_empty() { "/" } else { path };
    let path_and_query = match parts.uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    };
    parts.uri = path_and_query
        .parse()
        .map_err(|_| S3Error::new(S3ErrorCode::InvalidURI, "Invalid console path"))?;
    let operation = Operation::from_parts(
        &parts.method,
        None,
        parts.uri.path(),
        parts.uri.query(),
        &parts.headers,
        None,
    )?;
    let payload = crate::auth::Payload::Unsigned;
    let declared = crate::body::declared_len(&parts.headers, &payload)?;
    let body = crate::body::RequestBody::new(body, payload, declared)
        .with_idle_timeout(state.config.limits.body_idle_timeout);
    let ctx = RequestContext {
        parts,
        user: Some(state.identity_of(&session.access_key)),
        session_policy: None,
        body: std::sync::Mutex::new(Some(body)),
        request_id: request_id.to_owned(),
        source_ip,
    };
    handlers::dispatch(state, operation, ctx).await
}

/// The admin API as the signed-in user (who must be one of the configuration's users, as
/// for a signed request): `/console/api/admin/v1/...` answered as `/_admin/v1/...`.
pub async fn admin(
    state: &Arc<AppState>,
    req: axum::extract::Request,
) -> Result<Response, S3Error> {
    let (parts, body) = req.into_parts();
    let session = signed_in(state, &parts.headers).ok_or_else(denied)?;
    if parts.method != Method::GET {
        check_csrf(Some(&session), &parts.headers)?;
    }
    let rest = parts
        .uri
        .path()
        .strip_prefix("/console/api/admin/")
        .unwrap_or_default();
    let path = format!("{}{rest}", handlers::admin::PREFIX);
    let body = axum::body::to_bytes(body, handlers::admin::MAX_BODY)
        .await
        .map_err(|_| S3Error::new(S3ErrorCode::EntityTooLarge, "The admin body is too large"))?;
    let caller = state.identity_of(&session.access_key);
    Ok(handlers::admin::handle(state, &parts.method, &path, Some(&caller), &body).await)
}
