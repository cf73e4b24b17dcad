//! The metadata store: the ONLY file that names sled.
//!
//! Fixed trees (never one per bucket):
//!
//! | tree         | key                                   | value          |
//! |--------------|---------------------------------------|----------------|
//! | `buckets`    | `bucket`                              | [`BucketRec`]  |
//! | `objects`    | `bucket 0x00 key`                     | [`ObjectRec`]  |
//! | `uploads`    | `bucket 0x00 key 0x00 upload_id`      | [`UploadRec`]  |
//! | `parts`      | `upload_id part_number(u32 BE)`       | [`PartRec`]    |
//! | `settings`   | `bucket 0x00 name`                    | opaque bytes   |
//! | `tombstones` | `bucket 0x00 key`                     | [`TombstoneRec`] |
//! | `events`     | `id(u64 BE)`                          | opaque bytes   |
//!
//! Keys preserve order: bucket names and object keys never contain NUL (validated), so
//! `bucket 0x00 key` sorts by bucket, then by key bytes (= S3 order); integers are
//! big-endian. Values are small: a version byte then postcard. Transactions only read and
//! write trees; every I/O and every blob deletion happens after commit, in the callers.

use std::collections::HashSet;
use std::ops::Bound;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;

use crate::layout::BlobId;
use crate::{ChecksumAlgorithm, CommitCondition, Error, ObjectAttrs, Result, StoredChecksum};

const VERSION: u8 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BucketRec {
    pub created_ns: u64,
    pub owner: String,
    pub region: String,
}

