//! AWS Signature Version 4 for S3: canonical request, string to sign, signing key and
//! signature, checked for `Authorization`-header requests and for presigned URLs.
//!
//! - `canonical.rs`: the canonical request and the signing primitives, shared with the
//!   origin client's signer ([`crate::origin::sign`]) and the aws-chunked chunk signer;
//! - `parse.rs`: the `Authorization` header, the credential scope, dates and
//!   `x-amz-content-sha256`;
//! - `verify.rs`: header-signed and presigned requests, which share one signature-check tail,
//!   and anonymous requests.
//!
//! Pure functions over the request head; no I/O, no logging (a log line here could leak a
//! signature or a secret). The body is verified later by [`crate::body::RequestBody`] from the
//! [`crate::auth::Payload`] decided here.
//!
//! References:
//! - <https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html>
//! - <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html>
//! - <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html>

mod canonical;
mod parse;
#[cfg(test)]
mod tests;
mod verify;

pub use canonical::{
    canonical_headers, canonical_headers_of, canonical_query, canonical_request, canonical_uri,
    constant_time_eq, hmac_sha256, normalize_header_value, sha256, sha256_hex, signing_key,
    string_to_sign,
};
pub use parse::{format_amz_date, is_presigned, parse_credential, Credential};
pub use verify::{anonymous, verify_header, verify_header_with_body_hash, verify_presigned};

/// SigV4's `UriEncode` for query names and values: every byte but the RFC 3986 unreserved
/// characters (`A-Z a-z 0-9 - . _ ~`) is percent-encoded.
pub const URI_ENCODE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// SigV4's `UriEncode` for paths: as [`URI_ENCODE`], keeping `/`. S3 keys encoded with it are
/// what S3 itself puts in request lines, `Location` URLs and canonical requests.
pub const URI_ENCODE_PATH: &percent_encoding::AsciiSet = &URI_ENCODE.remove(b'/');

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// Hex SHA-256 of the empty string.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
pub const STREAMING_SIGNED: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
pub const STREAMING_SIGNED_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
pub const STREAMING_UNSIGNED_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

/// Header-signed requests must be within 15 minutes of the server clock (AWS's limit).
pub const MAX_SKEW_SECS: i64 = 15 * 60;
/// The longest lifetime of a presigned URL: seven days.
pub const MAX_EXPIRES_SECS: i64 = 604_800;
