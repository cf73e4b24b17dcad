//! The access decision every S3 request goes through, before its handler runs
//! ([`authorize`]), reading the bucket's access settings ([`Access`]).
//!
//! Each operation needs an IAM action on a resource ARN (for the bucket policy) and one of:
//! the bucket owner; a permission in the bucket's ACL; a permission in the object's ACL; the
//! object's owner. The order is AWS's: an explicit Deny in the bucket policy refuses (but
//! never locks the owner out of the policy itself); then the owner's rights, an Allow in the
//! policy, or a grant in the ACL (ACLs count only while the bucket's object ownership
//! leaves them enabled). An object without an ACL of its own is the bucket owner's, private;
//! a bucket records that some object has one (`object-acls`), so reads in buckets where none
//! does never look the object up here.

use std::net::IpAddr;

use http::HeaderMap;

use super::acl::{Acl, Permission};
use super::policy::{RequestFacts, Verdict};
use super::settings::Access;
use super::Principal;
use crate::error::{S3Error, S3ErrorCode};
use crate::identity::canonical_id;
use crate::router::{BucketOperation as B, ObjectOperation as O, Operation};

/// What an operation needs of the caller, besides what the bucket policy says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// Any authenticated user (ListBuckets, CreateBucket).
    Authenticated,
    /// The bucket's owner (its configuration, its deletion).
    BucketOwner,
    Bucket(Permission),
    Object(Permission),
    /// The object's owner or the bucket's (tagging).
    ObjectOwner,
}

/// The action, the resource and the need of one operation.
struct Requirement {
    action: &'static str,
    need: Need,
    version_id: Option<String>,
}

