//! The lease table: a blob a reader streams is not deleted under it. A delete of a leased
//! blob is deferred until its last reader drops its [`Lease`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::layout::{BlobId, Dirs, FileGuard};

/// Readers per blob, and whether a delete waits for them.
pub(crate) struct Leases {
    table: Mutex<HashMap<BlobId, LeaseEntry>>,
    /// Where a doomed blob's file is, to delete it when its last reader goes.
    dirs: Dirs,
}

#[derive(Default)]
struct LeaseEntry {
    readers: usize,
    doomed: bool,
}

/// Held by an [`crate::ObjectReader`]: its blobs are not deleted while it lives.
pub(crate) struct Lease {
    leases: Arc<Leases>,
    ids: Vec<BlobId>,
}

impl Leases {
    pub(crate) fn new(dirs: Dirs) -> Leases {
        Leases {
            table: Mutex::default(),
            dirs,
        }
    }

    pub(crate) fn lease(self: &Arc<Self>, ids: Vec<BlobId>) -> Lease {
        let mut table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        for id in &ids {
            table.entry(*id).or_default().readers += 1;
        }
        Lease {
            leases: self.clone(),
            ids,
        }
    }

    /// Whether a reader leases any of `ids`.
    pub(crate) fn any_leased(&self, ids: &[BlobId]) -> bool {
        let table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        ids.iter().any(|id| table.contains_key(id))
    }

    /// Delete a blob that metadata no longer references; deferred while it is leased.
    /// True when the file was unlinked now.
    pub(crate) fn delete_blob(&self, id: BlobId) -> bool {
        {
            let mut table = self.table.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(entry) = table.get_mut(&id) {
                entry.doomed = true;
                return false;
            }
        }
        self.remove_blob_file(id);
        true
    }

    fn remove_blob_file(&self, id: BlobId) {
        drop(FileGuard {
            path: self.dirs.blob_path(id),
            armed: true,
        });
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let mut doomed = Vec::new();
        {
            let mut table = self.leases.table.lock().unwrap_or_else(|p| p.into_inner());
            for id in &self.ids {
                if let Some(entry) = table.get_mut(id) {
                    entry.readers = entry.readers.saturating_sub(1);
                    if entry.readers == 0 {
                        if entry.doomed {
                            doomed.push(*id);
                        }
                        table.remove(id);
                    }
                }
            }
        }
        for id in doomed {
            self.leases.remove_blob_file(id);
        }
    }
}
