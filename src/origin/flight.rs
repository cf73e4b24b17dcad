//! Single flight: at most one origin fill per key, shared by every client that misses it.
//!
//! A flight publishes its progress on a `watch` channel: `Fetching` (asking the origin),
//! `Streaming` (the body is being written to the fill's temp file; `written` bytes are
//! readable), then `Done` or `Failed`. Every client of the flight — the one that started it,
//! those that joined, those that join late — streams its answer from that growing file with
//! [`growing_file`], so one origin fetch serves them all, live, in bounded memory (the bytes
//! travel through the page cache, not through per-client buffers). The last few MiB the
//! fill received are also kept in memory ([`Recent`]): a reader keeping pace with the fill
//! (above all the client whose miss started it) is served from there, without reading the
//! file back (which, with `direct_writes`, would be a read from the disk).
//!
//! A reader never delivers the last byte of a body of known length until the flight is
//! `Done`, i.e. until the whole body was verified (length, Content-MD5, an S3 origin's ETag)
//! and committed: a cut or corrupt origin body ends every client's response with an error,
//! never a complete-looking 200.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use storage::ReadBuffers;
use tokio::sync::watch;

use super::fetch::FetchError;
use super::head::OriginHead;

/// Largest piece a reader hands to the HTTP layer: a pool buffer, as for a local object
/// (the pool caps how many are out; past that, readers get small pieces).
const READ_CHUNK: u64 = 1024 * 1024;
/// How much of what a fill received last stays in memory for the readers keeping pace:
/// more than the two write buffers the temp file may lag behind the network.
const RECENT_BYTES: u64 = 8 * 1024 * 1024;

type FlightKey = (String, String);

/// Why a pull failed, in a form every waiter of a flight can turn into its own error.
#[derive(Debug, Clone)]
pub enum Failure {
    NotFound,
    Fetch(FetchError),
    /// The origin answered an unfollowed redirect.
    Redirect {
        status: u16,
        location: String,
    },
    /// The origin's body did not check out: cut short, larger than allowed, or not matching
    /// its declared length or digest.
    Body(String),
    /// The store could not keep the fill: a full disk, a poisoned store, an I/O error. Kept
    /// typed, so the client's error comes from the one storage-error mapping.
    Store(Arc<storage::Error>),
    /// The fill ended without an outcome (its task was dropped).
    Abandoned,
}

impl Failure {
    /// A storage error of a fill: the origin's fault when its body failed verification,
    /// else the store's.
    pub fn of_store(e: storage::Error) -> Failure {
        match e {
            storage::Error::BadDigest
            | storage::Error::ChecksumMismatch { .. }
            | storage::Error::IncompleteBody { .. } => Failure::Body(e.to_string()),
            e => Failure::Store(Arc::new(e)),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::NotFound => f.write_str("the origin has no such object"),
            Failure::Fetch(e) => write!(f, "{e:?}"),
            Failure::Redirect { status, .. } => write!(f, "the origin redirected ({status})"),
            Failure::Body(reason) => f.write_str(reason),
            Failure::Store(e) => write!(f, "storing the fill: {e}"),
            Failure::Abandoned => f.write_str("the fill was abandoned"),
        }
    }
}

#[derive(Debug, Clone)]
pub enum FlightState {
    /// Asking the origin.
    Fetching,
    /// The origin answered; `written` bytes of its body are readable in `info.temp_path`.
    Streaming {
        info: Arc<StreamInfo>,
        written: u64,
    },
    /// The object is committed (or a local write won): `written` is the body's final length
    /// for readers that joined while it streamed.
    Done {
        written: u64,
    },
    Failed(Failure),
}

impl FlightState {
    fn is_final(&self) -> bool {
        matches!(self, FlightState::Done { .. } | FlightState::Failed(_))
    }
}

/// What every client of a streaming flight needs to answer.
#[derive(Debug)]
pub struct StreamInfo {
    /// What every client is told of the object; `head.size` is the body's length when the
    /// origin declared it.
    pub head: OriginHead,
    /// The fill's growing temp file (never the committed object's path).
    pub temp_path: PathBuf,
    /// The last bytes the fill received.
    pub recent: Recent,
}

