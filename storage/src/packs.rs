//! Pack files: small objects appended to shared, append-only files instead of one file
//! each. A group of concurrent writers shares one `write` and one `fdatasync` (group
//! commit of the bytes), so a small PUT costs no inode, no 4 KiB block of its own, no
//! rename and no directory fsync.
//!
//! A writer hands its verified bytes to [`Packs::append`]; one blocking task at a time
//! (the appender) takes every body queued so far, writes them at the end of the current
//! pack in one vectored write, `fdatasync`s the file and answers each writer with where its
//! bytes are ([`PackLoc`]). Only then does the writer commit a record naming that place, so
//! metadata never points at bytes that are not durable. A pack grows to
//! [`crate::StoreOptions::pack_file_bytes`] (passing it by at most one batch, which goes
//! whole into one pack), then the next one is created and the directory synced, so the new
//! name is durable before any record can reference it.
//!
//! What a crash leaves is a pack with a tail no record references (bytes appended, never
//! committed, possibly torn at any byte): dead space, like the bytes of deleted objects.
//! A started store never appends to a pack of an earlier run; [`crate::Store::compact_packs`]
//! (`compact.rs`) copies the live objects out of packs that are mostly dead and deletes
//! them.
//!
//! ```text
//! <dir>/packs/<id: 16 hex digits>   appended bytes, nothing else (no headers: the
//!                                   metadata's `packed` tree says where each object is)
//! ```

use std::collections::HashMap;
use std::fs::File;
use std::io::{IoSlice, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;

use crate::layout::BlobId;
use crate::poison::Poison;
use crate::{Error, Result};

/// Where a packed object's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PackLoc {
    pub pack: u64,
    pub offset: u64,
    pub len: u64,
}

impl PackLoc {
    /// Its value in the `packed` tree: pack, offset and length, u64 big-endian each.
    pub fn encode(&self) -> [u8; 24] {
        let mut out = [0u8; 24];
        out[..8].copy_from_slice(&self.pack.to_be_bytes());
        out[8..16].copy_from_slice(&self.offset.to_be_bytes());
        out[16..].copy_from_slice(&self.len.to_be_bytes());
        out
    }

    pub fn decode(raw: &[u8]) -> Result<PackLoc> {
        let word = |i: usize| -> Result<u64> {
            raw.get(i * 8..i * 8 + 8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| Error::Corrupt("a packed entry is not 24 bytes".into()))
        };
        if raw.len() != 24 {
            return Err(Error::Corrupt("a packed entry is not 24 bytes".into()));
        }
        Ok(PackLoc {
            pack: word(0)?,
            offset: word(1)?,
            len: word(2)?,
        })
    }
}

/// Bodies waiting for the appender, each with where to send its place.
type Waiting = Vec<(Vec<u8>, oneshot::Sender<Result<PackLoc>>)>;

/// The pack files of a store, and the appender's queue.
pub(crate) struct Packs {
    dir: PathBuf,
    queue: Mutex<Queue>,
    /// A pack is closed for appends once it holds this much.
    file_bytes: u64,
    /// A failed sync poisons the store.
    poison: Arc<Poison>,
    /// The id the next pack gets (one past the highest found at open).
    next_id: AtomicU64,
    /// Set when bytes may have died (a release, an uncommitted append, a start): the next
    /// compaction looks; cleared by it.
    dirty: AtomicBool,
    /// Per pack, the bodies appended to it and not yet committed or dropped: compaction
    /// leaves a pack alone while any is, since their places are in no record yet.
    uncommitted: Mutex<HashMap<u64, usize>>,
    /// Packs whose live objects compaction moved but a reader still leased: deleted by a
    /// later compaction once none does.
    pub(crate) doomed: Mutex<Vec<(u64, Vec<BlobId>)>>,
}

#[derive(Default)]
struct Queue {
    waiting: Waiting,
    /// The appender is running (it takes `current` while it does).
    running: bool,
    current: Option<Current>,
}

/// The pack being appended to.
struct Current {
    id: u64,
    file: File,
    len: u64,
}

impl Packs {
    /// The packs under `dir` (created if missing). Appends go to a new pack: the last one
    /// of an earlier run may end in a torn append.
    pub fn open(dir: &Path, file_bytes: u64, poison: Arc<Poison>) -> std::io::Result<Packs> {
        std::fs::create_dir_all(dir)?;
        let mut highest = 0;
        for entry in std::fs::read_dir(dir)? {
            if let Some(id) = entry?.file_name().to_str().and_then(parse_name) {
                highest = highest.max(id);
            }
        }
        Ok(Packs {
            dir: dir.to_owned(),
            queue: Mutex::default(),
            file_bytes,
            poison,
            next_id: AtomicU64::new(highest + 1),
            dirty: AtomicBool::new(true),
            uncommitted: Mutex::default(),
            doomed: Mutex::default(),
        })
    }

