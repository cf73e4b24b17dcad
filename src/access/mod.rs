//! Who may do what: who calls ([`Principal`]), access control lists on buckets and objects
//! ([`acl`]), bucket policies ([`policy`]), object ownership ([`ownership`]), Block Public
//! Access ([`public_block`]), the per-bucket
//! settings cached for the decision ([`Access`]), and the one decision every S3 request
//! goes through ([`decide`]), evaluated as AWS does: an explicit Deny in the bucket policy wins, then the
//! owner's rights, then an Allow in the policy or a grant in the ACL; nothing else is
//! allowed.
//!
//! Identities (canonical and account ids) are [`crate::identity`]'s.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/how-s3-evaluates-access-control.html>

pub mod acl;
pub mod decide;
pub mod legacy;
pub mod ownership;
pub mod policy;
mod principal;
pub mod public_block;
mod settings;

pub use acl::{Acl, Grant, Grantee, Permission};
pub use decide::{authorize, may_also, RequestInfo};
pub use ownership::ObjectOwnership;
pub use policy::BucketPolicy;
pub use principal::Principal;
pub use public_block::PublicAccessBlock;
pub use settings::Access;

/// The identity policies of a caller: those attached to a user created at runtime and to
/// its groups. `None` for an identity that holds none by design (a configuration user,
/// whose rights are an owner's and what others grant it).
pub trait IdentityPolicies: Send + Sync {
    fn policies_of(&self, identity: &str) -> Option<std::sync::Arc<Vec<BucketPolicy>>>;
}

/// No identity holds policies (tests, tools).
pub struct NoIdentityPolicies;

impl IdentityPolicies for NoIdentityPolicies {
    fn policies_of(&self, _: &str) -> Option<std::sync::Arc<Vec<BucketPolicy>>> {
        None
    }
}
