//! What authenticating a request concludes ([`AuthContext`]): who signed it, and how its
//! body must then be verified ([`Payload`]).

use super::chunk_signer::ChunkSigner;

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

/// The outcome of authenticating a request: who signed it (`None` = anonymous; the caller
/// decides whether anonymous access is allowed) and how its body must be verified.
#[derive(Debug, Clone)]
pub struct AuthContext {
    pub access_key: Option<String>,
    pub payload: Payload,
    /// Signed for the STS service (AssumeRole), not S3: SigV4's credential scope said
    /// `sts`.
    pub sts: bool,
}
