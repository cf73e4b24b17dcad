//! Which headers cross between a client, the node and the cluster: what an object write
//! forwards to the cluster (of a client's request, or of an origin's answer being filled),
//! and what of the cluster's answer a relayed answer passes on.

use http::HeaderMap;

/// The headers of a cluster's answer that a relayed answer passes on: its ETag, checksums,
/// document type, and what versioning says of the write (version id, delete marker).
pub fn relayed_headers(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (name, value) in headers {
        let n = name.as_str();
        if matches!(
            n,
            "etag" | "content-type" | "x-amz-version-id" | "x-amz-delete-marker"
        ) || n.starts_with("x-amz-checksum-")
        {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

/// The headers of an object write the cluster must see (of a client's request, or of an
/// origin's answer being filled): what is stored with the object, its integrity check and
/// its conditions. (`aws-chunked` is the client's framing, not the object's.)
const FORWARDED: &[&str] = &[
    "content-type",
    "cache-control",
    "content-disposition",
    "content-language",
    "expires",
    "content-md5",
    "x-amz-tagging",
    "if-match",
    "if-none-match",
];

pub fn object_headers(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (name, value) in headers {
        let name_text = name.as_str();
        if FORWARDED.contains(&name_text) || name_text.starts_with("x-amz-meta-") {
            out.append(name.clone(), value.clone());
        }
    }
    if let Some(encoding) = headers
        .get(http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::body::stored_content_encoding)
        .and_then(|v| http::HeaderValue::from_str(&v).ok())
    {
        out.insert(http::header::CONTENT_ENCODING, encoding);
    }
    out
}
