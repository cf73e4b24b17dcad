//! The recovery sweep run by [`crate::Store::open`]: every temp file is garbage, and so is
//! every blob file (or inline blob entry) no object or staged part references. Reads the
//! records once (into a set of live ids), changes nothing but the garbage, and logs what it
//! removed.

use std::collections::HashSet;

use crate::layout::{BlobId, Dirs};
use crate::meta::Meta;
use crate::{RecoveryReport, Result};

pub(crate) fn sweep(dirs: &Dirs, meta: &Meta) -> Result<RecoveryReport> {
    let mut report = RecoveryReport::default();
    for entry in std::fs::read_dir(&dirs.tmp)? {
        let entry = entry?;
        remove(&entry.path())?;
        report.temp_files_removed += 1;
    }
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
                report.orphan_blobs_removed += 1;
            }
        }
    }
    // Inline blobs whose release was not yet durable at a crash.
    let orphans: Vec<BlobId> = meta
        .inline_ids()
        .filter(|id| id.as_ref().map_or(true, |id| !live.contains(id)))
        .collect::<Result<_>>()?;
    for id in orphans {
        meta.remove_inline(id)?;
        report.orphan_blobs_removed += 1;
    }
    tracing::info!(
        temp_files_removed = report.temp_files_removed,
        orphan_blobs_removed = report.orphan_blobs_removed,
        "storage recovery sweep done"
    );
    Ok(report)
}

fn remove(path: &std::path::Path) -> std::io::Result<()> {
    if path.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    }
}
