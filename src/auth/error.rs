//! [`AuthError`]: why a request (or its body) failed authentication; each variant is one S3
//! error code (the mapping is `crate::error`'s), and its message is safe to show.

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
