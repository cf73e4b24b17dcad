//! Object headers in both directions: request headers -> stored attributes and checksum
//! expectations; stored metadata -> response headers; conditional requests; Range.
//!
//! Shared by PUT, GET/HEAD, copy and multipart so each rule is written once.

use std::time::SystemTime;

use base64::Engine as _;
use http::{HeaderMap, HeaderValue};
use storage::{ByteRange, ChecksumAlgorithm, Expect, ObjectAttrs, ObjectMeta};

use crate::error::{S3Error, S3ErrorCode};

const ALGORITHMS: [ChecksumAlgorithm; 5] = [
    ChecksumAlgorithm::Crc32,
    ChecksumAlgorithm::Crc32c,
    ChecksumAlgorithm::Crc64Nvme,
    ChecksumAlgorithm::Sha1,
    ChecksumAlgorithm::Sha256,
];

/// User metadata may not exceed 2 KB (names + values), as on AWS.
const MAX_USER_METADATA: usize = 2048;

pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Content-Type, Cache-Control, ... and `x-amz-meta-*` of a PUT / CreateMultipartUpload /
/// CopyObject(REPLACE). `aws-chunked` is a transfer detail, never stored as an encoding.
pub fn object_attrs(headers: &HeaderMap) -> Result<ObjectAttrs, S3Error> {
    let text = |name: &str| header(headers, name).map(str::to_owned);
    let content_encoding = header(headers, "content-encoding").and_then(|v| {
        let kept: Vec<&str> = v
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case("aws-chunked"))
            .collect();
        (!kept.is_empty()).then(|| kept.join(", "))
    });
    let mut attrs = ObjectAttrs {
        content_type: text("content-type"),
        cache_control: text("cache-control"),
        content_disposition: text("content-disposition"),
        content_encoding,
        content_language: text("content-language"),
        expires: text("expires"),
        ..Default::default()
    };
    let mut total = 0;
    for (name, value) in headers {
        if let Some(meta_name) = name.as_str().strip_prefix("x-amz-meta-") {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            total += meta_name.len() + value.len();
            attrs.user_metadata.insert(meta_name.to_owned(), value);
        }
    }
    if total > MAX_USER_METADATA {
        return Err(S3Error::new(
            S3ErrorCode::InvalidArgument,
            "Your metadata headers exceed the maximum allowed metadata size (2 KB)",
        ));
    }
    if let Some(tagging) = header(headers, "x-amz-tagging") {
        attrs.tags = super::tagging::from_header(tagging)?;
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

/// Which checksums a body must be hashed with, and what it must match.
#[derive(Debug, Default)]
pub struct ChecksumPlan {
    pub algorithms: Vec<ChecksumAlgorithm>,
    pub expect: Expect,
    /// Algorithms whose expected value arrives in the body's trailer.
    pub trailer: Vec<ChecksumAlgorithm>,
}

impl ChecksumPlan {
    /// From Content-MD5, `x-amz-checksum-*`, `x-amz-sdk-checksum-algorithm` and
    /// `x-amz-trailer`. `size` is the declared body length, if known.
    pub fn from_headers(headers: &HeaderMap, size: Option<u64>) -> Result<ChecksumPlan, S3Error> {
        let mut plan = ChecksumPlan {
            expect: Expect {
                size,
                ..Default::default()
            },
            ..Default::default()
        };
        if let Some(md5) = header(headers, "content-md5") {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(md5.trim())
                .ok()
                .and_then(|v| <[u8; 16]>::try_from(v).ok())
                .ok_or_else(|| {
                    S3Error::new(
                        S3ErrorCode::InvalidDigest,
                        "The Content-MD5 you specified was invalid.",
                    )
                })?;
            plan.expect.md5 = Some(raw);
        }
        for algorithm in ALGORITHMS {
            if let Some(value) = header(headers, algorithm.header_name()) {
                plan.expect
                    .checksums
                    .push((algorithm, decode_checksum(algorithm, value)?));
                plan.add(algorithm);
            }
        }
        if let Some(name) = header(headers, "x-amz-sdk-checksum-algorithm") {
            let algorithm = ChecksumAlgorithm::parse(name).ok_or_else(|| {
                S3Error::new(
                    S3ErrorCode::InvalidRequest,
                    format!("Unsupported checksum algorithm: {name}"),
                )
            })?;
            plan.add(algorithm);
        }
        if let Some(trailer) = header(headers, "x-amz-trailer") {
            for name in trailer.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let algorithm = ALGORITHMS
                    .into_iter()
                    .find(|a| a.header_name().eq_ignore_ascii_case(name))
                    .ok_or_else(|| {
                        S3Error::new(
                            S3ErrorCode::InvalidRequest,
                            format!("Unsupported trailer: {name}"),
                        )
                    })?;
                plan.add(algorithm);
                plan.trailer.push(algorithm);
            }
        }
        Ok(plan)
    }

    /// Also hash the body with `algorithm` (no expected value).
    pub fn add(&mut self, algorithm: ChecksumAlgorithm) {
        if !self.algorithms.contains(&algorithm) {
            self.algorithms.push(algorithm);
        }
    }

    /// Fold the body's trailers into the expectations (after the body ended).
    pub fn apply_trailers(&mut self, trailers: &[(String, String)]) -> Result<(), S3Error> {
        for algorithm in std::mem::take(&mut self.trailer) {
            let value = trailers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(algorithm.header_name()))
                .map(|(_, v)| v.as_str())
                .ok_or_else(|| {
                    S3Error::new(
                        S3ErrorCode::InvalidRequest,
                        format!(
                            "The {} trailer announced in x-amz-trailer is missing",
                            algorithm.header_name()
                        ),
                    )
                })?;
            let raw = decode_checksum(algorithm, value)?;
            self.expect.checksums.retain(|(a, _)| *a != algorithm);
            self.expect.checksums.push((algorithm, raw));
        }
        Ok(())
    }
}

