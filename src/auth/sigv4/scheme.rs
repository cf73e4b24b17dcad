//! The names and limits of the SigV4 scheme: the algorithm, the `x-amz-content-sha256`
//! values, the URI encode sets, the clock skew and presigned lifetime AWS allows.

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
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
pub const STREAMING_SIGNED: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
pub const STREAMING_SIGNED_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
pub const STREAMING_UNSIGNED_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

/// Header-signed requests must be within 15 minutes of the server clock (AWS's limit).
pub const MAX_SKEW_SECS: i64 = 15 * 60;
/// The longest lifetime of a presigned URL: seven days.
pub const MAX_EXPIRES_SECS: i64 = 604_800;