fn requirement(op: &Operation) -> Requirement {
    let plain = |action, need| Requirement {
        action,
        need,
        version_id: None,
    };
    let versioned = |action, versioned_action, need, version: &Option<String>| Requirement {
        action: if version.is_some() {
            versioned_action
        } else {
            action
        },
        need,
        version_id: version.clone(),
    };
    use Need::{Bucket as InBucket, BucketOwner, Object as InObject, ObjectOwner};
    use Permission::{Read, ReadAcp, Write, WriteAcp};
    match op {
        Operation::Health | Operation::Metrics | Operation::Preflight { .. } => {
            plain("s3:ListAllMyBuckets", Need::Authenticated)
        }
        Operation::ListBuckets(_) => plain("s3:ListAllMyBuckets", Need::Authenticated),
        Operation::Bucket { op, .. } => match op {
            B::CreateBucket => plain("s3:CreateBucket", Need::Authenticated),
            B::HeadBucket | B::ListObjects(_) | B::ListObjectsV2(_) | B::ListenBucketEvents => {
                plain("s3:ListBucket", InBucket(Read))
            }
            B::GetBucketNotificationConfiguration => plain("s3:GetBucketNotification", BucketOwner),
            B::PutBucketNotificationConfiguration => plain("s3:PutBucketNotification", BucketOwner),
            B::ListObjectVersions(_) => plain("s3:ListBucketVersions", InBucket(Read)),
            B::ListMultipartUploads(_) => plain("s3:ListBucketMultipartUploads", InBucket(Read)),
            B::GetBucketAcl => plain("s3:GetBucketAcl", InBucket(ReadAcp)),
            B::PutBucketAcl => plain("s3:PutBucketAcl", InBucket(WriteAcp)),
            B::PostObject => plain("s3:PutObject", InBucket(Write)),
            B::DeleteObjects => plain("s3:DeleteObject", InBucket(Write)),
            B::DeleteBucket => plain("s3:DeleteBucket", BucketOwner),
            B::GetBucketLocation => plain("s3:GetBucketLocation", BucketOwner),
            B::GetBucketVersioning => plain("s3:GetBucketVersioning", BucketOwner),
            B::PutBucketVersioning => plain("s3:PutBucketVersioning", BucketOwner),
            B::GetBucketTagging => plain("s3:GetBucketTagging", BucketOwner),
            B::PutBucketTagging | B::DeleteBucketTagging => {
                plain("s3:PutBucketTagging", BucketOwner)
            }
            B::GetBucketLifecycleConfiguration => {
                plain("s3:GetLifecycleConfiguration", BucketOwner)
            }
            B::PutBucketLifecycleConfiguration | B::DeleteBucketLifecycle => {
                plain("s3:PutLifecycleConfiguration", BucketOwner)
            }
            B::GetBucketCors => plain("s3:GetBucketCORS", BucketOwner),
            B::PutBucketCors | B::DeleteBucketCors => plain("s3:PutBucketCORS", BucketOwner),
            B::GetBucketPolicy => plain("s3:GetBucketPolicy", BucketOwner),
            B::PutBucketPolicy => plain("s3:PutBucketPolicy", BucketOwner),
            B::DeleteBucketPolicy => plain("s3:DeleteBucketPolicy", BucketOwner),
            B::GetBucketPolicyStatus => plain("s3:GetBucketPolicyStatus", BucketOwner),
            B::GetBucketOwnershipControls => plain("s3:GetBucketOwnershipControls", BucketOwner),
            B::PutBucketOwnershipControls | B::DeleteBucketOwnershipControls => {
                plain("s3:PutBucketOwnershipControls", BucketOwner)
            }
            B::GetObjectLockConfiguration => {
                plain("s3:GetBucketObjectLockConfiguration", BucketOwner)
            }
            B::PutObjectLockConfiguration => {
                plain("s3:PutBucketObjectLockConfiguration", BucketOwner)
            }
            B::GetPublicAccessBlock => plain("s3:GetBucketPublicAccessBlock", BucketOwner),
            B::PutPublicAccessBlock | B::DeletePublicAccessBlock => {
                plain("s3:PutBucketPublicAccessBlock", BucketOwner)
            }
            B::GetBucketOrigin
            | B::GetBucketOriginStatus
            | B::GetBucketOriginBackfill
            | B::GetBucketOriginDelta
            | B::GetBucketOriginVerify
            | B::GetBucketOriginReport => plain("s3:GetBucketOrigin", BucketOwner),
            B::PutBucketOrigin
            | B::DeleteBucketOrigin
            | B::PurgeBucketOrigin
            | B::PutBucketOriginBackfill
            | B::DeleteBucketOriginBackfill
            | B::PutBucketOriginDelta
            | B::DeleteBucketOriginDelta
            | B::PutBucketOriginVerify
            | B::DeleteBucketOriginVerify => plain("s3:PutBucketOrigin", BucketOwner),
            B::NotImplemented(_) => plain("s3:*", BucketOwner),
        },
        Operation::Object { op, .. } => match op {
            O::GetObject(p) | O::HeadObject(p) => versioned(
                "s3:GetObject",
                "s3:GetObjectVersion",
                InObject(Read),
                &p.version_id,
            ),
            O::GetObjectAttributes(p) => versioned(
                "s3:GetObjectAttributes",
                "s3:GetObjectVersionAttributes",
                InObject(Read),
                &p.version_id,
            ),
            O::GetObjectAcl { version_id } => versioned(
                "s3:GetObjectAcl",
                "s3:GetObjectVersionAcl",
                InObject(ReadAcp),
                version_id,
            ),
            O::PutObjectAcl { version_id } => versioned(
                "s3:PutObjectAcl",
                "s3:PutObjectVersionAcl",
                InObject(WriteAcp),
                version_id,
            ),
            O::GetObjectTagging { version_id } => versioned(
                "s3:GetObjectTagging",
                "s3:GetObjectVersionTagging",
                ObjectOwner,
                version_id,
            ),
            O::PutObjectTagging { version_id } => versioned(
                "s3:PutObjectTagging",
                "s3:PutObjectVersionTagging",
                ObjectOwner,
                version_id,
            ),
            O::DeleteObjectTagging { version_id } => versioned(
                "s3:DeleteObjectTagging",
                "s3:DeleteObjectVersionTagging",
                ObjectOwner,
                version_id,
            ),
            // The bucket owner's, as on AWS, or whom the bucket policy allows.
            O::GetObjectRetention { version_id } => versioned(
                "s3:GetObjectRetention",
                "s3:GetObjectRetention",
                BucketOwner,
                version_id,
            ),
            O::PutObjectRetention { version_id } => versioned(
                "s3:PutObjectRetention",
                "s3:PutObjectRetention",
                BucketOwner,
                version_id,
            ),
            O::GetObjectLegalHold { version_id } => versioned(
                "s3:GetObjectLegalHold",
                "s3:GetObjectLegalHold",
                BucketOwner,
                version_id,
            ),
            O::PutObjectLegalHold { version_id } => versioned(
                "s3:PutObjectLegalHold",
                "s3:PutObjectLegalHold",
                BucketOwner,
                version_id,
            ),
            O::DeleteObject { version_id } => versioned(
                "s3:DeleteObject",
                "s3:DeleteObjectVersion",
                InBucket(Write),
                version_id,
            ),
            O::DeleteObjectTombstone => plain("s3:DeleteObject", InBucket(Write)),
            O::PutObject
            | O::CopyObject { .. }
            | O::CreateMultipartUpload
            | O::UploadPart { .. }
            | O::UploadPartCopy { .. }
            | O::CompleteMultipartUpload { .. } => plain("s3:PutObject", InBucket(Write)),
            O::AbortMultipartUpload { .. } => plain("s3:AbortMultipartUpload", InBucket(Write)),
            O::ListParts(_) => plain("s3:ListMultipartUploadParts", InBucket(Read)),
            O::NotImplemented(_) => plain("s3:*", BucketOwner),
        },
    }
}

