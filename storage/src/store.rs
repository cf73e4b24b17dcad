//! The [`Store`] handle and its shared state: opening a data directory (layout, sled,
//! recovery sweep), the poison flag set by a failed fsync, and the gates that serialise the
//! few metadata changes a single sled transaction cannot check (a bucket's emptiness, the
//! set of an upload's parts). Operation families live in bucket.rs, object.rs, versions.rs,
//! list.rs, list_versions.rs, multipart.rs, tagging.rs and fill.rs.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::buffers::BufferPool;
use crate::layout::{BlobId, Dirs};
use crate::lease::Leases;
use crate::meta::Meta;
use crate::packs::Packs;
use crate::poison::Poison;
use crate::{recovery, Error, RecoveryReport, Result, StoreOptions};

/// Stripes of [`Shared::lock_key`].
const KEY_LOCK_STRIPES: usize = 256;

/// State shared by every clone of a [`Store`] and by its writers and readers.
pub(crate) struct Shared {
    pub dirs: Dirs,
    pub meta: Meta,
    pub options: StoreOptions,
    pub leases: Arc<Leases>,
    /// The pack files small objects are appended to.
    pub packs: Arc<Packs>,
    /// The writers' and readers' large buffers.
    pub buffers: Arc<BufferPool>,
    poison: Arc<Poison>,
    /// Object commits and upload creation hold it shared; `delete_bucket` holds it
    /// exclusively so no object appears between its emptiness check and its removal.
    bucket_gate: RwLock<()>,
    /// Serialises changes to the part sets of uploads (stage, complete, abort), so the
    /// parts read before a transaction are exactly the parts it removes.
    part_gate: Mutex<()>,
    /// Striped locks serialising the changes to one key's versions (a change reads the
    /// key's versions, then writes them in one transaction).
    key_locks: Vec<Mutex<()>>,
    report: RecoveryReport,
}

impl Shared {
    /// Refuse writes once an fsync failed.
    pub fn check_writable(&self) -> Result<()> {
        self.poison.check()
    }

    /// Run an fsync; a failure poisons the store (the page cache state is unknown, so
    /// retrying could report success for lost data).
    pub fn fsync(&self, sync: impl FnOnce() -> std::io::Result<()>) -> Result<()> {
        self.poison.fsync(sync)
    }

    /// Make every metadata write so far durable (shared with concurrent writers); a failure
    /// poisons the store.
    pub async fn flush_meta(&self) -> Result<()> {
        match self.meta.flush().await {
            Ok(()) => Ok(()),
            Err(e) => {
                self.poison(&format!("metadata flush failed: {e}"));
                Err(e)
            }
        }
    }

    pub fn poison(&self, why: &str) {
        self.poison.poison(why)
    }

    pub fn bucket_gate_shared(&self) -> RwLockReadGuard<'_, ()> {
        self.bucket_gate.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn bucket_gate_exclusive(&self) -> RwLockWriteGuard<'_, ()> {
        self.bucket_gate.write().unwrap_or_else(|p| p.into_inner())
    }

    pub fn part_gate(&self) -> MutexGuard<'_, ()> {
        self.part_gate.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The lock of `bucket/key`'s stripe.
    pub fn lock_key(&self, bucket: &str, key: &str) -> MutexGuard<'_, ()> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (bucket, key).hash(&mut h);
        // The modulo keeps the index below the stripe count, which fits in usize.
        let i = (h.finish() % KEY_LOCK_STRIPES as u64) as usize;
        self.key_locks[i].lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The store. Cheap to clone; all clones share one database and data directory.
#[derive(Clone)]
pub struct Store {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dirs", &self.shared.dirs)
            .finish()
    }
}

impl Store {
    /// The pool readers of the store's files share (origin flights read a growing temp file
    /// through it).
    pub fn read_buffers(&self) -> crate::ReadBuffers {
        crate::ReadBuffers::of(self.shared.buffers.clone())
    }

    /// Open (creating if needed) the store in `dir`, then run the recovery sweep (of the
    /// `pending` log; of every record and blob once, when upgrading a format-2 directory).
    /// A corrupt database is a clear error, never silently recreated.
    pub fn open(dir: impl AsRef<Path>, options: StoreOptions) -> Result<Store> {
        let dir = dir.as_ref();
        let dirs = Dirs::new(dir);
        dirs.create()?;
        let meta = Meta::open(&dir.join("meta"), options.meta_cache_bytes)?;
        let report = recovery::sweep(&dirs, &meta)?;
        meta.ensure_usage_counted()?;
        let poison = Arc::new(Poison::default());
        let packs = Packs::open(&dir.join("packs"), options.pack_file_bytes, poison.clone())?;
        Ok(Store {
            shared: Arc::new(Shared {
                leases: Arc::new(Leases::new(dirs.clone())),
                dirs,
                meta,
                packs: Arc::new(packs),
                buffers: BufferPool::new(
                    options.write_buffer.max(options.read_chunk).max(4096),
                    options.idle_buffers,
                ),
                options,
                poison,
                bucket_gate: RwLock::new(()),
                part_gate: Mutex::new(()),
                key_locks: (0..KEY_LOCK_STRIPES).map(|_| Mutex::new(())).collect(),
                report,
            }),
        })
    }

