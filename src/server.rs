//! The HTTP server: listener (TCP_NODELAY), the single axum fallback route, the per-request
//! envelope (request id, routing, authentication, error rendering, one log line), and
//! graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::serve::ListenerExt;
use http::{HeaderValue, Method, StatusCode};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::auth;
use crate::body::RequestBody;
use crate::config::Config;
use crate::error::{error_xml, S3Error};
use crate::handlers::{self, RequestContext};
use crate::router::{Operation, Route};

/// Largest body read whole to check a signature over its hash (see `serve_request`).
const MAX_HASHED_BODY: u64 = 1024 * 1024;

/// Everything a handler may need, shared by all requests.
pub struct AppState {
    pub store: storage::Store,
    pub config: Config,
    pub origin: Arc<crate::origin::pull::OriginEngine>,
    pub metrics: Arc<crate::metrics::Metrics>,
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    state: Arc<AppState>,
}

impl Server {
    /// Open the store, bind the listener and start serving in the background.
    pub async fn start(config: Config) -> anyhow::Result<Server> {
        let dir = config.data_dir.clone();
        let options = config.storage.clone();
        let store = tokio::task::spawn_blocking(move || storage::Store::open(&dir, options))
            .await
            .context("opening the store")?
            .with_context(|| format!("opening the data directory {}", config.data_dir.display()))?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        let addr = listener.local_addr()?;
        let metrics = Arc::new(crate::metrics::Metrics::new());
        let origin = Arc::new(crate::origin::pull::OriginEngine::new(
            store.clone(),
            &config.origin,
            &config.region,
            metrics.clone(),
        )?);
        let state = Arc::new(AppState {
            store,
            config,
            origin,
            metrics,
        });
        spawn_upload_sweeper(&state);

        let app = axum::Router::new()
            .fallback(handle)
            .with_state(state.clone());
        // Nagle + delayed ACK stalls small responses by ~40 ms on loopback; disable Nagle.
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::warn!(error = %e, "could not set TCP_NODELAY");
            }
        });
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await
        });
        Ok(Server {
            addr,
            shutdown: Some(tx),
            task,
            state,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Stop accepting, let in-flight requests finish (bounded by the configured grace
    /// period), flush metadata.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let grace = self.state.config.shutdown_grace;
        match tokio::time::timeout(grace, &mut self.task).await {
            Ok(joined) => joined.context("server task")?.context("server")?,
            Err(_) => {
                tracing::warn!(
                    grace_secs = grace.as_secs(),
                    "in-flight requests still running after the grace period; stopping"
                );
                self.task.abort();
            }
        }
        self.state
            .store
            .flush()
            .await
            .context("flushing metadata")?;
        Ok(())
    }
}

/// Removes multipart uploads older than the configured age, hourly.
fn spawn_upload_sweeper(state: &Arc<AppState>) {
    let weak = Arc::downgrade(state);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let Some(state) = weak.upgrade() else { return };
            match state
                .store
                .expire_uploads(state.config.upload_max_age)
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(expired = n, "removed stale multipart uploads"),
                Err(e) => tracing::warn!(error = %e, "multipart upload sweep failed"),
            }
        }
    });
}

/// The one route: every request comes through here.
async fn handle(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let started = Instant::now();
    let request_id = new_request_id();
    let method = req.method().clone();
    let resource = req.uri().path().to_owned();
    let mut log = LogFields::default();

    let mut response = match serve_request(&state, req, &request_id, &mut log).await {
        Ok(response) => response,
        Err(err) => render_error(&err, &method, &resource, &request_id, &log),
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amz-request-id", v);
    }
    response.headers_mut().insert(
        http::header::SERVER,
        HeaderValue::from_static("originstore"),
    );
    let bytes = response
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    state
        .metrics
        .requests
        .get_or_create(&crate::metrics::RequestLabels {
            operation: log.operation,
            status: response.status().as_u16(),
        })
        .inc();
    tracing::info!(
        target: "originstore::request",
        request_id = %request_id,
        method = %method,
        bucket = log.bucket.as_deref().unwrap_or(""),
        key = log.key.as_deref().unwrap_or(""),
        operation = log.operation,
        status = response.status().as_u16(),
        bytes,
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
    );
    response
}

