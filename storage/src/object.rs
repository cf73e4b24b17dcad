//! Objects: the one commit routine ([`Store::commit_object`]) shared by PUT,
//! copy and origin fill, put / head / get / delete / copy, and tombstones. Bytes go through
//! [`BlobWriter`]; metadata through meta.rs; old blobs are deleted only after the flush.

use std::time::SystemTime;

use bytes::Bytes;
use futures::StreamExt as _;

use crate::blob::{Blob, BlobWriter};
use crate::checksum::{parse_md5_etag, to_base64};
use crate::key::validate_key;
use crate::reader::ObjectReader;
use crate::records::{from_ns, now_ns, object_meta, BlobRef, ObjectRec};
use crate::versions::NewContent;
use crate::{
    ByteRange, ChecksumAlgorithm, CommitCondition, Error, Expect, ObjectAttrs, ObjectMeta, Result,
    Store, StoredChecksum,
};

/// Readers retry when the object changes between reading its metadata and leasing its
/// blobs; this bounds the retries under a storm of overwrites.
const OPEN_ATTEMPTS: usize = 64;

impl Store {
    /// A writer for a new blob computing MD5 plus `algorithms`.
    pub fn blob_writer(&self, algorithms: &[ChecksumAlgorithm]) -> Result<BlobWriter> {
        BlobWriter::create(self.shared.clone(), algorithms, 0)
    }

    /// A writer for a whole object (PUT, copy): up to [`crate::StoreOptions::pack_max`]
    /// (or `inline_max`) bytes it stays in memory and becomes a packed (or inline) object,
    /// without a blob file.
    pub fn object_writer(&self, algorithms: &[ChecksumAlgorithm]) -> Result<BlobWriter> {
        let options = &self.shared.options;
        let keep = options.inline_max.max(options.pack_max);
        BlobWriter::create(self.shared.clone(), algorithms, keep)
    }