/// The last chunks a fill received (at most [`RECENT_BYTES`], and at least the last chunk),
/// by offset in the body. Chunks are the network's `Bytes`: shared, never copied.
#[derive(Debug, Default)]
pub struct Recent(Mutex<RecentChunks>);

#[derive(Debug, Default)]
struct RecentChunks {
    chunks: VecDeque<(u64, Bytes)>,
    bytes: u64,
}

impl Recent {
    fn chunks(&self) -> std::sync::MutexGuard<'_, RecentChunks> {
        // A queue of shared byte chunks: consistent whatever a panic interrupted.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The fill received `chunk` at `offset`; the oldest chunks go past the bound.
    pub fn push(&self, offset: u64, chunk: Bytes) {
        let mut recent = self.chunks();
        recent.bytes += chunk.len() as u64;
        recent.chunks.push_back((offset, chunk));
        while recent.bytes > RECENT_BYTES && recent.chunks.len() > 1 {
            if let Some((_, old)) = recent.chunks.pop_front() {
                recent.bytes -= old.len() as u64;
            }
        }
    }

    /// Bytes from `pos` (up to `limit`, exclusive) if memory still has them.
    fn get(&self, pos: u64, limit: u64) -> Option<Bytes> {
        let recent = self.chunks();
        let (offset, chunk) = recent
            .chunks
            .iter()
            .find(|(offset, chunk)| *offset <= pos && pos < offset + chunk.len() as u64)?;
        // Both bounds lie within the chunk, whose length fits in usize.
        let from = (pos - offset) as usize;
        let to = (limit.min(offset + chunk.len() as u64) - offset) as usize;
        (from < to).then(|| chunk.slice(from..to))
    }
}

/// The flights in progress, by (bucket, key).
#[derive(Clone, Default)]
pub struct Flights(Arc<Mutex<HashMap<FlightKey, watch::Receiver<FlightState>>>>);

pub enum Flight {
    /// No flight for the key: the caller starts the fill and publishes through the guard.
    Lead(FlightGuard),
    Join(watch::Receiver<FlightState>),
}

impl Flights {
    pub fn lead_or_join(&self, bucket: &str, key: &str) -> Flight {
        let k = (bucket.to_owned(), key.to_owned());
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(rx) = map.get(&k) {
            return Flight::Join(rx.clone());
        }
        let (tx, rx) = watch::channel(FlightState::Fetching);
        map.insert(k.clone(), rx);
        Flight::Lead(FlightGuard {
            flights: self.clone(),
            key: k,
            tx,
        })
    }
}

/// The leader's handle: publishes progress; when dropped, ends the flight (as failed if it
/// never reached a final state: a panicked or cancelled fill cannot strand its waiters) and
/// removes it, so the next miss starts afresh.
pub struct FlightGuard {
    flights: Flights,
    key: FlightKey,
    tx: watch::Sender<FlightState>,
}

impl FlightGuard {
    pub fn publish(&self, state: FlightState) {
        self.tx.send_replace(state);
    }

    pub fn subscribe(&self) -> watch::Receiver<FlightState> {
        self.tx.subscribe()
    }
}

impl Drop for FlightGuard {
    fn drop(&mut self) {
        if !self.tx.borrow().is_final() {
            self.tx
                .send_replace(FlightState::Failed(Failure::Abandoned));
        }
        let mut map = self
            .flights
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map
            .get(&self.key)
            .is_some_and(|rx| rx.same_channel(&self.tx.subscribe()))
        {
            map.remove(&self.key);
        }
    }
}

/// Wait for a flight's final state.
pub async fn final_state(mut rx: watch::Receiver<FlightState>) -> FlightState {
    match rx.wait_for(FlightState::is_final).await {
        Ok(state) => state.clone(),
        // The guard always publishes a final state before the sender goes away.
        Err(_) => FlightState::Failed(Failure::Abandoned),
    }
}

