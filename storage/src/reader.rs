//! [`ObjectReader`]: streams a byte range of an object's blobs in sequence (a multipart
//! object is several blobs; ranges may straddle part boundaries), in chunks of at most
//! `read_chunk` bytes, reading with `pread` on the blocking pool into buffers reused from the
//! store's pool. Files are opened lazily; the reader's lease keeps every blob it may still
//! open from being deleted.

use std::collections::VecDeque;
use std::fs::File;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;

use crate::buffers::BufferPool;
use crate::lease::Lease;
use crate::records::BlobRef;

/// The part of one blob a reader still has to yield.
struct Segment {
    path: PathBuf,
    offset: u64,
    remaining: u64,
}

type Pending = tokio::task::JoinHandle<std::io::Result<(File, Bytes)>>;

/// A stream of an object's bytes (or of a range of them), in chunks of at most
/// `StoreOptions::read_chunk`. Holds the blobs alive while it exists.
pub struct ObjectReader {
    /// An inline object's bytes still to yield (then there are no segments).
    inline: Option<Bytes>,
    segments: VecDeque<Segment>,
    /// The open file of the first segment, between two reads.
    file: Option<File>,
    pending: Option<Pending>,
    chunk: usize,
    /// Where reads get their buffers.
    buffers: Arc<BufferPool>,
    range: Option<(u64, u64)>,
    len: u64,
    _lease: Lease,
}

impl ObjectReader {
    /// `blobs` in object order, each at `place(blob)`: a file and where in it the blob's
    /// bytes start (0 for a blob file, the offset in its pack for a packed one); `range`
    /// inclusive, already resolved against the size.
    pub(crate) fn new(
        blobs: &[BlobRef],
        place: impl Fn(&BlobRef) -> (PathBuf, u64),
        range: Option<(u64, u64)>,
        chunk: usize,
        buffers: Arc<BufferPool>,
        lease: Lease,
    ) -> ObjectReader {
        // A read fits in one pool buffer.
        let chunk = chunk.min(buffers.size());
        let mut segments = VecDeque::new();
        if let Some((first, last)) = range {
            let mut start = 0u64;
            for blob in blobs {
                let end = start + blob.size; // exclusive
                let lo = first.max(start);
                let hi = (last + 1).min(end);
                if lo < hi {
                    let (path, base) = place(blob);
                    segments.push_back(Segment {
                        path,
                        offset: base + lo - start,
                        remaining: hi - lo,
                    });
                }
                start = end;
            }
        }
        ObjectReader {
            inline: None,
            segments,
            file: None,
            pending: None,
            chunk: chunk.max(1),
            buffers,
            range,
            len: range.map_or(0, |(a, b)| b - a + 1),
            _lease: lease,
        }
    }

    /// A reader of `range` of an inline object's bytes, yielded as one chunk.
    pub(crate) fn inline(
        bytes: Bytes,
        range: Option<(u64, u64)>,
        buffers: Arc<BufferPool>,
        lease: Lease,
    ) -> ObjectReader {
        let slice = range.map(|(first, last)| bytes.slice(first as usize..=last as usize));
        ObjectReader {
            inline: slice.filter(|s| !s.is_empty()),
            segments: VecDeque::new(),
            file: None,
            pending: None,
            chunk: 1,
            buffers,
            range,
            len: range.map_or(0, |(a, b)| b - a + 1),
            _lease: lease,
        }
    }

    /// Inclusive `(first, last)` of what it yields; `None` for an empty object.
    pub fn range(&self) -> Option<(u64, u64)> {
        self.range
    }

    /// Number of bytes it yields in total.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Debug for ObjectReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectReader")
            .field("range", &self.range)
            .field("len", &self.len)
            .finish()
    }
}

impl futures::Stream for ObjectReader {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let Some(bytes) = this.inline.take() {
            return Poll::Ready(Some(Ok(bytes)));
        }
        loop {
            if let Some(pending) = this.pending.as_mut() {
                let done = match Pin::new(pending).poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(done) => done,
                };
                this.pending = None;
                return Poll::Ready(Some(match done {
                    Ok(Ok((file, bytes))) => {
                        let n = bytes.len() as u64;
                        if let Some(seg) = this.segments.front_mut() {
                            seg.offset += n;
                            seg.remaining -= n;
                            if seg.remaining == 0 {
                                this.segments.pop_front();
                            } else {
                                this.file = Some(file);
                            }
                        }
                        Ok(bytes)
                    }
                    Ok(Err(e)) => {
                        // End the stream after an error: a consumer must not mistake a
                        // short stream for the object.
                        this.segments.clear();
                        Err(e)
                    }
                    Err(join) => {
                        this.segments.clear();
                        Err(std::io::Error::other(join))
                    }
                }));
            }
            let Some(seg) = this.segments.front() else {
                return Poll::Ready(None);
            };
            let n = seg.remaining.min(this.chunk as u64) as usize;
            let offset = seg.offset;
            let path = seg.path.clone();
            let file = this.file.take();
            let buffers = this.buffers.clone();
            this.pending = Some(tokio::task::spawn_blocking(move || {
                let file = match file {
                    Some(f) => f,
                    None => File::open(&path)?,
                };
                // May be shorter than n: the stream goes on with what was read.
                let bytes = buffers.read_at(&file, offset, n)?;
                Ok((file, bytes))
            }));
        }
    }
}