/// What the request says about itself that policies and ownership checks read.
pub struct RequestInfo<'a> {
    pub headers: &'a HeaderMap,
    pub source_ip: Option<IpAddr>,
    /// It came over TLS (`aws:SecureTransport`).
    pub secure: bool,
    /// Temporary credentials' session policy: what it does not allow is refused, whatever
    /// else allows it.
    pub session_policy: Option<&'a super::BucketPolicy>,
}

fn access_denied() -> S3Error {
    S3Error::new(S3ErrorCode::AccessDenied, "Access Denied")
}

/// May `principal` perform `op`? `Ok` lets the handler run (which may still answer
/// NoSuchKey); refusals are AccessDenied, or NoSuchBucket to anyone asking for a bucket that
/// does not exist, anonymous callers included, as AWS answers (a bucket's name is public:
/// it is a DNS name).
pub fn authorize(
    access: &Access,
    op: &Operation,
    principal: Principal<'_>,
    request: &RequestInfo<'_>,
) -> Result<(), S3Error> {
    let requirement = requirement(op);
    if let Some(session) = request.session_policy {
        let resource = resource_arn(op.bucket(), op.key());
        let facts = facts(op, request, &requirement);
        if session.evaluate(principal, requirement.action, &resource, &facts) != Verdict::Allow {
            return Err(access_denied());
        }
    }
    let Some(bucket) = op.bucket() else {
        // ListBuckets: a user created at runtime needs its policies' leave.
        let make_facts = || facts(op, request, &requirement);
        let facts = LazyFacts::new(&make_facts);
        return match identity_verdict(access, principal, requirement.action, (None, None), &facts) {
            Some(Verdict::Allow) | None => authenticated(principal),
            Some(_) => Err(access_denied()),
        };
    };
    if requirement.need == Need::Authenticated {
        // CreateBucket: likewise, on the bucket it names.
        let make_facts = || facts(op, request, &requirement);
        let facts = LazyFacts::new(&make_facts);
        let target = (Some(bucket), None);
        return match identity_verdict(access, principal, requirement.action, target, &facts) {
            Some(Verdict::Allow) | None => authenticated(principal),
            Some(_) => Err(access_denied()),
        };
    }
    let meta = match access.store.head_bucket(bucket) {
        Ok(meta) => meta,
        Err(storage::Error::NoSuchBucket) => return Err(storage::Error::NoSuchBucket.into()),
        Err(e) => return Err(e.into()),
    };
    if let Some(expected) = request
        .headers
        .get("x-amz-expected-bucket-owner")
        .and_then(|v| v.to_str().ok())
    {
        let owner = &meta.owner;
        if expected != crate::identity::account_id(owner) && expected != canonical_id(owner) {
            return Err(access_denied());
        }
    }
    let is_owner = principal == Principal::User(&meta.owner);
    let make_facts = || facts(op, request, &requirement);
    let facts = LazyFacts::new(&make_facts);
    // A user created at runtime: an explicit Deny in its policies refuses whatever else
    // says; an Allow there is as good as one in the bucket's policy (AWS's evaluation
    // within an account).
    let target = (Some(bucket), op.key());
    let identity = identity_verdict(access, principal, requirement.action, target, &facts);
    if identity == Some(Verdict::Deny) {
        return Err(access_denied());
    }
    let verdict = policy_verdict(
        access,
        bucket,
        op.key(),
        principal,
        is_owner,
        requirement.action,
        &facts,
    )?;
    let policy_op = matches!(
        op,
        Operation::Bucket {
            op: B::GetBucketPolicy | B::PutBucketPolicy | B::DeleteBucketPolicy,
            ..
        }
    );
    if verdict == Verdict::Deny && !(is_owner && policy_op) {
        return Err(access_denied());
    }
    if verdict == Verdict::Allow || identity == Some(Verdict::Allow) {
        return Ok(());
    }
    let acls_enabled =
        || -> Result<bool, S3Error> { Ok(access.ownership_of(bucket)?.acls_enabled()) };
    let allowed = match requirement.need {
        Need::Authenticated => principal != Principal::Anonymous,
        Need::BucketOwner => is_owner,
        Need::Bucket(permission) => {
            is_owner
                || (acls_enabled()?
                    && access
                        .bucket_acl(bucket, &meta.owner)?
                        .allows(principal, permission))
        }
        Need::Object(_) | Need::ObjectOwner => {
            let key = op.key().unwrap_or_default();
            // The owner's reads in a bucket where no object has an ACL of its own (the
            // common case) are decided without looking the object up.
            let acl = if !access.has_object_acls(bucket)? || !acls_enabled()? {
                None
            } else {
                object_acl(access, bucket, key, requirement.version_id.as_deref())?
            };
            match (acl, requirement.need) {
                // No ACL of its own: the bucket owner's, private.
                (None, _) => {
                    is_owner
                        || (permission_of(requirement.need) == Some(Permission::Read)
                            && acls_enabled()?
                            && missing_but_listable(
                                access,
                                bucket,
                                key,
                                &requirement,
                                principal,
                                &meta.owner,
                            ))
                }
                (Some(acl), Need::ObjectOwner) => is_owner || principal_is(principal, &acl.owner),
                (Some(acl), _) => {
                    permission_of(requirement.need).is_some_and(|p| acl.allows(principal, p))
                }
            }
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(access_denied())
    }
}

/// What the bucket's policy says of `action` by `principal` on the bucket or `key`: an Allow
/// of a public policy counts only for the bucket's owner while the bucket restricts public
/// buckets (Block Public Access's `RestrictPublicBuckets`).
fn policy_verdict(
    access: &Access,
    bucket: &str,
    key: Option<&str>,
    principal: Principal<'_>,
    is_owner: bool,
    action: &str,
    facts: &LazyFacts<'_>,
) -> Result<Verdict, S3Error> {
    let Some(policy) = access.policies.get(bucket)? else {
        return Ok(Verdict::Silent);
    };
    let resource = resource_arn(Some(bucket), key);
    let verdict = policy.evaluate(principal, action, &resource, facts.get());
    if verdict == Verdict::Allow
        && !is_owner
        && policy.is_public()
        && access.public_block(bucket)?.restrict_public_buckets
    {
        return Ok(Verdict::Silent);
    }
    Ok(verdict)
}

/// The request's facts for policy conditions, made only when a policy is there to read
/// them (most requests meet none: no allocation for them).
struct LazyFacts<'a> {
    cell: std::cell::OnceCell<RequestFacts>,
    make: &'a dyn Fn() -> RequestFacts,
}

