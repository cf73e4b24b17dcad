//! Block Public Access: a bucket's `PublicAccessBlockConfiguration` (stored as the bucket
//! setting `public-access-block`), combined with the server-wide default of the
//! configuration (`[access] public_access_block`, the account-level setting of AWS) into
//! the most restrictive of the two, as AWS combines a bucket's and its account's.
//!
//! - `BlockPublicAcls`: a request that sets a public ACL (a canned `public-read`,
//!   `public-read-write` or `authenticated-read`, or a grant to AllUsers or
//!   AuthenticatedUsers) on a bucket or an object is refused with AccessDenied;
//! - `IgnorePublicAcls`: grants to AllUsers and AuthenticatedUsers no longer grant;
//! - `BlockPublicPolicy`: a bucket policy that is public is refused with AccessDenied;
//! - `RestrictPublicBuckets`: while the bucket's policy is public, its Allows reach only
//!   the bucket's owner (GetBucketPolicyStatus then says the bucket is not public).
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html>

use serde::{Deserialize, Serialize};

use crate::bucket_setting::SettingDocument;
use crate::error::{S3Error, S3ErrorCode};
use crate::xml;

/// The four switches; the default is all off.
#[derive(Serialize, Deserialize, Debug, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename = "PublicAccessBlockConfiguration", rename_all = "PascalCase")]
pub struct PublicAccessBlock {
    #[serde(default)]
    pub block_public_acls: bool,
    #[serde(default)]
    pub ignore_public_acls: bool,
    #[serde(default)]
    pub block_public_policy: bool,
    #[serde(default)]
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    /// Parse a PutPublicAccessBlock body.
    pub fn parse(body: &[u8]) -> Result<PublicAccessBlock, S3Error> {
        Ok(xml::from_xml_document(
            body,
            "PublicAccessBlockConfiguration",
        )?)
    }

    /// The most restrictive combination of two settings (a bucket's and the server's).
    pub fn or(self, other: PublicAccessBlock) -> PublicAccessBlock {
        PublicAccessBlock {
            block_public_acls: self.block_public_acls || other.block_public_acls,
            ignore_public_acls: self.ignore_public_acls || other.ignore_public_acls,
            block_public_policy: self.block_public_policy || other.block_public_policy,
            restrict_public_buckets: self.restrict_public_buckets || other.restrict_public_buckets,
        }
    }
}

impl SettingDocument for PublicAccessBlock {
    const SETTING: &'static str = "public-access-block";

    fn parse_stored(stored: &[u8]) -> Result<Self, String> {
        PublicAccessBlock::parse(stored).map_err(|e| e.message)
    }

    fn to_stored(&self) -> Vec<u8> {
        xml::to_xml(self).into_bytes()
    }
}

/// AWS's refusal of a public ACL or policy that a block forbids.
pub fn blocked() -> S3Error {
    S3Error::new(S3ErrorCode::AccessDenied, "Access Denied")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_round_trips_and_missing_switches_are_off() {
        let doc = PublicAccessBlock::parse(
            b"<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
              <BlockPublicAcls>true</BlockPublicAcls><RestrictPublicBuckets>true</RestrictPublicBuckets>\
              </PublicAccessBlockConfiguration>",
        )
        .unwrap();
        assert!(doc.block_public_acls && doc.restrict_public_buckets);
        assert!(!doc.ignore_public_acls && !doc.block_public_policy);
        assert_eq!(
            PublicAccessBlock::parse_stored(&doc.to_stored()).unwrap(),
            doc
        );
        let server = PublicAccessBlock {
            block_public_policy: true,
            ..Default::default()
        };
        let both = doc.or(server);
        assert!(both.block_public_acls && both.block_public_policy && both.restrict_public_buckets);
        assert!(PublicAccessBlock::parse(b"<PublicAccessBlockConfiguration><BlockPublicAcls>maybe</BlockPublicAcls></PublicAccessBlockConfiguration>").is_err());
    }
}
