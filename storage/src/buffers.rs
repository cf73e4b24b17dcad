//! [`BufferPool`]: the large I/O buffers of blob writers and object readers, reused instead
//! of allocated per request; [`WriteBuf`]: a writer's view of one, its bytes aligned for
//! `O_DIRECT`.
//!
//! Why: a 1 MiB buffer per request, allocated on one thread and freed on another, leaves the
//! system allocator's per-thread arenas holding far more than is live (measured: 16 clients
//! of 1 MiB GETs peaked at 97 MiB of RSS for ~32 MiB of live buffers; making every such
//! buffer an `mmap` instead halved GET throughput on page faults). Reusing the buffers keeps
//! both: no allocator churn, and the memory is what is live plus a bounded number of idle
//! buffers.

use std::fs::File;
use std::os::unix::fs::FileExt as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;

/// Reads this big or bigger use a pool buffer; smaller ones a buffer of their size.
const POOLED_READ: usize = 64 * 1024;

/// `O_DIRECT` needs the memory, the offset and the length aligned to the device's logical
/// block; 4096 covers every common one. Pool buffers have this much slack beyond their size,
/// so a writer can start its bytes at an aligned address (jemalloc offsets large
/// allocations within their first page).
pub(crate) const DIRECT_ALIGN: usize = 4096;

/// Fixed-size buffers, handed out empty and taken back when their user is done with them.
#[derive(Debug)]
pub(crate) struct BufferPool {
    size: usize,
    /// The most idle buffers kept; more are freed. Readers' [`Bytes`] may hold half again
    /// as many at once: past that, readers read small pieces into buffers of their own, so
    /// many concurrent large GETs do not hold a large buffer each.
    max_idle: usize,
    idle: Mutex<Vec<Vec<u8>>>,
    /// Buffers lent out with [`BufferPool::lend`] and not yet back.
    lent: AtomicUsize,
}

impl BufferPool {
    pub(crate) fn new(size: usize, max_idle: usize) -> Arc<BufferPool> {
        Arc::new(BufferPool {
            size,
            max_idle,
            idle: Mutex::new(Vec::new()),
            lent: AtomicUsize::new(0),
        })
    }

    /// The size of every buffer of the pool.
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// An empty buffer with capacity `size` (for writers).
    pub(crate) fn take(&self) -> Vec<u8> {
        let mut buf = self.take_any();
        buf.clear();
        buf
    }

    /// A buffer of length `len` (at most `size`) to read into and hand to
    /// [`BufferPool::into_bytes`] (or back with [`BufferPool::unlend`]), unless 1.5 x
    /// `max_idle` buffers are lent out already. Its contents are whatever its previous user left (only
    /// bytes never used before are zeroed).
    pub(crate) fn lend(&self, len: usize) -> Option<Vec<u8>> {
        let lent = self.lent.fetch_add(1, Ordering::AcqRel);
        if lent >= self.max_lent() {
            self.lent.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        let mut buf = self.take_any();
        buf.resize(len.min(self.size), 0);
        Some(buf)
    }

    /// Takes back a lent buffer that was not turned into [`Bytes`].
    pub(crate) fn unlend(&self, buf: Vec<u8>) {
        self.lent.fetch_sub(1, Ordering::AcqRel);
        self.give(buf);
    }

    /// Half again the idle buffers: 16 clients of 1 MiB GETs (each with a piece being
    /// sent and the next being read, sometimes a third) stay below it, measured.
    fn max_lent(&self) -> usize {
        self.max_idle + self.max_idle / 2
    }

    fn take_any(&self) -> Vec<u8> {
        self.lock()
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(self.size + DIRECT_ALIGN))
    }

    /// Takes a buffer back; buffers of another capacity, or beyond `max_idle`, are freed.
    pub(crate) fn give(&self, buf: Vec<u8>) {
        if buf.capacity() != self.size + DIRECT_ALIGN {
            return;
        }
        let mut idle = self.lock();
        if idle.len() < self.max_idle {
            idle.push(buf);
        }
    }

    /// A lent `buf` as [`Bytes`] that return it to the pool when the last clone is dropped
    /// (once the HTTP layer has sent them).
    pub(crate) fn into_bytes(self: &Arc<Self>, buf: Vec<u8>) -> Bytes {
        Bytes::from_owner(Pooled {
            buf,
            pool: self.clone(),
        })
    }