    /// What the sweep at open removed.
    pub fn recovery_report(&self) -> RecoveryReport {
        self.shared.report.clone()
    }

    /// Whether a failed fsync made the store refuse writes.
    pub fn is_poisoned(&self) -> bool {
        self.shared.check_writable().is_err()
    }

    /// Flush metadata to disk (also done by every write before it returns).
    pub async fn flush(&self) -> Result<()> {
        self.shared.flush_meta().await
    }

    /// Make a committed change durable, then delete the blobs it released (which the
    /// change marked `pending`). The order matters: deleting first could leave durable
    /// metadata pointing at a deleted blob.
    pub(crate) async fn flush_then_delete(
        &self,
        released: impl IntoIterator<Item = BlobId>,
    ) -> Result<()> {
        // Its own task: a caller dropped mid-way (a client that disconnects) must not skip
        // the deletes, or the released blobs would linger until the next start.
        let released: Vec<BlobId> = released.into_iter().collect();
        if released.is_empty() {
            return self.flush().await;
        }
        let store = self.clone();
        let task = tokio::spawn(async move {
            store.flush().await?;
            let mut unlinked = Vec::new();
            for id in released {
                let shared = &store.shared;
                // An inline or packed blob is a metadata entry, any other a file.
                if shared.meta.remove_small(id)? {
                    // What a pack held is dead now: compaction will look.
                    shared.packs.mark_dirty();
                    // Written after the removal: never durable without it.
                    shared.meta.pending().clear(id)?;
                } else if shared.leases.delete_blob(id) {
                    unlinked.push(id);
                }
                // A leased blob is deleted when its last reader goes; its mark stays
                // until the next start's sweep.
            }
            if !unlinked.is_empty() {
                // Off the caller's path: the unlinks are made durable before the marks
                // go, or a crash could keep a file nothing marks.
                let shared = store.shared.clone();
                tokio::task::spawn_blocking(move || clear_after_unlink(&shared, &unlinked));
            }
            Ok(())
        });
        task.await
            .map_err(|e| Error::Io(std::io::Error::other(e)))?
    }
}

/// Sync the fan-out directories the `unlinked` blob files were in, then unmark them. A
/// failure only leaves marks for the next start's sweep.
fn clear_after_unlink(shared: &Shared, unlinked: &[BlobId]) {
    if let Err(e) = shared.dirs.sync_fan_outs(unlinked) {
        tracing::warn!(error = %e, "syncing blob directories after unlinks");
        return;
    }
    for id in unlinked {
        if let Err(e) = shared.meta.pending().clear(*id) {
            tracing::warn!(error = %e, "clearing a pending mark");
            return;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{Blob, BlobWriter, Expect, FillWriter, ObjectAttrs, ObjectReader};

    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>(_: &T) {}

    /// The server keeps these in axum state and bodies, and awaits these futures inside
    /// handlers that must be `Send`: a lock guard held across an await would break that.
    #[test]
    fn handles_and_futures_are_send() {
        send_sync::<Store>();
        send_sync::<ObjectReader>();
        send_sync::<Blob>();
        send::<Option<BlobWriter>>(&None);
        send::<Option<FillWriter>>(&None);
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), StoreOptions::default()).unwrap();
        let e = Expect::default();
        let body = futures::stream::empty::<std::io::Result<bytes::Bytes>>();
        send(&s.put_object("b", "k", ObjectAttrs::default(), body, &e));
        send(&s.delete_object("b", "k", true));
        send(&s.complete_upload("b", "k", "u", &[]));
        send(&s.abort_upload("b", "k", "u"));
        send(&s.delete_bucket("b"));
        send(&s.create_upload("b", "k", "o", ObjectAttrs::default(), None));
        send(&s.expire_uploads(std::time::Duration::ZERO));
        send(&s.set_bucket_setting("b", "n", None));
    }

    #[tokio::test]
    async fn a_failed_fsync_poisons_writes_but_not_reads() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), StoreOptions::default()).unwrap();
        s.create_bucket("bkt", "me", "r").await.unwrap();
        assert!(!s.is_poisoned());
        let failed = s.shared.fsync(|| Err(std::io::Error::other("EIO")));
        assert!(matches!(failed, Err(Error::Io(_))));
        assert!(s.is_poisoned());
        assert!(matches!(s.blob_writer(&[]), Err(Error::Poisoned)));
        assert!(matches!(
            s.create_bucket("other", "me", "r").await,
            Err(Error::Poisoned)
        ));
        assert!(matches!(
            s.delete_object("bkt", "k", false).await,
            Err(Error::Poisoned)
        ));
        assert!(s.head_bucket("bkt").is_ok(), "reads still work");
        // A poisoned store stays poisoned for every clone.
        assert!(s.clone().is_poisoned());
    }
}