fn decode_checksum(algorithm: ChecksumAlgorithm, value: &str) -> Result<Vec<u8>, S3Error> {
    let expected_len = match algorithm {
        ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c => 4,
        ChecksumAlgorithm::Crc64Nvme => 8,
        ChecksumAlgorithm::Sha1 => 20,
        ChecksumAlgorithm::Sha256 => 32,
    };
    base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()
        .filter(|raw| raw.len() == expected_len)
        .ok_or_else(|| {
            S3Error::new(
                S3ErrorCode::InvalidRequest,
                format!("Value for {} header is invalid.", algorithm.header_name()),
            )
        })
}

pub fn quoted_etag(etag: &str) -> String {
    format!("\"{etag}\"")
}

pub fn http_date(t: SystemTime) -> String {
    httpdate::fmt_http_date(t)
}

/// Response headers describing a stored object (GET, HEAD).
/// `overrides` are GetObject's `response-*` query parameters.
pub fn object_headers(
    meta: &ObjectMeta,
    overrides: &crate::router::ResponseOverrides,
    checksum_mode: bool,
    whole_object: bool,
) -> Vec<(String, String)> {
    let a = &meta.attrs;
    let mut out = vec![
        ("etag".to_owned(), quoted_etag(&meta.etag)),
        ("last-modified".to_owned(), http_date(meta.last_modified)),
        ("accept-ranges".to_owned(), "bytes".to_owned()),
    ];
    let pick = |name: &str, stored: &Option<String>| -> Option<String> {
        overrides
            .get(name)
            .map(str::to_owned)
            .or_else(|| stored.clone())
    };
    let content_type =
        pick("content-type", &a.content_type).unwrap_or_else(|| "binary/octet-stream".to_owned());
    out.push(("content-type".to_owned(), content_type));
    for (name, stored) in [
        ("cache-control", &a.cache_control),
        ("content-disposition", &a.content_disposition),
        ("content-encoding", &a.content_encoding),
        ("content-language", &a.content_language),
        ("expires", &a.expires),
    ] {
        if let Some(v) = pick(name, stored) {
            out.push((name.to_owned(), v));
        }
    }
    for (name, value) in &a.user_metadata {
        out.push((format!("x-amz-meta-{name}"), value.clone()));
    }
    if !a.tags.is_empty() {
        out.push(("x-amz-tagging-count".to_owned(), a.tags.len().to_string()));
    }
    if let Some(class) = &a.storage_class {
        out.push(("x-amz-storage-class".to_owned(), class.clone()));
    }
    if checksum_mode && whole_object {
        for c in &meta.checksums {
            out.push((c.algorithm.header_name().to_owned(), c.value.clone()));
            out.push((
                "x-amz-checksum-type".to_owned(),
                checksum_type(c.composite).to_owned(),
            ));
        }
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
    headers: Vec<(String, String)>,
) -> http::response::Builder {
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            builder = builder.header(name, v);
        }
    }
    builder
}

/// The four conditional headers of GetObject / HeadObject, in AWS's precedence:
/// If-Match (412) beats If-Unmodified-Since; If-None-Match (304) beats If-Modified-Since.
/// <https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>
pub fn check_read_conditions(headers: &HeaderMap, meta: &ObjectMeta) -> Result<(), S3Error> {
    check_conditions(
        meta,
        header(headers, "if-match"),
        header(headers, "if-none-match"),
        header(headers, "if-modified-since"),
        header(headers, "if-unmodified-since"),
        S3ErrorCode::NotModified,
    )
}

/// CopyObject / UploadPartCopy source conditions: every failure is 412.
pub fn check_copy_source_conditions(headers: &HeaderMap, meta: &ObjectMeta) -> Result<(), S3Error> {
    check_conditions(
        meta,
        header(headers, "x-amz-copy-source-if-match"),
        header(headers, "x-amz-copy-source-if-none-match"),
        header(headers, "x-amz-copy-source-if-modified-since"),
        header(headers, "x-amz-copy-source-if-unmodified-since"),
        S3ErrorCode::PreconditionFailed,
    )
}

