//! The web console, served by the same binary at `/console`: a page with its scripts and
//! styles (embedded at compile time: no build step, no Node, works offline) and its API.
//! Every console address (`/console/b/{bucket}/...`, `/console/admin`, ...) answers the
//! page, which routes in the browser, so deep links survive a reload and a sign-in.
//!
//! - `POST /console/api/session` signs in with an access key and secret key (checked once,
//!   in constant time) and sets the session cookie; `GET` tells who is signed in (with the
//!   CSRF token and whether the user administers the server); `DELETE` signs out. Sessions
//!   are durable ([`crate::auth::session`]): a restart does not sign anyone out.
//! - `/console/s3/{bucket}/{key}?...` is the S3 API itself, authenticated by the session
//!   instead of a signature: the same router, access decision and handlers as S3
//!   ([`proxy`]). `/console/api/admin/v1/...` is the admin API the same way, for the
//!   configuration's users. Requests that change anything need the session's
//!   `x-csrf-token`.
//! - `GET /console/api/buckets`, `/console/api/rights`, `/console/api/usage`,
//!   `/console/api/server`, `/console/api/notify-targets`: what the page shows beyond S3
//!   ([`info`]);
//!   `GET /console/api/presign` makes share links ([`share`]).
//!
//! Enabled by `console` in the configuration (on by default when the server listens on a
//! loopback address).

mod assets;
mod info;
mod proxy;
mod share;

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, Method, StatusCode};

use crate::auth::session::{self, cookie_of, set_cookie};
use crate::error::{S3Error, S3ErrorCode};
use crate::state::AppState;

pub use share::presigned_url;

/// Is this a console request (the console being enabled)?
pub fn is_console_path(state: &AppState, path: &str) -> bool {
    state.config.console && (path == "/console" || path.starts_with("/console/"))
}

/// Answer a console request.
pub async fn handle(
    state: &Arc<AppState>,
    req: axum::extract::Request,
    request_id: &str,
    source_ip: Option<std::net::IpAddr>,
) -> Result<Response, S3Error> {
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    match (method, path.as_str()) {
        (_, "/console/api/session") => session_endpoint(state, req).await,
        (Method::GET, "/console/api/presign") => share::presign(state, req, source_ip),
        (Method::GET, "/console/api/server") => info::server(state, req),
        (Method::GET, "/console/api/usage") => info::usage(state, req, source_ip),
        (Method::GET, "/console/api/buckets") => info::buckets(state, req, source_ip),
        (Method::GET, "/console/api/rights") => info::rights(state, req, source_ip),
        (Method::GET, "/console/api/notify-targets") => info::notify_targets(state, req),
        (_, p) if p.starts_with("/console/api/admin/") => proxy::admin(state, req).await,
        (_, p) if p.starts_with("/console/s3/") || p == "/console/s3" => {
            proxy::s3(state, req, request_id, source_ip).await
        }
        (Method::GET | Method::HEAD, p) => assets::answer(p),
        _ => Err(S3Error::new(
            S3ErrorCode::MethodNotAllowed,
            "The console's pages are read with GET",
        )),
    }
}

fn json(status: StatusCode, value: &serde_json::Value) -> Response {
    let mut response = Response::new(Body::from(value.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The session of the request, while its user may still sign (a key removed or a user
/// disabled since sign-in ends the session's rights at once).
fn signed_in(state: &AppState, headers: &http::HeaderMap) -> Option<session::Session> {
    cookie_of(headers)
        .and_then(|id| state.console_sessions.get(id))
        .filter(|s| state.secret_for(&s.access_key).is_some())
}

/// The refusal of a request without a live session; the page recognises it by its message
/// and returns to sign-in.
pub const SIGN_IN_FIRST: &str = "Sign in to the console first";

fn denied() -> S3Error {
    S3Error::new(S3ErrorCode::AccessDenied, SIGN_IN_FIRST)
}

/// Who is signed in, as the page needs it.
fn whoami(state: &AppState, session: &session::Session) -> serde_json::Value {
    let identity = state.identity_of(&session.access_key);
    serde_json::json!({
        "accessKey": session.access_key,
        "user": identity,
        "admin": state.directory.is_admin(&identity),
        "csrf": session.csrf,
    })
}

async fn session_endpoint(
    state: &Arc<AppState>,
    req: axum::extract::Request,
) -> Result<Response, S3Error> {
    let (parts, body) = req.into_parts();
    match parts.method {
        Method::GET => {
            let session = signed_in(state, &parts.headers).ok_or_else(denied)?;
            Ok(json(StatusCode::OK, &whoami(state, &session)))
        }
        Method::POST => {
            let body = axum::body::to_bytes(body, 16 * 1024).await.map_err(|_| {
                S3Error::new(S3ErrorCode::InvalidRequest, "The sign-in body is too large")
            })?;
            let form: serde_json::Value = serde_json::from_slice(&body)
                .map_err(|_| S3Error::new(S3ErrorCode::InvalidRequest, "Expected JSON"))?;
            let access_key = form["accessKey"].as_str().unwrap_or_default();
            let secret = form["secretKey"].as_str().unwrap_or_default();
            let known = state.secret_for(access_key);
            let valid = known.is_some_and(|k| {
                crate::auth::sigv4::constant_time_eq(k.as_bytes(), secret.as_bytes())
            });
            if !valid {
                return Err(S3Error::new(
                    S3ErrorCode::AccessDenied,
                    "The access key or the secret key is wrong",
                ));
            }
            let (id, session) = state.console_sessions.open(access_key).await?;
            let mut response = json(StatusCode::OK, &whoami(state, &session));
            if let Ok(v) = HeaderValue::from_str(&set_cookie(Some(&id))) {
                response.headers_mut().insert(http::header::SET_COOKIE, v);
            }
            Ok(response)
        }
        Method::DELETE => {
            if let Some(id) = cookie_of(&parts.headers) {
                let session = state.console_sessions.get(id);
                check_csrf(session.as_ref(), &parts.headers)?;
                state.console_sessions.close(id).await?;
            }
            let mut response = json(StatusCode::OK, &serde_json::json!({}));
            if let Ok(v) = HeaderValue::from_str(&set_cookie(None)) {
                response.headers_mut().insert(http::header::SET_COOKIE, v);
            }
            Ok(response)
        }
        _ => Err(S3Error::new(S3ErrorCode::MethodNotAllowed, "Not allowed")),
    }
}

/// A state-changing request must carry its session's CSRF token.
fn check_csrf(
    session: Option<&session::Session>,
    headers: &http::HeaderMap,
) -> Result<(), S3Error> {
    let sent = headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
    match (session, sent) {
        (Some(s), Some(token))
            if crate::auth::sigv4::constant_time_eq(s.csrf.as_bytes(), token.as_bytes()) =>
        {
            Ok(())
        }
        _ => Err(S3Error::new(
            S3ErrorCode::AccessDenied,
            "Missing or wrong CSRF token",
        )),
    }
}

/// What the access decision reads of a console request (its session has no session
/// policy: temporary credentials do not sign in).
fn request_info(
    parts: &http::request::Parts,
    source_ip: Option<std::net::IpAddr>,
) -> crate::access::RequestInfo<'_> {
    crate::access::RequestInfo {
        headers: &parts.headers,
        source_ip,
        secure: parts
            .extensions
            .get::<crate::serve::SecureTransport>()
            .is_some(),
        session_policy: None,
    }
}
