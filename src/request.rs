//! The per-request envelope, around every S3 operation: a request id, routing
//! ([`Operation::from_parts`]), CORS preflights (before authentication) and the CORS
//! headers of a browser's requests, authentication (its body wrapped by [`crate::body`]),
//! dispatch to the handlers, error rendering (`<Error>` XML; none for HEAD and 304), the
//! request metric and one log line.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use http::{HeaderValue, Method, StatusCode};

use crate::auth;
use crate::body::RequestBody;
use crate::error::{error_xml, S3Error};
use crate::handlers::{self, RequestContext};
use crate::router::Operation;
use crate::state::AppState;

/// Largest body read whole to check a signature over its hash (see `serve_request`).
const MAX_HASHED_BODY: u64 = 1024 * 1024;

/// The one route: every request comes through here.
pub async fn handle(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let started = Instant::now();
    let request_id = new_request_id();
    let method = req.method().clone();
    let resource = req.uri().path().to_owned();
    // Only a browser's request (with `Origin`) gets CORS headers; keep what they depend on.
    let cors_request = req
        .headers()
        .contains_key(http::header::ORIGIN)
        .then(|| req.headers().clone());
    let mut log = LogFields::default();

    let mut response = match serve_request(&state, req, &request_id, &mut log).await {
        Ok(response) => response,
        Err(err) => render_error(&err, &method, &resource, &request_id, &log),
    };
    if let Some(headers) = cors_request.filter(|_| method != Method::OPTIONS) {
        let bucket = log.bucket.as_deref();
        handlers::cors::decorate(&state, bucket, &method, &headers, &mut response);
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amz-request-id", v);
    }
    response.headers_mut().insert(
        http::header::SERVER,
        HeaderValue::from_static("originstore"),
    );
    // Cluster mode: which node answered (validated as a header value at start).
    if let Some(node) = state
        .backend
        .as_ref()
        .and_then(|b| b.node())
        .and_then(|n| HeaderValue::from_str(n).ok())
    {
        response
            .headers_mut()
            .insert(crate::backend::NODE_HEADER, node);
    }
    // Cluster mode: how an object read was served, in the cache's terms.
    if state.backend.is_some() {
        let cache = response
            .headers()
            .get(crate::origin::ORIGIN_STATUS_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(crate::backend::cache_status);
        if let Some(cache) = cache {
            response.headers_mut().insert(
                crate::backend::CACHE_HEADER,
                HeaderValue::from_static(cache),
            );
        }
    }
    let bytes = response
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    state
        .metrics
        .requests
        .get_or_create(&crate::metrics::RequestLabels {
            operation: log.operation,
            status: response.status().as_u16(),
        })
        .inc();
    tracing::info!(
        target: "originstore::request",
        request_id = %request_id,
        method = %method,
        bucket = log.bucket.as_deref().unwrap_or(""),
        key = log.key.as_deref().unwrap_or(""),
        operation = log.operation,
        status = response.status().as_u16(),
        bytes,
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
    );
    response
}

#[derive(Default)]
struct LogFields {
    bucket: Option<String>,
    key: Option<String>,
    operation: &'static str,
}

async fn serve_request(
    state: &Arc<AppState>,
    req: Request,
    request_id: &str,
    log: &mut LogFields,
) -> Result<Response, S3Error> {
    let source_ip = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    if crate::console::is_console_path(state, req.uri().path()) {
        log.operation = "Console";
        return crate::console::handle(state, req, request_id, source_ip).await;
    }
    let (parts, body) = req.into_parts();
    if handlers::admin::is_admin_path(parts.uri.path()) {
        log.operation = "Admin";
        let (auth, body) = authenticate(state, &parts, body).await?;
        refuse_sts_scope(&auth)?;
        // Temporary credentials never administer.
        let session = check_session(state, &parts, &auth)?;
        let declared_len = crate::body::declared_len(&parts.headers, &auth.payload)?;
        let body = RequestBody::new(body, auth.payload, declared_len)
            .with_idle_timeout(state.config.limits.body_idle_timeout)
            .collect(handlers::admin::MAX_BODY)
            .await?;
        let caller = auth
            .access_key
            .filter(|_| session.is_none())
            .map(|ak| state.identity_of(&ak));
        let path = parts.uri.path();
        return Ok(
            handlers::admin::handle(state, &parts.method, path, caller.as_deref(), &body).await,
        );
    }
    if handlers::sts::is_sts_request(&parts) {
        log.operation = "AssumeRole";
        let (auth, body) = authenticate(state, &parts, body).await?;
        let session = check_session(state, &parts, &auth)?;
        let declared_len = crate::body::declared_len(&parts.headers, &auth.payload)?;
        let body = RequestBody::new(body, auth.payload, declared_len)
            .with_idle_timeout(state.config.limits.body_idle_timeout)
            .collect(handlers::sts::MAX_BODY)
            .await?;
        let caller = match (&auth.access_key, auth.sts, session) {
            (Some(ak), true, None) => Some(state.identity_of(ak)),
            _ => None,
        };
        return Ok(handlers::sts::handle(state, caller.as_deref(), &body, request_id).await);
    }
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()));
    let operation = Operation::from_parts(
        &parts.method,
        host.as_deref(),
        parts.uri.path(),
        parts.uri.query(),
        &parts.headers,
        state.config.domain.as_deref(),
    )?;
    log.operation = operation.name();
    log.bucket = operation.bucket().map(str::to_owned);
    log.key = operation.key().map(str::to_owned);
    match operation {
        Operation::Health => return Ok(Response::new(Body::from("ok\n"))),
        Operation::Metrics => {
            return Response::builder()
                .header(
                    http::header::CONTENT_TYPE,
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                )
                .body(Body::from(state.metrics.encode()))
                .map_err(S3Error::internal)
        }
        Operation::Preflight { bucket } => {
            return handlers::cors::handle_preflight(state, bucket.as_deref(), &parts.headers)
        }
        _ => {}
    }

    let (auth, body) = authenticate(state, &parts, body).await?;
    refuse_sts_scope(&auth)?;
    let session = check_session(state, &parts, &auth)?;
    // aws-chunked bodies must declare x-amz-decoded-content-length (411 MissingContentLength
    // otherwise, as AWS); other bodies are sized by Content-Length. Falling back to the
    // Content-Length of an aws-chunked body (its *encoded* size) made a well-formed body
    // fail late with a misleading IncompleteBody.
    let declared_len = crate::body::declared_len(&parts.headers, &auth.payload)?;
    let body = RequestBody::new(body, auth.payload, declared_len)
        .with_idle_timeout(state.config.limits.body_idle_timeout);
    let ctx = RequestContext {
        parts,
        user: auth.access_key.map(|ak| state.identity_owned(ak)),
        session_policy: session.and_then(|s| s.policy),
        body: std::sync::Mutex::new(Some(body)),
        request_id: request_id.to_owned(),
        source_ip,
    };
    handlers::dispatch(state, operation, ctx).await
}

