//! Object headers in both directions: a write's request headers -> stored attributes
//! ([`object_attrs`], storage classes), and what an object is -> the headers every answer
//! about it carries: [`object_headers`] (the one mapping of stored attributes to response
//! headers, for a stored object and for one streamed from the origin alike), the version
//! ([`version_header`]) and the lifecycle expiration ([`expiration_header`]).
//!
//! Shared by PUT, GET/HEAD, copy and multipart so each rule is written once.

use std::time::SystemTime;

use axum::response::Response;
use http::{HeaderMap, HeaderValue};
use storage::{ObjectAttrs, ObjectMeta, StoredChecksum, Versioning};

use super::tags;
use crate::error::{S3Error, S3ErrorCode};
use crate::origin::OriginHead;
use crate::router::ResponseOverrides;
use crate::state::AppState;

/// User metadata may not exceed 2 KB (names + values), as on AWS.
const MAX_USER_METADATA: usize = 2048;

pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Content-Type, Cache-Control, ... and `x-amz-meta-*` of a PUT / CreateMultipartUpload /
/// CopyObject(REPLACE). `aws-chunked` is a transfer detail, never stored as an encoding.
pub fn object_attrs(headers: &HeaderMap) -> Result<ObjectAttrs, S3Error> {
    let mut attrs = ObjectAttrs::default();
    for (name, slot) in attrs.standard_mut() {
        *slot = header(headers, name).map(str::to_owned);
    }
    attrs.content_encoding = attrs
        .content_encoding
        .take()
        .and_then(|v| crate::body::stored_content_encoding(&v));
    let mut total = 0;
    for (name, value) in headers {
        if let Some(meta_name) = name.as_str().strip_prefix("x-amz-meta-") {
            // The bytes as sent: a value need not be UTF-8 (Python sends latin-1).
            total += meta_name.len() + value.len();
            attrs
                .user_metadata
                .insert(meta_name.to_owned(), value.as_bytes().into());
        }
    }
    if total > MAX_USER_METADATA {
        return Err(S3Error::new(
            S3ErrorCode::InvalidArgument,
            "Your metadata headers exceed the maximum allowed metadata size (2 KB)",
        ));
    }
    if let Some(tagging) = header(headers, "x-amz-tagging") {
        attrs.tags = tags::from_header(tagging)?;
    }
    attrs.storage_class = storage_class(header(headers, "x-amz-storage-class"))?;
    Ok(attrs)
}

/// The storage classes AWS defines. A single-node server has one kind of storage: any of
/// them is accepted, stored and echoed (as MinIO and Garage do); STANDARD is not stored.
const STORAGE_CLASSES: &[&str] = &[
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "DEEP_ARCHIVE",
    "OUTPOSTS",
    "GLACIER_IR",
    "SNOW",
    "EXPRESS_ONEZONE",
    "FSX_OPENZFS",
];

/// The storage class listings and ListParts report for an object or upload.
pub fn storage_class_name(attrs: &ObjectAttrs) -> String {
    attrs
        .storage_class
        .clone()
        .unwrap_or_else(|| "STANDARD".to_owned())
}

/// `x-amz-storage-class`: `None` for STANDARD (or absent), else the class as given.
pub fn storage_class(value: Option<&str>) -> Result<Option<String>, S3Error> {
    match value.map(str::trim) {
        None | Some("STANDARD") => Ok(None),
        Some(class) if STORAGE_CLASSES.contains(&class) => Ok(Some(class.to_owned())),
        Some(_) => Err(S3Error::new(
            S3ErrorCode::InvalidStorageClass,
            "The storage class you specified is not valid",
        )),
    }
}

pub fn quoted_etag(etag: &str) -> String {
    format!("\"{etag}\"")
}

pub fn http_date(t: SystemTime) -> String {
    httpdate::fmt_http_date(t)
}

/// What an answer about an object says of it: a stored version, or an object streamed from
/// the origin before it is stored.
pub struct ObjectHead<'a> {
    /// Unquoted.
    pub etag: &'a str,
    pub last_modified: SystemTime,
    pub attrs: &'a ObjectAttrs,
    pub checksums: &'a [StoredChecksum],
}

impl<'a> From<&'a ObjectMeta> for ObjectHead<'a> {
    fn from(meta: &'a ObjectMeta) -> Self {
        ObjectHead {
            etag: &meta.etag,
            last_modified: meta.last_modified,
            attrs: &meta.attrs,
            checksums: &meta.checksums,
        }
    }
}

impl<'a> From<&'a OriginHead> for ObjectHead<'a> {
    fn from(head: &'a OriginHead) -> Self {
        ObjectHead {
            etag: &head.etag,
            last_modified: head.last_modified,
            attrs: &head.attrs,
            checksums: &[],
        }
    }
}

