//! Object ownership (`OwnershipControls`): who owns the objects others write into a bucket,
//! and whether ACLs are in force at all.
//!
//! - `ObjectWriter`: the writer owns its object; ACLs apply. A bucket without the setting
//!   behaves so (and GetBucketOwnershipControls answers OwnershipControlsNotFoundError).
//! - `BucketOwnerPreferred`: an object written with `bucket-owner-full-control` becomes the
//!   bucket owner's.
//! - `BucketOwnerEnforced`: ACLs are disabled; the bucket owner owns every object; a request
//!   that sets an ACL other than `bucket-owner-full-control` (or the bucket's `private`) is
//!   refused with AccessControlListNotSupported.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html>

use serde::{Deserialize, Serialize};

use crate::error::{S3Error, S3ErrorCode};
use crate::xml;

/// The bucket setting holding the ownership name.
pub const OWNERSHIP_SETTING: &str = "ownership";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
pub enum ObjectOwnership {
    #[default]
    ObjectWriter,
    BucketOwnerPreferred,
    BucketOwnerEnforced,
}

impl ObjectOwnership {
    pub fn parse(text: &str) -> Option<ObjectOwnership> {
        Some(match text.trim() {
            "ObjectWriter" => ObjectOwnership::ObjectWriter,
            "BucketOwnerPreferred" => ObjectOwnership::BucketOwnerPreferred,
            "BucketOwnerEnforced" => ObjectOwnership::BucketOwnerEnforced,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ObjectOwnership::ObjectWriter => "ObjectWriter",
            ObjectOwnership::BucketOwnerPreferred => "BucketOwnerPreferred",
            ObjectOwnership::BucketOwnerEnforced => "BucketOwnerEnforced",
        }
    }

    pub fn acls_enabled(self) -> bool {
        self != ObjectOwnership::BucketOwnerEnforced
    }

    /// Parse a PutBucketOwnershipControls body.
    pub fn from_xml(body: &[u8]) -> Result<ObjectOwnership, S3Error> {
        let doc: OwnershipControls = xml::from_xml_document(body, "OwnershipControls")?;
        match doc.rules.as_slice() {
            [rule] => ObjectOwnership::parse(&rule.object_ownership).ok_or_else(|| {
                S3Error::malformed_xml(
                    "ObjectOwnership is ObjectWriter, BucketOwnerPreferred or BucketOwnerEnforced",
                )
            }),
            _ => Err(S3Error::malformed_xml(
                "OwnershipControls has exactly one Rule",
            )),
        }
    }

    pub fn to_document(self) -> OwnershipControls {
        OwnershipControls {
            rules: vec![OwnershipRule {
                object_ownership: self.as_str().to_owned(),
            }],
        }
    }
}

/// Refusal of an ACL-setting request on a bucket whose ACLs are disabled.
pub fn acls_not_supported() -> S3Error {
    S3Error::new(
        S3ErrorCode::AccessControlListNotSupported,
        "The bucket does not allow ACLs",
    )
}

#[derive(Serialize, Deserialize, Debug)]
#[serde(rename = "OwnershipControls", rename_all = "PascalCase")]
pub struct OwnershipControls {
    #[serde(rename = "Rule", default)]
    pub rules: Vec<OwnershipRule>,
}

#[derive(Serialize, Deserialize, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct OwnershipRule {
    pub object_ownership: String,
}
