//! Buckets made public by versions before ACL grants: their `acl` setting held the bare
//! text `public-read`, and anyone could then read their objects (not list them). On open,
//! each such bucket gets what says the same in AWS's terms: the canned `public-read` bucket
//! ACL, and, unless it has a policy already, a bucket policy that lets anyone read its
//! objects. Idempotent: a migrated bucket no longer holds the bare text.

use super::{Acl, BucketPolicy};
use crate::bucket_setting::SettingDocument;
use crate::identity::canonical_id;

/// What the old setting held.
const LEGACY_PUBLIC_READ: &[u8] = b"public-read";

/// Migrate every legacy public bucket of `store`; returns how many there were.
pub async fn migrate_public_read_buckets(store: &storage::Store) -> anyhow::Result<usize> {
    let mut migrated = 0;
    for bucket in store.list_buckets()? {
        let name = &bucket.name;
        if store.bucket_setting(name, Acl::SETTING)?.as_deref() != Some(LEGACY_PUBLIC_READ) {
            continue;
        }
        let owner = canonical_id(&bucket.owner);
        let acl = Acl::canned("public-read", &owner, &owner)
            .map_err(|e| anyhow::anyhow!("{}", e.message))?;
        if store.bucket_setting(name, BucketPolicy::SETTING)?.is_none() {
            let policy = public_objects_policy(name);
            store
                .set_bucket_setting(name, BucketPolicy::SETTING, Some(policy.as_bytes()))
                .await?;
        }
        store
            .set_bucket_setting(name, Acl::SETTING, Some(&acl.to_stored()))
            .await?;
        tracing::info!(bucket = %name, "public-read bucket migrated to an ACL and a bucket policy");
        migrated += 1;
    }
    Ok(migrated)
}

/// Anyone may read the bucket's objects.
fn public_objects_policy(bucket: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "PublicReadMigrated",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::{bucket}/*"),
        }]
    })
    .to_string()
}