/// The one mapping from what is stored of an object to the headers a GetObject or
/// HeadObject answer carries. `overrides` are GetObject's `response-*` query parameters;
/// checksums are sent when the client asked (`x-amz-checksum-mode`) for a whole object.
pub fn object_headers(
    head: &ObjectHead<'_>,
    overrides: &ResponseOverrides,
    send_checksums: bool,
) -> Vec<(String, Vec<u8>)> {
    let a = head.attrs;
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut text = |name: &str, value: String| out.push((name.to_owned(), value.into_bytes()));
    text("etag", quoted_etag(head.etag));
    text("last-modified", http_date(head.last_modified));
    text("accept-ranges", "bytes".to_owned());
    for (name, stored) in a.standard() {
        let value = overrides.get(name).or(stored);
        match (name, value) {
            (_, Some(v)) => text(name, v.to_owned()),
            ("content-type", None) => text(name, "binary/octet-stream".to_owned()),
            (_, None) => {}
        }
    }
    if !a.tags.is_empty() {
        text("x-amz-tagging-count", a.tags.len().to_string());
    }
    if let Some(class) = &a.storage_class {
        text("x-amz-storage-class", class.clone());
    }
    if send_checksums {
        for c in head.checksums {
            text(c.algorithm.header_name(), c.value.clone());
            text("x-amz-checksum-type", checksum_type(c.composite).to_owned());
        }
    }
    // User metadata goes back as the bytes that were sent (they need not be UTF-8).
    for (name, value) in &a.user_metadata {
        out.push((format!("x-amz-meta-{name}"), value.as_bytes().to_vec()));
    }
    out
}

/// S3's name for a checksum's type: a multipart checksum of checksums, or of the bytes.
pub fn checksum_type(composite: bool) -> &'static str {
    if composite {
        "COMPOSITE"
    } else {
        "FULL_OBJECT"
    }
}

/// Append `(name, value)` pairs to a response builder, skipping values that are not valid
/// header values (they were validated on the way in, so this only guards old data).
pub fn with_headers(
    mut builder: http::response::Builder,
    headers: Vec<(String, Vec<u8>)>,
) -> http::response::Builder {
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_bytes(&value) {
            builder = builder.header(name, v);
        }
    }
    builder
}

/// Response header naming the version an answer is about.
pub const VERSION_ID_HEADER: &str = "x-amz-version-id";

/// The `x-amz-version-id` of an answer about `version_id` of an object of `bucket`: none
/// in a bucket that was never versioned, `null` for the null version.
pub fn version_header(
    state: &AppState,
    bucket: &str,
    version_id: Option<&str>,
) -> Result<Option<String>, S3Error> {
    Ok(match version_id {
        Some(v) => Some(v.to_owned()),
        None if state.store.versioning(bucket)? == Versioning::Unversioned => None,
        None => Some("null".to_owned()),
    })
}

/// Add `x-amz-version-id` to `response` (see [`version_header`]).
pub fn with_version(
    state: &AppState,
    bucket: &str,
    version_id: Option<&str>,
    mut response: Response,
) -> Result<Response, S3Error> {
    if let Some(v) = version_header(state, bucket, version_id)? {
        if let Ok(v) = HeaderValue::from_str(&v) {
            response.headers_mut().insert(VERSION_ID_HEADER, v);
        }
    }
    Ok(response)
}

/// The `x-amz-expiration` of an answer about the current version `meta` of `bucket`, when
/// one of the bucket's lifecycle rules will expire it.
pub fn expiration_header(
    state: &AppState,
    bucket: &str,
    meta: &ObjectMeta,
) -> Result<Option<String>, S3Error> {
    let Some(lifecycle) = state.lifecycle.get(bucket)? else {
        return Ok(None);
    };
    let expires = lifecycle.expiration_of(
        &meta.key,
        &meta.attrs.tags,
        meta.size,
        meta.last_modified,
        state.config.lifecycle_day,
    );
    Ok(expires.map(|(due, rule)| crate::lifecycle::expiry::header_value(due, rule)))
}

/// Add `x-amz-expiration` to `response` (see [`expiration_header`]).
pub fn with_expiration(
    state: &AppState,
    bucket: &str,
    meta: &ObjectMeta,
    mut response: Response,
) -> Result<Response, S3Error> {
    if let Some(v) = expiration_header(state, bucket, meta)? {
        if let Ok(v) = HeaderValue::from_str(&v) {
            response.headers_mut().insert("x-amz-expiration", v);
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_chunked_is_not_stored_as_content_encoding() {
        let mut h = HeaderMap::new();
        h.insert("content-encoding", HeaderValue::from_static("aws-chunked"));
        h.insert("x-amz-meta-Color", HeaderValue::from_static("blue"));
        let a = object_attrs(&h).expect("attrs");
        assert_eq!(a.content_encoding, None);
        assert_eq!(
            a.user_metadata.get("color").and_then(|v| v.as_str()),
            Some("blue")
        );
        h.insert(
            "content-encoding",
            HeaderValue::from_static("gzip,aws-chunked"),
        );
        assert_eq!(
            object_attrs(&h).expect("attrs").content_encoding.as_deref(),
            Some("gzip")
        );
    }
}
