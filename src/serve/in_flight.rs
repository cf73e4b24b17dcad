//! The service each connection runs: the app, with the client's address (and whether the
//! connection is TLS) in every request's extensions, and the connection counted busy (`slots::InFlight`) from the moment a
//! request arrives until its answer's body has been sent or abandoned — so that only
//! connections with nothing in flight are ever closed to make room.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::ConnectInfo;
use futures::future::BoxFuture;
use http_body::{Frame, SizeHint};

use super::slots::{InFlight, Slot};

/// The app as one connection serves it.
#[derive(Clone)]
pub struct Tracked {
    pub app: axum::Router,
    pub slot: Arc<Slot>,
    pub remote: SocketAddr,
    /// The connection is TLS.
    pub secure: bool,
}

/// In a request's extensions when it came over TLS (`aws:SecureTransport`).
#[derive(Debug, Clone, Copy)]
pub struct SecureTransport;

impl tower::Service<http::Request<hyper::body::Incoming>> for Tracked {
    type Response = http::Response<Body>;
    type Error = std::convert::Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // The router is always ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: http::Request<hyper::body::Incoming>) -> Self::Future {
        let busy = self.slot.request();
        request.extensions_mut().insert(ConnectInfo(self.remote));
        if self.secure {
            request.extensions_mut().insert(SecureTransport);
        }
        let app = self.app.clone();
        Box::pin(async move {
            let response = tower::ServiceExt::oneshot(app, request).await?;
            Ok(response.map(|body| Body::new(Guarded { body, _busy: busy })))
        })
    }
}

/// An answer's body, holding its connection busy until it ends or is dropped.
struct Guarded {
    body: Body,
    _busy: InFlight,
}

impl http_body::Body for Guarded {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