#[derive(Default)]
struct LogFields {
    bucket: Option<String>,
    key: Option<String>,
    operation: &'static str,
}

async fn serve_request(
    state: &Arc<AppState>,
    req: Request,
    request_id: &str,
    log: &mut LogFields,
) -> Result<Response, S3Error> {
    let (parts, body) = req.into_parts();
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()));
    let route = Route::from_parts(
        &parts.method,
        host.as_deref(),
        parts.uri.path(),
        parts.uri.query(),
        &parts.headers,
        state.config.domain.as_deref(),
    )?;
    log.operation = route.operation.name();
    log.bucket.clone_from(&route.bucket);
    log.key.clone_from(&route.key);
    match route.operation {
        Operation::Health => return Ok(Response::new(Body::from("ok\n"))),
        Operation::Metrics => {
            return Response::builder()
                .header(
                    http::header::CONTENT_TYPE,
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                )
                .body(Body::from(state.metrics.encode()))
                .map_err(S3Error::internal)
        }
        _ => {}
    }

    let secret_for = |ak: &str| state.config.secret_for(ak);
    let (auth, body) = match auth::verify_request(&parts, &secret_for, SystemTime::now()) {
        Err(auth::AuthError::SignatureDoesNotMatch)
            if auth::may_sign_body_hash(&parts, MAX_HASHED_BODY) =>
        {
            // curl's --aws-sigv4 (before 8.x) and generic SigV4 signers sign the body's hash
            // without sending x-amz-content-sha256: read the (small) body and check that.
            let bytes = axum::body::to_bytes(body, MAX_HASHED_BODY as usize)
                .await
                .map_err(|_| S3Error::from(auth::AuthError::SignatureDoesNotMatch))?;
            let hash = auth::sigv4::sha256_hex(&bytes);
            let auth =
                auth::verify_request_with_body_hash(&parts, &secret_for, SystemTime::now(), &hash)?;
            (auth, Body::from(bytes))
        }
        other => (other?, body),
    };
    // aws-chunked bodies must declare x-amz-decoded-content-length (411 MissingContentLength
    // otherwise, as AWS); other bodies are sized by Content-Length. Falling back to the
    // Content-Length of an aws-chunked body (its *encoded* size) made a well-formed body
    // fail late with a misleading IncompleteBody.
    let declared_len = crate::body::declared_len(&parts.headers, &auth.payload)?;
    let body = RequestBody::new(body, auth.payload, declared_len);
    let ctx = RequestContext {
        parts,
        route,
        user: auth.access_key,
        body: std::sync::Mutex::new(Some(body)),
        request_id: request_id.to_owned(),
    };
    handlers::dispatch(state, ctx).await
}

fn render_error(
    err: &S3Error,
    method: &Method,
    resource: &str,
    request_id: &str,
    log: &LogFields,
) -> Response {
    let status = err.status();
    if status.is_server_error() {
        tracing::error!(
            request_id,
            operation = log.operation,
            code = err.code.as_str(),
            source = err.source.as_deref().unwrap_or(""),
            "request failed"
        );
    }
    let mut builder = Response::builder().status(status);
    for (name, value) in &err.headers {
        builder = builder.header(*name, value);
    }
    let response = if status == StatusCode::NOT_MODIFIED || method == Method::HEAD {
        // HEAD errors and 304 carry no body.
        builder.body(Body::empty())
    } else {
        builder
            .header(http::header::CONTENT_TYPE, "application/xml")
            .body(Body::from(error_xml(err, resource, request_id)))
    };
    response.unwrap_or_else(|_| {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

/// 16 upper-case hex characters, like AWS's request ids.
fn new_request_id() -> String {
    let id = uuid::Uuid::new_v4();
    let mut s = id.simple().to_string();
    s.truncate(16);
    s.make_ascii_uppercase();
    s
}
