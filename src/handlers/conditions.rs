//! Conditional writes and deletes: `If-None-Match: *` and `If-Match` on PutObject,
//! CompleteMultipartUpload and CopyObject's destination, and `If-Match`,
//! `x-amz-if-match-last-modified-time` and `x-amz-if-match-size` on DeleteObject (and their
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
use storage::{CommitCondition, DeleteCondition, ObjectMeta};

use super::headers::unquote_etag;
use crate::error::{S3Error, S3ErrorCode};
use crate::state::AppState;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    super::headers::header(headers, name).map(str::trim)
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
        exactly_modified: None,
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
        exactly_modified: None,
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
}
