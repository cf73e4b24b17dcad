//! [`Meta`]: the database handle and its fixed trees, opening (corruption reported, never
//! repaired), the format record and the format 1 -> 2 migration, sequence numbers, and the
//! shared flush that makes writes durable.

use std::path::Path;

use super::errors::sled_err;
use super::pending::PendingLog;
use crate::group_flush::GroupFlush;
use crate::records::{decode_object, encode_object};
use crate::{Error, Result};

/// The metadata format this build writes; [`Meta::open`] migrates older ones.
pub(crate) const FORMAT: u32 = 5;

pub(crate) struct Meta {
    pub(super) db: sled::Db,
    /// Concurrent writers share flushes (group commit).
    pub(super) flusher: std::sync::Arc<GroupFlush>,
    pub(super) buckets: sled::Tree,
    pub(super) objects: sled::Tree,
    pub(super) uploads: sled::Tree,
    pub(super) parts: sled::Tree,
    pub(super) settings: sled::Tree,
    pub(super) tombstones: sled::Tree,
    pub(super) events: sled::Tree,
    pub(super) queues: sled::Tree,
    pub(super) versions: sled::Tree,
    pub(super) store: sled::Tree,
    pub(super) inline: sled::Tree,
    pub(super) packed: sled::Tree,
    pub(super) pending: PendingLog,
    /// The format the database was in when opened (before any migration).
    pub(super) found_format: u32,
}

impl Meta {
    /// Open (or create) the database. Corruption is reported with the path, never repaired
    /// by deleting anything.
    pub fn open(path: &Path, cache_bytes: u64) -> Result<Meta> {
        let config = sled::Config::new()
            .path(path)
            // A bounded page cache keeps the process RSS predictable.
            .cache_capacity(cache_bytes);
        // sled's background threads keep the file lock for a moment after the previous
        // handle in this process was dropped (a reopen, a quick restart): wait for it
        // briefly instead of failing. Another live process holding it still fails.
        let mut attempts = 0;
        let db = loop {
            match config.open() {
                Err(sled::Error::Io(e))
                    if e.to_string().contains("could not acquire lock") && attempts < 100 =>
                {
                    attempts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => break other,
            }
        };
        let db = db.map_err(|e| match e {
            sled::Error::Corruption { .. } => {
                Error::Corrupt(format!("sled database at {}: {e}", path.display()))
            }
            other => Error::Meta(format!("opening {}: {other}", path.display())),
        })?;
        // sled says whether the database existed: a new one is written in the current format
        // from the start, with nothing to migrate or sweep.
        let created = !db.was_recovered();
        let tree = |name: &str| db.open_tree(name).map_err(sled_err);
        let mut meta = Meta {
            buckets: tree("buckets")?,
            objects: tree("objects")?,
            uploads: tree("uploads")?,
            parts: tree("parts")?,
            settings: tree("settings")?,
            tombstones: tree("tombstones")?,
            events: tree("events")?,
            queues: tree("queues")?,
            versions: tree("versions")?,
            store: tree("store")?,
            inline: tree("inline")?,
            packed: tree("packed")?,
            pending: PendingLog(tree("pending")?),
            found_format: 0,
            flusher: std::sync::Arc::new(GroupFlush::new({
                let db = db.clone();
                move || db.flush().map(drop).map_err(|e| e.to_string())
            })),
            db,
        };
        meta.found_format = if created {
            meta.set_current_format()?;
            tracing::info!(path = %path.display(), format = FORMAT, "created a new metadata store");
            FORMAT
        } else {
            meta.check_format(path)?
        };
        Ok(meta)
    }

    /// Refuse a format newer than [`FORMAT`]; rewrite format-1 records in format 2 (with a
    /// log line). Returns the format found; the store records [`FORMAT`] once its sweep for
    /// that format is done.
    fn check_format(&self, path: &Path) -> Result<u32> {
        let found = match self.store.get("format").map_err(sled_err)? {
            Some(raw) => <[u8; 4]>::try_from(raw.as_ref())
                .map(u32::from_be_bytes)
                .map_err(|_| Error::Corrupt("the format record is not 4 bytes".into()))?,
            // No record in a database that existed: format 1.
            None => 1,
        };
        if found > FORMAT {
            return Err(Error::Corrupt(format!(
                "the metadata at {} is in format {found}, newer than this originstore \
                 understands ({FORMAT}); run a newer originstore, or restore a backup",
                path.display()
            )));
        }
        if found < 2 {
            let rewritten = self.migrate_objects_to_format_2()?;
            if rewritten > 0 {
                tracing::info!(
                    path = %path.display(),
                    objects = rewritten,
                    "metadata migrated from format {found} to 2"
                );
            }
        }
        Ok(found)
    }

    /// The format the database was in when opened.
    pub fn found_format(&self) -> u32 {
        self.found_format
    }

    /// Record that the database is in [`FORMAT`] (after the migration's sweep), durably.
    pub fn set_current_format(&self) -> Result<()> {
        self.store
            .insert("format", &FORMAT.to_be_bytes())
            .map_err(sled_err)?;
        self.db.flush().map_err(sled_err)?;
        Ok(())
    }

    /// The intent log of blobs that may be unreferenced.
    pub fn pending(&self) -> &PendingLog {
        &self.pending
    }

    /// Format 1 -> 2: object records gain a version id (`null`), a sequence number and an
    /// upload id. Each record is rewritten in place; an interrupted migration is resumed
    /// at the next open (format-1 records still decode).
    fn migrate_objects_to_format_2(&self) -> Result<u64> {
        let mut rewritten = 0;
        for row in self.objects.iter() {
            let (k, v) = row.map_err(sled_err)?;
            if v.first() == Some(&crate::records::OBJECT_VERSION) {
                continue;
            }
            let rec = decode_object(&v)?;
            self.objects
                .insert(k, encode_object(&rec)?)
                .map_err(sled_err)?;
            rewritten += 1;
        }
        Ok(rewritten)
    }

    /// A number larger than every one this store handed out before (survives restarts).
    pub fn next_seq(&self) -> Result<u64> {
        // sled's ids start at 0; version sequence 0 is reserved for format-1 objects.
        self.db.generate_id().map(|id| id + 1).map_err(sled_err)
    }

    /// Make every write so far durable, sharing one flush with the writers that commit
    /// meanwhile ([`GroupFlush`]). sled 0.34's `flush_async` is not used: futures of
    /// concurrent calls are never woken in release builds (sled issues #1241, #1308; the
    /// load benchmark's 16 concurrent PUTs wedged the server for good), so the blocking
    /// `flush` runs on the blocking pool instead.
    pub async fn flush(&self) -> Result<()> {
        self.flusher
            .flush()
            .await
            .map_err(|e| Error::Meta(format!("metadata flush: {e}")))
    }
}