/// Who signed the request (its access key; anonymous when unsigned), checked against the
/// directory's secrets; the body is handed back (read already when the signature covers its
/// hash without saying so).
async fn authenticate(
    state: &AppState,
    parts: &http::request::Parts,
    body: Body,
) -> Result<(auth::AuthContext, Body), S3Error> {
    let secret_for = |ak: &str| state.directory.request_secret_for(ak);
    match auth::verify_request(parts, &secret_for, SystemTime::now()) {
        Err(auth::AuthError::SignatureDoesNotMatch)
            if auth::may_sign_body_hash(parts, MAX_HASHED_BODY) =>
        {
            // curl's --aws-sigv4 (before 8.x) and generic SigV4 signers sign the body's hash
            // without sending x-amz-content-sha256: read the (small) body and check that.
            let bytes = axum::body::to_bytes(body, MAX_HASHED_BODY as usize)
                .await
                .map_err(|_| S3Error::from(auth::AuthError::SignatureDoesNotMatch))?;
            let hash = auth::sigv4::sha256_hex(&bytes);
            let auth =
                auth::verify_request_with_body_hash(parts, &secret_for, SystemTime::now(), &hash)?;
            Ok((auth, Body::from(bytes)))
        }
        other => Ok((other?, body)),
    }
}