impl<'a> LazyFacts<'a> {
    fn new(make: &'a dyn Fn() -> RequestFacts) -> LazyFacts<'a> {
        LazyFacts {
            cell: std::cell::OnceCell::new(),
            make,
        }
    }

    fn get(&self) -> &RequestFacts {
        self.cell.get_or_init(|| (self.make)())
    }
}

/// The ARN of a bucket, an object, or (neither) every bucket.
fn resource_arn(bucket: Option<&str>, key: Option<&str>) -> String {
    match (bucket, key) {
        (Some(bucket), Some(key)) => format!("arn:aws:s3:::{bucket}/{key}"),
        (Some(bucket), None) => format!("arn:aws:s3:::{bucket}"),
        _ => "arn:aws:s3:::*".to_owned(),
    }
}

/// What the identity policies of `principal` say of `action` on `bucket/key` (neither:
/// every bucket): `None` when it holds none by design (a configuration user, anonymous).
fn identity_verdict(
    access: &Access,
    principal: Principal<'_>,
    action: &str,
    (bucket, key): (Option<&str>, Option<&str>),
    facts: &LazyFacts<'_>,
) -> Option<Verdict> {
    let Principal::User(identity) = principal else {
        return None;
    };
    let policies = access.identity.policies_of(identity)?;
    let resource = resource_arn(bucket, key);
    let facts = facts.get();
    let mut verdict = Verdict::Silent;
    for policy in policies.iter() {
        match policy.evaluate(principal, action, &resource, facts) {
            Verdict::Deny => return Some(Verdict::Deny),
            Verdict::Allow => verdict = Verdict::Allow,
            Verdict::Silent => {}
        }
    }
    Some(verdict)
}

/// May `principal` take `action` (an Object Lock permission: `s3:BypassGovernanceRetention`,
/// `s3:PutObjectRetention`, `s3:PutObjectLegalHold`) on `bucket/key`, beyond the operation
/// it asked for? The bucket's owner may unless the bucket policy denies it; anyone else only
/// where the policy allows it, as on AWS, where these are permissions of their own that a
/// writer does not have by being allowed to write.
pub fn may_also(
    access: &Access,
    bucket: &str,
    key: &str,
    principal: Principal<'_>,
    request: &RequestInfo<'_>,
    action: &'static str,
) -> Result<bool, S3Error> {
    let meta = access.store.head_bucket(bucket)?;
    let is_owner = principal == Principal::User(&meta.owner);
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let make_facts = || RequestFacts {
        source_ip: request.source_ip,
        secure_transport: request.secure,
        referer: header("referer"),
        user_agent: header("user-agent"),
        prefix: None,
        delimiter: None,
        max_keys: None,
        canned_acl: header("x-amz-acl"),
        version_id: None,
    };
    let facts = LazyFacts::new(&make_facts);
    let verdict = policy_verdict(
        access,
        bucket,
        Some(key),
        principal,
        is_owner,
        action,
        &facts,
    )?;
    if let Some(session) = request.session_policy {
        let resource = resource_arn(Some(bucket), Some(key));
        if session.evaluate(principal, action, &resource, facts.get()) != Verdict::Allow {
            return Ok(false);
        }
    }
    let identity = identity_verdict(access, principal, action, (Some(bucket), Some(key)), &facts);
    Ok(match (verdict, identity) {
        (Verdict::Deny, _) | (_, Some(Verdict::Deny)) => false,
        (Verdict::Allow, _) | (_, Some(Verdict::Allow)) => true,
        _ => is_owner,
    })
}

fn permission_of(need: Need) -> Option<Permission> {
    match need {
        Need::Bucket(p) | Need::Object(p) => Some(p),
        _ => None,
    }
}

fn principal_is(principal: Principal<'_>, canonical: &str) -> bool {
    matches!(principal, Principal::User(ak) if canonical_id(ak) == canonical)
}

/// A read of a key that has no object, by a caller who may list the bucket: let the handler
/// answer NoSuchKey (or pull it from the origin), as AWS answers 404 rather than 403 to
/// those with `s3:ListBucket`.
fn missing_but_listable(
    access: &Access,
    bucket: &str,
    key: &str,
    requirement: &Requirement,
    principal: Principal<'_>,
    owner: &str,
) -> bool {
    let exists = access
        .store
        .head_object_version(bucket, key, requirement.version_id.as_deref())
        .is_ok();
    !exists
        && access
            .bucket_acl(bucket, owner)
            .is_ok_and(|acl| acl.allows(principal, Permission::Read))
}

/// The ACL an object (version) carries, if it has one of its own; a missing object has
/// none.
fn object_acl(
    access: &Access,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> Result<Option<Acl>, S3Error> {
    match access.store.head_object_version(bucket, key, version_id) {
        Ok(meta) => match meta.attrs.acl {
            Some(stored) => {
                let acl = Acl::decode(&stored)?;
                if acl.is_public() && access.public_block(bucket)?.ignore_public_acls {
                    Ok(Some(acl.without_public_grants()))
                } else {
                    Ok(Some(acl))
                }
            }
            None => Ok(None),
        },
        Err(_) => Ok(None),
    }
}

fn authenticated(principal: Principal<'_>) -> Result<(), S3Error> {
    match principal {
        Principal::User(_) => Ok(()),
        Principal::Anonymous => Err(access_denied()),
    }
}

fn facts(op: &Operation, request: &RequestInfo<'_>, requirement: &Requirement) -> RequestFacts {
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let list = match op {
        Operation::Bucket {
            op: B::ListObjects(p),
            ..
        } => Some(&p.common),
        Operation::Bucket {
            op: B::ListObjectsV2(p),
            ..
        } => Some(&p.common),
        Operation::Bucket {
            op: B::ListObjectVersions(p),
            ..
        } => Some(&p.common),
        _ => None,
    };
    RequestFacts {
        source_ip: request.source_ip,
        secure_transport: request.secure,
        referer: header("referer"),
        user_agent: header("user-agent"),
        prefix: list.map(|l| l.prefix.clone()),
        delimiter: list.and_then(|l| l.delimiter.clone()),
        max_keys: list.map(|l| l.max_keys.to_string()),
        canned_acl: header("x-amz-acl"),
        version_id: requirement.version_id.clone(),
    }
}
