//! Bucket documents: ListAllMyBucketsResult, LocationConstraint, VersioningConfiguration,
//! CreateBucketConfiguration, and the AccessControlPolicy (canned ACLs, both directions).

use serde::{Deserialize, Serialize};

#[derive(Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct Owner {
    #[serde(rename = "ID")]
    pub id: String,
    pub display_name: String,
}

impl Owner {
    pub fn new(access_key: &str) -> Owner {
        Owner {
            id: access_key.to_owned(),
            display_name: access_key.to_owned(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename = "ListAllMyBucketsResult", rename_all = "PascalCase")]
pub struct ListAllMyBucketsResult {
    pub owner: Owner,
    pub buckets: Buckets,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Buckets {
    pub bucket: Vec<BucketEntry>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketEntry {
    pub name: String,
    pub creation_date: String,
    #[serde(rename = "BucketRegion")]
    pub region: String,
}

#[derive(Serialize)]
#[serde(rename = "LocationConstraint")]
pub struct LocationConstraint {
    /// Empty for us-east-1, as AWS answers.
    #[serde(rename = "$text")]
    pub region: String,
}

#[derive(Serialize)]
#[serde(rename = "VersioningConfiguration")]
pub struct VersioningConfiguration {}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct CreateBucketConfiguration {
    #[serde(default)]
    pub location_constraint: Option<String>,
}

#[derive(Serialize)]
#[serde(rename = "AccessControlPolicy", rename_all = "PascalCase")]
pub struct AccessControlPolicy {
    pub owner: Owner,
    #[serde(rename = "AccessControlList")]
    pub acl: AccessControlList,
}

#[derive(Serialize)]
pub struct AccessControlList {
    #[serde(rename = "Grant")]
    pub grants: Vec<Grant>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Grant {
    pub grantee: Grantee,
    pub permission: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Grantee {
    #[serde(rename = "@xmlns:xsi")]
    pub xmlns_xsi: &'static str,
    #[serde(rename = "@xsi:type")]
    pub kind: &'static str,
    #[serde(rename = "ID", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(rename = "URI", skip_serializing_if = "Option::is_none")]
    pub uri: Option<&'static str>,
}

pub const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
pub const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";

impl AccessControlPolicy {
    /// The owner's FULL_CONTROL, plus READ for everyone when `public_read`.
    pub fn canned(owner: &str, public_read: bool) -> AccessControlPolicy {
        let mut grants = vec![Grant {
            grantee: Grantee {
                xmlns_xsi: XSI_NS,
                kind: "CanonicalUser",
                id: Some(owner.to_owned()),
                display_name: Some(owner.to_owned()),
                uri: None,
            },
            permission: "FULL_CONTROL",
        }];
        if public_read {
            grants.push(Grant {
                grantee: Grantee {
                    xmlns_xsi: XSI_NS,
                    kind: "Group",
                    id: None,
                    display_name: None,
                    uri: Some(ALL_USERS),
                },
                permission: "READ",
            });
        }
        AccessControlPolicy {
            owner: Owner::new(owner),
            acl: AccessControlList { grants },
        }
    }
}

/// A PutBucketAcl / PutObjectAcl request body. Only the grants are read: who (`URI` of a
/// group) gets which permission.
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "PascalCase")]
pub struct AccessControlPolicyRequest {
    #[serde(default)]
    pub access_control_list: Option<GrantList>,
}

#[derive(Deserialize, Debug, Default)]
pub struct GrantList {
    #[serde(rename = "Grant", default)]
    pub grants: Vec<GrantRequest>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct GrantRequest {
    pub grantee: GranteeRequest,
    pub permission: String,
}

#[derive(Deserialize, Debug)]
pub struct GranteeRequest {
    #[serde(rename = "ID", default)]
    pub id: Option<String>,
    #[serde(rename = "URI", default)]
    pub uri: Option<String>,
}