fn check_conditions(
    meta: &ObjectMeta,
    if_match: Option<&str>,
    if_none_match: Option<&str>,
    if_modified_since: Option<&str>,
    if_unmodified_since: Option<&str>,
    not_modified: S3ErrorCode,
) -> Result<(), S3Error> {
    let failed = || {
        S3Error::new(
            S3ErrorCode::PreconditionFailed,
            "At least one of the pre-conditions you specified did not hold",
        )
    };
    let unmodified = || S3Error::new(not_modified, "Not Modified");
    // HTTP dates have second precision.
    let modified_secs = meta
        .last_modified
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let date_secs = |v: &str| {
        httpdate::parse_http_date(v)
            .ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map(|d| d.as_secs())
    };
    match if_match {
        Some(v) if !etag_matches(v, &meta.etag) => return Err(failed()),
        Some(_) => {}
        None => {
            if let Some(since) = if_unmodified_since.and_then(date_secs) {
                if modified_secs > since {
                    return Err(failed());
                }
            }
        }
    }
    match if_none_match {
        Some(v) if etag_matches(v, &meta.etag) => return Err(unmodified()),
        Some(_) => {}
        None => {
            if let Some(since) = if_modified_since.and_then(date_secs) {
                if modified_secs <= since {
                    return Err(unmodified());
                }
            }
        }
    }
    Ok(())
}

/// `"a", W/"b", *` against an unquoted ETag.
pub fn etag_matches(list: &str, etag: &str) -> bool {
    list.split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || unquote_etag(candidate) == etag)
}

/// An ETag as a client sends it (`"e"`, `W/"e"`, `e`), unquoted.
pub fn unquote_etag(etag: &str) -> &str {
    etag.trim().trim_start_matches("W/").trim_matches('"')
}

/// Parse a `Range` header. Syntax S3 does not serve (multiple ranges, other units, garbage)
/// is ignored and the whole object is returned, as AWS does.
pub fn parse_range(value: &str) -> Option<ByteRange> {
    let spec = value.trim().strip_prefix("bytes=")?.trim();
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    match (first.is_empty(), last.is_empty()) {
        (true, false) => last.parse().ok().map(ByteRange::Suffix),
        (false, true) => first.parse().ok().map(ByteRange::From),
        (false, false) => {
            let (a, b) = (first.parse().ok()?, last.parse().ok()?);
            (a <= b).then_some(ByteRange::FromTo(a, b))
        }
        (true, true) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_like_s3() {
        assert_eq!(parse_range("bytes=0-9"), Some(ByteRange::FromTo(0, 9)));
        assert_eq!(parse_range("bytes=5-"), Some(ByteRange::From(5)));
        assert_eq!(parse_range("bytes=-3"), Some(ByteRange::Suffix(3)));
        assert_eq!(parse_range("bytes=9-0"), None);
        assert_eq!(parse_range("bytes=0-1,3-4"), None);
        assert_eq!(parse_range("items=0-1"), None);
        assert_eq!(parse_range("bytes=-"), None);
    }

    #[test]
    fn etag_lists_match() {
        assert!(etag_matches("\"abc\"", "abc"));
        assert!(etag_matches("\"x\", \"abc\"", "abc"));
        assert!(etag_matches("*", "abc"));
        assert!(etag_matches("W/\"abc\"", "abc"));
        assert!(!etag_matches("\"abd\"", "abc"));
    }

    #[test]
    fn aws_chunked_is_not_stored_as_content_encoding() {
        let mut h = HeaderMap::new();
        h.insert("content-encoding", HeaderValue::from_static("aws-chunked"));
        h.insert("x-amz-meta-Color", HeaderValue::from_static("blue"));
        let a = object_attrs(&h).expect("attrs");
        assert_eq!(a.content_encoding, None);
        assert_eq!(
            a.user_metadata.get("color").map(String::as_str),
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

    #[test]
    fn checksum_plan_reads_headers_and_trailers() {
        let mut h = HeaderMap::new();
        h.insert(
            "content-md5",
            HeaderValue::from_static("XrY7u+Ae7tCTyyK7j1rNww=="),
        );
        h.insert(
            "x-amz-trailer",
            HeaderValue::from_static("x-amz-checksum-crc32"),
        );
        let mut plan = ChecksumPlan::from_headers(&h, Some(11)).expect("plan");
        assert_eq!(plan.algorithms, vec![ChecksumAlgorithm::Crc32]);
        assert!(plan.expect.md5.is_some());
        assert!(
            plan.apply_trailers(&[]).is_err(),
            "announced trailer must arrive"
        );
        let mut plan = ChecksumPlan::from_headers(&h, Some(11)).expect("plan");
        plan.apply_trailers(&[("x-amz-checksum-crc32".into(), "DUoRhQ==".into())])
            .expect("applies");
        assert_eq!(
            plan.expect.checksums,
            vec![(ChecksumAlgorithm::Crc32, vec![0x0d, 0x4a, 0x11, 0x85])]
        );
        h.insert("content-md5", HeaderValue::from_static("nope"));
        assert_eq!(
            ChecksumPlan::from_headers(&h, None)
                .expect_err("bad md5")
                .code,
            S3ErrorCode::InvalidDigest
        );
    }
}
