//! Who a configured user is: its credentials ([`User`], whose `Debug` hides the secret) and
//! the identifiers AWS shows for it, derived from its access key — the 64-hex canonical id
//! of owners and grantees ([`canonical_id`]) and the 12-digit account id that
//! `x-amz-expected-bucket-owner` and policy ARNs name ([`account_id`]).
//!
//! The ground floor of access, configuration and listings: it imports nothing of ours.

use serde::Deserialize;
use sha2::Digest as _;

/// One user: an access key and its secret.
#[derive(Clone, Deserialize, PartialEq, Eq)]
pub struct User {
    pub access_key: String,
    pub secret_key: String,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

/// A user's canonical id: 64 hex characters, stable for its access key (what AWS shows as
/// the `ID` of an owner or a grantee).
pub fn canonical_id(access_key: &str) -> String {
    hex::encode(digest(access_key))
}

/// A user's 12-digit account id (what `x-amz-expected-bucket-owner` and policy ARNs name),
/// stable for its access key.
pub fn account_id(access_key: &str) -> String {
    let d = digest(access_key);
    let n = u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]);
    format!("{:012}", n % 1_000_000_000_000)
}

fn digest(access_key: &str) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    h.update(b"originstore user\0");
    h.update(access_key.as_bytes());
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_shaped_like_aws_ones() {
        let id = canonical_id("AKIAEXAMPLE");
        assert_eq!(id.len(), 64);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(id, canonical_id("AKIAEXAMPLE"));
        assert_ne!(id, canonical_id("OTHER"));
        let account = account_id("AKIAEXAMPLE");
        assert_eq!(account.len(), 12);
        assert!(account.bytes().all(|b| b.is_ascii_digit()));
    }
}
