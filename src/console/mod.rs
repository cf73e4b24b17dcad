//! The web console, served by the same binary at `/console`: a page (embedded at compile
//! time, no build step, works offline) and its API.
//!
//! - `POST /console/api/session` signs in with an access key and secret key (checked once,
//!   in constant time) and sets the session cookie; `GET` tells who is signed in (and the
//!   CSRF token); `DELETE` signs out.
//! - `/console/s3/{bucket}/{key}?...` is the S3 API itself, authenticated by the session
//!   instead of a signature: the same router, access decision and handlers as S3 (there is
//!   no second implementation of listing, uploads or access rules). Requests that change
//!   anything need the session's `x-csrf-token`.
//! - `GET /console/api/usage?bucket=` is a bucket's usage (bytes and object versions) and
//!   quota, to whoever may list it;
//! - `GET /console/api/presign?bucket=&key=&expires=` makes a share link: a SigV4 presigned
//!   GET URL signed with the signed-in user's secret, if that user may read the object.
//!
//! Enabled by `console` in the configuration (on by default when the server listens on a
//! loopback address).

use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, Method, StatusCode};

use crate::auth::session::{self, cookie_of, set_cookie};
use crate::error::{S3Error, S3ErrorCode};
use crate::handlers::{self, RequestContext};
use crate::router::Operation;
use crate::state::AppState;

/// The page and its script, embedded.
const INDEX_HTML: &str = include_str!("assets/index.html");
const CONSOLE_JS: &str = include_str!("assets/console.js");
const CONSOLE_CSS: &str = include_str!("assets/console.css");

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
    match (method.clone(), path.as_str()) {
        (Method::GET, "/console" | "/console/") => asset(INDEX_HTML, "text/html; charset=utf-8"),
        (Method::GET, "/console/console.js") => asset(CONSOLE_JS, "text/javascript; charset=utf-8"),
        (Method::GET, "/console/console.css") => asset(CONSOLE_CSS, "text/css; charset=utf-8"),
        (_, "/console/api/session") => session_endpoint(state, req).await,
        (Method::GET, "/console/api/presign") => presign(state, req, source_ip),
        (Method::GET, "/console/api/server") => server_info(state, req),
        (Method::GET, "/console/api/usage") => usage(state, req, source_ip),
        (_, p) if p.starts_with("/console/s3/") || p == "/console/s3" => {
            s3(state, req, request_id, source_ip).await
        }
        _ => Err(S3Error::new(S3ErrorCode::NoSuchKey, "No such console page")),
    }
}

