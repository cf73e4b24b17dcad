//! Request authentication: AWS Signature Version 4 in the `Authorization` header and in
//! presigned URLs ([`sigv4`]), SigV2 presigned URLs ([`sigv2`]), Tencent COS's signature
//! (`cos`: what COS SDKs send, in the header or the query), browser form uploads
//! ([`post_form`]), aws-chunked bodies and their chunk signatures ([`chunked`],
//! `chunk_signer`), console sessions ([`session`]), the HMAC and hashing primitives they share
//! ([`signing`]), and the description of how the request body must be verified.
//!
//! This module owns the public API ([`verify_request`], [`AuthContext`], [`Payload`],
//! [`AuthError`]). It decides *who* signed a request and *how* its body is protected; it does
//! not decide whether that principal may do the operation ([`crate::access`] does), it does not read
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

mod chunk_signer;
pub mod chunked;
mod context;
mod cos;
mod error;
pub mod post_form;
pub mod session;
pub mod signing;
pub mod sigv2;
pub mod sigv4;
mod verify;

pub use chunk_signer::ChunkSigner;
pub use context::{AuthContext, Payload};
pub use error::AuthError;
pub use verify::{may_sign_body_hash, verify_request, verify_request_with_body_hash};
