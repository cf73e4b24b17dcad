//! Objects: key validation, the one commit routine ([`Store::commit_object`]) shared by PUT,
//! copy and origin fill, put / head / get / delete / copy, and tombstones. Bytes go through
//! [`BlobWriter`]; metadata through meta.rs; old blobs are deleted only after the flush.

use std::time::SystemTime;

use bytes::Bytes;
use futures::StreamExt as _;

use crate::blob::{Blob, BlobWriter};
use crate::checksum::{parse_md5_etag, to_base64};
use crate::meta::{from_ns, now_ns, BlobRef, Committed, ObjectRec, TombstoneRec};
use crate::reader::ObjectReader;
use crate::{
    ByteRange, ChecksumAlgorithm, CommitCondition, Error, Expect, ObjectAttrs, ObjectMeta, Result,
    Store, StoredChecksum,
};

/// Longest key S3 accepts, in bytes of UTF-8.
pub const MAX_KEY_LEN: usize = 1024;

/// Keys are 1..=1024 bytes of UTF-8 without NUL (NUL separates bucket and key in the
/// metadata key encoding). Keys never become file paths, so nothing else is forbidden.
pub(crate) fn validate_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::InvalidKey("the key is empty".into()));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(Error::KeyTooLong);
    }
    if key.contains('\0') {
        return Err(Error::InvalidKey("the key contains a NUL character".into()));
    }
    Ok(())
}

pub(crate) fn object_meta(key: String, rec: ObjectRec) -> ObjectMeta {
    ObjectMeta {
        key,
        size: rec.size,
        etag: rec.etag,
        last_modified: from_ns(rec.modified_ns),
        attrs: rec.attrs,
        checksums: rec.checksums,
        part_sizes: if rec.multipart {
            rec.blobs.iter().map(|b| b.size).collect()
        } else {
            Vec::new()
        },
    }
}

/// Readers retry when the object changes between reading its metadata and leasing its
/// blobs; this bounds the retries under a storm of overwrites.
const OPEN_ATTEMPTS: usize = 64;

impl Store {
    /// A writer for a new blob computing MD5 plus `algorithms`.
    pub fn blob_writer(&self, algorithms: &[ChecksumAlgorithm]) -> Result<BlobWriter> {
        BlobWriter::create(self.shared.clone(), algorithms)
    }

    /// The one commit routine: make `blob` the content of `bucket/key`.
    /// `Ok(None)` only with [`CommitCondition::IfAbsent`] when the condition failed (the blob
    /// is then deleted).
    pub async fn commit_object(
        &self,
        bucket: &str,
        key: &str,
        attrs: ObjectAttrs,
        blob: Blob,
        condition: CommitCondition,
    ) -> Result<Option<ObjectMeta>> {
        self.shared.check_writable()?;
        validate_key(key)?;
        let rec = ObjectRec {
            size: blob.size(),
            etag: hex::encode(blob.md5()),
            modified_ns: now_ns(),
            attrs,
            checksums: blob
                .checksums()
                .iter()
                .map(|(algorithm, raw)| StoredChecksum {
                    algorithm: *algorithm,
                    value: to_base64(raw),
                    composite: false,
                })
                .collect(),
            blobs: vec![BlobRef {
                id: blob.id,
                size: blob.size(),
            }],
            multipart: false,
        };
        let outcome = {
            let _gate = self.shared.bucket_gate_shared();
            self.shared
                .meta
                .commit_object(bucket, key, &rec, condition)?
        };
        match outcome {
            // `blob` drops here: its file is deleted.
            Committed::ConditionFailed => Ok(None),
            Committed::Replaced(old) => {
                blob.committed();
                let released = old.into_iter().flat_map(|o| o.blobs).map(|b| b.id);
                self.flush_then_delete(released).await?;
                Ok(Some(object_meta(key.to_owned(), rec)))
            }
        }
    }

    /// Convenience: write a whole stream and commit it (last commit wins).
    pub async fn put_object<S>(
        &self,
        bucket: &str,
        key: &str,
        attrs: ObjectAttrs,
        body: S,
        expect: &Expect,
    ) -> Result<ObjectMeta>
    where
        S: futures::Stream<Item = std::io::Result<Bytes>> + Send,
    {
        validate_key(key)?;
        self.head_bucket(bucket)?;
        let algorithms: Vec<ChecksumAlgorithm> = expect.checksums.iter().map(|(a, _)| *a).collect();
        let mut writer = self.blob_writer(&algorithms)?;
        let mut body = std::pin::pin!(body);
        while let Some(chunk) = body.next().await {
            writer.write(&chunk?).await?;
        }
        let blob = writer.finish(expect).await?;
        self.commit_object(bucket, key, attrs, blob, CommitCondition::Always)
            .await?
            .ok_or_else(|| {
                Error::Meta("an unconditional commit reported a failed condition".into())
            })
    }

    pub fn head_object(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        validate_key(key)?;
        match self.shared.meta.object(bucket, key)? {
            Some((_, rec)) => Ok(object_meta(key.to_owned(), rec)),
            None => Err(self.missing(bucket)),
        }
    }

    /// NoSuchBucket or NoSuchKey, whichever applies.
    fn missing(&self, bucket: &str) -> Error {
        match self.head_bucket(bucket) {
            Ok(_) => Error::NoSuchKey,
            Err(e) => e,
        }
    }