/// Wait until a flight has bytes to read (or its final state): what an answer of 200 needs
/// before it commits to a status, so that a body that fails before its first byte gets a
/// proper error instead of a connection cut before the headers.
pub async fn first_bytes(rx: &mut watch::Receiver<FlightState>) -> FlightState {
    rx.wait_for(|s| match s {
        FlightState::Fetching => false,
        FlightState::Streaming { written, .. } => *written > 0,
        FlightState::Done { .. } | FlightState::Failed(_) => true,
    })
    .await
    .map(|s| s.clone())
    // The guard always publishes a final state before the sender goes away.
    .unwrap_or(FlightState::Failed(Failure::Abandoned))
}

/// Stream bytes `start..end` (to the body's end when `end` is `None`) of a flight's growing
/// file, waiting for them as the fill writes them. `total` is the declared body length.
pub async fn growing_file(
    info: &Arc<StreamInfo>,
    rx: watch::Receiver<FlightState>,
    start: u64,
    end: Option<u64>,
    buffers: ReadBuffers,
) -> std::io::Result<impl futures::Stream<Item = std::io::Result<Bytes>> + Send + 'static> {
    let path = info.temp_path.clone();
    let file = tokio::task::spawn_blocking(move || std::fs::File::open(path))
        .await
        .map_err(std::io::Error::other)??;
    let reader = Reader {
        info: info.clone(),
        buffers,
        file: Some(file),
        rx,
        pos: start,
        end,
        total: info.head.size,
    };
    Ok(futures::stream::unfold(reader, |mut reader| async move {
        let item = reader.next().await?;
        Some((item, reader))
    }))
}

struct Reader {
    info: Arc<StreamInfo>,
    buffers: ReadBuffers,
    /// `None` only while a read has it on the blocking pool.
    file: Option<std::fs::File>,
    rx: watch::Receiver<FlightState>,
    pos: u64,
    end: Option<u64>,
    total: Option<u64>,
}

impl Reader {
    async fn next(&mut self) -> Option<std::io::Result<Bytes>> {
        loop {
            let (readable, done) = match &*self.rx.borrow_and_update() {
                FlightState::Fetching => (0, false),
                // The last byte of a known length waits for verification and commit.
                FlightState::Streaming { written, .. } => (
                    self.total
                        .map_or(*written, |t| (*written).min(t.saturating_sub(1))),
                    false,
                ),
                FlightState::Done { written } => (*written, true),
                FlightState::Failed(f) => {
                    return Some(Err(std::io::Error::other(format!(
                        "origin fill failed: {f}"
                    ))))
                }
            };
            let limit = self.end.map_or(readable, |e| readable.min(e));
            if self.pos < limit {
                return Some(self.read(limit).await);
            }
            if done {
                if self.end.is_some_and(|e| self.pos < e) {
                    return Some(Err(std::io::Error::other(
                        "origin body shorter than the range",
                    )));
                }
                return None;
            }
            if self.rx.changed().await.is_err() && !self.rx.borrow().is_final() {
                return Some(Err(std::io::Error::other(
                    "origin fill ended without an outcome",
                )));
            }
        }
    }

