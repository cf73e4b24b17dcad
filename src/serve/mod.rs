//! The accept loop: every connection is served by hyper's HTTP/1.1 server with the
//! configured bounds ([`crate::config::Limits`]) — at most `max_connections` open at once
//! (the others wait in the listen backlog while open ones keep being served), a header read
//! timeout that also closes idle keep-alive connections — `TCP_NODELAY`, the client's
//! address for the request envelope, and a graceful shutdown that lets in-flight requests
//! finish. A connection closed with part of a request body unread lingers
//! (`linger`) so that the client reads the response instead of a reset.
//!
//! Pipelined requests and `Expect: 100-continue` are hyper's: requests on one connection
//! are answered in order, and `100 Continue` is sent when the handler starts reading the
//! body.

mod linger;

use std::sync::Arc;

use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Semaphore};

use crate::config::Limits;

/// Serve `app` on `listener` until `shutdown` fires, then wait for open connections to
/// finish their requests.
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    limits: Limits,
    mut shutdown: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    loop {
        // A free slot first: beyond the limit, new connections wait in the backlog.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            _ = &mut shutdown => break,
        };
        let Ok(slot) = slot else { break };
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
        // Nagle + delayed ACK stalls small responses by ~40 ms on loopback; disable Nagle.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::warn!(error = %e, "could not set TCP_NODELAY");
        }
        let service = tower::ServiceExt::map_request(
            app.clone(),
            move |mut request: http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(remote));
                request
            },
        );
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .keep_alive(true)
            .serve_connection(
                TokioIo::new(linger::Lingering::new(stream)),
                hyper_util::service::TowerToHyperService::new(service),
            );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%remote, error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
