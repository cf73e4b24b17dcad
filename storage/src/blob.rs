//! Blob files: the one writer every byte goes through ([`BlobWriter`]: mark `pending` ->
//! temp file -> hash -> verify -> `sync_all` and flush the mark -> rename -> fsync dir) and
//! the uncommitted [`Blob`] guard. Knows nothing of keys: a blob is an immutable file named
//! by a random id (`layout.rs`); its only metadata is the `pending` mark (`meta.rs`), which
//! is durable before the file can reach `blobs/`, so a crash never strands an unmarked,
//! unreferenced blob file.
//!
//! A writer allowed to keep small bodies (`keep_max` > 0: [`crate::Store::object_writer`])
//! keeps the bytes in memory until they outgrow that size, and only then creates its temp
//! file: a body that stays small becomes a packed [`Blob`], its bytes appended to a shared
//! pack file with the other small bodies finishing at the same time (`packs.rs`), or, up to
//! `inline_max`, an inline one, whose bytes the commit puts in the metadata store (no file,
//! no fsync; the metadata flush makes them durable).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::buffers::{WriteBuf, DIRECT_ALIGN};
use crate::checksum::Hashes;
use crate::layout::{BlobId, FileGuard};
use crate::packs::{PackLoc, Packs};
use crate::store::Shared;
use crate::{ChecksumAlgorithm, Error, Expect, Result};

/// A finished, durable blob not yet referenced by any metadata (dropping it without
/// committing it deletes the file).
pub struct Blob {
    pub(crate) id: BlobId,
    size: u64,
    md5: [u8; 16],
    checksums: Vec<(ChecksumAlgorithm, Vec<u8>)>,
    guard: FileGuard,
    /// The bytes of a blob that never became a file.
    inline: Option<Vec<u8>>,
    /// Where a packed blob's bytes are.
    packed: Option<PackedGuard>,
}

/// A packed blob's place. Dropping it tells compaction the body is no longer in flight
/// (committed, or, while still armed, dead).
struct PackedGuard {
    shared: Arc<Shared>,
    place: PackLoc,
    armed: bool,
}

impl Drop for PackedGuard {
    fn drop(&mut self) {
        self.shared.packs.settled(self.place.pack);
        if self.armed {
            self.shared.packs.mark_dirty();
        }
    }
}

impl std::fmt::Debug for Blob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blob")
            .field("id", &self.id.hex())
            .field("size", &self.size)
            .finish()
    }
}

impl Blob {
    pub fn size(&self) -> u64 {
        self.size
    }
    pub fn md5(&self) -> [u8; 16] {
        self.md5
    }
    /// Raw digests of the algorithms the writer was created with.
    pub fn checksum(&self, algorithm: ChecksumAlgorithm) -> Option<&[u8]> {
        self.checksums
            .iter()
            .find(|(a, _)| *a == algorithm)
            .map(|(_, v)| v.as_slice())
    }
    pub(crate) fn checksums(&self) -> &[(ChecksumAlgorithm, Vec<u8>)] {
        &self.checksums
    }
    /// Is the blob where a commit may reference it: its bytes in memory (inline), appended
    /// and synced in a pack, or its file renamed into place (for the write path's
    /// assertions).
    pub(crate) fn is_durable(&self) -> bool {
        self.inline.is_some() || self.packed.is_some() || self.guard.path.exists()
    }
    /// Metadata now references the blob: it must outlive this handle.
    pub(crate) fn committed(mut self) {
        self.guard.armed = false;
        if let Some(packed) = &mut self.packed {
            packed.armed = false;
        }
    }
    /// Where a packed blob's bytes are.
    pub(crate) fn packed(&self) -> Option<PackLoc> {
        self.packed.as_ref().map(|p| p.place)
    }
    /// The blob's bytes, read back before it is committed (to send them on first: cluster
    /// mode's form uploads), `chunk` bytes at a time. The blob must outlive the stream.
    pub fn read_back(
        &self,
        chunk: usize,
    ) -> futures::stream::BoxStream<'static, std::io::Result<bytes::Bytes>> {
        use futures::StreamExt as _;
        if let Some(bytes) = &self.inline {
            let bytes = bytes::Bytes::from(bytes.clone());
            return futures::stream::once(async move { Ok(bytes) }).boxed();
        }
        if let Some(packed) = &self.packed {
            // At most `pack_max` bytes: one read.
            let (path, place) = (packed.shared.packs.path(packed.place.pack), packed.place);
            return futures::stream::once(async move {
                tokio::task::spawn_blocking(move || Packs::read(&path, place))
                    .await
                    .map_err(std::io::Error::other)?
                    .map(bytes::Bytes::from)
            })
            .boxed();
        }
        enum Read {
            Start(PathBuf),
            From(tokio::fs::File),
            Done,
        }
        futures::stream::unfold(
            Read::Start(self.guard.path.clone()),
            move |read| async move {
                use tokio::io::AsyncReadExt as _;
                let mut file = match read {
                    Read::Done => return None,
                    Read::From(file) => file,
                    Read::Start(path) => match tokio::fs::File::open(&path).await {
                        Ok(file) => file,
                        Err(e) => return Some((Err(e), Read::Done)),
                    },
                };
                let mut buf = vec![0u8; chunk.max(1)];
                match file.read(&mut buf).await {
                    Ok(0) => None,
                    Ok(n) => {
                        buf.truncate(n);
                        Some((Ok(bytes::Bytes::from(buf)), Read::From(file)))
                    }
                    Err(e) => Some((Err(e), Read::Done)),
                }
            },
        )
        .boxed()
    }

    /// The bytes of an inline blob (which has no file).
    pub(crate) fn take_inline(&mut self) -> Option<Vec<u8>> {
        self.inline.take()
    }
}

