//! Origin fill: [`FillWriter`] streams an origin's bytes through the same [`BlobWriter`] as
//! PUT and commits through the same routine, with [`CommitCondition::IfAbsent`] so a local
//! PUT or DELETE that happened during the fetch wins. Uncommitted, it leaves no trace (the
//! writer's guard deletes the temp file).

use crate::blob::BlobWriter;
use crate::key::validate_key;
use crate::{ChecksumAlgorithm, CommitCondition, Expect, ObjectAttrs, ObjectMeta, Result, Store};

/// A writer for an origin fill: bytes go through a [`BlobWriter`]; the object appears only
/// when [`FillWriter::commit`] is called after the caller verified the whole body, and only
/// if no local object or tombstone appeared meanwhile. Dropped uncommitted, it leaves no trace.
pub struct FillWriter {
    store: Store,
    bucket: String,
    key: String,
    writer: BlobWriter,
    /// A refresh: the fill replaces the origin copy with this ETag, and only it.
    replacing: Option<String>,
}

impl FillWriter {
    pub async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        self.writer.write(chunk).await
    }

    pub fn written(&self) -> u64 {
        self.writer.written()
    }

    /// Bytes readers of [`FillWriter::temp_path`] can see now (see [`BlobWriter::visible`]).
    pub async fn visible(&mut self) -> Result<u64> {
        self.writer.visible().await
    }

    /// Make every byte written so far visible to readers of [`FillWriter::temp_path`]
    /// (waits for the write).
    pub async fn flush(&mut self) -> Result<()> {
        self.writer.flush().await
    }

    /// The growing temp file: readers may stream it while the fill runs (see
    /// [`crate::BlobWriter::temp_path`]). It is never the committed object's path.
    pub fn temp_path(&self) -> &std::path::Path {
        self.writer.temp_path()
    }

    /// Make this fill a refresh of the origin copy whose ETag is `etag`: it commits only
    /// over that copy (a local write or delete meanwhile wins).
    pub fn replacing(&mut self, etag: &str) {
        self.replacing = Some(etag.to_owned());
    }

    /// `Ok(None)` when a local write or delete won the race and the fill was discarded.
    pub async fn commit(self, attrs: ObjectAttrs, expect: &Expect) -> Result<Option<ObjectMeta>> {
        self.verify(expect).await?.commit(attrs).await
    }

    /// Finish the blob and check it against `expect`, without committing it yet (the caller
    /// has one more thing to wait for: the cluster's acknowledgement of a fill written
    /// through to it).
    pub async fn verify(self, expect: &Expect) -> Result<VerifiedFill> {
        Ok(VerifiedFill {
            blob: self.writer.finish(expect).await?,
            store: self.store,
            bucket: self.bucket,
            key: self.key,
            replacing: self.replacing,
        })
    }
}

/// A fill whose bytes are durable and verified, not yet visible.
pub struct VerifiedFill {
    store: Store,
    bucket: String,
    key: String,
    blob: crate::Blob,
    replacing: Option<String>,
}

impl VerifiedFill {
    /// `Ok(None)` when a local write or delete won the race and the fill was discarded.
    pub async fn commit(self, attrs: ObjectAttrs) -> Result<Option<ObjectMeta>> {
        let blob = self.blob;
        let condition = match self.replacing {
            Some(etag) => CommitCondition::IfMatch(etag),
            None => CommitCondition::IfAbsent,
        };
        let replacing = matches!(condition, CommitCondition::IfMatch(_));
        match self
            .store
            .commit_object(&self.bucket, &self.key, attrs, blob, condition)
            .await
        {
            Err(crate::Error::PreconditionFailed | crate::Error::NoSuchKey) if replacing => {
                Ok(None)
            }
            other => other,
        }
    }
}

impl Store {
    pub fn fill_writer(
        &self,
        bucket: &str,
        key: &str,
        algorithms: &[ChecksumAlgorithm],
    ) -> Result<FillWriter> {
        validate_key(key)?;
        self.head_bucket(bucket)?;
        Ok(FillWriter {
            store: self.clone(),
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            writer: self.blob_writer(algorithms)?,
            replacing: None,
        })
    }
}