    pub fn path(&self, pack: u64) -> PathBuf {
        self.dir.join(format!("{pack:016x}"))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        // A panic while holding it leaves a queue whose waiters see their sender dropped.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The newest pack, the only one appends may go to: never compacted. (The appender
    /// appends to the pack it holds or to a new one, whose id is higher still.)
    pub fn newest(&self) -> u64 {
        self.next_id.load(Ordering::Acquire).saturating_sub(1)
    }

    /// The bytes at `place` in the pack at `path` (a packed blob: at most `pack_max`).
    pub fn read(path: &Path, place: PackLoc) -> std::io::Result<Vec<u8>> {
        use std::os::unix::fs::FileExt as _;
        let len = usize::try_from(place.len).map_err(std::io::Error::other)?;
        let mut bytes = vec![0u8; len];
        File::open(path)?.read_exact_at(&mut bytes, place.offset)?;
        Ok(bytes)
    }

    fn uncommitted(&self) -> MutexGuard<'_, HashMap<u64, usize>> {
        // Plain counters: usable after a panic elsewhere.
        self.uncommitted.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Bodies appended to `pack` and not yet committed nor dropped.
    pub fn uncommitted_in(&self, pack: u64) -> usize {
        self.uncommitted().get(&pack).copied().unwrap_or(0)
    }

    /// A body appended to `pack` was committed (its place is in the `packed` tree now) or
    /// dropped (its bytes are dead).
    pub fn settled(&self, pack: u64) {
        let mut counts = self.uncommitted();
        if let Some(n) = counts.get_mut(&pack) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.remove(&pack);
            }
        }
    }

    /// Bytes may have died since the last compaction.
    pub fn mark_dirty(&self) {
        self.dirty.store(true, Ordering::Release);
    }

    /// Whether bytes may have died since the last call (and clear the flag).
    pub fn take_dirty(&self) -> bool {
        self.dirty.swap(false, Ordering::AcqRel)
    }

    /// Append `bytes` to the current pack and return, once they are durable, where they
    /// are. Concurrent appends share one write and one `fdatasync`.
    pub async fn append(packs: &Arc<Packs>, bytes: Vec<u8>) -> Result<PackLoc> {
        let (tx, rx) = oneshot::channel();
        let start = {
            let mut queue = packs.queue();
            queue.waiting.push((bytes, tx));
            !std::mem::replace(&mut queue.running, true)
        };
        if start {
            let packs = packs.clone();
            // Its own task: a writer that goes away never strands the ones queued after it.
            tokio::task::spawn_blocking(move || packs.run_appender());
        }
        rx.await
            .map_err(|_| Error::Io(std::io::Error::other("the pack appender stopped")))?
    }

    /// The appender: write and sync batches until the queue is empty.
    fn run_appender(&self) {
        loop {
            let (batch, current) = {
                let mut queue = self.queue();
                if queue.waiting.is_empty() {
                    queue.running = false;
                    return;
                }
                (std::mem::take(&mut queue.waiting), queue.current.take())
            };
            let (current, result) = self.write_batch(current, &batch);
            self.queue().current = current;
            match result {
                Ok(places) => {
                    for ((_, tx), place) in batch.into_iter().zip(places) {
                        let _ = tx.send(Ok(place));
                    }
                }
                Err(e) => {
                    let why = e.to_string();
                    for (_, tx) in batch {
                        let _ = tx.send(Err(Error::Io(std::io::Error::other(why.clone()))));
                    }
                }
            }
        }
    }

    /// Write `batch` at the end of the current pack (a new one when there is none or it is
    /// full) and sync it. On failure the pack is dropped: the next batch starts a new one.
    fn write_batch(
        &self,
        current: Option<Current>,
        batch: &Waiting,
    ) -> (Option<Current>, Result<Vec<PackLoc>>) {
        let mut current = match current {
            Some(c) if c.len < self.file_bytes => c,
            _ => match self.create() {
                Ok(c) => c,
                Err(e) => return (None, Err(e)),
            },
        };
        let mut places = Vec::with_capacity(batch.len());
        let mut offset = current.len;
        for (bytes, _) in batch {
            let len = bytes.len() as u64;
            places.push(PackLoc {
                pack: current.id,
                offset,
                len,
            });
            offset += len;
        }
        let mut slices: Vec<IoSlice<'_>> = batch
            .iter()
            .filter(|(b, _)| !b.is_empty())
            .map(|(b, _)| IoSlice::new(b))
            .collect();
        let written = write_all_vectored(&mut current.file, &mut slices)
            .map_err(Error::Io)
            .and_then(|()| self.poison.fsync(|| current.file.sync_data()));
        match written {
            Ok(()) => {
                current.len = offset;
                // Counted before any writer hears of its place (see `uncommitted`).
                *self.uncommitted().entry(current.id).or_default() += places.len();
                (Some(current), Ok(places))
            }
            Err(e) => (None, Err(e)),
        }
    }

    /// A new, empty pack whose name is durable.
    fn create(&self) -> Result<Current> {
        let id = self.next_id.fetch_add(1, Ordering::AcqRel);
        let file = std::fs::OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(self.path(id))?;
        self.poison.fsync(|| File::open(&self.dir)?.sync_all())?;
        Ok(Current { id, file, len: 0 })
    }
}

/// `write_all` over several buffers (std's `write_all_vectored` is not stable).
fn write_all_vectored(file: &mut File, mut slices: &mut [IoSlice<'_>]) -> std::io::Result<()> {
    while !slices.is_empty() {
        match file.write_vectored(slices) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut slices, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A pack's id from its file name.
pub(crate) fn parse_name(name: &str) -> Option<u64> {
    (name.len() == 16)
        .then(|| u64::from_str_radix(name, 16).ok())
        .flatten()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn places_round_trip_and_names_parse() {
        let loc = PackLoc {
            pack: 7,
            offset: 1 << 40,
            len: 4096,
        };
        assert_eq!(PackLoc::decode(&loc.encode()).unwrap(), loc);
        assert!(PackLoc::decode(&[0u8; 23]).is_err());
        assert_eq!(parse_name("000000000000000a"), Some(10));
        assert_eq!(parse_name("a"), None);
        assert_eq!(parse_name("zzzzzzzzzzzzzzzz"), None);
    }
}
