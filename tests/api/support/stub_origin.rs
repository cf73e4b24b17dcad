//! A stub origin for origin-pull tests: an axum server on 127.0.0.1:0 that records every
//! request and answers each path as told (plain, slow, chunked, truncated, status, redirect).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use bytes::Bytes;

#[derive(Clone)]
pub enum Behavior {
    /// 200 with a Content-Length and the given extra headers.
    Ok {
        body: Vec<u8>,
        headers: Vec<(&'static str, String)>,
    },
    /// 200, the body in `chunks` pieces with `delay` before each.
    Slow {
        body: Vec<u8>,
        chunks: usize,
        delay: Duration,
    },
    /// 200 without Content-Length (Transfer-Encoding: chunked).
    Chunked { body: Vec<u8> },
    /// Declares the full length, sends `sent` bytes, then breaks the connection.
    Truncated { body: Vec<u8>, sent: usize },
    /// A bare status.
    Status(u16),
    /// A redirect with `Location`.
    Redirect { status: u16, location: String },
    /// 200 without Content-Length: sends `piece` every `every` until `gate` opens, then ends
    /// (an origin that never pauses, yet never sends much at once).
    Trickle {
        piece: Vec<u8>,
        every: Duration,
        gate: Arc<tokio::sync::Notify>,
    },
    /// 200 with Content-Length: sends `first` bytes, then waits for `gate` before the rest.
    Gated {
        body: Vec<u8>,
        first: usize,
        gate: Arc<tokio::sync::Notify>,
    },
    /// 503 with `Retry-After: retry_after` once; from then on, `then`.
    Busy {
        retry_after: u64,
        then: Box<Behavior>,
    },
}

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path_and_query: String,
    pub headers: http::HeaderMap,
    /// When the request arrived.
    pub at: std::time::Instant,
}

#[derive(Clone, Default)]
struct Shared {
    routes: Arc<Mutex<HashMap<String, Behavior>>>,
    log: Arc<Mutex<Vec<Recorded>>>,
}

