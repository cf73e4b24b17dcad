//! Compaction of pack files ([`Store::compact_packs`]): the space of released small objects,
//! and of appends no commit followed (a crash's torn tail), is reclaimed by copying the
//! live objects of a mostly dead pack to the current one and deleting the old file.
//!
//! It runs in the background (the server calls it periodically) and never blocks a
//! request: the census and the copies run on the blocking pool, the copies go through the
//! same appender as client writes, in batches, and each moved place is switched with a
//! compare-and-swap that loses to any concurrent release. Safety rests on three orders:
//! - a pack is compacted only once it is no longer the newest (nothing is appended to it
//!   any more) and no body appended to it is still uncommitted, so the census sees every
//!   place that will ever point into it;
//! - the new places are flushed before the old file is deleted;
//! - a reader leases a blob before it looks up its place, and the file is deleted only when
//!   no reader leases any blob that was in it (otherwise it is deleted by a later run).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::layout::BlobId;
use crate::packs::{PackLoc, Packs};
use crate::store::Shared;
use crate::{Error, Result, Store};

/// A pack is compacted once at most this share (in percent) of its bytes is live.
const LIVE_PERCENT: u64 = 50;
/// Live objects copied per batch (one group append, one batch of swaps).
const BATCH: usize = 256;

/// What one compaction did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CompactReport {
    /// Pack files deleted.
    pub packs_removed: u64,
    /// Their size in bytes, less what was copied out of them (not counted for a pack a
    /// reader kept, which a later run deletes).
    pub bytes_reclaimed: u64,
    /// Live objects copied to the current pack.
    pub objects_moved: u64,
}

impl Store {
    /// Reclaim the dead space of pack files (see the module header). Cheap when nothing
    /// died since the last run; otherwise one scan of the `packed` tree (O(packed objects))
    /// and one more for the packs it compacts.
    pub async fn compact_packs(&self) -> Result<CompactReport> {
        let shared = self.shared.clone();
        let mut report = CompactReport::default();
        retry_doomed(&shared, &mut report)?;
        if !shared.packs.take_dirty() {
            return Ok(report);
        }
        let compacted = compact(&shared, report).await;
        if compacted.is_err() {
            // What died is still dead: the next run looks again.
            shared.packs.mark_dirty();
        }
        compacted
    }
}

/// One compaction, once something may have died (see [`Store::compact_packs`]).
async fn compact(shared: &Arc<Shared>, mut report: CompactReport) -> Result<CompactReport> {
    let newest = shared.packs.newest();
    let (files, live) = blocking({
        let shared = shared.clone();
        move || census(&shared)
    })
    .await?;
    let chosen: HashSet<u64> = files
        .iter()
        .filter(|(pack, len)| {
            let live = live.get(pack).copied().unwrap_or(0);
            **pack < newest
                && shared.packs.uncommitted_in(**pack) == 0
                && live * 100 <= **len * LIVE_PERCENT
        })
        .map(|(pack, _)| *pack)
        .collect();
    if chosen.is_empty() {
        return Ok(report);
    }
    let entries = blocking({
        let shared = shared.clone();
        let chosen = chosen.clone();
        move || places_in(&shared, &chosen)
    })
    .await?;
    for pack in chosen {
        let len = files.get(&pack).copied().unwrap_or(0);
        let ids = match entries.get(&pack) {
            Some(places) => move_out(shared, pack, places, &mut report).await?,
            None => Vec::new(),
        };
        let moved_bytes: u64 = entries
            .get(&pack)
            .map_or(0, |p| p.iter().map(|(_, place)| place.len).sum());
        // The new places are durable before the old bytes go.
        shared.flush_meta().await?;
        if shared.leases.any_leased(&ids) {
            lock(&shared.packs.doomed).push((pack, ids));
        } else {
            remove(&shared.packs, pack)?;
            report.packs_removed += 1;
            report.bytes_reclaimed += len.saturating_sub(moved_bytes);
        }
    }
    if report.packs_removed > 0 || report.objects_moved > 0 {
        tracing::info!(
            packs_removed = report.packs_removed,
            bytes_reclaimed = report.bytes_reclaimed,
            objects_moved = report.objects_moved,
            "packs compacted"
        );
    }
    Ok(report)
}

