//! Every conditional request: reads (`If-Match`, `If-None-Match`, `If-Modified-Since`,
//! `If-Unmodified-Since` on GetObject and HeadObject, and the `x-amz-copy-source-if-*` of a
//! copy's source), writes (`If-None-Match: *` and `If-Match` on PutObject,
//! CompleteMultipartUpload and CopyObject's destination) and deletes (`If-Match`,
//! `x-amz-if-match-last-modified-time` and `x-amz-if-match-size` on DeleteObject, and their
//! DeleteObjects equivalents).
//!
//! A write's condition is checked twice: here, before any body is received (a doomed
//! upload is refused at once: 412, or 404 for `If-Match` on a missing key), and again by
//! storage inside the commit, under the key's lock, so that of writers racing on one key
//! exactly one meets `If-None-Match: *`; the others get 412, and an `If-Match` whose object
//! went during the upload gets 409 ConditionalRequestConflict, as AWS documents.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html>

use http::HeaderMap;
use std::time::SystemTime;

use storage::{CommitCondition, DeleteCondition, ObjectMeta};

use crate::error::{S3Error, S3ErrorCode};
use crate::state::AppState;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
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

/// The key's current object, if it has one (a current delete marker is none).
fn current(state: &AppState, bucket: &str, key: &str) -> Result<Option<ObjectMeta>, S3Error> {
    match state.store.head_object(bucket, key) {
        Ok(meta) => Ok(Some(meta)),
        Err(storage::Error::NoSuchKey | storage::Error::DeleteMarker { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// An `If-Match` value as storage compares it: `*`, or the unquoted ETag.
fn if_match_value(value: &str) -> String {
    unquote_etag(value).to_owned()
}

/// The condition a write's headers put on the key, checked against it now.
pub fn write_condition(
    state: &AppState,
    headers: &HeaderMap,
    bucket: &str,
    key: &str,
) -> Result<CommitCondition, S3Error> {
    let if_none_match = header(headers, "if-none-match");
    let if_match = header(headers, "if-match");
    match (if_none_match, if_match) {
        (None, None) => Ok(CommitCondition::Always),
        (Some("*"), _) => match current(state, bucket, key)? {
            Some(_) => Err(storage::Error::PreconditionFailed.into()),
            None => Ok(CommitCondition::IfNoneMatch),
        },
        // S3 takes only `*` here: an ETag list would be a read's condition.
        (Some(_), _) => Err(S3Error::new(
            S3ErrorCode::NotImplemented,
            "A header you provided implies functionality that is not implemented: If-None-Match takes only *",
        )),
        (None, Some(wanted)) => match current(state, bucket, key)? {
            None => Err(storage::Error::NoSuchKey.into()),
            Some(meta) if wanted == "*" || unquote_etag(wanted) == meta.etag => {
                Ok(CommitCondition::IfMatch(meta.etag))
            }
            Some(_) => Err(storage::Error::PreconditionFailed.into()),
        },
    }
}

/// DeleteObject's preconditions from its headers.
pub fn delete_condition(headers: &HeaderMap) -> Result<DeleteCondition, S3Error> {
    let last_modified = match header(headers, "x-amz-if-match-last-modified-time") {
        None => None,
        Some(v) => Some(
            httpdate::parse_http_date(v)
                .or_else(|_| parse_iso8601(v))
                .map_err(|_| {
                    S3Error::invalid_argument("x-amz-if-match-last-modified-time is not a date")
                })?,
        ),
    };
    let size = match header(headers, "x-amz-if-match-size") {
        None => None,
        Some(v) => Some(
            v.parse()
                .map_err(|_| S3Error::invalid_argument("x-amz-if-match-size is not a size"))?,
        ),
    };
    Ok(DeleteCondition {
        if_match: header(headers, "if-match").map(if_match_value),
        last_modified,
        size,
        ..DeleteCondition::default()
    })
}

/// DeleteObjects' per-object preconditions: the `ETag`, `LastModifiedTime` and `Size`
/// elements of an `Object` entry.
pub fn entry_condition(
    etag: Option<&str>,
    last_modified: Option<&str>,
    size: Option<u64>,
) -> Result<DeleteCondition, S3Error> {
    let last_modified = match last_modified {
        None => None,
        Some(v) => Some(parse_iso8601(v).map_err(|_| S3Error::malformed_xml("LastModifiedTime"))?),
    };
    Ok(DeleteCondition {
        if_match: etag.map(if_match_value),
        last_modified,
        size,
        ..DeleteCondition::default()
    })
}

fn parse_iso8601(v: &str) -> Result<std::time::SystemTime, ()> {
    time::OffsetDateTime::parse(v.trim(), &time::format_description::well_known::Rfc3339)
        .map(std::time::SystemTime::from)
        .map_err(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delete_conditions_are_read_from_headers_and_entries() {
        let mut h = HeaderMap::new();
        assert!(delete_condition(&h).expect("none").is_empty());
        h.insert("if-match", "\"abc\"".parse().expect("value"));
        h.insert("x-amz-if-match-size", "12".parse().expect("value"));
        h.insert(
            "x-amz-if-match-last-modified-time",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().expect("value"),
        );
        let c = delete_condition(&h).expect("parses");
        assert_eq!(c.if_match.as_deref(), Some("abc"));
        assert_eq!(c.size, Some(12));
        assert_eq!(
            c.last_modified,
            Some(httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").expect("date"))
        );
        h.insert("x-amz-if-match-size", "-1".parse().expect("value"));
        assert!(delete_condition(&h).is_err());
        let e =
            entry_condition(Some("*"), Some("2015-10-21T07:28:00.000Z"), Some(3)).expect("parses");
        assert_eq!(e.if_match.as_deref(), Some("*"));
        assert_eq!(e.last_modified, c.last_modified);
        assert!(entry_condition(None, Some("yesterday"), None).is_err());
    }

    #[test]
    fn etag_lists_match() {
        assert!(etag_matches("\"abc\"", "abc"));
        assert!(etag_matches("\"x\", \"abc\"", "abc"));
        assert!(etag_matches("*", "abc"));
        assert!(etag_matches("W/\"abc\"", "abc"));
        assert!(!etag_matches("\"abd\"", "abc"));
    }
}
