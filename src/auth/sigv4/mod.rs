//! AWS Signature Version 4 for S3: canonical request, string to sign, signing key and
//! signature, checked for `Authorization`-header requests and for presigned URLs.
//!
//! - `canonical.rs`: the canonical request and the string to sign, shared with the origin
//!   client's signer ([`crate::origin::sign`]); the primitives under every signature are
//!   [`crate::auth::signing`]'s, re-exported here as part of the SigV4 API;
//! - `scheme.rs`: the scheme's names and limits;
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
mod scheme;
#[cfg(test)]
mod tests;
mod verify;

pub use super::signing::{
    constant_time_eq, hmac_sha256, sha256, sha256_hex, signing_key, EMPTY_SHA256,
};
pub use canonical::{
    canonical_headers, canonical_headers_of, canonical_query, canonical_request, canonical_uri,
    normalize_header_value, string_to_sign,
};
pub use parse::{format_amz_date, is_presigned, parse_credential, Credential};
pub use scheme::{
    ALGORITHM, MAX_EXPIRES_SECS, MAX_SKEW_SECS, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER,
    STREAMING_UNSIGNED_TRAILER, UNSIGNED_PAYLOAD, URI_ENCODE, URI_ENCODE_PATH,
};
pub use verify::{anonymous, verify_header, verify_header_with_body_hash, verify_presigned};
