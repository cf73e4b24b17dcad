//! The data directory's layout: blob ids (random, so no key ever becomes a path), where a
//! blob or a temp file lives, and [`FileGuard`], which deletes a file unless disarmed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A blob's random 128-bit id; its file name is the 32-hex form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct BlobId(pub [u8; 16]);

impl BlobId {
    pub fn random() -> BlobId {
        BlobId(uuid::Uuid::new_v4().into_bytes())
    }
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }
    pub fn parse(name: &str) -> Option<BlobId> {
        if name.len() != 32 {
            return None;
        }
        let raw = hex::decode(name).ok()?;
        Some(BlobId(raw.try_into().ok()?))
    }
}

/// The directory layout of a store.
#[derive(Debug, Clone)]
pub(crate) struct Dirs {
    pub blobs: PathBuf,
    pub tmp: PathBuf,
}

impl Dirs {
    pub fn new(root: &Path) -> Dirs {
        Dirs {
            blobs: root.join("blobs"),
            tmp: root.join("tmp"),
        }
    }
    pub fn fan_out(&self, id: BlobId) -> PathBuf {
        self.blobs.join(format!("{:02x}", id.0[0]))
    }
    pub fn blob_path(&self, id: BlobId) -> PathBuf {
        self.fan_out(id).join(id.hex())
    }
    pub fn temp_path(&self, id: BlobId) -> PathBuf {
        self.tmp.join(id.hex())
    }
    /// fsync the fan-out directories of `ids` (each once): renames into them, or unlinks
    /// from them, are then durable.
    pub fn sync_fan_outs(&self, ids: &[BlobId]) -> std::io::Result<()> {
        let mut dirs: Vec<PathBuf> = ids.iter().map(|id| self.fan_out(*id)).collect();
        dirs.sort();
        dirs.dedup();
        for dir in dirs {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    }

    /// Create tmp/ and the 256 fan-out directories.
    pub fn create(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.tmp)?;
        for i in 0..=255u8 {
            std::fs::create_dir_all(self.blobs.join(format!("{i:02x}")))?;
        }
        Ok(())
    }
}

/// Deletes its file on drop unless disarmed.
pub(crate) struct FileGuard {
    pub path: PathBuf,
    pub armed: bool,
}

impl Drop for FileGuard {
    fn drop(&mut self) {
        if self.armed {
            if let Err(e) = std::fs::remove_file(&self.path) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(path = %self.path.display(), error = %e, "removing blob file");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_ids_round_trip_and_fan_out() {
        let id = BlobId::random();
        assert_eq!(BlobId::parse(&id.hex()), Some(id));
        assert_eq!(BlobId::parse("xyz"), None);
        let dirs = Dirs::new(Path::new("/d"));
        let p = dirs.blob_path(id);
        assert!(p.starts_with("/d/blobs"));
        assert_eq!(
            p.parent()
                .and_then(|d| d.file_name())
                .and_then(|n| n.to_str()),
            Some(&id.hex()[..2])
        );
    }
}