    /// Reads `len` bytes of `file` at `offset` (blocking: call it on the blocking pool) into
    /// a pool buffer when `len` is large; fewer (64 KiB) when the pool has lent all it may,
    /// so callers advance by the length they get.
    pub(crate) fn read_at(
        self: &Arc<Self>,
        file: &File,
        offset: u64,
        len: usize,
    ) -> std::io::Result<Bytes> {
        let mut len = len;
        if len >= POOLED_READ {
            match self.lend(len) {
                Some(mut buf) => {
                    return match file.read_exact_at(&mut buf, offset) {
                        Ok(()) => Ok(self.into_bytes(buf)),
                        Err(e) => {
                            self.unlend(buf);
                            Err(e)
                        }
                    };
                }
                None => len = POOLED_READ,
            }
        }
        let mut buf = vec![0u8; len];
        file.read_exact_at(&mut buf, offset)?;
        Ok(Bytes::from(buf))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Vec<u8>>> {
        // The list is valid whatever a panicking holder did: recover it.
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    #[cfg(test)]
    fn idle(&self) -> usize {
        self.lock().len()
    }
}

/// A writer's buffer. Its bytes start `head` bytes into the vector: at an address aligned to
/// [`DIRECT_ALIGN`] in a pool buffer, so that an `O_DIRECT` write goes straight from it
/// (no copy into aligned memory, and no second buffer per writer); at the start in a small
/// buffer of a body kept in memory, which leaves as it is.
#[derive(Default)]
pub(crate) struct WriteBuf {
    vec: Vec<u8>,
    head: usize,
}

impl WriteBuf {
    /// An empty buffer that keeps its bytes from its start (and grows as a plain vector).
    pub(crate) fn plain(capacity: usize) -> WriteBuf {
        WriteBuf {
            vec: Vec::with_capacity(capacity),
            head: 0,
        }
    }

    /// `vec` emptied, its bytes to start at an aligned address when it has the slack of a
    /// pool buffer.
    pub(crate) fn reuse(mut vec: Vec<u8>) -> WriteBuf {
        vec.clear();
        let pad = (DIRECT_ALIGN - vec.as_ptr().addr() % DIRECT_ALIGN) % DIRECT_ALIGN;
        let head = if vec.capacity() >= pad + 2 * DIRECT_ALIGN {
            pad
        } else {
            0
        };
        vec.resize(head, 0);
        WriteBuf { vec, head }
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        // `head` is at most the vector's length: set so, and nothing shortens the vector.
        self.vec.get(self.head..).unwrap_or_default()
    }

    pub(crate) fn len(&self) -> usize {
        self.vec.len() - self.head
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many bytes it holds without growing.
    pub(crate) fn capacity(&self) -> usize {
        self.vec.capacity() - self.head
    }

    pub(crate) fn extend(&mut self, bytes: &[u8]) {
        self.vec.extend_from_slice(bytes);
    }

    /// The bytes as a vector of their own: no copy for a plain buffer.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        if self.head == 0 {
            self.vec
        } else {
            self.bytes().to_vec()
        }
    }

    /// The whole vector, to give back to the pool.
    pub(crate) fn into_inner(self) -> Vec<u8> {
        self.vec
    }
}

/// The store's buffer pool, for readers outside this crate (the server's origin flights read
/// a growing temp file): see [`crate::Store::read_buffers`].
#[derive(Debug, Clone)]
pub struct ReadBuffers(Arc<BufferPool>);

impl ReadBuffers {
    /// A pool of its own (tests): `size`-byte buffers, `max_idle` kept.
    pub fn new(size: usize, max_idle: usize) -> ReadBuffers {
        ReadBuffers(BufferPool::new(size, max_idle))
    }

    pub(crate) fn of(pool: Arc<BufferPool>) -> ReadBuffers {
        ReadBuffers(pool)
    }

