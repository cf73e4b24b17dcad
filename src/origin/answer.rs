//! Answers to a missed GET/HEAD: the `x-originstore-origin` status header, the head and
//! body of an answer streamed from the origin (with the ETag clients need before the object
//! is stored), redirects, and the one mapping from a pull's [`Failure`] to the client's
//! [`S3Error`] (TransparentErrorCode, the server's failure status, Retry-After).

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, StatusCode};

use super::document::OriginRule;
use super::fetch::{FetchError, Fetched};
use super::flight::{Failure, StreamHead};
use super::rules;
use crate::config::OriginSettings;
use crate::error::{S3Error, S3ErrorCode};

/// Response header telling how a GET/HEAD of an origin bucket was served.
pub const ORIGIN_STATUS_HEADER: &str = "x-originstore-origin";

/// Values of [`ORIGIN_STATUS_HEADER`].
pub mod status {
    /// Served from local storage.
    pub const HIT: &str = "hit";
    /// A miss, fetched from the origin and stored (or joined a fetch that stored it).
    pub const MISS_FILLED: &str = "miss-filled";
    /// A miss answered from the origin without storing (HEAD, CopyOriginData=false).
    pub const MISS_PROXIED: &str = "miss-proxied";
    /// A miss answered with a redirect to the origin (Proxy and Redirect modes).
    pub const REDIRECTED: &str = "redirected";
    /// A miss the origin could not serve (404 or failure).
    pub const MISS: &str = "miss";
    /// A stale copy the origin confirmed unchanged (304), served.
    pub const REVALIDATED: &str = "revalidated";
    /// A stale copy replaced by the origin's changed object, served.
    pub const REFRESHED: &str = "refreshed";
    /// A stale copy served as it is (stale-while-revalidate, stale-if-error, an origin 404
    /// with `OnOriginDelete` Keep).
    pub const STALE: &str = "stale";
}

/// Origin response headers kept on the stored object and passed to the client.
const KEPT_HEADERS: &[&str] = &[
    "content-type",
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
];

/// What the GET/HEAD handler should do after a miss.
pub enum Outcome {
    /// Send this response (a stream from the origin, a redirect, a HEAD answer).
    Respond(Response),
    /// The object is now stored locally (or a local write won the race): serve it from
    /// storage as usual.
    Local,
}

/// The ETag of an answer streamed from the origin: the MD5 the stored object will have when
/// it is known in advance, else the origin's own ETag, else one made up from the origin's
/// URL, length and Last-Modified. S3 always sends an ETag and clients rely on it (s3cmd
/// fails with `KeyError: 'etag'` on a HEAD without one). The made-up one ends in `-1`, the
/// form S3 clients read as "not the MD5 of the body" (as for multipart objects), so none of
/// them checks the body against it; it is stable across repeated HEADs of the same origin
/// object. Once the object is stored, its ETag is the MD5 of its bytes.
fn miss_etag(fetched: &Fetched, md5: Option<[u8; 16]>) -> String {
    use md5::Digest as _;
    if let Some(md5) = md5 {
        return format!("\"{}\"", hex::encode(md5));
    }
    let headers = fetched.response.headers();
    let text = |name: http::header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let origin_etag = text(http::header::ETAG);
    if !origin_etag.is_empty() {
        return origin_etag.to_owned();
    }
    let mut hasher = md5::Md5::new();
    for part in [
        fetched.url.as_str(),
        text(http::header::CONTENT_LENGTH),
        text(http::header::LAST_MODIFIED),
    ] {
        hasher.update(part.as_bytes());
        hasher.update(b"\n");
    }
    format!("\"{}-1\"", hex::encode(hasher.finalize()))
}

/// The head of a streamed answer: kept headers, `x-amz-meta-*`, Last-Modified, and an ETag
/// ([`miss_etag`]).
pub(super) fn stream_head(fetched: &Fetched, md5: Option<[u8; 16]>) -> StreamHead {
    let source = fetched.response.headers();
    let mut headers = Vec::new();
    for (name, value) in source {
        let n = name.as_str();
        if KEPT_HEADERS.contains(&n) || n.starts_with("x-amz-meta-") || n == "last-modified" {
            if let Ok(v) = value.to_str() {
                headers.push((n.to_owned(), v.to_owned()));
            }
        }
    }
    headers.push(("etag".into(), miss_etag(fetched, md5)));
    // S3 clients require Last-Modified (the aws CLI fails without it): an origin that sends
    // none gets the time of the pull, which is what the stored copy will carry.
    if !headers.iter().any(|(n, _)| n == "last-modified") {
        headers.push((
            "last-modified".into(),
            httpdate::fmt_http_date(std::time::SystemTime::now()),
        ));
    }
    StreamHead {
        content_length: fetched.response.content_length(),
        headers,
    }
}

