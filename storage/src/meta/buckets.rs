//! Buckets, their settings (opaque documents by name) and the durable event queue.

use sled::Transactional;

use super::db::Meta;
use super::errors::{sled_err, txn_err};
use super::pending::PendingLog;
use crate::layout::BlobId;
use crate::records::{decode, encode, join_key, part_key, split_upload_key, BucketRec};
use crate::{Error, Result};

impl Meta {
    pub fn bucket(&self, name: &str) -> Result<Option<BucketRec>> {
        match self.buckets.get(name).map_err(sled_err)? {
            Some(v) => Ok(Some(decode("bucket", &v)?)),
            None => Ok(None),
        }
    }

    /// Insert unless present; returns the existing record when there is one.
    pub fn insert_bucket(&self, name: &str, rec: &BucketRec) -> Result<Option<BucketRec>> {
        let value = encode(rec)?;
        match self
            .buckets
            .compare_and_swap(name, None as Option<&[u8]>, Some(value))
            .map_err(sled_err)?
        {
            Ok(()) => Ok(None),
            Err(cas) => match cas.current {
                Some(v) => Ok(Some(decode("bucket", &v)?)),
                None => Err(Error::Meta("bucket insert raced with a delete".into())),
            },
        }
    }

    pub fn buckets(&self) -> Result<Vec<(String, BucketRec)>> {
        let mut out = Vec::new();
        for row in self.buckets.iter() {
            let (k, v) = row.map_err(sled_err)?;
            let name = String::from_utf8(k.to_vec())
                .map_err(|_| Error::Corrupt("bucket name is not UTF-8".into()))?;
            out.push((name, decode("bucket", &v)?));
        }
        Ok(out)
    }

    /// Whether the bucket holds an object, a non-current version or a delete marker.
    pub fn bucket_has_objects(&self, bucket: &str) -> Result<bool> {
        for tree in [&self.objects, &self.versions] {
            if let Some(row) = tree.scan_prefix(join_key(bucket, "")).next() {
                row.map_err(sled_err)?;
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Remove a bucket with its uploads, parts, settings and tombstones in one transaction,
    /// which marks the staged parts' blobs `pending`. The caller checked it holds no object
    /// (under the bucket gate). Returns those blobs, to delete after the flush.
    pub fn delete_bucket(&self, name: &str) -> Result<Vec<BlobId>> {
        let prefix = join_key(name, "");
        let mut uploads = sled::Batch::default();
        let mut parts = sled::Batch::default();
        let mut settings = sled::Batch::default();
        let mut tombstones = sled::Batch::default();
        let mut blobs = Vec::new();
        for row in self.uploads.scan_prefix(&prefix) {
            let (k, _) = row.map_err(sled_err)?;
            let (_, upload_id) = split_upload_key(&k[prefix.len()..])?;
            for (number, part) in self.parts(&upload_id, 0)? {
                parts.remove(part_key(&upload_id, number));
                blobs.push(part.blob);
            }
            uploads.remove(k);
        }
        for row in self.settings.scan_prefix(&prefix) {
            settings.remove(row.map_err(sled_err)?.0);
        }
        for row in self.tombstones.scan_prefix(&prefix) {
            tombstones.remove(row.map_err(sled_err)?.0);
        }
        (
            &self.buckets,
            &self.uploads,
            &self.parts,
            &self.settings,
            &self.tombstones,
            &self.pending.0,
            &self.store,
        )
            .transaction(|(b, u, p, s, t, pd, st)| {
                PendingLog::mark_in(pd, &blobs)?;
                b.remove(name)?;
                st.remove(super::usage_key(name))?;
                st.remove(super::quota_key(name))?;
                u.apply_batch(&uploads)?;
                p.apply_batch(&parts)?;
                s.apply_batch(&settings)?;
                t.apply_batch(&tombstones)?;
                Ok(())
            })
            .map_err(txn_err)?;
        Ok(blobs)
    }

    // Settings

    pub fn setting(&self, bucket: &str, name: &str) -> Result<Option<Vec<u8>>> {
        match self
            .settings
            .get(join_key(bucket, name))
            .map_err(sled_err)?
        {
            Some(v) => Ok(Some(decode::<Vec<u8>>("setting", &v)?)),
            None => Ok(None),
        }
    }

    /// The names of the bucket's settings, in order.
    pub fn setting_names(&self, bucket: &str) -> Result<Vec<String>> {
        let prefix = join_key(bucket, "");
        let mut names = Vec::new();
        for row in self.settings.scan_prefix(&prefix) {
            let (k, _) = row.map_err(sled_err)?;
            let name = std::str::from_utf8(&k[prefix.len()..])
                .map_err(|_| Error::Corrupt("a setting name is not UTF-8".into()))?;
            names.push(name.to_owned());
        }
        Ok(names)
    }

    pub fn set_setting(&self, bucket: &str, name: &str, value: Option<&[u8]>) -> Result<()> {
        let k = join_key(bucket, name);
        match value {
            Some(v) => self.settings.insert(k, encode(&v)?).map(drop),
            None => self.settings.remove(k).map(drop),
        }
        .map_err(sled_err)
    }

    // Events

    /// Append a record; ids grow monotonically (sled's id generator survives restarts).
    pub fn push_event(&self, record: &[u8]) -> Result<u64> {
        let id = self.db.generate_id().map_err(sled_err)?;
        self.events
            .insert(id.to_be_bytes(), encode(&record)?)
            .map_err(sled_err)?;
        Ok(id)
    }

    /// Up to `limit` records, oldest first.
    pub fn events(&self, limit: usize) -> Result<Vec<(u64, Vec<u8>)>> {
        let mut out = Vec::new();
        for row in self.events.iter().take(limit) {
            let (k, v) = row.map_err(sled_err)?;
            let id = <[u8; 8]>::try_from(k.as_ref())
                .map(u64::from_be_bytes)
                .map_err(|_| Error::Corrupt("event id is not 8 bytes".into()))?;
            out.push((id, decode::<Vec<u8>>("event", &v)?));
        }
        Ok(out)
    }

    pub fn remove_event(&self, id: u64) -> Result<()> {
        self.events
            .remove(id.to_be_bytes())
            .map(drop)
            .map_err(sled_err)
    }
}
