//! [`Access`]: the per-bucket settings the access decision reads — the bucket's ACL, its
//! policy, its object ownership, its Block Public Access switches and whether any object in
//! it has an ACL of its own — each parsed once and cached, with the store the decision looks
//! buckets and objects up in.

use std::sync::Arc;

use super::acl::Acl;
use super::ownership::{ObjectOwnership, OWNERSHIP_SETTING};
use super::policy::BucketPolicy;
use super::public_block::PublicAccessBlock;
use crate::bucket_setting::{BucketSettings, CachedSetting, SettingDocument};
use crate::error::S3Error;
use crate::identity::canonical_id;

/// The bucket settings access depends on, each parsed once and cached.
pub struct Access {
    /// Where the decision looks buckets (their owner) and objects (their ACL) up.
    pub store: storage::Store,
    pub acls: CachedSetting<Acl>,
    pub policies: CachedSetting<BucketPolicy>,
    pub ownership: CachedSetting<ObjectOwnership>,
    pub public_blocks: CachedSetting<PublicAccessBlock>,
    /// The server-wide Block Public Access (the configuration's), under every bucket's.
    server_block: PublicAccessBlock,
    /// The callers' identity policies (users created at runtime).
    pub identity: Arc<dyn super::IdentityPolicies>,
    object_acls: CachedSetting<ObjectAclsInUse>,
}

/// Set on a bucket before the first object ACL is stored in it.
pub struct ObjectAclsInUse;

impl SettingDocument for ObjectAclsInUse {
    const SETTING: &'static str = "object-acls";
    fn parse_stored(_: &[u8]) -> Result<Self, String> {
        Ok(ObjectAclsInUse)
    }
    fn to_stored(&self) -> Vec<u8> {
        b"1".to_vec()
    }
}

impl SettingDocument for Acl {
    const SETTING: &'static str = "acl";
    fn parse_stored(stored: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(stored).map_err(|e| e.to_string())
    }
    fn to_stored(&self) -> Vec<u8> {
        self.encode().into_bytes()
    }
}

impl SettingDocument for ObjectOwnership {
    const SETTING: &'static str = OWNERSHIP_SETTING;
    fn parse_stored(stored: &[u8]) -> Result<Self, String> {
        std::str::from_utf8(stored)
            .ok()
            .and_then(ObjectOwnership::parse)
            .ok_or_else(|| "unknown object ownership".to_owned())
    }
    fn to_stored(&self) -> Vec<u8> {
        self.as_str().as_bytes().to_vec()
    }
}

impl Access {
    pub fn new(
        settings: &Arc<BucketSettings>,
        server_block: PublicAccessBlock,
        identity: Arc<dyn super::IdentityPolicies>,
    ) -> Access {
        Access {
            identity,
            store: settings.store().clone(),
            acls: CachedSetting::new(settings.clone()),
            policies: CachedSetting::new(settings.clone()),
            ownership: CachedSetting::new(settings.clone()),
            public_blocks: CachedSetting::new(settings.clone()),
            server_block,
            object_acls: CachedSetting::new(settings.clone()),
        }
    }

    /// The Block Public Access in force on `bucket`: its own and the server's, the most
    /// restrictive of the two.
    pub fn public_block(&self, bucket: &str) -> Result<PublicAccessBlock, S3Error> {
        let own = self
            .public_blocks
            .get(bucket)?
            .map(|b| *b)
            .unwrap_or_default();
        Ok(own.or(self.server_block))
    }

    /// Drop what is cached of a deleted bucket.
    pub fn forget(&self, bucket: &str) {
        self.acls.forget(bucket);
        self.policies.forget(bucket);
        self.ownership.forget(bucket);
        self.public_blocks.forget(bucket);
        self.object_acls.forget(bucket);
    }

    pub fn ownership_of(&self, bucket: &str) -> Result<ObjectOwnership, S3Error> {
        Ok(self.ownership.get(bucket)?.map(|o| *o).unwrap_or_default())
    }

    /// The bucket's ACL (the owner's private one when none was set), as it grants: without
    /// its public grants while the bucket ignores public ACLs.
    pub fn bucket_acl(&self, bucket: &str, owner: &str) -> Result<Arc<Acl>, S3Error> {
        let acl = self
            .acls
            .get(bucket)?
            .unwrap_or_else(|| Arc::new(Acl::private(&canonical_id(owner))));
        self.granting(bucket, acl)
    }

    /// `acl` as it grants in `bucket`: without its public grants while the bucket ignores
    /// public ACLs (`IgnorePublicAcls`).
    pub fn granting(&self, bucket: &str, acl: Arc<Acl>) -> Result<Arc<Acl>, S3Error> {
        if acl.is_public() && self.public_block(bucket)?.ignore_public_acls {
            Ok(Arc::new(acl.without_public_grants()))
        } else {
            Ok(acl)
        }
    }

    /// Refuse a public ACL about to be set on `bucket` or an object in it while the bucket
    /// blocks public ACLs (`BlockPublicAcls`).
    pub fn check_new_acl(&self, bucket: &str, acl: &Acl) -> Result<(), S3Error> {
        if acl.is_public() && self.public_block(bucket)?.block_public_acls {
            return Err(super::public_block::blocked());
        }
        Ok(())
    }

    /// Record, durably, that `bucket` holds an object ACL; before the first is stored.
    pub async fn note_object_acl(&self, bucket: &str) -> Result<(), S3Error> {
        if self.object_acls.get(bucket)?.is_none() {
            self.object_acls.set(bucket, Some(&ObjectAclsInUse)).await?;
        }
        Ok(())
    }

    pub(super) fn has_object_acls(&self, bucket: &str) -> Result<bool, S3Error> {
        Ok(self.object_acls.get(bucket)?.is_some())
    }
}