pub(super) fn stream_response(
    head: &StreamHead,
    body: Body,
    origin_status: &'static str,
) -> Result<Response, S3Error> {
    let mut builder = Response::builder()
        .status(StatusCode::OK)
        .header(ORIGIN_STATUS_HEADER, origin_status);
    if !head.headers.iter().any(|(n, _)| n == "content-type") {
        builder = builder.header(http::header::CONTENT_TYPE, "binary/octet-stream");
    }
    for (name, value) in &head.headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            builder = builder.header(name, v);
        }
    }
    if let Some(len) = head.content_length {
        builder = builder.header(http::header::CONTENT_LENGTH, len);
    }
    builder.body(body).map_err(S3Error::internal)
}

/// Proxy / Redirect modes: send the client to the object on the origin.
pub(super) fn redirect(
    rule: &OriginRule,
    key: &str,
    query: Option<&str>,
    https: bool,
) -> Result<Outcome, S3Error> {
    let hosts = rule.hosts_in_order(key);
    let host = hosts
        .first()
        .ok_or_else(|| S3Error::internal("origin rule without a host"))?;
    let location = rules::origin_url(rule, host, key, query, https);
    let status =
        StatusCode::from_u16(rule.parameter.http_redirect_code).unwrap_or(StatusCode::FOUND);
    let response = Response::builder()
        .status(status)
        .header(http::header::LOCATION, location)
        .header(ORIGIN_STATUS_HEADER, status::REDIRECTED)
        .body(Body::empty())
        .map_err(S3Error::internal)?;
    Ok(Outcome::Respond(response))
}

pub(super) fn no_such_key() -> S3Error {
    S3Error::new(S3ErrorCode::NoSuchKey, "The specified key does not exist.")
        .with_header(ORIGIN_STATUS_HEADER, status::MISS)
}

/// The client's error for a failed pull, honouring the rule's TransparentErrorCode and the
/// server's failure status.
pub(super) fn failure_error(f: &Failure, rule: &OriginRule, settings: &OriginSettings) -> S3Error {
    match f {
        Failure::NotFound => no_such_key(),
        Failure::Redirect { status, location } => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::FOUND);
            S3Error::new(
                S3ErrorCode::NoSuchKey,
                "The object is at another location on the origin.",
            )
            .with_status(status)
            .with_header("location", location.clone())
            .with_header(ORIGIN_STATUS_HEADER, status::REDIRECTED)
        }
        Failure::Fetch(FetchError::NotFound { status })
            if rule.parameter.transparent_error_code =>
        {
            transparent(*status, "The origin refused the request.")
        }
        Failure::Fetch(FetchError::NotFound { .. }) => no_such_key(),
        Failure::Fetch(FetchError::Unavailable {
            status: Some(s), ..
        }) if rule.parameter.transparent_error_code => {
            transparent(*s, "The origin answered with an error.")
        }
        Failure::Fetch(FetchError::Forbidden { reason }) => S3Error::new(
            S3ErrorCode::AccessDenied,
            "The origin address is forbidden by the server's network policy.",
        )
        .with_header(ORIGIN_STATUS_HEADER, status::MISS)
        .with_source(reason),
        Failure::Fetch(FetchError::Unavailable { reason, .. }) => {
            unavailable(settings).with_source(reason)
        }
        Failure::Fill(reason) => unavailable(settings).with_source(reason),
    }
}

fn transparent(status: u16, message: &str) -> S3Error {
    let code = match status {
        403 => S3ErrorCode::AccessDenied,
        404 => S3ErrorCode::NoSuchKey,
        s if s >= 500 => S3ErrorCode::ServiceUnavailable,
        _ => S3ErrorCode::InvalidRequest,
    };
    S3Error::new(code, format!("{message} (origin status {status})"))
        .with_status(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY))
        .with_header(ORIGIN_STATUS_HEADER, status::MISS)
}

/// Every origin host failed: a retryable error clients back off from (`SlowDown`).
fn unavailable(settings: &OriginSettings) -> S3Error {
    S3Error::new(
        S3ErrorCode::SlowDown,
        "The origin is unavailable; please retry.",
    )
    .with_status(
        StatusCode::from_u16(settings.failure_status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
    )
    .with_header("retry-after", settings.retry_after_secs.to_string())
    .with_header(ORIGIN_STATUS_HEADER, status::MISS)
}

/// Replace how a response says it was served.
pub fn retag(
    mut response: axum::response::Response,
    value: &'static str,
) -> axum::response::Response {
    response
        .headers_mut()
        .insert(ORIGIN_STATUS_HEADER, http::HeaderValue::from_static(value));
    response
}
