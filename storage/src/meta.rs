//! The metadata store: the ONLY file that names sled.
//!
//! Fixed trees (never one per bucket):
//!
//! | tree         | key                                   | value          |
//! |--------------|---------------------------------------|----------------|
//! | `buckets`    | `bucket`                              | [`BucketRec`]  |
//! | `objects`    | `bucket 0x00 key`                     | [`ObjectRec`]: the current version, when it is an object |
//! | `versions`   | `bucket 0x00 key 0x00 !seq(u64 BE)`   | [`VersionRec`]: every other version and every delete marker, newest first |
//! | `uploads`    | `bucket 0x00 key 0x00 upload_id`      | [`UploadRec`]  |
//! | `parts`      | `upload_id part_number(u32 BE)`       | [`PartRec`]    |
//! | `settings`   | `bucket 0x00 name`                    | opaque bytes   |
//! | `tombstones` | `bucket 0x00 key`                     | [`TombstoneRec`] |
//! | `events`     | `id(u64 BE)`                          | opaque bytes   |
//! | `inline`     | `blob id (16 bytes)`                  | a small object's bytes |
//! | `pending`    | `blob id (16 bytes)`                  | empty: a blob that may be unreferenced |
//! | `store`      | `format`                              | format number (u32 BE) |
//!
//! The current version of a key is in `objects` when it is an object; when it is a delete
//! marker, `objects` has no entry and the marker is the key's newest entry in `versions`.
//! `pending` is the intent log that spares [`crate::Store::open`] a walk of every record and
//! blob: a blob is marked before its file can reach `blobs/` (the mark is flushed before the
//! rename) and unmarked by the transaction that makes a record reference it; a transaction
//! that drops a reference marks the blob in the same commit. So every unreferenced blob is
//! marked, and no referenced one is: the sweep deletes exactly the marked blobs.
//!
//! Format 1 (before versioning) had no `versions` tree and no format record; format 2 had no
//! `pending` tree, so its orphans are unmarked. [`Meta::open`] reports the format found
//! (rewriting format-1 object records in format 2 first); the store runs the full sweep
//! once for a format below 3, then [`Meta::set_current_format`]. A newer format is refused.
//!
//! Keys preserve order: bucket names and object keys never contain NUL (validated), so
//! `bucket 0x00 key` sorts by bucket, then by key bytes (= S3 order); integers are
//! big-endian. Values are small: a version byte then postcard. Transactions only read and
//! write trees; every I/O and every blob deletion happens after commit, in the callers.

use std::collections::HashSet;
use std::ops::Bound;
use std::path::Path;

use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;

use crate::group_flush::GroupFlush;
use crate::layout::BlobId;
use crate::records::{
    decode, decode_object, decode_upload, decode_version, encode, encode_object, encode_upload,
    join_key, split_upload_key, upload_key, version_key, BucketRec, ObjectRec, PartRec,
    TombstoneRec, UploadRec, VersionRec,
};
use crate::{Error, Result};

/// The metadata format this build writes; [`Meta::open`] migrates older ones.
pub(crate) const FORMAT: u32 = 3;

fn part_key(upload_id: &str, part_number: u32) -> Vec<u8> {
    let mut k = upload_id.as_bytes().to_vec();
    k.extend_from_slice(&part_number.to_be_bytes());
    k
}

fn sled_err(e: sled::Error) -> Error {
    match e {
        sled::Error::Corruption { .. } => Error::Corrupt(e.to_string()),
        sled::Error::Io(io) => Error::Io(io),
        other => Error::Meta(other.to_string()),
    }
}

fn txn_err(e: TransactionError<Error>) -> Error {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => sled_err(e),
    }
}

fn abort<T>(e: Error) -> Result<T, ConflictableTransactionError<Error>> {
    Err(ConflictableTransactionError::Abort(e))
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
    /// The blob file the change makes a record reference: its `pending` mark goes.
    pub adopted: Option<BlobId>,
}

/// A raw range-scan row: key bytes and value bytes.
pub(crate) type Row = (Vec<u8>, Vec<u8>);