    /// Metadata plus a reader of `range` (whole object when `None`).
    pub fn get_object(
        &self,
        bucket: &str,
        key: &str,
        range: Option<ByteRange>,
    ) -> Result<(ObjectMeta, ObjectReader)> {
        validate_key(key)?;
        for _ in 0..OPEN_ATTEMPTS {
            let Some((raw, rec)) = self.shared.meta.object(bucket, key)? else {
                return Err(self.missing(bucket));
            };
            let resolved = match range {
                Some(r) => Some(r.resolve(rec.size)?),
                None if rec.size == 0 => None,
                None => Some((0, rec.size - 1)),
            };
            let lease = self
                .shared
                .leases
                .lease(rec.blobs.iter().map(|b| b.id).collect());
            // The blobs are leased now; if the metadata still names them, no delete can
            // have happened before the lease (deletes follow commits), so they exist.
            let still = self.shared.meta.object(bucket, key)?;
            if still.as_ref().map(|(r, _)| r) != Some(&raw) {
                continue; // `lease` drops; a concurrent commit won: read the new object
            }
            let dirs = &self.shared.dirs;
            let reader = ObjectReader::new(
                &rec.blobs,
                |b| dirs.blob_path(b.id),
                resolved,
                self.shared.options.read_chunk,
                lease,
            );
            return Ok((object_meta(key.to_owned(), rec), reader));
        }
        Err(Error::Meta(format!(
            "object {bucket}/{key} changed {OPEN_ATTEMPTS} times while being opened"
        )))
    }

    /// Idempotent. With `tombstone`, remember the key as deleted (origin buckets) so a fill
    /// will not bring it back; a later commit with [`CommitCondition::Always`] clears it.
    /// Returns the deleted object's metadata, if there was one.
    pub async fn delete_object(
        &self,
        bucket: &str,
        key: &str,
        tombstone: bool,
    ) -> Result<Option<ObjectMeta>> {
        self.shared.check_writable()?;
        validate_key(key)?;
        let stone = tombstone.then(|| TombstoneRec {
            deleted_ns: now_ns(),
        });
        let old = {
            let _gate = self.shared.bucket_gate_shared();
            self.shared
                .meta
                .delete_object(bucket, key, stone.as_ref())?
        };
        let released: Vec<_> = old
            .iter()
            .flat_map(|o| o.blobs.iter().map(|b| b.id))
            .collect();
        self.flush_then_delete(released).await?;
        Ok(old.map(|o| object_meta(key.to_owned(), o)))
    }

    /// When the key was deleted locally, if it carries a tombstone.
    pub fn tombstone(&self, bucket: &str, key: &str) -> Result<Option<SystemTime>> {
        validate_key(key)?;
        self.head_bucket(bucket)?;
        Ok(self
            .shared
            .meta
            .tombstone(bucket, key)?
            .map(|t| from_ns(t.deleted_ns)))
    }

    /// Forget a tombstone (operator action: make the origin the source of the key again).
    pub async fn clear_tombstone(&self, bucket: &str, key: &str) -> Result<()> {
        self.shared.check_writable()?;
        validate_key(key)?;
        self.head_bucket(bucket)?;
        self.shared.meta.clear_tombstone(bucket, key)?;
        self.flush().await
    }

    /// Stream `reader` (from [`Store::get_object`]) into a new object `dst_bucket/dst_key`
    /// with `attrs`; copying onto the source key itself is allowed.
    ///
    /// The copy computes the source's checksum algorithms afresh (as FULL_OBJECT values: it
    /// is a single blob) and, for a whole single-part source, verifies the source's MD5.
    pub async fn copy_object(
        &self,
        source: (ObjectMeta, ObjectReader),
        dst_bucket: &str,
        dst_key: &str,
        attrs: ObjectAttrs,
    ) -> Result<ObjectMeta> {
        let (meta, mut reader) = source;
        validate_key(dst_key)?;
        self.head_bucket(dst_bucket)?;
        let algorithms: Vec<ChecksumAlgorithm> =
            meta.checksums.iter().map(|c| c.algorithm).collect();
        let whole = reader.len() == meta.size;
        let expect = Expect {
            size: Some(reader.len()),
            md5: if whole && meta.part_sizes.is_empty() {
                parse_md5_etag(&meta.etag)
            } else {
                None
            },
            checksums: Vec::new(),
        };
        let mut writer = self.blob_writer(&algorithms)?;
        while let Some(chunk) = reader.next().await {
            writer.write(&chunk?).await?;
        }
        drop(reader); // release the source's lease before committing
        let blob = writer.finish(&expect).await?;
        self.commit_object(dst_bucket, dst_key, attrs, blob, CommitCondition::Always)
            .await?
            .ok_or_else(|| {
                Error::Meta("an unconditional commit reported a failed condition".into())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_rules() {
        assert!(validate_key("a").is_ok());
        assert!(validate_key("/leading/and/trailing/").is_ok());
        assert!(validate_key("spaces and + and % and 日本語").is_ok());
        assert!(validate_key("../../etc/passwd").is_ok()); // never a path
        assert!(validate_key(&"k".repeat(1024)).is_ok());
        assert!(matches!(
            validate_key(&"k".repeat(1025)),
            Err(Error::KeyTooLong)
        ));
        // 1024 bytes counted in UTF-8, not in characters.
        assert!(matches!(
            validate_key(&"é".repeat(513)),
            Err(Error::KeyTooLong)
        ));
        assert!(matches!(validate_key(""), Err(Error::InvalidKey(_))));
        assert!(matches!(validate_key("a\0b"), Err(Error::InvalidKey(_))));
    }
}
