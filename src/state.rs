//! [`AppState`]: everything a handler may need, shared by all requests — the store, the
//! configuration, the origin engine and its backfill jobs, the cluster in cluster mode, the
//! metrics and the buckets'
//! lifecycle, CORS and access settings — and [`AppState::open`], which builds it from a
//! configuration without binding a socket (the server, benchmarks and tests use it).

use std::sync::Arc;

use anyhow::Context;

use crate::access::Access;
use crate::backend::Backend;
use crate::config::Config;
use crate::cors::CorsConfigs;
use crate::lifecycle::Lifecycles;
use crate::metrics::Metrics;
use crate::origin::backfill::Backfills;
use crate::origin::OriginEngine;

pub struct AppState {
    pub store: storage::Store,
    pub config: Config,
    pub origin: Arc<OriginEngine>,
    /// Cluster mode: the S3 cluster writes go through to (`[backend]`).
    pub backend: Option<Arc<Backend>>,
    /// Origin backfill jobs, one per bucket.
    pub backfills: Arc<Backfills>,
    pub metrics: Arc<Metrics>,
    /// Buckets' lifecycle configurations, parsed once.
    pub lifecycle: Lifecycles,
    /// Buckets' CORS configurations, parsed once.
    pub cors: CorsConfigs,
    /// Buckets' ACLs, policies and object ownership, parsed once.
    pub access: Access,
    /// Signed-in web console users.
    pub console_sessions: crate::auth::session::Sessions,
    /// When the server started (the console shows its uptime).
    pub started: std::time::Instant,
}

impl AppState {
    /// Open the data directory (on the blocking pool: recovery walks it) and start the origin
    /// engine and its notifier.
    pub async fn open(config: Config) -> anyhow::Result<Arc<AppState>> {
        let dir = config.data_dir.clone();
        let options = config.storage.clone();
        let store = tokio::task::spawn_blocking(move || storage::Store::open(&dir, options))
            .await
            .context("opening the store")?
            .with_context(|| format!("opening the data directory {}", config.data_dir.display()))?;
        crate::access::legacy::migrate_public_read_buckets(&store)
            .await
            .context("migrating public-read buckets")?;
        let metrics = Arc::new(Metrics::new());
        let backend = match &config.backend {
            Some(settings) => Some(Arc::new(Backend::new(settings.clone(), &config.origin)?)),
            None => None,
        };
        let mut origin = OriginEngine::new(
            store.clone(),
            &config.origin,
            &config.region,
            metrics.clone(),
        )?;
        if let Some(backend) = &backend {
            let backend = backend.clone();
            origin =
                origin.with_read_configs(Arc::new(move |bucket| backend.origin_config(bucket)));
        }
        let origin = Arc::new(origin);
        let backfills = Backfills::new(origin.clone(), store.clone());
        Ok(Arc::new(AppState {
            backfills,
            lifecycle: Lifecycles::new(store.clone()),
            cors: CorsConfigs::new(store.clone()),
            access: Access::new(store.clone()),
            console_sessions: Default::default(),
            started: std::time::Instant::now(),
            store,
            config,
            origin,
            backend,
            metrics,
        }))
    }
}
