//! Lingering close, as nginx does it: when hyper closes a connection whose request body it
//! did not read — an upload refused part way (`507 InsufficientStorage`, `400
//! BadDigest`, an access error answered before the body) — closing the socket at once
//! with unread bytes in its receive buffer makes the kernel send a reset, and a client
//! still sending its body gets "connection reset" instead of the error response already
//! on the wire. So closing first shuts down the write side (the client sees the end of
//! the response), then reads and discards what the client still sends until it closes
//! too, for at most [`LINGER_IDLE`] between reads and [`LINGER_TOTAL`] in all. A connection
//! closed while idle (to make room for another: it has no request, so no body, in flight)
//! is closed at once instead ([`Lingering::skip_linger`]): its slot is wanted now.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// The longest wait for the next bytes from a client while lingering.
pub const LINGER_IDLE: Duration = Duration::from_secs(5);
/// The longest a closing connection lingers in all.
pub const LINGER_TOTAL: Duration = Duration::from_secs(30);

/// A connection's stream whose shutdown lingers (see the module header).
pub struct Lingering<S> {
    stream: S,
    idle_bound: Duration,
    total_bound: Duration,
    linger: Option<Linger>,
    /// Set: shut down without lingering.
    skip: Arc<AtomicBool>,
}

/// The draining state, once the write side is shut.
struct Linger {
    idle: Pin<Box<Sleep>>,
    end: Instant,
    scratch: Box<[u8]>,
}

impl<S> Lingering<S> {
    pub fn new(stream: S) -> Self {
        Lingering {
            stream,
            idle_bound: LINGER_IDLE,
            total_bound: LINGER_TOTAL,
            linger: None,
            skip: Arc::new(AtomicBool::new(false)),
        }
    }

    /// A switch that, once set, makes the shutdown close at once (no lingering).
    pub fn skip_linger(&self) -> Arc<AtomicBool> {
        self.skip.clone()
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Lingering<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Lingering<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.linger.is_none() {
            ready!(Pin::new(&mut this.stream).poll_shutdown(cx))?;
            if this.skip.load(Ordering::Relaxed) {
                return Poll::Ready(Ok(()));
            }
            let now = Instant::now();
            this.linger = Some(Linger {
                idle: Box::pin(tokio::time::sleep_until(now + this.idle_bound)),
                end: now + this.total_bound,
                scratch: vec![0; 16 * 1024].into_boxed_slice(),
            });
        }
        let Some(linger) = this.linger.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        loop {
            let mut buf = ReadBuf::new(&mut linger.scratch);
            match Pin::new(&mut this.stream).poll_read(cx, &mut buf) {
                // The client closed its side, or the connection broke: done.
                Poll::Ready(Ok(())) if buf.filled().is_empty() => return Poll::Ready(Ok(())),
                Poll::Ready(Err(_)) => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) => {
                    let now = Instant::now();
                    if now >= linger.end {
                        return Poll::Ready(Ok(()));
                    }
                    let next = (now + this.idle_bound).min(linger.end);
                    linger.idle.as_mut().reset(next);
                }
                Poll::Pending => {
                    ready!(linger.idle.as_mut().poll(cx));
                    return Poll::Ready(Ok(()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn shutdown_reads_what_the_peer_still_sends_until_it_closes() {
        let (client, server) = tokio::io::duplex(64);
        let mut server = Lingering::new(server);
        let (mut client_read, mut client_write) = tokio::io::split(client);
        let sender = tokio::spawn(async move {
            // Far more than the pipe holds: only a draining peer lets this finish.
            for _ in 0..64 {
                client_write.write_all(&[1u8; 1024]).await.expect("written");
            }
            client_write.shutdown().await.expect("closed");
        });
        server.shutdown().await.expect("lingered");
        // Gone once shut down: a client still sending now would fail.
        drop(server);
        sender
            .await
            .expect("the client sent everything before the close");
        let mut rest = Vec::new();
        client_read
            .read_to_end(&mut rest)
            .await
            .expect("end of the response");
        assert!(rest.is_empty());
    }

    #[tokio::test]
    async fn a_silent_peer_is_given_up_on_after_the_idle_bound() {
        let (_client, server) = tokio::io::duplex(64);
        let idle_bound = Duration::from_millis(200);
        let mut server = Lingering {
            idle_bound,
            ..Lingering::new(server)
        };
        let started = Instant::now();
        server.shutdown().await.expect("lingered");
        let waited = started.elapsed();
        assert!(waited >= idle_bound && waited < LINGER_TOTAL, "{waited:?}");
    }

    #[tokio::test]
    async fn a_connection_told_to_skip_lingering_closes_at_once() {
        let (_client, server) = tokio::io::duplex(64);
        let mut server = Lingering::new(server);
        server.skip_linger().store(true, Ordering::Relaxed);
        tokio::time::timeout(Duration::from_millis(100), server.shutdown())
            .await
            .expect("no lingering")
            .expect("closed");
    }
}