    /// Reads up to `READ_CHUNK` bytes at the reader's position: from memory when the fill
    /// received them recently, else with `pread`, into the store's pooled buffers (fewer
    /// bytes when the pool has lent all it may).
    async fn read(&mut self, limit: u64) -> std::io::Result<Bytes> {
        if let Some(bytes) = self.info.recent.get(self.pos, limit) {
            self.pos += bytes.len() as u64;
            return Ok(bytes);
        }
        let n = (limit - self.pos).min(READ_CHUNK);
        let file = self
            .file
            .take()
            .ok_or_else(|| std::io::Error::other("growing file read after a failed read"))?;
        let (pos, buffers) = (self.pos, self.buffers.clone());
        let (file, bytes) = tokio::task::spawn_blocking(move || {
            // n <= READ_CHUNK, which fits in usize.
            buffers.read_at(&file, pos, n as usize).map(|b| (file, b))
        })
        .await
        .map_err(std::io::Error::other)??;
        self.file = Some(file);
        self.pos += bytes.len() as u64;
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures::StreamExt as _;

    use super::*;

    fn test_buffers() -> ReadBuffers {
        ReadBuffers::new(1024 * 1024, 4)
    }

    fn lead(flights: &Flights) -> FlightGuard {
        match flights.lead_or_join("b", "k") {
            Flight::Lead(guard) => guard,
            Flight::Join(_) => panic!("expected to lead"),
        }
    }

    fn join(flights: &Flights) -> watch::Receiver<FlightState> {
        match flights.lead_or_join("b", "k") {
            Flight::Join(rx) => rx,
            Flight::Lead(_) => panic!("expected to join"),
        }
    }

    async fn collect(
        stream: impl futures::Stream<Item = std::io::Result<Bytes>>,
    ) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut stream = std::pin::pin!(stream);
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }

    #[tokio::test]
    async fn joiners_share_the_leaders_outcome_and_the_flight_ends_with_it() {
        let flights = Flights::default();
        let guard = lead(&flights);
        let waiters: Vec<_> = (0..3).map(|_| join(&flights)).collect();
        // Another key is a flight of its own.
        assert!(matches!(
            flights.lead_or_join("b", "other"),
            Flight::Lead(_)
        ));
        guard.publish(FlightState::Done { written: 5 });
        drop(guard);
        for rx in waiters {
            assert!(matches!(
                final_state(rx).await,
                FlightState::Done { written: 5 }
            ));
        }
        // The next miss starts afresh.
        let _again = lead(&flights);
    }

    #[tokio::test]
    async fn a_failure_reaches_every_waiter() {
        let flights = Flights::default();
        let guard = lead(&flights);
        let waiters: Vec<_> = (0..4).map(|_| join(&flights)).collect();
        let fetch_error = FetchError::Unavailable {
            status: Some(502),
            reason: "bad gateway".into(),
            retry_after: None,
        };
        guard.publish(FlightState::Failed(Failure::Fetch(fetch_error.clone())));
        drop(guard);
        for rx in waiters {
            match final_state(rx).await {
                FlightState::Failed(Failure::Fetch(e)) => assert_eq!(e, fetch_error),
                other => panic!("expected the failure, got {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn an_abandoned_flight_fails_its_waiters_instead_of_stranding_them() {
        let flights = Flights::default();
        let guard = lead(&flights);
        let rx = join(&flights);
        drop(guard); // a fill task that panicked or was cancelled
        match final_state(rx).await {
            FlightState::Failed(Failure::Abandoned) => {}
            other => panic!("expected an abandoned fill, got {other:?}"),
        }
        let _again = lead(&flights);
    }

    #[tokio::test]
    async fn a_cancelled_waiter_does_not_disturb_the_others() {
        let flights = Flights::default();
        let guard = lead(&flights);
        let cancelled = tokio::spawn(final_state(join(&flights)));
        let kept = tokio::spawn(final_state(join(&flights)));
        tokio::time::sleep(Duration::from_millis(20)).await;
        cancelled.abort();
        assert!(cancelled.await.expect_err("aborted").is_cancelled());
        guard.publish(FlightState::Done { written: 1 });
        drop(guard);
        let state = tokio::time::timeout(Duration::from_secs(5), kept)
            .await
            .expect("the other waiter is answered")
            .expect("joins");
        assert!(matches!(state, FlightState::Done { written: 1 }));
    }

    /// Streams the growing file: the leader's client, a joiner and a late joiner (who joins
    /// after most of the body is written) all read the whole body; the last byte is held
    /// back until the flight is done.
    #[tokio::test]
    async fn every_client_streams_the_growing_file_and_the_last_byte_waits_for_done() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("fill");
        let body: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, b"").expect("create");
        let info = Arc::new(StreamInfo {
            head: OriginHead {
                size: Some(body.len() as u64),
                ..Default::default()
            },
            temp_path: path.clone(),
            recent: Recent::default(),
        });
        let flights = Flights::default();
        let guard = lead(&flights);
        let streaming = |written| FlightState::Streaming {
            info: info.clone(),
            written,
        };
        guard.publish(streaming(0));
        let early = growing_file(&info, guard.subscribe(), 0, None, test_buffers())
            .await
            .expect("opens");
        let early = tokio::spawn(collect(early));
        let joiner = growing_file(&info, join(&flights), 0, None, test_buffers())
            .await
            .expect("opens");
        let joiner = tokio::spawn(collect(joiner));

        // The whole body is written, but the flight is not done: nobody gets the last byte.
        std::fs::write(&path, &body).expect("write");
        guard.publish(streaming(body.len() as u64));
        let late = growing_file(
            &info,
            join(&flights),
            10,
            Some(body.len() as u64),
            test_buffers(),
        )
        .await
        .expect("opens");
        let late = tokio::spawn(collect(late));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!early.is_finished() && !joiner.is_finished() && !late.is_finished());

        guard.publish(FlightState::Done {
            written: body.len() as u64,
        });
        drop(guard);
        for task in [early, joiner] {
            assert_eq!(task.await.expect("joins").expect("reads"), body);
        }
        assert_eq!(late.await.expect("joins").expect("reads"), body[10..]);
    }