pub(crate) struct Meta {
    db: sled::Db,
    /// Concurrent writers share flushes (group commit).
    flusher: std::sync::Arc<GroupFlush>,
    buckets: sled::Tree,
    objects: sled::Tree,
    uploads: sled::Tree,
    parts: sled::Tree,
    settings: sled::Tree,
    tombstones: sled::Tree,
    events: sled::Tree,
    versions: sled::Tree,
    store: sled::Tree,
    inline: sled::Tree,
    pending: PendingLog,
    /// The format the database was in when opened (before any migration).
    found_format: u32,
}

/// The `pending` tree: blobs that may be unreferenced (see the module header).
pub(crate) struct PendingLog(sled::Tree);

impl PendingLog {
    /// Mark `ids` within a transaction over the `pending` tree (the one that drops their
    /// last reference).
    fn mark_in(
        pd: &sled::transaction::TransactionalTree,
        ids: &[BlobId],
    ) -> sled::transaction::ConflictableTransactionResult<(), Error> {
        for id in ids {
            pd.insert(id.0.as_slice(), &[])?;
        }
        Ok(())
    }

    /// Mark `id` (not flushed: [`Meta::flush`] makes it durable).
    pub fn mark(&self, id: BlobId) -> Result<()> {
        self.0.insert(id.0, &[]).map(drop).map_err(sled_err)
    }

    /// Unmark `id`: its blob is referenced, or gone for good.
    pub fn clear(&self, id: BlobId) -> Result<()> {
        self.0.remove(id.0).map(drop).map_err(sled_err)
    }

    /// Every marked blob.
    pub fn ids(&self) -> impl Iterator<Item = Result<BlobId>> + '_ {
        self.0.iter().keys().map(|k| {
            let k = k.map_err(sled_err)?;
            <[u8; 16]>::try_from(k.as_ref())
                .map(BlobId)
                .map_err(|_| Error::Corrupt("pending blob id is not 16 bytes".into()))
        })
    }
}

