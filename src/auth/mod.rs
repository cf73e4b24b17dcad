//! Request authentication: AWS Signature Version 4 in the `Authorization` header and in
//! presigned URLs, and the description of how the request body must be verified.
//!
//! This module owns the public API ([`verify_request`], [`AuthContext`], [`Payload`],
//! [`AuthError`]). It decides *who* signed a request and *how* its body is protected; it does
//! not decide whether that principal may do the operation (the handlers do), it does not read
//! the body (see [`crate::body::RequestBody`]) and it never logs secrets or signatures.
//!
//! Leniencies, each deliberate and documented where it is implemented:
//! - any region is accepted in the credential scope (only the service must be `s3`);
//! - a header-signed request without `x-amz-content-sha256` is treated as `UNSIGNED-PAYLOAD`,
//!   or, when that does not verify and the body is small, as signing the body's SHA-256
//!   ([`verify_request_with_body_hash`]: what curl and generic SigV4 signers do);
//! - if the signature does not match the canonical URI built by S3's rule, the path exactly as
//!   received is tried too (some clients encode differently); likewise a raw `+` in the query
//!   is tried both as a space and as a literal plus.
//!
//! Reference: <https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html>

pub mod chunked;
pub mod post_form;
pub mod session;
pub mod sigv2;
pub mod sigv4;

use std::fmt;
use std::time::SystemTime;

/// Why a request (or its body) failed authentication. Each variant maps to one S3 error code;
/// the message, when there is one, is safe to show to the client (no secrets, no signatures).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("Access Denied: {0}")]
    AccessDenied(String),
    #[error("The AWS Access Key Id you provided does not exist in our records.")]
    InvalidAccessKeyId,
    #[error("The request signature we calculated does not match the signature you provided. Check your key and signing method.")]
    SignatureDoesNotMatch,
    #[error("The authorization header is malformed; {0}")]
    AuthorizationHeaderMalformed(String),
    #[error("Query-string authentication parameters are invalid: {0}")]
    AuthorizationQueryParametersError(String),
    #[error("The difference between the request time and the current time is too large.")]
    RequestTimeTooSkewed,
    #[error("The provided 'x-amz-content-sha256' header does not match what was computed.")]
    XAmzContentSHA256Mismatch,
    #[error("The Content-MD5 or checksum value you specified is not valid: {0}")]
    InvalidDigest(String),
    #[error(
        "You did not provide the number of bytes specified by the Content-Length HTTP header."
    )]
    IncompleteBody,
    #[error("Invalid aws-chunked body: {0}")]
    InvalidChunk(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("You must provide the Content-Length HTTP header.")]
    MissingContentLength,
    #[error("Error reading the request body: {0}")]
    Io(String),
    #[error("Your socket connection to the server was not read from or written to within the timeout period.")]
    RequestTimeout,
}

