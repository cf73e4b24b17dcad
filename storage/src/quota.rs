//! Bucket quotas and usage. Every change to a key's versions ([`crate::meta::Change`])
//! updates its bucket's usage (bytes and object versions, current or not) in the same
//! transaction, and is refused whole ([`Error::QuotaExceeded`]) when it would grow the
//! bucket past its quota: so the quota holds exactly, under concurrent writers, for every
//! write path (PUT, copy, multipart completion, form upload, origin fill), and a delete or
//! a smaller overwrite is always allowed.
//!
//! Usage and quotas live in the `store` tree (`usage \0 bucket`, `quota \0 bucket`); a data
//! directory written before usage was counted is counted once when it opens
//! (`meta/counts.rs`); the records are `meta/usage.rs`'.

use crate::meta::{quota_key, Quota, Usage};
use crate::{Result, Store};

impl Store {
    /// What `bucket` holds: bytes and object versions (delete markers excluded).
    pub fn bucket_usage(&self, bucket: &str) -> Result<Usage> {
        self.head_bucket(bucket)?;
        self.shared.meta.usage(bucket)
    }

    /// The bucket's quota, if it has one.
    pub fn quota(&self, bucket: &str) -> Result<Option<Quota>> {
        self.head_bucket(bucket)?;
        Ok(self
            .shared
            .meta
            .store_value(&quota_key(bucket))?
            .map(|raw| Quota::decode(&raw)))
    }

    /// Set (`Some`) or remove (`None`) the bucket's quota, durably. A quota below what the
    /// bucket holds already refuses every write that grows it, until deletes make room.
    pub async fn set_quota(&self, bucket: &str, quota: Option<Quota>) -> Result<()> {
        self.shared.check_writable()?;
        {
            let _gate = self.shared.bucket_gate_shared();
            self.head_bucket(bucket)?;
            let value = quota.map(Quota::encode);
            self.shared
                .meta
                .set_store_value(&quota_key(bucket), value.as_ref().map(|v| v.as_slice()))?;
        }
        self.flush().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_round_trip() {
        let q = Quota {
            max_bytes: 10,
            max_objects: u64::MAX,
        };
        assert_eq!(Quota::decode(&q.encode()), q);
    }
}