/// File and hashers travel together into blocking tasks and back (the file is shared with
/// a background sync). No file yet while an inlinable writer holds its bytes in memory.
struct Sink {
    file: Option<Arc<File>>,
    /// The same file opened with `O_DIRECT`, where the filesystem takes it.
    direct: Option<Arc<File>>,
    hashes: Hashes,
}

/// Write `buf` at `offset`: its aligned head through `direct` when there is a direct file
/// and the memory and the offset are aligned (a pool buffer at a buffer boundary), the rest
/// through `file`.
fn write_at(file: &File, direct: Option<&File>, buf: &[u8], offset: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt as _;
    let aligned = buf.as_ptr().addr() % DIRECT_ALIGN == 0 && offset % DIRECT_ALIGN as u64 == 0;
    let head_len = buf.len() / DIRECT_ALIGN * DIRECT_ALIGN;
    let head = match direct {
        Some(direct) if aligned && head_len > 0 => {
            match direct.write_all_at(&buf[..head_len], offset) {
                Ok(()) => head_len,
                // A device that wants another alignment: the page cache takes it all.
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => 0,
                Err(e) => return Err(e),
            }
        }
        _ => 0,
    };
    if head < buf.len() {
        file.write_all_at(&buf[head..], offset + head as u64)?;
    }
    Ok(())
}

/// A buffer being hashed and written, on two threads of the blocking pool at once: the hash
/// gives back the sink and the buffer, the write the bytes it wrote. (Measured on a
/// 2-core VM where writing into the page cache costs twice the MD5: one thread doing both
/// ran a 64 MiB PUT at a third of the hashing core's speed.)
struct Drain {
    hash: tokio::task::JoinHandle<Result<(Sink, Arc<WriteBuf>)>>,
    write: tokio::task::JoinHandle<Result<()>>,
}

impl Drain {
    fn is_finished(&self) -> bool {
        self.hash.is_finished() && self.write.is_finished()
    }
}

/// Once this many written bytes are not yet synced, a background `fdatasync` starts, so the
/// final `sync_all` of a large blob finds little left to write.
const SYNC_BEHIND: u64 = 4 * 1024 * 1024;

/// Writes one blob: temp file -> hash -> verify -> fsync -> rename -> fsync dir.
/// Dropping it before [`BlobWriter::finish`] deletes the temp file.
pub struct BlobWriter {
    shared: Arc<Shared>,
    id: BlobId,
    /// `None` after an I/O error: the writer is then unusable.
    sink: Option<Sink>,
    buf: WriteBuf,
    capacity: usize,
    written: u64,
    /// Bytes known to be in the temp file (drains that completed).
    visible: u64,
    guard: FileGuard,
    /// While there is no file: the most the buffer may hold before it becomes one.
    keep_max: usize,
    /// The previous buffer being hashed and written on the blocking pool while this one
    /// fills (it holds the sink; it hands it back with its emptied buffer).
    in_flight: Option<Drain>,
    /// An emptied buffer for the next fill.
    spare: Option<Vec<u8>>,
    /// Bytes in the file not covered by a started background sync.
    unsynced: u64,
    /// The background `fdatasync` of what was written so far, if one is running.
    syncing: Option<tokio::task::JoinHandle<Result<()>>>,
}

