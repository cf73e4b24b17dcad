//! The recovery sweep run by [`crate::Store::open`]. Every temp file is garbage, and so is
//! every blob the `pending` log marks (see `meta.rs`): written but never committed, or
//! released but not yet deleted when the process stopped. (Of a packed blob the sweep
//! removes only its place: the bytes stay in their pack until compaction, `compact.rs`.) Only those are visited, so the
//! sweep costs the same at ten objects and at ten million.
//!
//! A directory written before the `pending` log (format 2 or older) gets the full sweep
//! once, at its upgrade: every record is read (into a set of live ids) and every blob file
//! and inline entry no record references is removed. Either sweep changes nothing but the
//! garbage, and logs what it removed.

use std::collections::HashSet;

use crate::layout::{BlobId, Dirs};
use crate::meta::{Meta, FORMAT};
use crate::{RecoveryReport, Result};

pub(crate) fn sweep(dirs: &Dirs, meta: &Meta) -> Result<RecoveryReport> {
    let mut report = RecoveryReport::default();
    for entry in std::fs::read_dir(&dirs.tmp)? {
        let entry = entry?;
        remove(&entry.path())?;
        report.temp_files_removed += 1;
    }
    let found = meta.found_format();
    if found < 3 {
        report.orphan_blobs_removed += full_sweep(dirs, meta)?;
    } else {
        report.orphan_blobs_removed += pending_sweep(dirs, meta)?;
    }
    if found < FORMAT {
        // Format 3 -> 4 adds the (empty) `packed` tree, 4 -> 5 Object Lock in the version
        // records (record format 4; format-3 records read as unlocked): nothing to rewrite.
        meta.set_current_format()?;
        tracing::info!(from = found, to = FORMAT, "metadata format upgraded");
    }
    tracing::info!(
        temp_files_removed = report.temp_files_removed,
        orphan_blobs_removed = report.orphan_blobs_removed,
        "storage recovery sweep done"
    );
    Ok(report)
}

/// Delete every marked blob (file, inline entry or packed place), then its mark.
fn pending_sweep(dirs: &Dirs, meta: &Meta) -> Result<u64> {
    let marked: Vec<BlobId> = meta.pending().ids().collect::<Result<_>>()?;
    let mut removed = 0;
    for &id in &marked {
        let inline = meta.remove_small(id)?;
        let file = match std::fs::remove_file(dirs.blob_path(id)) {
            Ok(()) => true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => return Err(e.into()),
        };
        if inline || file {
            removed += 1;
        }
    }
    if marked.is_empty() {
        return Ok(0);
    }
    // The unlinks are durable before the marks go.
    dirs.sync_fan_outs(&marked)?;
    for id in marked {
        meta.pending().clear(id)?;
    }
    Ok(removed)
}

/// Remove every blob file and inline entry no record references (format 2 and older had
/// no `pending` log to say which).
fn full_sweep(dirs: &Dirs, meta: &Meta) -> Result<u64> {
    let mut removed = 0;
    let live: HashSet<BlobId> = meta.referenced_blobs()?;
    for fan_out in std::fs::read_dir(&dirs.blobs)? {
        let fan_out = fan_out?;
        if !fan_out.file_type()?.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(fan_out.path())? {
            let entry = entry?;
            let name = entry.file_name();
            let referenced = name
                .to_str()
                .and_then(BlobId::parse)
                .is_some_and(|id| live.contains(&id));
            if !referenced {
                remove(&entry.path())?;
                removed += 1;
            }
        }
    }
    let orphans: Vec<BlobId> = meta
        .inline_ids()
        .filter(|id| id.as_ref().map_or(true, |id| !live.contains(id)))
        .collect::<Result<_>>()?;
    for id in orphans {
        meta.remove_small(id)?;
        removed += 1;
    }
    Ok(removed)
}

fn remove(path: &std::path::Path) -> std::io::Result<()> {
    if path.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    }
}
