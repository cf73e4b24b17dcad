//! Who may do what: identities (each configured user's canonical id and account id), access
//! control lists on buckets and objects ([`acl`]), bucket policies ([`policy`]), object
//! ownership ([`ownership`]), and the one decision every S3 request goes through
//! ([`decide`]), evaluated as AWS does: an explicit Deny in the bucket policy wins, then the
//! owner's rights, then an Allow in the policy or a grant in the ACL; nothing else is
//! allowed.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/how-s3-evaluates-access-control.html>

pub mod acl;
pub mod decide;
pub mod legacy;
pub mod ownership;
pub mod policy;

use sha2::Digest as _;

pub use acl::{Acl, Grant, Grantee, Permission};
pub use decide::{authorize, Access};
pub use ownership::ObjectOwnership;
pub use policy::BucketPolicy;

/// Who sends a request: a configured user (by access key) or nobody.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal<'a> {
    Anonymous,
    User(&'a str),
}

impl<'a> Principal<'a> {
    pub fn from_user(user: Option<&'a str>) -> Principal<'a> {
        user.map_or(Principal::Anonymous, Principal::User)
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
