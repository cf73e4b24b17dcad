//! Objects and their versions: the current record, the version entries, [`Change`] (every
//! write to one key's versions, applied in one transaction), tombstones, ordered scans,
//! small objects' bytes (inline) and places (packed), and the live set of referenced blobs.

use std::collections::HashSet;
use std::ops::Bound;

use sled::Transactional;

use super::db::Meta;
use super::errors::{abort, sled_err, txn_err};
use super::pending::PendingLog;
use super::usage::{quota_key, usage_key, Usage};
use crate::layout::BlobId;
use crate::packs::PackLoc;
use crate::records::{
    decode, decode_object, decode_version, encode, encode_object, join_key, part_key, upload_key,
    version_key, ObjectRec, PartRec, TombstoneRec, VersionRec,
};
use crate::{Error, Result};

fn abort_with(e: Error) -> sled::transaction::ConflictableTransactionError<Error> {
    sled::transaction::ConflictableTransactionError::Abort(e)
}

/// Every write to one key's versions, applied in ONE transaction by [`Meta::apply`]. Built
/// by the callers (object.rs, multipart.rs) from the key's state, read under the key's lock.
#[derive(Default)]
pub(crate) struct Change {
    /// The key's `objects` entry: `Some(Some(rec))` sets it, `Some(None)` removes it.
    pub current: Option<Option<ObjectRec>>,
    pub put_versions: Vec<(u64, VersionRec)>,
    pub remove_versions: Vec<u64>,
    /// `Some(Some(t))` sets the key's tombstone, `Some(None)` clears it.
    pub tombstone: Option<Option<TombstoneRec>>,
    /// A multipart completion: the upload (which must still exist) and its part records
    /// are removed in the same transaction.
    pub upload: Option<(String, Vec<u32>)>,
    /// An inline object's bytes, stored with the record that names them.
    pub inline: Option<(BlobId, Vec<u8>)>,
    /// A packed object's place, stored with the record that names it.
    pub packed: Option<(BlobId, PackLoc)>,
    /// The blob file the change makes a record reference: its `pending` mark goes.
    pub adopted: Option<BlobId>,
}

/// A raw range-scan row: key bytes and value bytes.
pub(crate) type Row = (Vec<u8>, Vec<u8>);

impl Meta {
    /// The record and its raw bytes (to detect a concurrent change by comparison).
    pub fn object(&self, bucket: &str, key: &str) -> Result<Option<(Vec<u8>, ObjectRec)>> {
        match self.objects.get(join_key(bucket, key)).map_err(sled_err)? {
            Some(v) => {
                let rec = decode_object(&v)?;
                Ok(Some((v.to_vec(), rec)))
            }
            None => Ok(None),
        }
    }

    /// The key's entry of `versions` with sequence `seq`.
    pub fn version(&self, bucket: &str, key: &str, seq: u64) -> Result<Option<VersionRec>> {
        self.versions
            .get(version_key(bucket, key, seq))
            .map_err(sled_err)?
            .map(|v| decode_version(&v))
            .transpose()
    }