/// Delete the packs an earlier run left to readers, once none leases what was in them.
fn retry_doomed(shared: &Shared, report: &mut CompactReport) -> Result<()> {
    let doomed = std::mem::take(&mut *lock(&shared.packs.doomed));
    for (pack, ids) in doomed {
        if shared.leases.any_leased(&ids) {
            lock(&shared.packs.doomed).push((pack, ids));
        } else {
            remove(&shared.packs, pack)?;
            report.packs_removed += 1;
        }
    }
    Ok(())
}

/// Every pack file with its length, and the live bytes each holds.
type Census = (HashMap<u64, u64>, HashMap<u64, u64>);

fn census(shared: &Shared) -> Result<Census> {
    let mut files = HashMap::new();
    for entry in std::fs::read_dir(shared.packs.dir())? {
        let entry = entry?;
        if let Some(pack) = entry
            .file_name()
            .to_str()
            .and_then(crate::packs::parse_name)
        {
            files.insert(pack, entry.metadata()?.len());
        }
    }
    let mut live: HashMap<u64, u64> = HashMap::new();
    for row in shared.meta.packed_places() {
        let (_, place) = row?;
        *live.entry(place.pack).or_default() += place.len;
    }
    Ok((files, live))
}

/// The places of the blobs in `chosen` packs, per pack.
fn places_in(
    shared: &Shared,
    chosen: &HashSet<u64>,
) -> Result<HashMap<u64, Vec<(BlobId, PackLoc)>>> {
    let mut out: HashMap<u64, Vec<(BlobId, PackLoc)>> = HashMap::new();
    for row in shared.meta.packed_places() {
        let (id, place) = row?;
        if chosen.contains(&place.pack) {
            out.entry(place.pack).or_default().push((id, place));
        }
    }
    Ok(out)
}

/// Copy the live objects of `pack` to the current pack and switch their places; returns
/// every id that was in it (a reader may lease any of them).
async fn move_out(
    shared: &std::sync::Arc<Shared>,
    pack: u64,
    places: &[(BlobId, PackLoc)],
    report: &mut CompactReport,
) -> Result<Vec<BlobId>> {
    let path = shared.packs.path(pack);
    for batch in places.chunks(BATCH) {
        let bodies = blocking({
            let path = path.clone();
            let batch = batch.to_vec();
            move || -> Result<Vec<Vec<u8>>> {
                use std::os::unix::fs::FileExt as _;
                let file = std::fs::File::open(&path)?;
                let mut out = Vec::with_capacity(batch.len());
                for (_, place) in &batch {
                    let len = usize::try_from(place.len).map_err(std::io::Error::other)?;
                    let mut bytes = vec![0u8; len];
                    file.read_exact_at(&mut bytes, place.offset)?;
                    out.push(bytes);
                }
                Ok(out)
            }
        })
        .await?;
        let appended = futures::future::join_all(
            bodies
                .into_iter()
                .map(|bytes| Packs::append(&shared.packs, bytes)),
        )
        .await;
        let mut failed = None;
        for ((id, from), to) in batch.iter().zip(appended) {
            let to = match to {
                Ok(to) => to,
                Err(e) => {
                    failed.get_or_insert(e);
                    continue;
                }
            };
            let moved = shared.meta.move_packed(*id, *from, to);
            // Committed or dead: either way no longer in flight.
            shared.packs.settled(to.pack);
            match moved {
                Ok(true) => report.objects_moved += 1,
                // Released meanwhile: the copy is dead too.
                Ok(false) => shared.packs.mark_dirty(),
                Err(e) => {
                    shared.packs.mark_dirty();
                    failed.get_or_insert(e);
                }
            }
        }
        if let Some(e) = failed {
            return Err(e);
        }
    }
    Ok(places.iter().map(|(id, _)| *id).collect())
}

fn remove(packs: &Packs, pack: u64) -> Result<()> {
    match std::fs::remove_file(packs.path(pack)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e)))?
}
