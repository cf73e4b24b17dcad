//! Single flight: at most one origin fill per key, shared by every client that misses it.
//!
//! A flight publishes its progress on a `watch` channel: `Fetching` (asking the origin),
//! `Streaming` (the body is being written to the fill's temp file; `written` bytes are
//! readable), then `Done` or `Failed`. Every client of the flight — the one that started it,
//! those that joined, those that join late — streams its answer from that growing file with
//! [`growing_file`], so one origin fetch serves them all, live, in bounded memory (the bytes
//! travel through the page cache, not through per-client buffers).
//!
//! A reader never delivers the last byte of a body of known length until the flight is
//! `Done`, i.e. until the whole body was verified (length, Content-MD5, an S3 origin's ETag)
//! and committed: a cut or corrupt origin body ends every client's response with an error,
//! never a complete-looking 200.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
use tokio::sync::watch;

use super::pull::{Failure, StreamHead};

/// Largest piece a reader hands to the HTTP layer.
const READ_CHUNK: u64 = 256 * 1024;

type FlightKey = (String, String);

#[derive(Debug, Clone)]
pub(super) enum FlightState {
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
pub(super) struct StreamInfo {
    pub head: StreamHead,
    /// The fill's growing temp file (never the committed object's path).
    pub temp_path: PathBuf,
    /// The body's length when the origin declared it.
    pub total: Option<u64>,
}

/// The flights in progress, by (bucket, key).
#[derive(Clone, Default)]
pub(super) struct Flights(Arc<Mutex<HashMap<FlightKey, watch::Receiver<FlightState>>>>);

pub(super) enum Flight {
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
pub(super) struct FlightGuard {
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
            self.tx.send_replace(FlightState::Failed(Failure::Fill(
                "the fill was abandoned".into(),
            )));
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
pub(super) async fn final_state(mut rx: watch::Receiver<FlightState>) -> FlightState {
    match rx.wait_for(FlightState::is_final).await {
        Ok(state) => state.clone(),
        // The guard always publishes a final state before the sender goes away.
        Err(_) => FlightState::Failed(Failure::Fill("the fill was abandoned".into())),
    }
}

/// Stream bytes `start..end` (to the body's end when `end` is `None`) of a flight's growing
/// file, waiting for them as the fill writes them. `total` is the declared body length.
pub(super) async fn growing_file(
    info: &StreamInfo,
    rx: watch::Receiver<FlightState>,
    start: u64,
    end: Option<u64>,
) -> std::io::Result<impl futures::Stream<Item = std::io::Result<Bytes>> + Send + 'static> {
    let mut file = tokio::fs::File::open(&info.temp_path).await?;
    if start > 0 {
        file.seek(std::io::SeekFrom::Start(start)).await?;
    }
    let reader = Reader {
        file,
        rx,
        pos: start,
        end,
        total: info.total,
    };
    Ok(futures::stream::unfold(reader, |mut reader| async move {
        let item = reader.next().await?;
        Some((item, reader))
    }))
}

struct Reader {
    file: tokio::fs::File,
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

    async fn read(&mut self, limit: u64) -> std::io::Result<Bytes> {
        let n = (limit - self.pos).min(READ_CHUNK);
        // n <= READ_CHUNK, which fits in usize.
        let mut buf = BytesMut::zeroed(n as usize);
        self.file.read_exact(&mut buf).await?;
        self.pos += n;
        Ok(buf.freeze())
    }
}