/// One blob of an object, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BlobRef {
    pub id: BlobId,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ObjectRec {
    pub size: u64,
    pub etag: String,
    pub modified_ns: u64,
    pub attrs: ObjectAttrs,
    pub checksums: Vec<StoredChecksum>,
    /// One blob for a plain object, one per part for a multipart object.
    pub blobs: Vec<BlobRef>,
    pub multipart: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct UploadRec {
    pub initiated_ns: u64,
    pub owner: String,
    pub attrs: ObjectAttrs,
    pub checksum_algorithm: Option<ChecksumAlgorithm>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PartRec {
    pub size: u64,
    pub md5: [u8; 16],
    pub modified_ns: u64,
    /// Raw checksum of the upload's algorithm.
    pub checksum: Option<Vec<u8>>,
    pub blob: BlobId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TombstoneRec {
    pub deleted_ns: u64,
}

pub(crate) fn now_ns() -> u64 {
    to_ns(SystemTime::now())
}

pub(crate) fn to_ns(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

pub(crate) fn from_ns(ns: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(ns)
}

pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let mut out = vec![VERSION];
    let body = postcard::to_stdvec(value).map_err(|e| Error::Meta(format!("encode: {e}")))?;
    out.extend_from_slice(&body);
    Ok(out)
}

pub(crate) fn decode<T: DeserializeOwned>(what: &str, raw: &[u8]) -> Result<T> {
    match raw.split_first() {
        Some((&VERSION, body)) => {
            postcard::from_bytes(body).map_err(|e| Error::Corrupt(format!("{what} record: {e}")))
        }
        Some((v, _)) => Err(Error::Corrupt(format!(
            "{what} record: unknown version {v}"
        ))),
        None => Err(Error::Corrupt(format!("{what} record: empty"))),
    }
}

/// `a 0x00 b`: the order-preserving composite key.
pub(crate) fn join_key(a: &str, b: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(a.len() + 1 + b.len());
    k.extend_from_slice(a.as_bytes());
    k.push(0);
    k.extend_from_slice(b.as_bytes());
    k
}

pub(crate) fn upload_key(bucket: &str, key: &str, upload_id: &str) -> Vec<u8> {
    let mut k = join_key(bucket, key);
    k.push(0);
    k.extend_from_slice(upload_id.as_bytes());
    k
}

/// Split `bucket 0x00 key 0x00 upload_id` (after the bucket prefix was removed) into
/// `(key, upload_id)`.
pub(crate) fn split_upload_key(rest: &[u8]) -> Result<(String, String)> {
    let bad = || Error::Corrupt("upload key".into());
    let cut = rest.iter().rposition(|&b| b == 0).ok_or_else(bad)?;
    let key = std::str::from_utf8(&rest[..cut]).map_err(|_| bad())?;
    let id = std::str::from_utf8(&rest[cut + 1..]).map_err(|_| bad())?;
    Ok((key.to_owned(), id.to_owned()))
}

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

/// Outcome of [`Meta::commit_object`].
pub(crate) enum Committed {
    /// Committed; carries the record it replaced.
    Replaced(Option<Box<ObjectRec>>),
    /// [`CommitCondition::IfAbsent`] found an object or a tombstone.
    ConditionFailed,
}

/// A raw range-scan row: key bytes and value bytes.
pub(crate) type Row = (Vec<u8>, Vec<u8>);

pub(crate) struct Meta {
    db: sled::Db,
    buckets: sled::Tree,
    objects: sled::Tree,
    uploads: sled::Tree,
    parts: sled::Tree,
    settings: sled::Tree,
    tombstones: sled::Tree,
    events: sled::Tree,
}

impl Meta {
    /// Open (or create) the database. Corruption is reported with the path, never repaired
    /// by deleting anything.
    pub fn open(path: &Path) -> Result<Meta> {
        let config = sled::Config::new()
            .path(path)
            // Metadata is small; a bounded page cache keeps the process RSS predictable.
            .cache_capacity(64 * 1024 * 1024);
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
        Ok(Meta {
            buckets: tree("buckets")?,
            objects: tree("objects")?,
            uploads: tree("uploads")?,
            parts: tree("parts")?,
            settings: tree("settings")?,
            tombstones: tree("tombstones")?,
            events: tree("events")?,
            db,
        })
    }

    /// Make every write so far durable. sled 0.34's `flush_async` is not used: futures of
    /// concurrent calls are never woken in release builds (sled issues #1241, #1308; the
    /// load benchmark's 16 concurrent PUTs wedged the server for good), so the blocking
    /// `flush` runs on the blocking pool instead.
    pub async fn flush(&self) -> Result<()> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || db.flush())
            .await
            .map_err(|e| Error::Meta(format!("metadata flush task: {e}")))?
            .map(drop)
            .map_err(sled_err)
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

    pub fn bucket_has_objects(&self, bucket: &str) -> Result<bool> {
        match self.objects.scan_prefix(join_key(bucket, "")).next() {
            Some(row) => row.map(|_| true).map_err(sled_err),
            None => Ok(false),
        }
    }

    /// Remove a bucket with its uploads, parts, settings and tombstones in one transaction.
    /// The caller checked it holds no object (under the bucket gate). Returns the blobs of
    /// the staged parts, to delete after the flush.
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
        )
            .transaction(|(b, u, p, s, t)| {
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
                let rec = decode("object", &v)?;
                Ok(Some((v.to_vec(), rec)))
            }
            None => Ok(None),
        }
    }

    /// Swap the key's record in one transaction that also checks the bucket exists and, for
    /// [`CommitCondition::IfAbsent`], that neither an object nor a tombstone is there.
    pub fn commit_object(
        &self,
        bucket: &str,
        key: &str,
        rec: &ObjectRec,
        condition: CommitCondition,
    ) -> Result<Committed> {
        let k = join_key(bucket, key);
        let value = encode(rec)?;
        let outcome = (&self.buckets, &self.objects, &self.tombstones)
            .transaction(|(b, o, t)| {
                if b.get(bucket)?.is_none() {
                    return abort(Error::NoSuchBucket);
                }
                if condition == CommitCondition::IfAbsent
                    && (o.get(&k)?.is_some() || t.get(&k)?.is_some())
                {
                    return Ok(None);
                }
                let old = o.insert(k.as_slice(), value.as_slice())?;
                t.remove(k.as_slice())?;
                Ok(Some(old))
            })
            .map_err(txn_err)?;
        match outcome {
            None => Ok(Committed::ConditionFailed),
            Some(None) => Ok(Committed::Replaced(None)),
            Some(Some(old)) => Ok(Committed::Replaced(Some(Box::new(decode("object", &old)?)))),
        }
    }

    /// Remove the key's object; with `tombstone`, remember the deletion. Returns the record
    /// removed.
    pub fn delete_object(
        &self,
        bucket: &str,
        key: &str,
        tombstone: Option<&TombstoneRec>,
    ) -> Result<Option<ObjectRec>> {
        let k = join_key(bucket, key);
        let stone = tombstone.map(encode).transpose()?;
        let old = (&self.buckets, &self.objects, &self.tombstones)
            .transaction(|(b, o, t)| {
                if b.get(bucket)?.is_none() {
                    return abort(Error::NoSuchBucket);
                }
                if let Some(stone) = &stone {
                    t.insert(k.as_slice(), stone.as_slice())?;
                }
                Ok(o.remove(k.as_slice())?)
            })
            .map_err(txn_err)?;
        old.map(|v| decode("object", &v)).transpose()
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

    /// Every blob id some object or staged part references (the recovery sweep's live set).
    pub fn referenced_blobs(&self) -> Result<HashSet<BlobId>> {
        let mut live = HashSet::new();
        for row in self.objects.iter() {
            let (_, v) = row.map_err(sled_err)?;
            let rec: ObjectRec = decode("object", &v)?;
            live.extend(rec.blobs.iter().map(|b| b.id));
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
        let value = encode(rec)?;
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
            Some(v) => Ok(Some(decode("upload", &v)?)),
            None => Ok(None),
        }
    }

    pub fn scan_uploads(&self, start: Bound<Vec<u8>>) -> impl Iterator<Item = Result<Row>> {
        self.uploads
            .range((start, Bound::Unbounded))
            .map(|row| row.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(sled_err))
    }

    /// Stage a part if the upload still exists; returns the part it replaced.
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
        let old = (&self.uploads, &self.parts)
            .transaction(|(u, p)| {
                if u.get(uk.as_slice())?.is_none() {
                    return abort(Error::NoSuchUpload);
                }
                Ok(p.insert(pk.as_slice(), value.as_slice())?)
            })
            .map_err(txn_err)?;
        old.map(|v| decode("part", &v)).transpose()
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

    /// Remove an upload and the given part records in one transaction.
    pub fn remove_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[u32],
    ) -> Result<()> {
        let uk = upload_key(bucket, key, upload_id);
        let mut batch = sled::Batch::default();
        for &n in parts {
            batch.remove(part_key(upload_id, n));
        }
        (&self.uploads, &self.parts)
            .transaction(|(u, p)| {
                if u.remove(uk.as_slice())?.is_none() {
                    return abort(Error::NoSuchUpload);
                }
                p.apply_batch(&batch)?;
                Ok(())
            })
            .map_err(txn_err)
    }

    /// Multipart completion: in ONE transaction remove the upload and all its part records
    /// and commit the object (clearing its tombstone). A crash leaves either the upload or
    /// the object. Returns the object record it replaced.
    pub fn complete_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[u32],
        rec: &ObjectRec,
    ) -> Result<Option<ObjectRec>> {
        let uk = upload_key(bucket, key, upload_id);
        let ok = join_key(bucket, key);
        let value = encode(rec)?;
        let mut batch = sled::Batch::default();
        for &n in parts {
            batch.remove(part_key(upload_id, n));
        }
        let old = (
            &self.buckets,
            &self.uploads,
            &self.parts,
            &self.objects,
            &self.tombstones,
        )
            .transaction(|(b, u, p, o, t)| {
                if b.get(bucket)?.is_none() {
                    return abort(Error::NoSuchBucket);
                }
                if u.remove(uk.as_slice())?.is_none() {
                    return abort(Error::NoSuchUpload);
                }
                p.apply_batch(&batch)?;
                t.remove(ok.as_slice())?;
                Ok(o.insert(ok.as_slice(), value.as_slice())?)
            })
            .map_err(txn_err)?;
        old.map(|v| decode("object", &v)).transpose()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn key_encoding_preserves_s3_order() {
        // Within a bucket, keys sort by their bytes, including '/', ' ', '+', '%', unicode.
        let mut keys = vec![
            "a",
            "a/",
            "a/b",
            "a b",
            "a+b",
            "a%2F",
            "ä",
            "日本",
            "a\u{10FFFF}",
            "b",
        ];
        let mut encoded: Vec<Vec<u8>> = keys.iter().map(|k| join_key("bkt", k)).collect();
        keys.sort();
        encoded.sort();
        let decoded: Vec<&str> = encoded
            .iter()
            .map(|e| std::str::from_utf8(&e[4..]).unwrap())
            .collect();
        assert_eq!(decoded, keys);
        // A bucket's keys never interleave with a bucket whose name extends it.
        assert!(join_key("a", "zzzz") < join_key("ab", ""));
        assert!(join_key("a", "\u{10FFFF}") < join_key("a0", ""));
        // Part numbers sort numerically.
        assert!(part_key("u", 2) < part_key("u", 10));
        assert!(part_key("u", 255) < part_key("u", 256));
    }

    #[test]
    fn upload_keys_split_back() {
        let k = upload_key("b", "dir/a key", "0123abc");
        let (key, id) = split_upload_key(&k[2..]).unwrap();
        assert_eq!((key.as_str(), id.as_str()), ("dir/a key", "0123abc"));
    }

    #[test]
    fn records_are_versioned() {
        let rec = TombstoneRec { deleted_ns: 42 };
        let raw = encode(&rec).unwrap();
        assert_eq!(raw[0], VERSION);
        assert_eq!(decode::<TombstoneRec>("t", &raw).unwrap(), rec);
        let mut bad = raw.clone();
        bad[0] = 99;
        assert!(matches!(
            decode::<TombstoneRec>("t", &bad),
            Err(Error::Corrupt(_))
        ));
        assert!(matches!(
            decode::<TombstoneRec>("t", &[]),
            Err(Error::Corrupt(_))
        ));
    }

    #[test]
    fn times_round_trip() {
        let t = SystemTime::now();
        assert_eq!(from_ns(to_ns(t)), t);
    }
}
