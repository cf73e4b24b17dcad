//! Access control lists: the grant model of S3 (grantees: users by canonical id and the
//! AllUsers, AuthenticatedUsers and LogDelivery groups; permissions READ, WRITE, READ_ACP,
//! WRITE_ACP and FULL_CONTROL), the three ways a request sets one (a canned ACL in
//! `x-amz-acl`, `x-amz-grant-*` headers, an `AccessControlPolicy` body), the document
//! GetBucketAcl/GetObjectAcl answer, and the stored form.
//!
//! The owner of a resource may always read and change its ACL, whatever the grants say.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html>

use http::HeaderMap;
use serde::{Deserialize, Serialize};

use super::Principal;
use crate::error::{S3Error, S3ErrorCode};
use crate::identity::canonical_id;
use crate::xml;

pub const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
pub const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
pub const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acl {
    /// The owner's canonical id.
    pub owner: String,
    pub grants: Vec<Grant>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub grantee: Grantee,
    pub permission: Permission,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grantee {
    /// A user, by canonical id.
    User(String),
    AllUsers,
    AuthenticatedUsers,
    LogDelivery,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Permission {
    Read,
    Write,
    ReadAcp,
    WriteAcp,
    FullControl,
}

impl Permission {
    pub fn parse(text: &str) -> Option<Permission> {
        Some(match text {
            "READ" => Permission::Read,
            "WRITE" => Permission::Write,
            "READ_ACP" => Permission::ReadAcp,
            "WRITE_ACP" => Permission::WriteAcp,
            "FULL_CONTROL" => Permission::FullControl,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Read => "READ",
            Permission::Write => "WRITE",
            Permission::ReadAcp => "READ_ACP",
            Permission::WriteAcp => "WRITE_ACP",
            Permission::FullControl => "FULL_CONTROL",
        }
    }

    fn covers(self, wanted: Permission) -> bool {
        self == Permission::FullControl || self == wanted
    }
}

/// The `x-amz-grant-*` headers and the permission each grants.
const GRANT_HEADERS: [(&str, Permission); 5] = [
    ("x-amz-grant-read", Permission::Read),
    ("x-amz-grant-write", Permission::Write),
    ("x-amz-grant-read-acp", Permission::ReadAcp),
    ("x-amz-grant-write-acp", Permission::WriteAcp),
    ("x-amz-grant-full-control", Permission::FullControl),
];

fn invalid_argument(message: impl Into<String>) -> S3Error {
    S3Error::invalid_argument(message)
}

impl Acl {
    /// The default: the owner's FULL_CONTROL.
    pub fn private(owner: &str) -> Acl {
        Acl {
            owner: owner.to_owned(),
            grants: vec![Grant {
                grantee: Grantee::User(owner.to_owned()),
                permission: Permission::FullControl,
            }],
        }
    }

    /// A canned ACL for a resource owned by `owner` in a bucket owned by `bucket_owner`
    /// (canonical ids).
    pub fn canned(name: &str, owner: &str, bucket_owner: &str) -> Result<Acl, S3Error> {
        let mut acl = Acl::private(owner);
        let mut grant = |grantee: Grantee, permission| {
            acl.grants.push(Grant {
                grantee,
                permission,
            })
        };
        match name {
            "private" => {}
            "public-read" => grant(Grantee::AllUsers, Permission::Read),
            "public-read-write" => {
                grant(Grantee::AllUsers, Permission::Read);
                grant(Grantee::AllUsers, Permission::Write);
            }
            "authenticated-read" => grant(Grantee::AuthenticatedUsers, Permission::Read),
            "bucket-owner-read" if bucket_owner != owner => {
                grant(Grantee::User(bucket_owner.to_owned()), Permission::Read)
            }
            "bucket-owner-full-control" if bucket_owner != owner => grant(
                Grantee::User(bucket_owner.to_owned()),
                Permission::FullControl,
            ),
            "bucket-owner-read" | "bucket-owner-full-control" => {}
            "log-delivery-write" => {
                grant(Grantee::LogDelivery, Permission::Write);
                grant(Grantee::LogDelivery, Permission::ReadAcp);
            }
            "aws-exec-read" => {}
            _ => return Err(invalid_argument(format!("Invalid canned ACL: {name}"))),
        }
        Ok(acl)
    }

    /// The ACL a write's headers ask for: `x-amz-acl` or `x-amz-grant-*` (not both), `None`
    /// when it sends neither. `identities` (every user's) resolve grantee ids.
    pub fn from_headers(
        headers: &HeaderMap,
        owner: &str,
        bucket_owner: &str,
        identities: &[String],
    ) -> Result<Option<Acl>, S3Error> {
        let canned = headers.get("x-amz-acl").and_then(|v| v.to_str().ok());
        let granted = GRANT_HEADERS
            .iter()
            .any(|(name, _)| headers.contains_key(*name));
        match (canned, granted) {
            (Some(_), true) => Err(S3Error::new(
                S3ErrorCode::InvalidRequest,
                "Specifying both Canned ACLs and Header Grants is not allowed",
            )),
            (Some(name), false) => Acl::canned(name.trim(), owner, bucket_owner).map(Some),
            (None, false) => Ok(None),
            (None, true) => {
                let mut grants = Vec::new();
                for (name, permission) in GRANT_HEADERS {
                    let Some(value) = headers.get(name) else {
                        continue;
                    };
                    let value = value
                        .to_str()
                        .map_err(|_| invalid_argument(format!("{name} is not ASCII")))?;
                    for grantee in value.split(',').filter(|g| !g.trim().is_empty()) {
                        grants.push(Grant {
                            grantee: parse_header_grantee(grantee, identities)?,
                            permission,
                        });
                    }
                }
                Ok(Some(Acl {
                    owner: owner.to_owned(),
                    grants,
                }))
            }
        }
    }

    /// An `AccessControlPolicy` request body for a resource owned by `owner`.
    pub fn from_xml(body: &[u8], owner: &str, identities: &[String]) -> Result<Acl, S3Error> {
        let doc: xml::AccessControlPolicyRequest =
            xml::from_xml_document(body, "AccessControlPolicy")?;
        if let Some(id) = doc.owner.as_ref().and_then(|o| o.id.as_deref()) {
            if id != owner {
                return Err(S3Error::new(
                    S3ErrorCode::AccessDenied,
                    "The owner of an ACL cannot be changed",
                ));
            }
        }
        let mut grants = Vec::new();
        for grant in doc
            .access_control_list
            .map(|l| l.grants)
            .unwrap_or_default()
        {
            let permission = Permission::parse(grant.permission.trim())
                .ok_or_else(|| S3Error::malformed_xml("unknown Permission"))?;
            let g = grant.grantee;
            let grantee = if let Some(id) = g.id {
                user_grantee(id.trim(), identities)?
            } else if let Some(uri) = g.uri {
                group_grantee(uri.trim())?
            } else if g.email_address.is_some() {
                return Err(email_grantee());
            } else {
                return Err(S3Error::malformed_xml(
                    "a Grantee needs an ID, a URI or an EmailAddress",
                ));
            };
            grants.push(Grant {
                grantee,
                permission,
            });
        }
        Ok(Acl {
            owner: owner.to_owned(),
            grants,
        })
    }

    /// Does this ACL give `principal` the `wanted` permission? The owner always has READ_ACP
    /// and WRITE_ACP.
    pub fn allows(&self, principal: Principal<'_>, wanted: Permission) -> bool {
        let id = match principal {
            Principal::User(ak) => Some(canonical_id(ak)),
            Principal::Anonymous => None,
        };
        if id.as_deref() == Some(self.owner.as_str())
            && matches!(wanted, Permission::ReadAcp | Permission::WriteAcp)
        {
            return true;
        }
        self.grants.iter().any(|g| {
            g.permission.covers(wanted)
                && match &g.grantee {
                    Grantee::AllUsers => true,
                    Grantee::AuthenticatedUsers => id.is_some(),
                    Grantee::User(user) => id.as_deref() == Some(user.as_str()),
                    Grantee::LogDelivery => false,
                }
        })
    }

    /// Does it grant anything to everyone (AllUsers or AuthenticatedUsers)?
    pub fn is_public(&self) -> bool {
        self.grants
            .iter()
            .any(|g| matches!(g.grantee, Grantee::AllUsers | Grantee::AuthenticatedUsers))
    }

    /// The ACL without its grants to everyone (Block Public Access's `IgnorePublicAcls`).
    pub fn without_public_grants(&self) -> Acl {
        Acl {
            owner: self.owner.clone(),
            grants: self
                .grants
                .iter()
                .filter(|g| !matches!(g.grantee, Grantee::AllUsers | Grantee::AuthenticatedUsers))
                .cloned()
                .collect(),
        }
    }

    /// The document GetBucketAcl / GetObjectAcl answer.
    pub fn to_document(&self) -> xml::AccessControlPolicy {
        let grants = self
            .grants
            .iter()
            .map(|g| {
                let (kind, id, uri) = match &g.grantee {
                    Grantee::User(id) => ("CanonicalUser", Some(id.clone()), None),
                    Grantee::AllUsers => ("Group", None, Some(ALL_USERS)),
                    Grantee::AuthenticatedUsers => ("Group", None, Some(AUTHENTICATED_USERS)),
                    Grantee::LogDelivery => ("Group", None, Some(LOG_DELIVERY)),
                };
                xml::Grant {
                    grantee: xml::Grantee {
                        xmlns_xsi: xml::XSI_NS,
                        kind,
                        id,
                        uri,
                    },
                    permission: g.permission.as_str(),
                }
            })
            .collect();
        xml::AccessControlPolicy {
            owner: xml::Owner {
                id: self.owner.clone(),
            },
            acl: xml::AccessControlList { grants },
        }
    }

    /// The stored form (an object's [`storage::ObjectAttrs::acl`], the bucket's `acl`
    /// setting).
    pub fn encode(&self) -> String {
        // Serialising plain enums and strings to JSON cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Read the stored form.
    pub fn decode(stored: &str) -> Result<Acl, S3Error> {
        serde_json::from_str(stored)
            .map_err(|e| S3Error::internal(format!("a stored ACL does not parse: {e}")))
    }
}

fn user_grantee(id: &str, identities: &[String]) -> Result<Grantee, S3Error> {
    if identities.iter().any(|u| canonical_id(u) == id) {
        Ok(Grantee::User(id.to_owned()))
    } else {
        Err(invalid_argument("Invalid id"))
    }
}

fn group_grantee(uri: &str) -> Result<Grantee, S3Error> {
    match uri {
        ALL_USERS => Ok(Grantee::AllUsers),
        AUTHENTICATED_USERS => Ok(Grantee::AuthenticatedUsers),
        LOG_DELIVERY => Ok(Grantee::LogDelivery),
        _ => Err(invalid_argument(format!("Invalid group uri: {uri}"))),
    }
}

/// A grant to an email address: AWS refuses those with 405 since 1 October 2025.
fn email_grantee() -> S3Error {
    S3Error::new(
        S3ErrorCode::MethodNotAllowed,
        "Email grantees are no longer supported in access control lists; grant to a canonical id.",
    )
}

/// One grantee of an `x-amz-grant-*` header: `id="..."`, `uri="..."` or `emailAddress="..."`.
fn parse_header_grantee(text: &str, identities: &[String]) -> Result<Grantee, S3Error> {
    let (kind, value) = text
        .trim()
        .split_once('=')
        .ok_or_else(|| invalid_argument(format!("Invalid grant: {text}")))?;
    let value = value.trim().trim_matches('"');
    match kind.trim() {
        "id" => user_grantee(value, identities),
        "uri" => group_grantee(value),
        "emailAddress" => Err(email_grantee()),
        other => Err(invalid_argument(format!("Invalid grantee type: {other}"))),
    }
}

#[cfg(test)]
mod tests;
