//! The accept loop: every connection is served by hyper's HTTP/1.1 server with the
//! configured bounds ([`crate::config::Limits`]) — at most `max_connections` open at once
//! and `max_connections_per_address` from one client address (`slots`: when full, the
//! connection idle the longest is closed to admit a new one; only busy connections make new
//! ones wait in the listen backlog), a header read timeout that also closes idle keep-alive
//! connections — `TCP_NODELAY`, the client's address for the request envelope, and a
//! graceful shutdown that lets in-flight requests finish. A connection closed with part of
//! a request body unread lingers (`linger`) so that the client reads the response instead
//! of a reset.
//!
//! With a certificate (`tls.rs`) every connection is TLS, its handshake bounded like a
//! request's headers and done on the connection's task, never the accept loop's.
//!
//! Pipelined requests and `Expect: 100-continue` are hyper's: requests on one connection
//! are answered in order, and `100 Continue` is sent when the handler starts reading the
//! body.

mod in_flight;
mod linger;
mod slots;
pub mod tls;

pub use in_flight::SecureTransport;
pub use tls::{Tls, TlsFiles};

use std::sync::Arc;

use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};

use crate::config::Limits;
use slots::{Admission, Slots};

/// How long a connection asked to close may take before, with no request in flight, it is
/// dropped.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_millis(250);

/// Serve `app` on `listener` until `shutdown` fires, then wait for open connections to
/// finish their requests.
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    limits: Limits,
    tls: Option<Tls>,
    mut shutdown: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    let slots = Slots::new(limits.max_connections, limits.max_connections_per_address);
    let (stopping, stop) = watch::channel(false);
    if let Some(tls) = &tls {
        tls.spawn_reloader(stop.clone());
    }
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        // Room for it: made by closing the connection idle the longest; while every one is
        // busy, it waits (and new connections wait in the listen backlog).
        let slot = tokio::select! {
            admission = slots.admit(remote.ip()) => match admission {
                Admission::Admitted(slot) => Arc::new(slot),
                Admission::Refused => {
                    tokio::spawn(refuse(stream));
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        // Nagle + delayed ACK stalls small responses by ~40 ms on loopback; disable Nagle.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::warn!(error = %e, "could not set TCP_NODELAY");
        }
        let service = in_flight::Tracked {
            app: app.clone(),
            slot: slot.clone(),
            remote,
            secure: tls.is_some(),
        };
        let stream = linger::Lingering::new(stream);
        let skip_linger = stream.skip_linger();
        let connection = Connection {
            service,
            slot,
            remote,
            skip_linger,
            stop: stop.clone(),
            header_timeout: limits.header_timeout,
        };
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => connection.run(stream).await,
                // The handshake is bounded like a request's headers.
                Some(tls) => {
                    let handshake = tls.acceptor.accept(stream);
                    match tokio::time::timeout(limits.header_timeout, handshake).await {
                        Ok(Ok(stream)) => connection.run(stream).await,
                        Ok(Err(e)) => {
                            tracing::debug!(%remote, error = %e, "TLS handshake failed");
                        }
                        Err(_) => tracing::debug!(%remote, "TLS handshake timed out"),
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    slots.wait_empty().await;
    Ok(())
}

/// One admitted connection, served once its stream (TLS or not) is ready.
struct Connection {
    service: in_flight::Tracked,
    slot: Arc<slots::Slot>,
    remote: std::net::SocketAddr,
    skip_linger: Arc<std::sync::atomic::AtomicBool>,
    stop: watch::Receiver<bool>,
    header_timeout: std::time::Duration,
}

impl Connection {
    /// Serve requests on `stream` until the client goes, the connection is asked to close
    /// (to make room), or the server stops.
    async fn run<S>(self, stream: S)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let Connection {
            service,
            slot,
            remote,
            skip_linger,
            mut stop,
            header_timeout,
        } = self;
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .keep_alive(true)
            .serve_connection(
                TokioIo::new(stream),
                hyper_util::service::TowerToHyperService::new(service),
            );
        let close = slot.close_requested();
        let mut connection = std::pin::pin!(connection);
        let ended = tokio::select! {
            ended = connection.as_mut() => Some(ended),
            _ = close.notified() => {
                // Chosen while idle: no body in flight to drain.
                skip_linger.store(true, std::sync::atomic::Ordering::Relaxed);
                None
            }
            _ = stop.wait_for(|stopping| *stopping) => None,
        };
        // Asked to close (to make room, or at shutdown): an idle connection ends at once, a
        // busy one after its answer.
        let ended = match ended {
            Some(ended) => ended,
            None => {
                connection.as_mut().graceful_shutdown();
                // hyper ends an idle connection at once, but keeps one whose last request
                // body it has not yet seen end until a next request. With nothing in flight
                // here for a moment, it is closed regardless.
                match tokio::time::timeout(CLOSE_GRACE, connection.as_mut()).await {
                    Ok(ended) => ended,
                    Err(_) if !slot.busy() => Ok(()),
                    Err(_) => connection.await,
                }
            }
        };
        if let Err(e) = ended {
            tracing::debug!(%remote, error = %e, "connection ended with an error");
        }
        drop(slot);
    }
}

/// A connection beyond its address's bound, all of whose connections are busy: told so
/// (503 SlowDown, as S3 answers a client it throttles) and closed.
async fn refuse(mut stream: TcpStream) {
    let body = crate::xml::to_xml_without_namespace(&crate::xml::ErrorBody {
        code: "SlowDown",
        message: "Too many connections from your address; reduce your connection count.",
        resource: "",
        request_id: "",
    });
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/xml\r\n\
content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}