fn broken() -> Error {
    Error::Io(std::io::Error::other("blob writer failed earlier"))
}

fn join_err(e: tokio::task::JoinError) -> Error {
    Error::Io(std::io::Error::other(e))
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if self.guard.armed {
            // Its file never left tmp/ (which every start empties): the mark can go now.
            if let Err(e) = self.shared.meta.pending().clear(self.id) {
                tracing::warn!(error = %e, "clearing the pending mark of an abandoned blob");
            }
        }
        // Full-size buffers go back to the pool (a small first buffer is just freed).
        self.shared
            .buffers
            .give(std::mem::take(&mut self.buf).into_inner());
        if let Some(spare) = self.spare.take() {
            self.shared.buffers.give(spare);
        }
    }
}

impl BlobWriter {
    /// A writer whose bytes may stay in memory up to `keep_max` (0: a file from the start),
    /// to become a packed or inline blob.
    pub(crate) fn create(
        shared: Arc<Shared>,
        algorithms: &[ChecksumAlgorithm],
        keep_max: usize,
    ) -> Result<BlobWriter> {
        shared.check_writable()?;
        let id = BlobId::random();
        let path = shared.dirs.temp_path(id);
        // Never more than a pool buffer holds (the pool's size is at least this).
        let capacity = shared
            .options
            .write_buffer
            .max(4096)
            .min(shared.buffers.size());
        let mut writer = BlobWriter {
            shared,
            id,
            sink: Some(Sink {
                file: None,
                direct: None,
                hashes: Hashes::new(algorithms),
            }),
            buf: WriteBuf::plain(capacity.min(keep_max.max(4096))),
            capacity,
            written: 0,
            visible: 0,
            guard: FileGuard { path, armed: false },
            keep_max,
            in_flight: None,
            spare: None,
            unsynced: 0,
            syncing: None,
        };
        if keep_max == 0 {
            writer.open_file()?;
        }
        Ok(writer)
    }