    /// The key's entries of `versions`, newest first.
    pub fn versions_of(
        &self,
        bucket: &str,
        key: &str,
    ) -> impl Iterator<Item = Result<(u64, VersionRec)>> {
        let mut prefix = join_key(bucket, key);
        prefix.push(0);
        let skip = prefix.len();
        self.versions.scan_prefix(prefix).map(move |row| {
            let (k, v) = row.map_err(sled_err)?;
            let inv: [u8; 8] = k
                .get(skip..)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| Error::Corrupt("version key".into()))?;
            Ok((u64::MAX - u64::from_be_bytes(inv), decode_version(&v)?))
        })
    }

    /// Apply `change` to `bucket/key` in one transaction that also checks the bucket exists
    /// (and, for a completion, that the upload still does) and marks `released`, the blobs
    /// no record references after the change, `pending`.
    pub fn apply(
        &self,
        bucket: &str,
        key: &str,
        change: &Change,
        released: &[BlobId],
    ) -> Result<()> {
        let ok = join_key(bucket, key);
        let current = match &change.current {
            Some(Some(rec)) => Some(Some(encode_object(rec)?)),
            Some(None) => Some(None),
            None => None,
        };
        let mut put_versions = Vec::with_capacity(change.put_versions.len());
        let mut added = Usage::default();
        for (seq, rec) in &change.put_versions {
            put_versions.push((
                version_key(bucket, key, *seq),
                crate::records::encode_version(rec)?,
            ));
            added = added.plus(Usage::of_version(rec));
        }
        let removed_versions: Vec<Vec<u8>> = change
            .remove_versions
            .iter()
            .map(|seq| version_key(bucket, key, *seq))
            .collect();
        if let Some(Some(rec)) = &change.current {
            added = added.plus(Usage::of_object(rec));
        }
        let usage_key = usage_key(bucket);
        let quota_key = quota_key(bucket);
        let tombstone = match &change.tombstone {
            Some(Some(t)) => Some(Some(encode(t)?)),
            Some(None) => Some(None),
            None => None,
        };
        let mut parts = sled::Batch::default();
        let upload = change.upload.as_ref().map(|(upload_id, numbers)| {
            for &n in numbers {
                parts.remove(part_key(upload_id, n));
            }
            upload_key(bucket, key, upload_id)
        });
        (
            &self.buckets,
            &self.objects,
            &self.versions,
            &self.tombstones,
            &self.uploads,
            &self.parts,
            &self.inline,
            &self.pending.0,
            &self.packed,
            &self.store,
        )
            .transaction(|(b, o, v, t, u, p, i, pd, k, st)| {
                if let Some((id, bytes)) = &change.inline {
                    i.insert(id.0.as_slice(), bytes.as_slice())?;
                }
                if let Some((id, place)) = &change.packed {
                    k.insert(id.0.as_slice(), place.encode().as_slice())?;
                }
                if let Some(id) = &change.adopted {
                    pd.remove(id.0.as_slice())?;
                }
                PendingLog::mark_in(pd, released)?;
                if b.get(bucket)?.is_none() {
                    return abort(Error::NoSuchBucket);
                }
                if let Some(uk) = &upload {
                    if u.remove(uk.as_slice())?.is_none() {
                        return abort(Error::NoSuchUpload);
                    }
                    p.apply_batch(&parts)?;
                }
                // What the change takes away: the records it replaces or removes.
                let mut gone = Usage::default();
                let old_current = match &current {
                    Some(Some(value)) => o.insert(ok.as_slice(), value.as_slice())?,
                    Some(None) => o.remove(ok.as_slice())?,
                    None => None,
                };
                if let Some(old) = old_current {
                    gone = gone.plus(Usage::of_raw_object(&old).map_err(abort_with)?);
                }
                for (vk, value) in &put_versions {
                    if let Some(old) = v.insert(vk.as_slice(), value.as_slice())? {
                        gone = gone.plus(Usage::of_raw_version(&old).map_err(abort_with)?);
                    }
                }
                for vk in &removed_versions {
                    if let Some(old) = v.remove(vk.as_slice())? {
                        gone = gone.plus(Usage::of_raw_version(&old).map_err(abort_with)?);
                    }
                }
                let before = st
                    .get(usage_key.as_slice())?
                    .map(|raw| Usage::decode(&raw))
                    .unwrap_or_default();
                let after = before.plus(added).minus(gone);
                // A change that grows the bucket past its quota is refused whole.
                if let Some(raw) = st.get(quota_key.as_slice())? {
                    let quota = super::usage::Quota::decode(&raw);
                    let grows = after.bytes > before.bytes || after.objects > before.objects;
                    if grows && (after.bytes > quota.max_bytes || after.objects > quota.max_objects)
                    {
                        return abort(Error::QuotaExceeded);
                    }
                }
                st.insert(usage_key.as_slice(), after.encode().as_slice())?;
                match &tombstone {
                    Some(Some(value)) => {
                        t.insert(ok.as_slice(), value.as_slice())?;
                    }
                    Some(None) => {
                        t.remove(ok.as_slice())?;
                    }
                    None => {}
                }
                Ok(())
            })
            .map_err(txn_err)
    }

    pub fn tombstone(&self, bucket: &str, key: &str) -> Result<Option<TombstoneRec>> {
        match self
            .tombstones
            .get(join_key(bucket, key))
            .map_err(sled_err)?
        {
            Some(v) => Ok(Some(decode("tombstone", &v)?)),
            None => Ok(None),
        }
    }

    pub fn clear_tombstone(&self, bucket: &str, key: &str) -> Result<()> {
        self.tombstones
            .remove(join_key(bucket, key))
            .map(drop)
            .map_err(sled_err)
    }

    /// Ascending scan of the objects tree from `start`; lazy, so a listing touches only the
    /// rows it returns (plus one to detect truncation).
    pub fn scan_objects(&self, start: Bound<Vec<u8>>) -> impl Iterator<Item = Result<Row>> {
        self.objects
            .range((start, Bound::Unbounded))
            .map(|row| row.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(sled_err))
    }

    /// Ascending scan of the versions tree from `start` (see [`Meta::scan_objects`]).
    pub fn scan_versions(&self, start: Bound<Vec<u8>>) -> impl Iterator<Item = Result<Row>> {
        self.versions
            .range((start, Bound::Unbounded))
            .map(|row| row.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(sled_err))
    }

    /// The bytes of inline blob `id`, if they are (still) there.
    pub fn inline_bytes(&self, id: BlobId) -> Result<Option<sled::IVec>> {
        self.inline.get(id.0).map_err(sled_err)
    }

    /// Where packed blob `id`'s bytes are, if it is (still) one.
    pub fn packed_place(&self, id: BlobId) -> Result<Option<PackLoc>> {
        match self.packed.get(id.0).map_err(sled_err)? {
            Some(raw) => Ok(Some(PackLoc::decode(&raw)?)),
            None => Ok(None),
        }
    }

    /// Forget small blob `id` (inline bytes or a packed place); false when it is neither.
    pub fn remove_small(&self, id: BlobId) -> Result<bool> {
        if self.inline.remove(id.0).map_err(sled_err)?.is_some() {
            return Ok(true);
        }
        Ok(self.packed.remove(id.0).map_err(sled_err)?.is_some())
    }

    /// Every packed blob and its place, in blob id order (compaction's census).
    pub fn packed_places(&self) -> impl Iterator<Item = Result<(BlobId, PackLoc)>> + '_ {
        self.packed.iter().map(|row| {
            let (k, v) = row.map_err(sled_err)?;
            let id = <[u8; 16]>::try_from(k.as_ref())
                .map(BlobId)
                .map_err(|_| Error::Corrupt("packed blob id is not 16 bytes".into()))?;
            Ok((id, PackLoc::decode(&v)?))
        })
    }

    /// Point packed blob `id` at `to` if it is still at `from` (compaction moved its
    /// bytes); false when it was released (or moved) meanwhile.
    pub fn move_packed(&self, id: BlobId, from: PackLoc, to: PackLoc) -> Result<bool> {
        let swapped = self
            .packed
            .compare_and_swap(
                id.0,
                Some(from.encode().as_slice()),
                Some(to.encode().as_slice()),
            )
            .map_err(sled_err)?;
        Ok(swapped.is_ok())
    }

    /// Every inline blob id.
    pub fn inline_ids(&self) -> impl Iterator<Item = Result<BlobId>> + '_ {
        self.inline.iter().keys().map(|k| {
            let k = k.map_err(sled_err)?;
            <[u8; 16]>::try_from(k.as_ref())
                .map(BlobId)
                .map_err(|_| Error::Corrupt("inline blob id is not 16 bytes".into()))
        })
    }

    /// Every blob id some object version or staged part references: the full sweep's live
    /// set, built once when a format-2 directory is upgraded (O(objects) memory).
    pub fn referenced_blobs(&self) -> Result<HashSet<BlobId>> {
        let mut live = HashSet::new();
        for row in self.objects.iter() {
            let (_, v) = row.map_err(sled_err)?;
            let rec = decode_object(&v)?;
            live.extend(rec.blobs.iter().map(|b| b.id));
        }
        for row in self.versions.iter() {
            let (_, v) = row.map_err(sled_err)?;
            if let VersionRec::Object(rec) = decode_version(&v)? {
                live.extend(rec.blobs.iter().map(|b| b.id));
            }
        }
        for row in self.parts.iter() {
            let (_, v) = row.map_err(sled_err)?;
            let rec: PartRec = decode("part", &v)?;
            live.insert(rec.blob);
        }
        Ok(live)
    }
}
