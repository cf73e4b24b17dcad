//! A body on its way to the cluster as well as to the local blob (cluster mode's
//! write-through: a client's upload, or an origin fill the cluster did not have). The bytes stream to the cluster as they arrive, but the last piece is
//! held back until the local copy has been verified (length, Content-MD5, checksums), so
//! the cluster can never complete an upload the node refuses: on any failure, or if the
//! [`Tee`] is dropped unfinished, the cluster's request body ends with an error and the
//! cluster stores nothing. The cluster request starts with the first piece (or, for an
//! empty body, only once it has been verified).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::backend::Acknowledged;
use crate::error::S3Error;

/// Starts the cluster request with its body and the declared length, if known.
pub type Start =
    Box<dyn FnOnce(reqwest::Body, Option<u64>) -> JoinHandle<Result<Acknowledged, S3Error>> + Send>;

/// The tee of a PutObject of `key` in `bucket` at `backend` (`headers`: the object's): the
/// cluster request starts with the body.
pub fn put(
    backend: &Arc<super::Backend>,
    bucket: &str,
    key: &str,
    headers: http::HeaderMap,
) -> Tee {
    let backend = backend.clone();
    let (bucket, key) = (bucket.to_owned(), key.to_owned());
    Tee::new(Box::new(move |body, length| {
        tokio::spawn(async move {
            backend
                .put_object(&bucket, &key, headers, length, body)
                .await
        })
    }))
}

/// Pieces in flight to the cluster at once (backpressure: a slow cluster slows the client).
const IN_FLIGHT: usize = 4;

pub struct Tee {
    start: Option<Start>,
    length: Option<u64>,
    tx: Option<mpsc::Sender<Bytes>>,
    held: Option<Bytes>,
    finished: Arc<AtomicBool>,
    call: Option<JoinHandle<Result<Acknowledged, S3Error>>>,
}

/// The cluster stopped reading (its request failed): its answer says why.
pub struct ClusterGone;

impl Tee {
    pub fn new(start: Start) -> Tee {
        Tee {
            start: Some(start),
            length: None,
            tx: None,
            held: None,
            finished: Arc::new(AtomicBool::new(false)),
            call: None,
        }
    }

    /// The body's declared length (sent to the cluster as Content-Length).
    pub fn set_length(&mut self, length: Option<u64>) {
        self.length = length;
    }

    fn ensure_started(&mut self) {
        let Some(start) = self.start.take() else {
            return;
        };
        let (tx, rx) = mpsc::channel::<Bytes>(IN_FLIGHT);
        let finished = self.finished.clone();
        let stream = futures::stream::unfold(rx, move |mut rx| {
            let finished = finished.clone();
            async move {
                match rx.recv().await {
                    Some(piece) => Some((Ok::<Bytes, std::io::Error>(piece), rx)),
                    // Closed: a clean end only after `finish`; else the upload is cut.
                    None if finished.load(Ordering::Acquire) => None,
                    None => Some((
                        Err(std::io::Error::other("the upload was refused by the node")),
                        rx,
                    )),
                }
            }
        });
        self.call = Some(start(reqwest::Body::wrap_stream(stream), self.length));
        self.tx = Some(tx);
    }

    /// Pass on a piece of the body (the previous one goes out; this one is held).
    pub async fn send(&mut self, piece: Bytes) -> Result<(), ClusterGone> {
        self.ensure_started();
        if let Some(previous) = self.held.replace(piece) {
            let tx = self.tx.as_ref().ok_or(ClusterGone)?;
            tx.send(previous).await.map_err(|_| ClusterGone)?;
        }
        Ok(())
    }

    /// The local copy was verified: send the rest, end the body, and wait for the
    /// cluster's answer.
    pub async fn finish(mut self) -> Result<Acknowledged, S3Error> {
        self.ensure_started();
        if let (Some(last), Some(tx)) = (self.held.take(), self.tx.as_ref()) {
            // A closed channel means the call failed: its answer below says why.
            let _ = tx.send(last).await;
        }
        self.finished.store(true, Ordering::Release);
        self.tx = None;
        self.answer().await
    }

    /// The cluster's answer (after a failure to send, the reason it stopped reading).
    pub async fn answer(mut self) -> Result<Acknowledged, S3Error> {
        // Not finished: the body ends with an error, so the cluster stores nothing.
        self.tx = None;
        match self.call.take() {
            Some(call) => call.await.map_err(S3Error::internal)?,
            None => Err(S3Error::internal("the cluster request never started")),
        }
    }
}

impl Drop for Tee {
    fn drop(&mut self) {
        // Unfinished (an error on the node's side): closing the channel without `finished`
        // cuts the cluster's body; the call is left to fail on its own.
        self.tx = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt as _;
    use http_body_util::BodyExt as _;

    /// What the cluster received, and whether its body ended cleanly (`None`: not yet).
    type Seen = Arc<std::sync::Mutex<(Vec<u8>, Option<bool>)>>;

    /// A start that collects what the cluster would receive, and how its body ended.
    fn collecting() -> (Start, Seen) {
        let seen = Arc::new(std::sync::Mutex::new((Vec::new(), None)));
        let out = seen.clone();
        let start: Start = Box::new(move |body, _| {
            tokio::spawn(async move {
                let mut stream = body.into_data_stream();
                let mut clean = true;
                while let Some(piece) = stream.next().await {
                    match piece {
                        Ok(bytes) => {
                            let bytes: Bytes = bytes;
                            out.lock().expect("lock").0.extend_from_slice(&bytes)
                        }
                        Err(_) => {
                            clean = false;
                            break;
                        }
                    }
                }
                out.lock().expect("lock").1 = Some(clean);
                Ok(Acknowledged::default())
            })
        });
        (start, seen)
    }

    #[tokio::test]
    async fn the_last_piece_waits_for_finish_and_an_unfinished_body_is_cut() {
        let (start, seen) = collecting();
        let mut tee = Tee::new(start);
        tee.send(Bytes::from_static(b"ab"))
            .await
            .ok()
            .expect("sent");
        tee.send(Bytes::from_static(b"cd"))
            .await
            .ok()
            .expect("sent");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert_eq!(
            seen.lock().expect("lock").0,
            b"ab",
            "the last piece is held"
        );
        tee.finish().await.expect("answered");
        assert_eq!(*seen.lock().expect("lock"), (b"abcd".to_vec(), Some(true)));

        let (start, seen) = collecting();
        let mut tee = Tee::new(start);
        tee.send(Bytes::from_static(b"ab"))
            .await
            .ok()
            .expect("sent");
        tee.send(Bytes::from_static(b"cd"))
            .await
            .ok()
            .expect("sent");
        let _ = tee.answer().await;
        assert_eq!(*seen.lock().expect("lock"), (b"ab".to_vec(), Some(false)));
    }

    #[tokio::test]
    async fn an_empty_body_reaches_the_cluster_only_once_verified() {
        let (start, seen) = collecting();
        let tee = Tee::new(start);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert_eq!(seen.lock().expect("lock").1, None, "not started");
        tee.finish().await.expect("answered");
        assert_eq!(*seen.lock().expect("lock"), (Vec::new(), Some(true)));
    }
}
