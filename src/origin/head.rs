//! What an origin's answer says of its object, in the store's own terms ([`OriginHead`]):
//! the one mapping from an origin's response headers to stored object attributes
//! ([`attrs_of`], used both for the head streamed to clients and for the copy the fill
//! commits), the ETag clients get before the object is stored, and its Last-Modified.

use std::time::SystemTime;

use http::HeaderMap;
use storage::ObjectAttrs;

use super::fetch::Fetched;

/// An object as the origin describes it, before (or without) a stored copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginHead {
    /// Unquoted, as a stored object's ETag (see `OriginHead::of`).
    pub etag: String,
    pub last_modified: SystemTime,
    /// The body's length, when the origin declared it.
    pub size: Option<u64>,
    /// What the stored copy will carry: `attrs_of` the origin's headers.
    pub attrs: ObjectAttrs,
}

impl Default for OriginHead {
    fn default() -> Self {
        OriginHead {
            etag: String::new(),
            last_modified: SystemTime::UNIX_EPOCH,
            size: None,
            attrs: ObjectAttrs::default(),
        }
    }
}

impl OriginHead {
    /// The head of `fetched`; `md5` is the body's MD5 when known in advance (its
    /// Content-MD5, or an S3 origin's single-part ETag).
    ///
    /// The ETag is that MD5 when known, else the origin's own ETag, else one made up from
    /// the origin's URL, length and Last-Modified. S3 always sends an ETag and clients rely
    /// on it (s3cmd fails with `KeyError: 'etag'` on a HEAD without one). The made-up one
    /// ends in `-1`, the form S3 clients read as "not the MD5 of the body" (as for multipart
    /// objects), so none of them checks the body against it; it is stable across repeated
    /// HEADs of the same origin object. Once the object is stored, its ETag is the MD5 of
    /// its bytes.
    ///
    /// S3 clients require Last-Modified (the aws CLI fails without it): an origin that sends
    /// none (or one that is not an HTTP date) gets the time of the pull, which is what the
    /// stored copy will carry.
    pub(super) fn of(fetched: &Fetched, md5: Option<[u8; 16]>) -> OriginHead {
        let headers = fetched.response.headers();
        OriginHead {
            etag: etag_of(fetched, md5),
            last_modified: text(headers, "last-modified")
                .and_then(|v| httpdate::parse_http_date(v).ok())
                .unwrap_or_else(SystemTime::now),
            size: fetched.response.content_length(),
            attrs: attrs_of(headers),
        }
    }
}

/// The one mapping from an origin's response headers to stored object attributes: the
/// headers S3 keeps with an object ([`ObjectAttrs::standard`]) and user metadata.
pub(super) fn attrs_of(headers: &HeaderMap) -> ObjectAttrs {
    let mut attrs = ObjectAttrs::default();
    for (name, slot) in attrs.standard_mut() {
        *slot = text(headers, name).map(str::to_owned);
    }
    for (name, value) in headers {
        if let Some(meta) = name.as_str().strip_prefix("x-amz-meta-") {
            attrs
                .user_metadata
                .insert(meta.to_owned(), value.as_bytes().into());
        }
    }
    attrs
}

fn text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn etag_of(fetched: &Fetched, md5: Option<[u8; 16]>) -> String {
    use md5::Digest as _;
    if let Some(md5) = md5 {
        return hex::encode(md5);
    }
    let headers = fetched.response.headers();
    let origin_etag = text(headers, "etag")
        .map(|e| e.trim().trim_start_matches("W/").trim_matches('"'))
        .unwrap_or("");
    if !origin_etag.is_empty() {
        return origin_etag.to_owned();
    }
    let mut hasher = md5::Md5::new();
    for part in [
        fetched.url.as_str(),
        text(headers, "content-length").unwrap_or(""),
        text(headers, "last-modified").unwrap_or(""),
    ] {
        hasher.update(part.as_bytes());
        hasher.update(b"\n");
    }
    format!("{}-1", hex::encode(hasher.finalize()))
}