/// How the request body is protected, as announced by `x-amz-content-sha256`.
#[derive(Debug, Clone)]
pub enum Payload {
    /// `UNSIGNED-PAYLOAD`, or no header at all (anonymous requests, lenient header auth).
    Unsigned,
    /// A hex SHA-256 of the whole body: verified while streaming, checked at the end.
    Sha256([u8; 32]),
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`: aws-chunked with a signature per chunk.
    SignedChunks { trailer: bool, signer: ChunkSigner },
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: aws-chunked without signatures, with a trailer.
    UnsignedChunks { trailer: bool },
}

/// The state needed to verify the chain of chunk signatures of an aws-chunked body: the
/// signing key of the request, its timestamp and scope, and the previous signature (the seed
/// signature of the request headers before the first chunk).
///
/// See <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html>.
#[derive(Clone)]
pub struct ChunkSigner {
    key: [u8; 32],
    datetime: String,
    scope: String,
    previous: String,
}

impl fmt::Debug for ChunkSigner {
    // The signing key is a secret: never print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkSigner")
            .field("datetime", &self.datetime)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl ChunkSigner {
    /// `key` is the derived signing key, `datetime` the request's `YYYYMMDDTHHMMSSZ`, `scope`
    /// `date/region/s3/aws4_request`, `seed` the hex signature of the request headers.
    pub fn new(key: [u8; 32], datetime: String, scope: String, seed: String) -> Self {
        ChunkSigner {
            key,
            datetime,
            scope,
            previous: seed,
        }
    }

    /// The signature a chunk whose data hashes to `data_sha256` must carry.
    pub fn expected_chunk_signature(&self, data_sha256: &[u8; 32]) -> String {
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{}\n{}\n{}",
            self.datetime,
            self.scope,
            self.previous,
            sigv4::EMPTY_SHA256,
            hex::encode(data_sha256)
        );
        hex::encode(sigv4::hmac_sha256(&self.key, string_to_sign.as_bytes()))
    }

    /// The signature the trailer chunk must carry; `canonical_trailers` is the
    /// `name:value\n` lines of the trailing headers.
    pub fn expected_trailer_signature(&self, canonical_trailers: &[u8]) -> String {
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{}\n{}",
            self.datetime,
            self.scope,
            self.previous,
            sigv4::sha256_hex(canonical_trailers)
        );
        hex::encode(sigv4::hmac_sha256(&self.key, string_to_sign.as_bytes()))
    }

    /// Checks a chunk signature and, when it matches, advances the chain to it.
    pub fn verify_chunk(
        &mut self,
        data_sha256: &[u8; 32],
        signature: &str,
    ) -> Result<(), AuthError> {
        let expected = self.expected_chunk_signature(data_sha256);
        self.advance(expected, signature)
    }

    /// Checks the trailer signature and, when it matches, advances the chain to it.
    pub fn verify_trailer(
        &mut self,
        canonical_trailers: &[u8],
        signature: &str,
    ) -> Result<(), AuthError> {
        let expected = self.expected_trailer_signature(canonical_trailers);
        self.advance(expected, signature)
    }

    fn advance(&mut self, expected: String, signature: &str) -> Result<(), AuthError> {
        if sigv4::constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
            self.previous = expected;
            Ok(())
        } else {
            Err(AuthError::SignatureDoesNotMatch)
        }
    }
}

/// The outcome of authenticating a request: who signed it (`None` = anonymous; the caller
/// decides whether anonymous access is allowed) and how its body must be verified.
#[derive(Debug, Clone)]
pub struct AuthContext {
    pub access_key: Option<String>,
    pub payload: Payload,
}

/// Authenticates a request from its head. `secret_for(access_key)` returns the secret of a
/// known user; `now` is injected so tests can use the dates of the AWS examples.
///
/// Requests with neither an `Authorization` header nor an `X-Amz-Signature` /
/// `X-Amz-Algorithm` query parameter are anonymous.
pub fn verify_request(
    parts: &http::request::Parts,
    secret_for: &dyn Fn(&str) -> Option<String>,
    now: SystemTime,
) -> Result<AuthContext, AuthError> {
    if parts.headers.contains_key(http::header::AUTHORIZATION) {
        sigv4::verify_header(parts, secret_for, now)
    } else if sigv4::is_presigned(parts.uri.query().unwrap_or("")) {
        sigv4::verify_presigned(parts, secret_for, now)
    } else if sigv2::is_presigned(parts.uri.query().unwrap_or("")) {
        // `aws s3 presign`, boto3 (us-east-1, custom endpoint) and `s3cmd signurl` presign
        // with Signature Version 2; such URLs are verified, never treated as anonymous.
        sigv2::verify_presigned(parts, secret_for, now)
    } else {
        sigv4::anonymous(parts)
    }
}

/// A header-signed request without `x-amz-content-sha256` whose signature did not verify as
/// `UNSIGNED-PAYLOAD` may have signed its body's hash: can the caller read the body (at most
/// `limit` bytes, by its Content-Length) to check that?
pub fn may_sign_body_hash(parts: &http::request::Parts, limit: u64) -> bool {
    let headers = &parts.headers;
    if !headers.contains_key(http::header::AUTHORIZATION)
        || headers.contains_key("x-amz-content-sha256")
    {
        return false;
    }
    match headers.get(http::header::CONTENT_LENGTH) {
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|n| n <= limit),
        None => !headers.contains_key(http::header::TRANSFER_ENCODING),
    }
}

/// [`verify_request`] for a header-signed request whose body was read: `body_sha256_hex`
/// stands for the missing `x-amz-content-sha256`.
pub fn verify_request_with_body_hash(
    parts: &http::request::Parts,
    secret_for: &dyn Fn(&str) -> Option<String>,
    now: SystemTime,
    body_sha256_hex: &str,
) -> Result<AuthContext, AuthError> {
    sigv4::verify_header_with_body_hash(parts, secret_for, now, Some(body_sha256_hex))
}