pub struct StubOrigin {
    pub addr: SocketAddr,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl StubOrigin {
    pub async fn start() -> StubOrigin {
        let shared = Shared::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind stub origin");
        let addr = listener.local_addr().expect("addr");
        let state = shared.clone();
        let app = axum::Router::new().fallback(move |req: Request| {
            let state = state.clone();
            async move { answer(state, req).await }
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        StubOrigin { addr, shared, task }
    }

    /// `host:port` for a HostName element.
    /// A stub origin answering `path` with `behavior`.
    pub async fn serving(path: &str, behavior: Behavior) -> StubOrigin {
        let origin = Self::start().await;
        origin.route(path, behavior);
        origin
    }

    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    pub fn route(&self, path: &str, behavior: Behavior) {
        self.shared
            .routes
            .lock()
            .expect("lock")
            .insert(path.to_owned(), behavior);
    }

    pub fn ok(&self, path: &str, body: impl Into<Vec<u8>>) {
        self.route(
            path,
            Behavior::Ok {
                body: body.into(),
                headers: Vec::new(),
            },
        );
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.log.lock().expect("lock").clone()
    }

    /// Requests whose path (without query) is `path`.
    pub fn count(&self, path: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.path_and_query.split('?').next() == Some(path))
            .count()
    }
}

impl Drop for StubOrigin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(state: Shared, req: Request) -> Response {
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let path = req.uri().path().to_owned();
    state.log.lock().expect("lock").push(Recorded {
        method: req.method().to_string(),
        path_and_query,
        headers: req.headers().clone(),
        at: std::time::Instant::now(),
    });
    let behavior = state.routes.lock().expect("lock").get(&path).cloned();
    let head = req.method() == http::Method::HEAD;
    let mut builder = Response::builder();
    let body = match behavior {
        None => return status(404),
        Some(Behavior::Status(code)) => return status(code),
        Some(Behavior::Busy { retry_after, then }) => {
            state
                .routes
                .lock()
                .expect("lock")
                .insert(path.clone(), *then);
            return Response::builder()
                .status(503)
                .header("retry-after", retry_after.to_string())
                .body(Body::empty())
                .expect("response");
        }
        Some(Behavior::Redirect { status, location }) => {
            return Response::builder()
                .status(status)
                .header("location", location)
                .body(Body::empty())
                .expect("response")
        }
        Some(Behavior::Ok { body, headers }) => {
            // A conditional request for the ETag it has: 304, as HTTP origins answer.
            let etag = headers
                .iter()
                .find(|(n, _)| *n == "etag")
                .map(|(_, v)| v.clone());
            let wanted = req
                .headers()
                .get("if-none-match")
                .and_then(|v| v.to_str().ok());
            if etag.is_some() && wanted == etag.as_deref() {
                return status(304);
            }
            for (name, value) in headers {
                builder = builder.header(name, value);
            }
            builder = builder.header("content-length", body.len());
            if head {
                Body::empty()
            } else {
                Body::from(body)
            }
        }
        Some(Behavior::Slow {
            body,
            chunks,
            delay,
        }) => {
            builder = builder.header("content-length", body.len());
            let size = body.len().div_ceil(chunks.max(1)).max(1);
            let pieces: Vec<Bytes> = body.chunks(size).map(Bytes::copy_from_slice).collect();
            let stream = futures::stream::iter(pieces).then(move |piece| async move {
                tokio::time::sleep(delay).await;
                Ok::<_, std::io::Error>(piece)
            });
            Body::from_stream(stream)
        }
        Some(Behavior::Chunked { body }) => {
            let pieces: Vec<Result<Bytes, std::io::Error>> = body
                .chunks(1000)
                .map(|c| Ok(Bytes::copy_from_slice(c)))
                .collect();
            Body::from_stream(futures::stream::iter(pieces))
        }
        Some(Behavior::Trickle { piece, every, gate }) => {
            let piece = Bytes::from(piece);
            let stream = futures::stream::unfold(false, move |ended| {
                let (piece, gate) = (piece.clone(), gate.clone());
                async move {
                    if ended {
                        return None;
                    }
                    tokio::select! {
                        () = gate.notified() => None,
                        () = tokio::time::sleep(every) => Some((Ok::<_, std::io::Error>(piece), false)),
                    }
                }
            });
            Body::from_stream(stream)
        }
        Some(Behavior::Gated { body, first, gate }) => {
            builder = builder.header("content-length", body.len());
            let head = Bytes::copy_from_slice(&body[..first]);
            let rest = Bytes::copy_from_slice(&body[first..]);
            let stream = futures::stream::iter(vec![(head, None), (rest, Some(gate))]).then(
                |(bytes, gate)| async move {
                    if let Some(gate) = gate {
                        gate.notified().await;
                    }
                    Ok::<_, std::io::Error>(bytes)
                },
            );
            Body::from_stream(stream)
        }
        Some(Behavior::Truncated { body, sent }) => {
            builder = builder.header("content-length", body.len());
            let first = Bytes::copy_from_slice(&body[..sent]);
            // The pause lets the head and the first bytes reach the client before the cut.
            let stream = futures::stream::iter(vec![
                Ok(first),
                Err(std::io::Error::other("stub origin cuts the body")),
            ])
            .then(|item| async move {
                if item.is_err() {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                item
            });
            Body::from_stream(stream)
        }
    };
    builder.status(200).body(body).expect("response")
}

use futures::StreamExt as _;

fn status(code: u16) -> Response {
    Response::builder()
        .status(code)
        .body(Body::empty())
        .expect("response")
}

/// A webhook receiver: records JSON bodies; answers 503 while `failing`.
pub struct StubWebhook {
    pub url: String,
    received: Arc<Mutex<Vec<serde_json::Value>>>,
    attempts: Arc<std::sync::atomic::AtomicUsize>,
    failing: Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl StubWebhook {
    pub async fn start(failing: bool) -> StubWebhook {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind webhook");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let received = Arc::new(Mutex::new(Vec::new()));
        let attempts = Arc::new(AtomicUsize::new(0));
        let failing = Arc::new(AtomicBool::new(failing));
        let (r, a, f) = (received.clone(), attempts.clone(), failing.clone());
        let app = axum::Router::new().fallback(move |body: Bytes| {
            let (r, a, f) = (r.clone(), a.clone(), f.clone());
            async move {
                a.fetch_add(1, Ordering::SeqCst);
                if f.load(Ordering::SeqCst) {
                    return status(503);
                }
                let doc: serde_json::Value =
                    serde_json::from_slice(&body).expect("webhook body is JSON");
                r.lock().expect("lock").push(doc);
                status(200)
            }
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        StubWebhook {
            url,
            received,
            attempts,
            failing,
            task,
        }
    }

    pub fn set_failing(&self, failing: bool) {
        self.failing
            .store(failing, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn attempts(&self) -> usize {
        self.attempts.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn received(&self) -> Vec<serde_json::Value> {
        self.received.lock().expect("lock").clone()
    }

    /// Wait (up to 10 s) until `n` documents arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<serde_json::Value> {
        for _ in 0..200 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {n} webhook deliveries, got {:?}", self.received());
    }
}

impl Drop for StubWebhook {
    fn drop(&mut self) {
        self.task.abort();
    }
}
