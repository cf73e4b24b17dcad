//! The `store` tree's values (`Meta::store_value`), a bucket's usage as counted, and the
//! one count of every bucket's usage in a data directory written before usage was kept.

use super::db::Meta;
use super::errors::sled_err;
use crate::records::decode_object;
use crate::Result;

impl Meta {
    /// A value of the `store` tree.
    pub fn store_value(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.store.get(key).map_err(sled_err)?.map(|v| v.to_vec()))
    }

    pub fn set_store_value(&self, key: &[u8], value: Option<&[u8]>) -> Result<()> {
        match value {
            Some(v) => self.store.insert(key, v).map(drop),
            None => self.store.remove(key).map(drop),
        }
        .map_err(sled_err)
    }

    /// The bucket's usage as counted.
    pub fn usage(&self, bucket: &str) -> Result<super::usage::Usage> {
        Ok(self
            .store_value(&super::usage::usage_key(bucket))?
            .map(|raw| super::usage::Usage::decode(&raw))
            .unwrap_or_default())
    }

    /// Count every bucket's usage once, in a data directory written before usage was
    /// counted (marked `usage-counted` after); a new or counted one is left as it is.
    pub fn ensure_usage_counted(&self) -> Result<()> {
        const MARK: &[u8] = b"usage-counted";
        if self.store.get(MARK).map_err(sled_err)?.is_some() {
            return Ok(());
        }
        for (bucket, _) in self.buckets()? {
            let prefix = crate::records::join_key(&bucket, "");
            let mut usage = super::usage::Usage::default();
            for row in self.objects.scan_prefix(&prefix) {
                let (_, v) = row.map_err(sled_err)?;
                let rec = decode_object(&v)?;
                usage = usage.plus(super::usage::Usage {
                    bytes: rec.size,
                    objects: 1,
                });
            }
            for row in self.versions.scan_prefix(&prefix) {
                let (_, v) = row.map_err(sled_err)?;
                if let crate::records::VersionRec::Object(o) = crate::records::decode_version(&v)? {
                    usage = usage.plus(super::usage::Usage {
                        bytes: o.size,
                        objects: 1,
                    });
                }
            }
            self.store
                .insert(super::usage::usage_key(&bucket), usage.encode().as_slice())
                .map_err(sled_err)?;
        }
        self.store.insert(MARK, &[1u8]).map_err(sled_err)?;
        self.db.flush().map_err(sled_err)?;
        Ok(())
    }
}