    /// Create the temp file (the bytes outgrew `keep_max`, or keeping is off).
    fn open_file(&mut self) -> Result<()> {
        let sink = self.sink.as_mut().ok_or_else(broken)?;
        if sink.file.is_none() {
            // Step 1: the mark comes before the file exists.
            self.shared.meta.pending().mark(self.id)?;
            debug_assert!(
                self.shared
                    .meta
                    .pending()
                    .is_marked(self.id)
                    .unwrap_or(true),
                "step 1: a blob file is marked pending before it is created"
            );
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&self.guard.path)?;
            self.guard.armed = true;
            sink.file = Some(Arc::new(file));
            if self.shared.options.direct_writes {
                use std::os::unix::fs::OpenOptionsExt as _;
                // A filesystem without O_DIRECT (tmpfs) refuses it: the page cache it is.
                sink.direct = std::fs::OpenOptions::new()
                    .write(true)
                    .custom_flags(libc::O_DIRECT)
                    .open(&self.guard.path)
                    .ok()
                    .map(Arc::new);
            }
        }
        Ok(())
    }

    fn in_memory(&self) -> bool {
        self.sink.as_ref().is_some_and(|s| s.file.is_none())
    }

    pub async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        if self.sink.is_none() && self.in_flight.is_none() {
            return Err(broken());
        }
        if self.in_memory() {
            if self.buf.len() + chunk.len() <= self.keep_max {
                // Grown as a plain vector: a kept body leaves with its buffer (to the pack
                // appender or the metadata store), never back to the pool.
                self.buf.extend(chunk);
                self.written += chunk.len() as u64;
                return Ok(());
            }
            self.open_file()?;
            if self.buf.len() >= self.capacity {
                self.drain().await?;
            }
        }
        let mut rest = chunk;
        while !rest.is_empty() {
            if self.buf.len() + rest.len() > self.buf.capacity()
                && self.buf.capacity() < self.capacity
            {
                // Outgrowing the small first buffer (or none): a full-size one from the pool.
                let mut full = WriteBuf::reuse(self.shared.buffers.take());
                full.extend(self.buf.bytes());
                self.buf = full;
            }
            let room = self.capacity - self.buf.len();
            let (now, later) = rest.split_at(room.min(rest.len()));
            self.buf.extend(now);
            self.written += now.len() as u64;
            rest = later;
            if self.buf.len() >= self.capacity {
                self.drain().await?;
            }
        }
        Ok(())
    }

    /// Hash and write the buffer on the blocking pool (hashing 1 GiB is CPU work that must
    /// not stall the async workers), without waiting for it: the next buffer fills from the
    /// network meanwhile. At most one buffer is in flight; this waits for the previous one.
    async fn drain(&mut self) -> Result<()> {
        self.settle().await?;
        let mut sink = self.sink.take().ok_or_else(broken)?;
        let file = sink.file.clone().ok_or_else(broken)?;
        let direct = sink.direct.clone();
        // The next buffer is taken only if more bytes come (a body of one buffer never
        // needs a second).
        let next = self.spare.take().map(WriteBuf::reuse).unwrap_or_default();
        let buf = Arc::new(std::mem::replace(&mut self.buf, next));
        // Everything before this buffer was handed to the file (the previous one settled).
        let offset = self.visible;
        let to_write = buf.clone();
        self.in_flight = Some(Drain {
            write: tokio::task::spawn_blocking(move || -> Result<()> {
                write_at(&file, direct.as_deref(), to_write.bytes(), offset)?;
                Ok(())
            }),
            hash: tokio::task::spawn_blocking(move || -> Result<(Sink, Arc<WriteBuf>)> {
                sink.hashes.update(buf.bytes());
                Ok((sink, buf))
            }),
        });
        Ok(())
    }

    /// Wait for the buffer in flight, if any, and take the sink back; start a background
    /// sync when enough is unsynced.
    async fn settle(&mut self) -> Result<()> {
        let Some(drain) = self.in_flight.take() else {
            return Ok(());
        };
        let (written, hashed) = tokio::join!(drain.write, drain.hash);
        written.map_err(join_err)??;
        let (sink, buf) = hashed.map_err(join_err)??;
        let len = buf.len() as u64;
        self.visible += len;
        self.unsynced += len;
        // Both tasks ended and dropped their handles: the buffer is ours again.
        self.spare = Some(
            Arc::try_unwrap(buf)
                .map(WriteBuf::into_inner)
                .unwrap_or_else(|_| self.shared.buffers.take()),
        );
        if self.unsynced >= SYNC_BEHIND {
            self.sync_behind(sink.file.clone()).await?;
        }
        self.sink = Some(sink);
        Ok(())
    }

    /// Start an `fdatasync` of what the file holds now, unless one is still running; an
    /// earlier one's failure is reported (and poisoned the store) here.
    async fn sync_behind(&mut self, file: Option<Arc<File>>) -> Result<()> {
        if let Some(running) = &self.syncing {
            if !running.is_finished() {
                return Ok(());
            }
        }
        self.end_sync().await?;
        let Some(file) = file else { return Ok(()) };
        let shared = self.shared.clone();
        self.syncing = Some(tokio::task::spawn_blocking(move || {
            shared.fsync(|| file.sync_data())
        }));
        self.unsynced = 0;
        Ok(())
    }

    /// Wait for the background sync, if any.
    async fn end_sync(&mut self) -> Result<()> {
        match self.syncing.take() {
            Some(task) => task.await.map_err(join_err)?,
            None => Ok(()),
        }
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// How many bytes a reader of [`BlobWriter::temp_path`] can see now, without waiting:
    /// a buffer still being written counts once its write has finished. Behind
    /// [`BlobWriter::written`] by at most two buffers.
    pub async fn visible(&mut self) -> Result<u64> {
        if self.in_flight.as_ref().is_some_and(|t| t.is_finished()) {
            self.settle().await?;
        }
        Ok(self.visible)
    }

    /// Write out what is buffered, without any fsync: afterwards a reader of
    /// [`BlobWriter::temp_path`] sees every byte written so far (origin fills stream their
    /// temp file to clients while it grows). This waits for the write: call it when the
    /// source has nothing new to give, not after every chunk.
    pub async fn flush(&mut self) -> Result<()> {
        self.settle().await?;
        self.open_file()?;
        if !self.buf.is_empty() {
            self.drain().await?;
        }
        self.settle().await
    }

    /// Where the unfinished blob is being written. Readers may open it while the writer
    /// lives; it is renamed (readers keep their open handle) or deleted when the writer ends.
    pub fn temp_path(&self) -> &Path {
        &self.guard.path
    }

    /// Verify against `expect`, make the blob durable, and hand it back.
    pub async fn finish(mut self, expect: &Expect) -> Result<Blob> {
        self.shared.check_writable()?;
        let kept = self.in_memory();
        if kept {
            // Small: hashed here, on the caller's thread.
            let sink = self.sink.as_mut().ok_or_else(broken)?;
            sink.hashes.update(self.buf.bytes());
        } else if !self.buf.is_empty() {
            self.drain().await?;
        }
        self.settle().await?;
        self.end_sync().await?;
        let sink = self.sink.take().ok_or_else(broken)?;
        let digests = sink.hashes.finish();
        let written = self.written;

        // Step 3: verify before spending an fsync on a body we will refuse.
        if let Some(expected) = expect.size {
            if expected != written {
                return Err(Error::IncompleteBody {
                    expected,
                    got: written,
                });
            }
        }
        if let Some(md5) = expect.md5 {
            if md5 != digests.md5 {
                return Err(Error::BadDigest);
            }
        }
        for (algorithm, value) in &expect.checksums {
            match digests.checksums.iter().find(|(a, _)| a == algorithm) {
                Some((_, got)) if got == value => {}
                Some(_) => {
                    return Err(Error::ChecksumMismatch {
                        algorithm: *algorithm,
                    })
                }
                None => {
                    return Err(Error::InvalidArgument(format!(
                        "{algorithm} was expected but not requested from the blob writer"
                    )))
                }
            }
        }

        if kept {
            let inline_max = self.shared.options.inline_max;
            let bytes = std::mem::take(&mut self.buf).into_bytes();
            let (inline, packed) = if inline_max > 0 && bytes.len() <= inline_max {
                (Some(bytes), None)
            } else {
                // Step 4 for a small body: appended with the others finishing now, synced.
                let place = Packs::append(&self.shared.packs, bytes).await?;
                let guard = PackedGuard {
                    shared: self.shared.clone(),
                    place,
                    armed: true,
                };
                (None, Some(guard))
            };
            return Ok(Blob {
                id: self.id,
                size: written,
                md5: digests.md5,
                checksums: digests.checksums,
                guard: FileGuard {
                    path: PathBuf::new(),
                    armed: false,
                },
                inline,
                packed,
            });
        }

        // Steps 4-5: sync the file (and flush the pending mark), rename it into place, sync
        // the fan-out directory.
        let temp = self.guard.path.clone();
        let fan_out = self.shared.dirs.fan_out(self.id);
        let dest = self.shared.dirs.blob_path(self.id);
        let file = sink.file.ok_or_else(broken)?;
        let shared = self.shared.clone();
        let dest2 = dest.clone();
        let mut guard = std::mem::replace(
            &mut self.guard,
            FileGuard {
                path: PathBuf::new(),
                armed: false,
            },
        );
        let synced = tokio::task::spawn_blocking({
            let shared = shared.clone();
            move || shared.fsync(|| file.sync_all())
        });
        let (flushed, synced) = tokio::join!(self.shared.flush_meta(), synced);
        synced.map_err(join_err)??;
        flushed?;
        let guard = tokio::task::spawn_blocking(move || -> Result<FileGuard> {
            std::fs::rename(&temp, &dest2)?;
            // From here on the file lives at its final path; the guard follows it.
            guard.path = dest2;
            shared.fsync(|| File::open(&fan_out)?.sync_all())?;
            debug_assert!(
                guard.path.exists() && !temp.exists(),
                "step 5: a durable blob is at its final path and its temp file is gone"
            );
            Ok(guard)
        })
        .await
        .map_err(join_err)??;
        debug_assert_eq!(guard.path, dest);
        Ok(Blob {
            id: self.id,
            size: written,
            md5: digests.md5,
            checksums: digests.checksums,
            guard,
            inline: None,
            packed: None,
        })
    }
}
