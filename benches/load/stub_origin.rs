//! An HTTP origin on 127.0.0.1:0 for the origin-pull workloads, counting requests per path:
//! `/obj/<n>` is 1 MiB sent at once; `/big/<n>` is 16 MiB in 1 MiB pieces 10 ms apart (a
//! slow origin, so concurrent misses really overlap); `/huge/<n>` is 256 MiB streamed as
//! fast as the socket takes it, and `/wan/<n>` the same paced at 1 MiB per 8 ms (125 MiB/s,
//! a remote origin on a 1 Gbit/s link): the cold-miss throughput cases.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;

use crate::pattern_source::pattern;

pub const SMALL: usize = 1024 * 1024;
pub const BIG: usize = 16 * 1024 * 1024;
pub const HUGE: usize = 256 * 1024 * 1024;
const PIECE: usize = 1024 * 1024;
/// `/wan/`'s delay before each MiB.
const WAN_PACE: Duration = Duration::from_millis(8);

pub struct StubOrigin {
    pub addr: SocketAddr,
    counts: Arc<Mutex<HashMap<String, u64>>>,
    task: tokio::task::JoinHandle<()>,
}

impl StubOrigin {
    pub async fn start() -> StubOrigin {
        let small = Bytes::from(pattern(SMALL, 7));
        let big = Bytes::from(pattern(BIG, 9));
        let counts: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind stub origin");
        let addr = listener.local_addr().expect("stub origin address");
        let seen = counts.clone();
        let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
            let (small, big, seen) = (small.clone(), big.clone(), seen.clone());
            async move {
                let path = req.uri().path().to_owned();
                *seen
                    .lock()
                    .expect("count lock")
                    .entry(path.clone())
                    .or_default() += 1;
                let response = http::Response::builder();
                if path.starts_with("/obj/") {
                    response
                        .header("content-length", small.len())
                        .body(axum::body::Body::from(small))
                        .expect("response")
                } else if path.starts_with("/big/") {
                    let pieces: Vec<Bytes> = (0..BIG / PIECE)
                        .map(|i| big.slice(i * PIECE..(i + 1) * PIECE))
                        .collect();
                    let stream = futures::StreamExt::then(
                        futures::stream::iter(pieces),
                        |piece| async move {
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            Ok::<_, std::io::Error>(piece)
                        },
                    );
                    response
                        .header("content-length", BIG)
                        .body(axum::body::Body::from_stream(stream))
                        .expect("response")
                } else if path.starts_with("/huge/") || path.starts_with("/wan/") {
                    // The first MiB of the slow object, 256 times (cheap clones).
                    let piece = big.slice(0..PIECE);
                    let pace = path.starts_with("/wan/").then_some(WAN_PACE);
                    let stream = futures::StreamExt::then(
                        futures::stream::iter((0..HUGE / PIECE).map(move |_| piece.clone())),
                        move |piece| async move {
                            if let Some(pace) = pace {
                                tokio::time::sleep(pace).await;
                            }
                            Ok::<_, std::io::Error>(piece)
                        },
                    );
                    response
                        .header("content-length", HUGE)
                        .body(axum::body::Body::from_stream(stream))
                        .expect("response")
                } else {
                    response
                        .status(404)
                        .body(axum::body::Body::empty())
                        .expect("response")
                }
            }
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        StubOrigin { addr, counts, task }
    }

    /// Requests seen for one path.
    pub fn count(&self, path: &str) -> u64 {
        self.counts
            .lock()
            .expect("count lock")
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// Requests seen for all paths.
    pub fn total(&self) -> u64 {
        self.counts.lock().expect("count lock").values().sum()
    }
}

impl Drop for StubOrigin {
    fn drop(&mut self) {
        self.task.abort();
    }
}