    /// Reads up to `len` bytes of `file` at `offset`, blocking (run it on the blocking
    /// pool): `len` when it fits the pool's budget, fewer (at least 1 unless `len` is 0)
    /// when the pool has lent all it may. Errors as `pread` (a short file is
    /// `UnexpectedEof`).
    pub fn read_at(&self, file: &File, offset: u64, len: usize) -> std::io::Result<Bytes> {
        self.0.read_at(file, offset, len.min(self.0.size()))
    }
}

/// A pool buffer lent to a [`Bytes`].
struct Pooled {
    buf: Vec<u8>,
    pool: Arc<BufferPool>,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.buf
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        self.pool.unlend(std::mem::take(&mut self.buf));
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_when_their_bytes_are_dropped_and_idle_ones_are_bounded() {
        let pool = BufferPool::new(1024, 2); // 3 may be lent
        let mut a = pool.lend(5).expect("nothing lent yet");
        assert_eq!((a.len(), a.capacity()), (5, 1024 + DIRECT_ALIGN));
        a.copy_from_slice(b"hello");
        let ptr = a.as_ptr();
        let bytes = pool.into_bytes(a);
        let clone = bytes.slice(1..3);
        drop(bytes);
        assert_eq!(pool.idle(), 0, "a clone still holds it");
        assert_eq!(&clone[..], b"el");
        drop(clone);
        assert_eq!(pool.idle(), 1);
        let again = pool.take();
        assert_eq!(again.as_ptr(), ptr, "the same buffer, reused");
        assert!(again.is_empty());
        pool.give(again);
        let filled = pool.lend(4096).expect("one lent");
        assert_eq!(
            (filled.as_ptr(), filled.len()),
            (ptr, 1024),
            "capped at the size"
        );
        let second = pool.lend(10).expect("two lent");
        let third = pool.lend(10).expect("three lent");
        assert!(
            pool.lend(10).is_none(),
            "1.5 x max_idle buffers lent already"
        );
        pool.unlend(second);
        pool.unlend(third);
        let kept = pool.into_bytes(filled);
        assert!(pool.lend(10).map(|b| pool.unlend(b)).is_some());
        drop(kept);
        assert_eq!(pool.idle(), 2, "both came back");

        let taken = (pool.take(), pool.take());
        assert_eq!(pool.idle(), 0);
        drop(taken);
        pool.give(Vec::with_capacity(10)); // not one of ours: freed
        assert_eq!(pool.idle(), 0);
        for _ in 0..3 {
            pool.give(Vec::with_capacity(1024 + DIRECT_ALIGN));
        }
        assert_eq!(pool.idle(), 2, "at most max_idle kept");
    }

    #[test]
    fn pool_buffers_start_a_writers_bytes_at_an_aligned_address() {
        let pool = BufferPool::new(64 * 1024, 4);
        for _ in 0..8 {
            let mut buf = WriteBuf::reuse(pool.take());
            assert_eq!(buf.bytes().as_ptr().addr() % DIRECT_ALIGN, 0);
            assert!(buf.capacity() >= 64 * 1024, "the slack covers the padding");
            buf.extend(b"abc");
            assert_eq!((buf.bytes(), buf.len()), (&b"abc"[..], 3));
            assert_eq!(buf.into_bytes(), b"abc");
        }
        let mut plain = WriteBuf::plain(100);
        plain.extend(b"kept");
        assert_eq!(plain.bytes(), b"kept");
        let ptr = plain.bytes().as_ptr();
        let vec = plain.into_bytes();
        assert_eq!((vec.as_ptr(), &vec[..]), (ptr, &b"kept"[..]), "no copy");
        let small = WriteBuf::reuse(Vec::with_capacity(4096));
        assert!(
            small.is_empty() && small.capacity() >= 4096,
            "too small to pad"
        );
        let back = WriteBuf::reuse(pool.take()).into_inner();
        pool.give(back);
        assert_eq!(pool.idle(), 1, "a writer's buffer goes back to the pool");
    }

    #[test]
    fn reads_fall_back_to_small_pieces_when_the_pool_has_lent_all_it_may() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let mut file = tempfile::tempfile().expect("temp file");
        std::io::Write::write_all(&mut file, &data).expect("write");
        let pool = BufferPool::new(128 * 1024, 2); // 3 may be lent
        let reads = ReadBuffers::of(pool.clone());

        let whole = reads.read_at(&file, 1000, 200_000).expect("read");
        assert_eq!(
            &whole[..],
            &data[1000..1000 + 128 * 1024],
            "capped at the size"
        );
        let small = reads.read_at(&file, 5, 100).expect("read");
        assert_eq!(&small[..], &data[5..105], "a small read");

        let held: Vec<Vec<u8>> = (0..2).map(|_| pool.lend(1).expect("lend")).collect();
        let piece = reads.read_at(&file, 7, 128 * 1024).expect("read");
        assert_eq!(piece.len(), POOLED_READ, "the pool is out: a small piece");
        assert_eq!(&piece[..], &data[7..7 + POOLED_READ]);
        for buf in held {
            pool.unlend(buf);
        }
        drop(whole);
        let again = reads.read_at(&file, 0, 128 * 1024).expect("read");
        assert_eq!(again.len(), 128 * 1024, "buffers are back");
        assert!(
            reads.read_at(&file, 290_000, 20_000).is_err(),
            "past the end"
        );
    }
}
