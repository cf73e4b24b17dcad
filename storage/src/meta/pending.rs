//! The `pending` tree, the intent log of blobs that may be unreferenced (see `meta/mod.rs`):
//! marked before a blob file can reach `blobs/`, unmarked once a record references it.

use super::errors::sled_err;
use crate::layout::BlobId;
use crate::{Error, Result};

/// The `pending` tree: blobs that may be unreferenced (see the module header).
pub(crate) struct PendingLog(pub(super) sled::Tree);

impl PendingLog {
    /// Mark `ids` within a transaction over the `pending` tree (the one that drops their
    /// last reference).
    pub(super) fn mark_in(
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

    /// Is `id` marked? (For the write path's assertions.)
    pub fn is_marked(&self, id: BlobId) -> Result<bool> {
        self.0.contains_key(id.0).map_err(sled_err)
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
