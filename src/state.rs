//! [`AppState`]: everything a handler may need, shared by all requests — the store, the
//! configuration, the origin engine and its backfill jobs, the cluster in cluster mode, the
//! metrics and the buckets'
//! lifecycle, CORS, access and Object Lock settings — and [`AppState::open`], which builds it from a
//! configuration without binding a socket (the server, benchmarks and tests use it).

use std::sync::Arc;

use anyhow::Context;

use crate::access::Access;
use crate::backend::Backend;
use crate::bucket_setting::BucketSettings;
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
    /// Cluster mode: the bucket settings every node shares, kept at the cluster.
    pub shared: Option<Arc<crate::backend::shared::Shared>>,
    /// The buckets' settings as stored (and, in cluster mode, published to the cluster).
    pub settings: Arc<BucketSettings>,
    /// Where object writes go through to (the cluster, or a `WriteThrough` rule's store).
    pub targets: crate::backend::targets::WriteTargets,
    /// Origin backfill jobs, one per bucket.
    pub backfills: Arc<Backfills>,
    /// Migration passes (delta, verification), the last of each kind per bucket.
    pub passes: Arc<crate::origin::passes::Passes>,
    pub metrics: Arc<Metrics>,
    /// Buckets' lifecycle configurations, parsed once.
    pub lifecycle: Lifecycles,
    /// Buckets' CORS configurations, parsed once.
    pub cors: CorsConfigs,
    /// Buckets' ACLs, policies, object ownership and Block Public Access, parsed once.
    pub access: Access,
    /// Buckets' Object Lock configurations, parsed once.
    pub object_locks:
        Arc<crate::bucket_setting::CachedSetting<crate::object_lock::LockConfiguration>>,
    /// Who may sign requests: the configuration's users and those created at runtime.
    pub directory: Arc<crate::users::Directory>,
    /// Signed-in web console users.
    pub console_sessions: crate::auth::session::Sessions,
    /// Bucket notifications: the targets, their queues and the live stream.
    pub notify: Arc<crate::notify::Notifications>,
    /// When the server started (the console shows its uptime).
    pub started: std::time::Instant,
}

impl AppState {
    /// The secret of `access_key`, if it may sign requests.
    pub fn secret_for(&self, access_key: &str) -> Option<String> {
        self.directory.secret_for(access_key)
    }

    /// The identity a verified `access_key` acts as (a runtime user's name); the key itself
    /// when it is no longer known (removed since it was verified: it owns nothing new).
    pub fn identity_of(&self, access_key: &str) -> String {
        self.directory
            .identity_of(access_key)
            .unwrap_or_else(|| access_key.to_owned())
    }

    /// [`AppState::identity_of`] taking the key: a configuration user's key is its identity,
    /// kept without a copy (every request of theirs goes through here).
    pub fn identity_owned(&self, access_key: String) -> String {
        if self.directory.is_admin(&access_key) {
            return access_key;
        }
        self.identity_of(&access_key)
    }

    /// The S3 server a write of `key` in `bucket` goes through to before it is
    /// acknowledged: the cluster (cluster mode), or the old store of the bucket's
    /// `WriteThrough` origin rule for the key; `None`: the node's own write.
    pub fn write_target(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<Arc<Backend>>, crate::error::S3Error> {
        let stored = match self.backend {
            Some(_) => None,
            None => self.origin.stored_config(bucket)?,
        };
        self.targets.for_key(stored.as_deref(), key)
    }

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
        let sealer = crate::users::seal::Sealer::open_or_create(&config.secrets_key_path())?;
        let metrics = Arc::new(Metrics::new());
        let backend = match &config.backend {
            Some(settings) => Some(Arc::new(Backend::new(settings.clone(), &config.origin)?)),
            None => None,
        };
        let publish = backend
            .as_ref()
            .map(|b| crate::backend::shared::Shared::new(b.clone()));
        // Users, groups and sessions: every node's in cluster mode, published there first.
        let directory = Arc::new(
            crate::users::Directory::open(
                store.clone(),
                sealer,
                config.users.clone(),
                publish
                    .clone()
                    .map(|p| p as Arc<dyn crate::users::PublishServer>),
            )
            .await?,
        );
        let settings = BucketSettings::new(
            store.clone(),
            publish
                .clone()
                .map(|p| p as Arc<dyn crate::bucket_setting::Publish>),
        );
        let notify = crate::notify::Notifications::start(
            store.clone(),
            &config.notify,
            &config.origin,
            &settings,
            &config.region,
            metrics.notify.clone(),
        )
        .await?;
        let mut origin = OriginEngine::new(&settings, &config.origin, metrics.clone())?
            .with_notifications(notify.clone());
        if let Some(backend) = &backend {
            let reads = backend.clone();
            let fills = backend.clone();
            origin = origin
                .with_read_configs(Arc::new(move |bucket, stored| {
                    reads.origin_config(bucket, stored)
                }))
                .with_fill_through(Arc::new(move |bucket, key, headers| {
                    let tee = crate::backend::tee::put(&fills, bucket, key, headers);
                    (tee, fills.url(bucket, key))
                }));
        }
        let origin = Arc::new(origin);
        let backfills = Backfills::new(origin.clone(), settings.clone());
        let passes = crate::origin::passes::Passes::new(origin.clone(), settings.clone());
        Ok(Arc::new(AppState {
            backfills,
            passes,
            lifecycle: Lifecycles::new(settings.clone()),
            cors: CorsConfigs::new(settings.clone()),
            access: Access::new(&settings, config.public_access_block, directory.clone()),
            object_locks: origin.object_locks().clone(),
            settings,
            targets: crate::backend::targets::WriteTargets::new(backend.clone(), &config.origin),
            shared: publish,
            directory,
            console_sessions: crate::auth::session::Sessions::load(store.clone()).await?,
            notify,
            started: std::time::Instant::now(),
            store,
            config,
            origin,
            backend,
            metrics,
        }))
    }
}
