//! Continuation tokens, opaque to clients: base64url of the resume point. ListObjectsV2 and
//! ListBuckets hand them out and take them back.

use base64::Engine as _;

use crate::error::S3Error;

/// Continuation tokens are opaque to clients: base64url of the resume point.
pub fn encode_token(after: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(after.as_bytes())
}

pub fn decode_token(token: &str) -> Result<String, S3Error> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|raw| String::from_utf8(raw).ok())
        .ok_or_else(|| S3Error::invalid_argument("The continuation token provided is incorrect"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_any_key() {
        for key in ["a", "dir/", "ü nicode +%?#", ""] {
            assert_eq!(decode_token(&encode_token(key)).expect("decodes"), key);
        }
        assert!(decode_token("!!!").is_err());
    }
}