impl Meta {
    /// Open (or create) the database. Corruption is reported with the path, never repaired
    /// by deleting anything.
    pub fn open(path: &Path, cache_bytes: u64) -> Result<Meta> {
        let config = sled::Config::new()
            .path(path)
            // A bounded page cache keeps the process RSS predictable.
            .cache_capacity(cache_bytes);
        // sled's background threads keep the file lock for a moment after the previous
        // handle in this process was dropped (a reopen, a quick restart): wait for it
        // briefly instead of failing. Another live process holding it still fails.
        let mut attempts = 0;
        let db = loop {
            match config.open() {
                Err(sled::Error::Io(e))
                    if e.to_string().contains("could not acquire lock") && attempts < 100 =>
                {
                    attempts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => break other,
            }
        };
        let db = db.map_err(|e| match e {
            sled::Error::Corruption { .. } => {
                Error::Corrupt(format!("sled database at {}: {e}", path.display()))
            }
            other => Error::Meta(format!("opening {}: {other}", path.display())),
        })?;
        let tree = |name: &str| db.open_tree(name).map_err(sled_err);
        let mut meta = Meta {
            buckets: tree("buckets")?,
            objects: tree("objects")?,
            uploads: tree("uploads")?,
            parts: tree("parts")?,
            settings: tree("settings")?,
            tombstones: tree("tombstones")?,
            events: tree("events")?,
            versions: tree("versions")?,
            store: tree("store")?,
            inline: tree("inline")?,
            pending: PendingLog(tree("pending")?),
            found_format: 0,
            flusher: std::sync::Arc::new(GroupFlush::new({
                let db = db.clone();
                move || db.flush().map(drop).map_err(|e| e.to_string())
            })),
            db,
        };
        meta.found_format = meta.check_format(path)?;
        Ok(meta)
    }

    /// Refuse a format newer than [`FORMAT`]; rewrite format-1 records in format 2 (with a
    /// log line). Returns the format found; the store records [`FORMAT`] once its sweep for
    /// that format is done.
    fn check_format(&self, path: &Path) -> Result<u32> {
        let found = match self.store.get("format").map_err(sled_err)? {
            Some(raw) => <[u8; 4]>::try_from(raw.as_ref())
                .map(u32::from_be_bytes)
                .map_err(|_| Error::Corrupt("the format record is not 4 bytes".into()))?,
            // No record: format 1, or a new database.
            None => 1,
        };
        if found > FORMAT {
            return Err(Error::Corrupt(format!(
                "the metadata at {} is in format {found}, newer than this originstore \
                 understands ({FORMAT}); run a newer originstore, or restore a backup",
                path.display()
            )));
        }
        if found < 2 {
            let rewritten = self.migrate_objects_to_format_2()?;
            if rewritten > 0 {
                tracing::info!(
                    path = %path.display(),
                    objects = rewritten,
                    "metadata migrated from format {found} to 2"
                );
            }
        }
        Ok(found)
    }

    /// The format the database was in when opened.
    pub fn found_format(&self) -> u32 {
        self.found_format
    }

    /// Record that the database is in [`FORMAT`] (after the migration's sweep), durably.
    pub fn set_current_format(&self) -> Result<()> {
        self.store
            .insert("format", &FORMAT.to_be_bytes())
            .map_err(sled_err)?;
        self.db.flush().map_err(sled_err)?;
        Ok(())
    }

    /// The intent log of blobs that may be unreferenced.
    pub fn pending(&self) -> &PendingLog {
        &self.pending
    }

    /// Format 1 -> 2: object records gain a version id (`null`), a sequence number and an
    /// upload id. Each record is rewritten in place; an interrupted migration is resumed
    /// at the next open (format-1 records still decode).
    fn migrate_objects_to_format_2(&self) -> Result<u64> {
        let mut rewritten = 0;
        for row in self.objects.iter() {
            let (k, v) = row.map_err(sled_err)?;
            if v.first() == Some(&crate::records::OBJECT_VERSION) {
                continue;
            }
            let rec = decode_object(&v)?;
            self.objects
                .insert(k, encode_object(&rec)?)
                .map_err(sled_err)?;
            rewritten += 1;
        }
        Ok(rewritten)
    }

    /// A number larger than every one this store handed out before (survives restarts).
    pub fn next_seq(&self) -> Result<u64> {
        // sled's ids start at 0; version sequence 0 is reserved for format-1 objects.
        self.db.generate_id().map(|id| id + 1).map_err(sled_err)
    }

    /// Make every write so far durable, sharing one flush with the writers that commit
    /// meanwhile ([`GroupFlush`]). sled 0.34's `flush_async` is not used: futures of
    /// concurrent calls are never woken in release builds (sled issues #1241, #1308; the
    /// load benchmark's 16 concurrent PUTs wedged the server for good), so the blocking
    /// `flush` runs on the blocking pool instead.
    pub async fn flush(&self) -> Result<()> {
        self.flusher
            .flush()
            .await
            .map_err(|e| Error::Meta(format!("metadata flush: {e}")))
    }

    // ---- buckets ----

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
        )
            .transaction(|(b, u, p, s, t, pd)| {
                PendingLog::mark_in(pd, &blobs)?;
                b.remove(name)?;
                u.apply_batch(&uploads)?;
                p.apply_batch(&parts)?;
                s.apply_batch(&settings)?;
                t.apply_batch(&tombstones)?;
                Ok(())
            })
            .map_err(txn_err)?;
        Ok(blobs)
    }

    // ---- settings ----

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

    pub fn set_setting(&self, bucket: &str, name: &str, value: Option<&[u8]>) -> Result<()> {
        let k = join_key(bucket, name);
        match value {
            Some(v) => self.settings.insert(k, encode(&v)?).map(drop),
            None => self.settings.remove(k).map(drop),
        }
        .map_err(sled_err)
    }

    // ---- events ----

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

    // ---- objects ----

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
        let mut versions = sled::Batch::default();
        for (seq, rec) in &change.put_versions {
            versions.insert(
                version_key(bucket, key, *seq),
                crate::records::encode_version(rec)?,
            );
        }
        for seq in &change.remove_versions {
            versions.remove(version_key(bucket, key, *seq));
        }
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
        )
            .transaction(|(b, o, v, t, u, p, i, pd)| {
                if let Some((id, bytes)) = &change.inline {
                    i.insert(id.0.as_slice(), bytes.as_slice())?;
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
                match &current {
                    Some(Some(value)) => {
                        o.insert(ok.as_slice(), value.as_slice())?;
                    }
                    Some(None) => {
                        o.remove(ok.as_slice())?;
                    }
                    None => {}
                }
                v.apply_batch(&versions)?;
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

    /// Forget inline blob `id`; false when it is not one.
    pub fn remove_inline(&self, id: BlobId) -> Result<bool> {
        self.inline
            .remove(id.0)
            .map(|old| old.is_some())
            .map_err(sled_err)
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

    // ---- multipart ----

    pub fn insert_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        rec: &UploadRec,
    ) -> Result<()> {
        let k = upload_key(bucket, key, upload_id);
        let value = encode_upload(rec)?;
        (&self.buckets, &self.uploads)
            .transaction(|(b, u)| {
                if b.get(bucket)?.is_none() {
                    return abort(Error::NoSuchBucket);
                }
                u.insert(k.as_slice(), value.as_slice())?;
                Ok(())
            })
            .map_err(txn_err)
    }

    pub fn upload(&self, bucket: &str, key: &str, upload_id: &str) -> Result<Option<UploadRec>> {
        match self
            .uploads
            .get(upload_key(bucket, key, upload_id))
            .map_err(sled_err)?
        {
            Some(v) => Ok(Some(decode_upload(&v)?)),
            None => Ok(None),
        }
    }

    pub fn scan_uploads(&self, start: Bound<Vec<u8>>) -> impl Iterator<Item = Result<Row>> {
        self.uploads
            .range((start, Bound::Unbounded))
            .map(|row| row.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(sled_err))
    }

    /// Stage a part if the upload still exists, in one transaction that unmarks the part's
    /// blob and marks the blob of the part it replaced (returned).
    pub fn put_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        rec: &PartRec,
    ) -> Result<Option<PartRec>> {
        let uk = upload_key(bucket, key, upload_id);
        let pk = part_key(upload_id, part_number);
        let value = encode(rec)?;
        (&self.uploads, &self.parts, &self.pending.0)
            .transaction(|(u, p, pd)| {
                if u.get(uk.as_slice())?.is_none() {
                    return abort(Error::NoSuchUpload);
                }
                pd.remove(rec.blob.0.as_slice())?;
                let Some(old) = p.insert(pk.as_slice(), value.as_slice())? else {
                    return Ok(None);
                };
                let old: PartRec = match decode("part", &old) {
                    Ok(old) => old,
                    Err(e) => return abort(e),
                };
                pd.insert(old.blob.0.as_slice(), &[])?;
                Ok(Some(old))
            })
            .map_err(txn_err)
    }

    /// Parts of an upload with a number greater than `after`, ascending.
    pub fn parts(&self, upload_id: &str, after: u32) -> Result<Vec<(u32, PartRec)>> {
        self.parts_iter(upload_id, after).collect()
    }

    pub fn parts_iter(
        &self,
        upload_id: &str,
        after: u32,
    ) -> impl Iterator<Item = Result<(u32, PartRec)>> {
        let prefix_len = upload_id.len();
        let start = match after.checked_add(1) {
            Some(n) => Bound::Included(part_key(upload_id, n)),
            // Nothing comes after u32::MAX: start past the upload's whole range.
            None => Bound::Excluded(part_key(upload_id, u32::MAX)),
        };
        let end = {
            let mut e = upload_id.as_bytes().to_vec();
            e.push(0xFF);
            Bound::Excluded(e)
        };
        self.parts.range((start, end)).map(move |row| {
            let (k, v) = row.map_err(sled_err)?;
            let number: [u8; 4] = k
                .get(prefix_len..)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| Error::Corrupt("part key".into()))?;
            Ok((u32::from_be_bytes(number), decode("part", &v)?))
        })
    }

    /// Remove an upload and the given part records in one transaction, which marks the
    /// parts' blobs (`released`) `pending`.
    pub fn remove_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[u32],
        released: &[BlobId],
    ) -> Result<()> {
        let uk = upload_key(bucket, key, upload_id);
        let mut batch = sled::Batch::default();
        for &n in parts {
            batch.remove(part_key(upload_id, n));
        }
        (&self.uploads, &self.parts, &self.pending.0)
            .transaction(|(u, p, pd)| {
                if u.remove(uk.as_slice())?.is_none() {
                    return abort(Error::NoSuchUpload);
                }
                p.apply_batch(&batch)?;
                PendingLog::mark_in(pd, released)?;
                Ok(())
            })
            .map_err(txn_err)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn part_numbers_sort_numerically() {
        assert!(part_key("u", 2) < part_key("u", 10));
        assert!(part_key("u", 255) < part_key("u", 256));
    }
}
