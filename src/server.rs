//! The HTTP server: the listener, the single axum fallback route into the request envelope
//! ([`crate::request`]) served by the bounded accept loop ([`crate::serve`]), background
//! sweeps, and graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::state::AppState;

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
        let listen = config.listen;
        let state = AppState::open(config).await?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("binding {listen}"))?;
        let addr = listener.local_addr()?;
        spawn_upload_sweeper(&state);
        spawn_pack_compactor(&state);
        match state.backfills.resume_all().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(jobs = n, "resumed origin backfills"),
            Err(e) => tracing::warn!(error = %e, "origin backfills not resumed"),
        }
        match state.passes.resume_all().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(passes = n, "resumed migration passes"),
            Err(e) => tracing::warn!(error = %e, "migration passes not resumed"),
        }
        // In cluster mode the bucket's lifecycle is the cluster's, which enforces it.
        if state.backend.is_none() {
            crate::lifecycle::expirer::spawn(&state, expiry_scope);
        }
        if let (Some(backend), Some(shared)) = (&state.backend, &state.shared) {
            crate::backend::cache::spawn(&state, cache_scope);
            // The cluster's bucket settings are this node's before it answers anyone.
            match shared.sync(&state.settings, &state.config.region).await {
                Ok(pass) => tracing::info!(?pass, "bucket settings taken from the cluster"),
                Err(e) => tracing::warn!(error = %e, "bucket settings not taken from the cluster"),
            }
            let users = crate::backend::shared::sync_users(shared, &state.store, &state.directory);
            if let Err(e) = users.await {
                tracing::warn!(error = %e, "users not taken from the cluster");
            }
            let every = Duration::from_secs(backend.settings().settings_refresh_secs.max(1));
            crate::backend::shared::spawn(&state, every, shared_scope);
        }

        let app = axum::Router::new()
            .fallback(crate::request::handle)
            .with_state(state.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let limits = state.config.limits.clone();
        let tls = match &state.config.tls {
            Some(files) => Some(crate::serve::Tls::new(files.clone())?),
            None => None,
        };
        let task = tokio::spawn(crate::serve::serve(listener, app, limits, tls, rx));
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
        // Background work holds the state only while it runs a step (a sync, a pass, a
        // delivery): wait for the last step to end, so that the data directory is released
        // when this returns (a restart in the same process can open it at once).
        let released = std::time::Instant::now() + Duration::from_secs(5);
        while Arc::strong_count(&self.state) > 1 && std::time::Instant::now() < released {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }
}

/// Removes multipart uploads older than the configured age, hourly.
fn spawn_upload_sweeper(state: &Arc<AppState>) {
    every(state, Duration::from_secs(3600), |state| async move {
        match state
            .store
            .expire_uploads(state.config.upload_max_age)
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(expired = n, "removed stale multipart uploads"),
            Err(e) => tracing::warn!(error = %e, "multipart upload sweep failed"),
        }
    });
}

/// Reclaims the pack space of deleted small objects (`storage/src/compact.rs`): a check of
/// a flag every `pack_compaction_secs` (30), a pass over the packed objects only when some
/// died since the last.
fn spawn_pack_compactor(state: &Arc<AppState>) {
    every(state, state.config.pack_compaction, |state| async move {
        if let Err(e) = state.store.compact_packs().await {
            tracing::warn!(error = %e, "pack compaction failed");
        }
    });
}

/// Run `task` now and then every `period` while the server's state lives (the task holds it
/// only while it runs).
fn every<F, Fut>(state: &Arc<AppState>, period: Duration, task: F)
where
    F: Fn(Arc<AppState>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let weak = Arc::downgrade(state);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        loop {
            tick.tick().await;
            let Some(state) = weak.upgrade() else { return };
            task(state).await;
        }
    });
}

/// What the cache bound's pass reads of the server's state (cluster mode only).
fn cache_scope(state: &AppState) -> Option<crate::backend::cache::Scope<'_>> {
    let backend = state.backend.as_ref()?;
    Some(crate::backend::cache::Scope {
        store: &state.store,
        bound: &backend.cache,
        metrics: &state.metrics,
    })
}

/// What the bucket settings sync reads of the server's state (cluster mode only).
fn shared_scope(state: &AppState) -> Option<crate::backend::shared::Parts<'_>> {
    Some((
        state.shared.as_deref()?,
        &state.settings,
        &state.config.region,
        &state.directory,
    ))
}

/// What the lifecycle expirer reads of the server's state.
fn expiry_scope(state: &AppState) -> crate::lifecycle::expirer::Scope<'_> {
    crate::lifecycle::expirer::Scope {
        store: &state.store,
        lifecycles: &state.lifecycle,
        day: state.config.lifecycle_day,
        notify: Some(&state.notify),
    }
}
