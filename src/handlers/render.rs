//! The one renderer of GetObject and HeadObject answers with a body (or, for HEAD, its
//! length): a stored object, or one streamed from the origin, goes through the same header
//! mapping ([`super::headers::object_headers`]) and the same `200` / `206` framing.

use axum::body::Body;
use axum::response::Response;
use http::StatusCode;

use super::headers::{object_headers, with_headers, ObjectHead};
use crate::error::S3Error;
use crate::router::ResponseOverrides;

/// Everything a GetObject / HeadObject answer says.
pub struct ReadAnswer<'a> {
    pub head: ObjectHead<'a>,
    /// GetObject's `response-*` query parameters.
    pub overrides: &'a ResponseOverrides,
    /// The client asked for checksums (`x-amz-checksum-mode`) of a whole object.
    pub send_checksums: bool,
    /// The `Content-Length` of what is sent; `None` when not known in advance (the body is
    /// then sent chunked).
    pub length: Option<u64>,
    /// A `206` of bytes `first..=last` of an object of `total` bytes.
    pub range: Option<(u64, u64, u64)>,
    /// Headers of this answer alone: the version, the part count, the lifecycle expiration,
    /// how an origin bucket served it.
    pub extra: Vec<(&'static str, String)>,
    /// Empty for HEAD.
    pub body: Body,
}

pub fn object_response(answer: ReadAnswer<'_>) -> Result<Response, S3Error> {
    let headers = object_headers(&answer.head, answer.overrides, answer.send_checksums);
    let mut builder = with_headers(Response::builder(), headers);
    for (name, value) in answer.extra {
        if let Ok(value) = http::HeaderValue::from_str(&value) {
            builder = builder.header(name, value);
        }
    }
    if let Some(length) = answer.length {
        builder = builder.header(http::header::CONTENT_LENGTH, length);
    }
    builder = match answer.range {
        Some((first, last, total)) => builder.status(StatusCode::PARTIAL_CONTENT).header(
            http::header::CONTENT_RANGE,
            format!("bytes {first}-{last}/{total}"),
        ),
        None => builder.status(StatusCode::OK),
    };
    builder.body(answer.body).map_err(S3Error::internal)
}
