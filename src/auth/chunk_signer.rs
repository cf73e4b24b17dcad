//! [`ChunkSigner`]: the chain of chunk signatures of an aws-chunked body (and its trailer),
//! seeded by the request's signature.

use std::fmt;

use super::error::AuthError;
use super::signing::{constant_time_eq, hmac_sha256, sha256_hex, EMPTY_SHA256};

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
            EMPTY_SHA256,
            hex::encode(data_sha256)
        );
        hex::encode(hmac_sha256(&self.key, string_to_sign.as_bytes()))
    }

    /// The signature the trailer chunk must carry; `canonical_trailers` is the
    /// `name:value\n` lines of the trailing headers.
    pub fn expected_trailer_signature(&self, canonical_trailers: &[u8]) -> String {
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{}\n{}",
            self.datetime,
            self.scope,
            self.previous,
            sha256_hex(canonical_trailers)
        );
        hex::encode(hmac_sha256(&self.key, string_to_sign.as_bytes()))
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
        if constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
            self.previous = expected;
            Ok(())
        } else {
            Err(AuthError::SignatureDoesNotMatch)
        }
    }
}