/// A request signed for STS (`.../sts/aws4_request`) is AssumeRole's only.
fn refuse_sts_scope(auth: &auth::AuthContext) -> Result<(), S3Error> {
    if auth.sts {
        return Err(S3Error::new(
            crate::error::S3ErrorCode::AuthorizationHeaderMalformed,
            "The authorization header is malformed; incorrect service \"sts\"; expecting \"s3\".",
        ));
    }
    Ok(())
}

/// When the request was signed with temporary credentials: its session, once its token
/// (`x-amz-security-token`, or `X-Amz-Security-Token` in a presigned URL) is the session's
/// and the session has not expired.
fn check_session(
    state: &AppState,
    parts: &http::request::Parts,
    auth: &auth::AuthContext,
) -> Result<Option<crate::users::sessions::Session>, S3Error> {
    use crate::error::S3ErrorCode;
    let Some(session) = auth
        .access_key
        .as_deref()
        .and_then(|ak| state.directory.session(ak))
    else {
        return Ok(None);
    };
    let token = parts
        .headers
        .get("x-amz-security-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            parts
                .uri
                .query()
                .and_then(|q| url_query_value(q, "X-Amz-Security-Token"))
        });
    if !token.is_some_and(|t| session.token_matches(&t)) {
        return Err(S3Error::new(
            S3ErrorCode::InvalidToken,
            "The provided token is malformed or otherwise invalid.",
        ));
    }
    if session.expired(crate::users::sessions::now_secs()) {
        return Err(S3Error::new(
            S3ErrorCode::ExpiredToken,
            "The provided token has expired.",
        ));
    }
    Ok(Some(session))
}

/// The percent-decoded value of `name` in the query `q`.
fn url_query_value(q: &str, name: &str) -> Option<String> {
    q.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

fn render_error(
    err: &S3Error,
    method: &Method,
    resource: &str,
    request_id: &str,
    log: &LogFields,
) -> Response {
    let status = err.status();
    if err.code == crate::error::S3ErrorCode::InsufficientStorage {
        // One line per minute while the disk stays full, not one per refused write.
        if disk_full_log_due() {
            tracing::error!(
                source = err.source.as_deref().unwrap_or(""),
                "the data directory's disk is full: writes are refused until space is freed"
            );
        }
    } else if status.is_server_error() {
        tracing::error!(
            request_id,
            operation = log.operation,
            code = err.code.as_str(),
            source = err.source.as_deref().unwrap_or(""),
            "request failed"
        );
    }
    let mut builder = Response::builder().status(status);
    for (name, value) in &err.headers {
        builder = builder.header(*name, value);
    }
    let response = if status == StatusCode::NOT_MODIFIED || method == Method::HEAD {
        // HEAD errors and 304 carry no body.
        builder.body(Body::empty())
    } else {
        builder
            .header(http::header::CONTENT_TYPE, "application/xml")
            .body(Body::from(error_xml(err, resource, request_id)))
    };
    response.unwrap_or_else(|_| {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

/// Whether a disk-full error should be logged now: at most once a minute.
fn disk_full_log_due() -> bool {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let last = LAST.load(Ordering::Relaxed);
    now >= last + 60
        && LAST
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
}

/// 16 upper-case hex characters, like AWS's request ids.
fn new_request_id() -> String {
    let id = uuid::Uuid::new_v4();
    let mut s = id.simple().to_string();
    s.truncate(16);
    s.make_ascii_uppercase();
    s
}