    /// The one commit routine: make `blob` the content of `bucket/key`.
    /// `Ok(None)` only with [`CommitCondition::IfAbsent`] when the condition failed; a
    /// client's condition that fails is an error. Either way the blob is deleted.
    pub async fn commit_object(
        &self,
        bucket: &str,
        key: &str,
        attrs: ObjectAttrs,
        mut blob: Blob,
        condition: CommitCondition,
    ) -> Result<Option<ObjectMeta>> {
        self.shared.check_writable()?;
        validate_key(key)?;
        debug_assert!(
            blob.is_durable(),
            "step 6: metadata is committed only for a durable blob"
        );
        let content = match (blob.take_inline(), blob.packed()) {
            (Some(bytes), _) => NewContent::Inline(blob.id, bytes),
            (None, Some(place)) => NewContent::Packed(blob.id, place),
            (None, None) => NewContent::File(blob.id),
        };
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
            version_id: None,
            seq: 0,
            upload_id: None,
            part_checksums: Vec::new(),
            // "Not a blob file": the `inline` or the `packed` tree has it.
            inline: matches!(content, NewContent::Inline(..) | NewContent::Packed(..)),
        };
        let outcome = {
            let _gate = self.shared.bucket_gate_shared();
            self.write_version(bucket, key, rec, condition, content)?
        };
        match outcome {
            // `blob` drops here: its file is deleted.
            None => Ok(None),
            Some((rec, released)) => {
                blob.committed();
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
        let mut writer = self.object_writer(&algorithms)?;
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

    /// The key's current version ([`Error::DeleteMarker`] when that is a delete marker).
    pub fn head_object(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        self.head_object_version(bucket, key, None)
    }

    /// The key's current version, or the version `version_id` names (`"null"`: the null
    /// version).
    pub fn head_object_version(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<ObjectMeta> {
        validate_key(key)?;
        let (_, rec) = self.locate(bucket, key, version_id)?;
        Ok(object_meta(key.to_owned(), rec))
    }

    /// NoSuchBucket or NoSuchKey, whichever applies.
    pub(crate) fn missing(&self, bucket: &str) -> Error {
        match self.head_bucket(bucket) {
            Ok(_) => Error::NoSuchKey,
            Err(e) => e,
        }
    }

    /// Metadata plus a reader of `range` (whole object when `None`) of the current version.
    pub fn get_object(
        &self,
        bucket: &str,
        key: &str,
        range: Option<ByteRange>,
    ) -> Result<(ObjectMeta, ObjectReader)> {
        self.get_object_version(bucket, key, None, range)
    }

    /// [`Store::get_object`] of the version `version_id` names, or of the current one.
    pub fn get_object_version(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        range: Option<ByteRange>,
    ) -> Result<(ObjectMeta, ObjectReader)> {
        validate_key(key)?;
        for _ in 0..OPEN_ATTEMPTS {
            let (raw, rec) = self.locate(bucket, key, version_id)?;
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
            let still = match self.locate(bucket, key, version_id) {
                Ok((r, _)) => Some(r),
                Err(_) => None,
            };
            if still.as_ref() != Some(&raw) {
                continue; // `lease` drops; a concurrent commit won: read the new object
            }
            let dirs = &self.shared.dirs;
            let meta = &self.shared.meta;
            // A small object's bytes are in the `inline` tree or in a pack. Looked up under
            // the lease: compaction deletes a pack only when no reader leases what it moved.
            // Packs first: they hold small objects by default, `inline` only when set.
            let small = match (rec.inline, rec.blobs.first()) {
                (true, Some(b)) => match meta.packed_place(b.id)? {
                    Some(place) => Some(Err(place)),
                    None => match meta.inline_bytes(b.id)? {
                        Some(bytes) => Some(Ok(bytes)),
                        // Replaced and released since the record was read: read the new one.
                        None => continue,
                    },
                },
                _ => None,
            };
            let (chunk, buffers) = (self.shared.options.read_chunk, self.shared.buffers.clone());
            let reader = match small {
                Some(Ok(bytes)) => {
                    ObjectReader::inline(Bytes::copy_from_slice(&bytes), resolved, buffers, lease)
                }
                Some(Err(place)) => {
                    let at = |_: &BlobRef| (self.shared.packs.path(place.pack), place.offset);
                    ObjectReader::new(&rec.blobs, at, resolved, chunk, buffers, lease)
                }
                None => {
                    let at = |b: &BlobRef| (dirs.blob_path(b.id), 0);
                    ObjectReader::new(&rec.blobs, at, resolved, chunk, buffers, lease)
                }
            };
            return Ok((object_meta(key.to_owned(), rec), reader));
        }
        Err(Error::Meta(format!(
            "object {bucket}/{key} changed {OPEN_ATTEMPTS} times while being opened"
        )))
    }

    /// Delete the key's current version (see [`Store::delete`]). Returns the object
    /// removed for good, if any (none when versioning keeps it behind a delete marker).
    pub async fn delete_object(
        &self,
        bucket: &str,
        key: &str,
        tombstone: bool,
    ) -> Result<Option<ObjectMeta>> {
        Ok(self.delete(bucket, key, None, tombstone).await?.removed)
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
        let always = CommitCondition::Always;
        self.copy_object_if(source, dst_bucket, dst_key, attrs, always)
            .await
    }

    /// [`Store::copy_object`], committed only if `condition` holds for the destination.
    pub async fn copy_object_if(
        &self,
        source: (ObjectMeta, ObjectReader),
        dst_bucket: &str,
        dst_key: &str,
        attrs: ObjectAttrs,
        condition: CommitCondition,
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
        let mut writer = self.object_writer(&algorithms)?;
        while let Some(chunk) = reader.next().await {
            writer.write(&chunk?).await?;
        }
        drop(reader); // release the source's lease before committing
        let blob = writer.finish(&expect).await?;
        self.commit_object(dst_bucket, dst_key, attrs, blob, condition)
            .await?
            .ok_or_else(|| Error::Meta("a copy's commit reported a lost fill race".into()))
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