fn asset(text: &'static str, content_type: &'static str) -> Result<Response, S3Error> {
    Response::builder()
        .header(http::header::CONTENT_TYPE, content_type)
        .header(http::header::CACHE_CONTROL, "no-cache")
        .header("x-frame-options", "DENY")
        .header(
            "content-security-policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'",
        )
        .body(Body::from(text))
        .map_err(S3Error::internal)
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

/// The signed-in user of a request, if its cookie names a live session.
/// The session of the request, while its user may still sign (a key removed or a user
/// disabled since sign-in ends the session's rights at once).
fn signed_in(state: &AppState, headers: &http::HeaderMap) -> Option<session::Session> {
    cookie_of(headers)
        .and_then(|id| state.console_sessions.get(id))
        .filter(|s| state.secret_for(&s.access_key).is_some())
}

fn denied() -> S3Error {
    S3Error::new(S3ErrorCode::AccessDenied, "Sign in to the console first")
}

async fn session_endpoint(
    state: &Arc<AppState>,
    req: axum::extract::Request,
) -> Result<Response, S3Error> {
    let (parts, body) = req.into_parts();
    match parts.method {
        Method::GET => {
            let session = signed_in(state, &parts.headers).ok_or_else(denied)?;
            Ok(json(
                StatusCode::OK,
                &serde_json::json!({"accessKey": session.access_key, "csrf": session.csrf}),
            ))
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
            let (id, session) = state.console_sessions.open(access_key);
            let mut response = json(
                StatusCode::OK,
                &serde_json::json!({"accessKey": session.access_key, "csrf": session.csrf}),
            );
            if let Ok(v) = HeaderValue::from_str(&set_cookie(Some(&id))) {
                response.headers_mut().insert(http::header::SET_COOKIE, v);
            }
            Ok(response)
        }
        Method::DELETE => {
            if let Some(id) = cookie_of(&parts.headers) {
                let session = state.console_sessions.get(id);
                check_csrf(session.as_ref(), &parts.headers)?;
                state.console_sessions.close(id);
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

/// The S3 API as the signed-in user: `/console/s3/...` routed as `/...`.
async fn s3(
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

/// The server page: version, uptime, the data directory's disk, requests served so far.
fn server_info(state: &Arc<AppState>, req: axum::extract::Request) -> Result<Response, S3Error> {
    signed_in(state, req.headers()).ok_or_else(denied)?;
    let dir = &state.config.data_dir;
    let (free, total) = match fs4::statvfs(dir) {
        Ok(stats) => (stats.available_space(), stats.total_space()),
        Err(_) => (0, 0),
    };
    let metrics = state.metrics.encode();
    let requests: f64 = metrics
        .lines()
        .filter(|l| l.starts_with("originstore_requests_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "uptimeSeconds": state.started.elapsed().as_secs(),
            "dataDirectory": dir.display().to_string(),
            "diskFreeBytes": free,
            "diskTotalBytes": total,
            "requests": requests,
        }),
    ))
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

/// A bucket's usage and quota (`?bucket=`), to a signed-in user who may list the bucket.
fn usage(
    state: &Arc<AppState>,
    req: axum::extract::Request,
    source_ip: Option<std::net::IpAddr>,
) -> Result<Response, S3Error> {
    let session = signed_in(state, req.headers()).ok_or_else(denied)?;
    let (parts, _) = req.into_parts();
    let query = crate::router::params::Query::parse(parts.uri.query());
    let bucket = query.get("bucket").unwrap_or_default().to_owned();
    let list = Operation::Bucket {
        bucket: bucket.clone(),
        op: crate::router::BucketOperation::HeadBucket,
    };
    let info = request_info(&parts, source_ip);
    crate::access::authorize(
        &state.access,
        &list,
        crate::access::Principal::User(&state.identity_of(&session.access_key)),
        &info,
    )?;
    let usage = state.store.bucket_usage(&bucket)?;
    let bound = |n: u64| (n != u64::MAX).then_some(n);
    let quota = state.store.quota(&bucket)?.map(|q| {
        serde_json::json!({ "maxBytes": bound(q.max_bytes), "maxObjects": bound(q.max_objects) })
    });
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({
            "bytes": usage.bytes,
            "objects": usage.objects,
            "quota": quota,
        }),
    ))
}

/// A share link: a presigned GET URL, if the signed-in user may read the object.
fn presign(
    state: &Arc<AppState>,
    req: axum::extract::Request,
    source_ip: Option<std::net::IpAddr>,
) -> Result<Response, S3Error> {
    let (parts, _) = req.into_parts();
    let session = signed_in(state, &parts.headers).ok_or_else(denied)?;
    let query = crate::router::Query::parse(parts.uri.query());
    let bucket = query.get("bucket").unwrap_or_default().to_owned();
    let key = query.get("key").unwrap_or_default().to_owned();
    let expires: u64 = query
        .get("expires")
        .and_then(|e| e.parse().ok())
        .unwrap_or(3600)
        .clamp(1, 604_800);
    let read = Operation::Object {
        bucket: bucket.clone(),
        key: key.clone(),
        op: crate::router::ObjectOperation::GetObject(Default::default()),
    };
    let info = request_info(&parts, source_ip);
    crate::access::authorize(
        &state.access,
        &read,
        crate::access::Principal::User(&state.identity_of(&session.access_key)),
        &info,
    )?;
    let secret = state.secret_for(&session.access_key).ok_or_else(denied)?;
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_owned();
    let url = presigned_url(
        &host,
        &bucket,
        &key,
        (&session.access_key, &secret),
        &state.config.region,
        expires,
        SystemTime::now(),
    )
    .ok_or_else(|| S3Error::internal("the clock is outside the years SigV4 can sign"))?;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({"url": url, "expires": expires}),
    ))
}

/// A SigV4 presigned GET URL of `bucket/key` on `host` (path style, http).
pub fn presigned_url(
    host: &str,
    bucket: &str,
    key: &str,
    (access_key, secret): (&str, &str),
    region: &str,
    expires: u64,
    now: SystemTime,
) -> Option<String> {
    use crate::auth::sigv4;
    use percent_encoding::utf8_percent_encode;
    let datetime = sigv4::format_amz_date(now)?;
    let date = &datetime[..8];
    let scope = format!("{date}/{region}/s3/aws4_request");
    let path = format!(
        "/{bucket}/{}",
        utf8_percent_encode(key, sigv4::URI_ENCODE_PATH)
    );
    // Already in canonical order (sorted by name) and encoding.
    let query = format!(
        "X-Amz-Algorithm={}&X-Amz-Credential={}&X-Amz-Date={datetime}&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host",
        sigv4::ALGORITHM,
        utf8_percent_encode(&format!("{access_key}/{scope}"), sigv4::URI_ENCODE)
    );
    let canonical = sigv4::canonical_request(
        "GET",
        &path,
        &query,
        format!("host:{host}\n").as_bytes(),
        "host",
        sigv4::UNSIGNED_PAYLOAD,
    );
    let string_to_sign = sigv4::string_to_sign(&datetime, &scope, &canonical);
    let key = sigv4::signing_key(secret, date, region, "s3");
    let signature = hex::encode(sigv4::hmac_sha256(&key, string_to_sign.as_bytes()));
    Some(format!(
        "http://{host}{path}?{query}&X-Amz-Signature={signature}"
    ))
}