    /// What the fill received last is served from memory: here the file holds zeros where
    /// memory holds the body's bytes, and the reader gets the bytes (older ones, evicted
    /// from memory, come from the file).
    #[tokio::test]
    async fn a_reader_keeping_pace_is_served_from_memory() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("fill");
        let total = RECENT_BYTES as usize + 3 * 1024 * 1024;
        let body: Vec<u8> = (0..total).map(|i| (i % 251) as u8 | 1).collect();
        let mut file = body.clone();
        let info = Arc::new(StreamInfo {
            head: OriginHead {
                size: Some(total as u64),
                ..Default::default()
            },
            temp_path: path.clone(),
            recent: Recent::default(),
        });
        for (i, chunk) in body.chunks(64 * 1024).enumerate() {
            info.recent
                .push((i * 64 * 1024) as u64, Bytes::copy_from_slice(chunk));
        }
        // Memory has the last RECENT_BYTES; zero them in the file.
        let in_memory = total - RECENT_BYTES as usize;
        file[in_memory..].fill(0);
        std::fs::write(&path, &file).expect("write");
        let flights = Flights::default();
        let guard = lead(&flights);
        guard.publish(FlightState::Done {
            written: total as u64,
        });
        let reader = growing_file(&info, guard.subscribe(), 0, None, test_buffers())
            .await
            .expect("opens");
        assert!(collect(reader).await.expect("reads") == body);
        assert!(
            info.recent.get(0, 10).is_none(),
            "the oldest chunks left memory"
        );
        assert_eq!(
            info.recent
                .get(total as u64 - 5, total as u64 - 2)
                .expect("in memory"),
            body[total - 5..total - 2].to_vec()
        );
    }

    #[tokio::test]
    async fn a_reader_of_a_failed_fill_ends_with_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("fill");
        std::fs::write(&path, b"partial").expect("write");
        let info = Arc::new(StreamInfo {
            head: OriginHead {
                size: Some(100),
                ..Default::default()
            },
            temp_path: path,
            recent: Recent::default(),
        });
        let flights = Flights::default();
        let guard = lead(&flights);
        guard.publish(FlightState::Streaming {
            info: info.clone(),
            written: 7,
        });
        let reader = growing_file(&info, guard.subscribe(), 0, None, test_buffers())
            .await
            .expect("opens");
        let reader = tokio::spawn(collect(reader));
        guard.publish(FlightState::Failed(Failure::Body("cut".into())));
        drop(guard);
        let err = reader.await.expect("joins").expect_err("the cut shows");
        assert!(err.to_string().contains("cut"), "{err}");
    }
}
