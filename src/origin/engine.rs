//! The read path's origin engine: what a GET or HEAD miss in a bucket with an origin does,
//! in each of the three modes (Mirror, Proxy, Redirect), and the fill task it spawns.
//!
//! - **One fetch per key** ([`super::flight`]): concurrent misses of a key share one origin
//!   fill; every client — the first, those that join, late joiners — is streamed live from
//!   the fill's growing file, and a Range is answered `206` at once when the origin declared
//!   the length.
//! - **The fill runs in its own task**, not in a request: a client that disconnects does not
//!   cut it short, and a cancelled handler cannot strand a flight. The task fetches, hands
//!   the body to [`super::fill`], publishes the outcome, and queues the notification.
//! - **Verify before commit**: the fill goes through storage's fill writer and is committed
//!   only after a clean end whose length, Content-MD5 and (S3 origins) ETag check out.
//! - Origin 404s are remembered for `negative_cache_secs`; a key deleted locally (tombstone)
//!   is never pulled again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use http::{HeaderMap, Method, StatusCode};
use storage::Store;
use tokio::sync::{watch, Semaphore};

use super::configs::BucketConfigs;
use super::document::{OriginConfiguration, OriginRule, OriginType, CLUSTER_PRIORITY};
use super::failure::{failure_error, no_such_key};
use super::fetch::{FetchError, FetchRequest, Fetched, OriginClient};
use super::fill::{self, FillJob, Filled};
use super::flight::{self, Failure, Flight, FlightGuard, FlightState, Flights};
use super::head::OriginHead;
use super::outcome::{status, OriginStream, Outcome};
use super::rules;
use crate::backend::tee::Tee;
use crate::bucket_setting::{BucketSettings, CachedSetting};
use crate::config::OriginSettings;
use crate::error::S3Error;
use crate::metrics::origin_rules::Event;
use crate::metrics::Metrics;
use crate::object_lock::LockConfiguration;

/// One missed request, as the engine needs it.
pub struct Miss<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub config: &'a OriginConfiguration,
    pub method: Method,
    /// The client's Range, answered from the growing fill when the length is known.
    pub range: Option<storage::ByteRange>,
    /// The client set conditions, a partNumber or response overrides: it is served from
    /// storage once the fill completed, so the stored object answers them exactly.
    pub needs_local: bool,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub https: bool,
}

impl Miss<'_> {
    fn request<'r>(&'r self, rule: &'r OriginRule, method: Method) -> FetchRequest<'r> {
        FetchRequest {
            method,
            rule,
            key: self.key,
            client_query: self.query,
            client_headers: self.headers,
            client_https: self.https,
            if_none_match: None,
            if_modified_since: None,
            background: false,
        }
    }
}

pub struct OriginEngine {
    pub(super) client: OriginClient,
    pub(super) store: Store,
    pub(super) settings: OriginSettings,
    pub(super) flights: Flights,
    pub(super) negative: Mutex<HashMap<(String, String), Instant>>,
    pub(super) permits: Arc<Semaphore>,
    /// Parsed configurations per bucket, cached.
    pub(super) configs: BucketConfigs,
    pub(super) metrics: Arc<Metrics>,
    /// Where fills are told of (bucket notifications; `[origin] webhooks`).
    pub(super) notifications: Option<Arc<crate::notify::Notifications>>,
    /// Cluster mode: every bucket's configuration for reads, made by the node (the cluster
    /// as its origin) instead of the stored one.
    pub(super) read_configs: Option<ReadConfigs>,
    /// Cluster mode: where a fill from a bucket's own origin is written through.
    pub(super) fill_through: Option<FillThrough>,
    /// Each rule's throttle (its limits, the origin's Retry-After).
    pub(super) throttles: super::throttle::Throttles,
    /// Buckets' Object Lock configurations (shared with the handlers): a fill is a new
    /// version, and takes the bucket's default retention.
    pub(super) object_locks: Arc<CachedSetting<LockConfiguration>>,
    /// When the engine started, in nanoseconds since the epoch: in cluster mode a copy the
    /// cluster vouched for before is revalidated before it is served (the node may have
    /// missed writes while it was down).
    pub(super) started_ns: u64,
}

/// The configuration a bucket's reads follow, made by the caller from the bucket's stored
/// one (cluster mode: the cluster's rule first, then the stored rules).
pub type ReadConfigs = Arc<
    dyn Fn(&str, Option<&Arc<OriginConfiguration>>) -> Result<Arc<OriginConfiguration>, S3Error>
        + Send
        + Sync,
>;

/// Cluster mode: a fill from a bucket's own origin (the cluster did not have the key) goes
/// to the cluster too before the node keeps it. Given the bucket, the key and the object's
/// headers, the [`Tee`] that writes it there and the cluster's URL of the key.
pub type FillThrough = Arc<dyn Fn(&str, &str, HeaderMap) -> (Tee, String) + Send + Sync>;

impl OriginEngine {
    /// The buckets' configurations are read from `buckets`.
    pub fn new(
        buckets: &Arc<BucketSettings>,
        settings: &OriginSettings,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<OriginEngine> {
        let store = buckets.store().clone();
        Ok(OriginEngine {
            client: OriginClient::new(settings)?,
            notifications: None,
            configs: BucketConfigs::new(buckets.clone()),
            store,
            settings: settings.clone(),
            flights: Flights::default(),
            negative: Mutex::new(HashMap::new()),
            permits: Arc::new(Semaphore::new(settings.max_concurrent_fetches.max(1))),
            metrics,
            read_configs: None,
            fill_through: None,
            throttles: Default::default(),
            object_locks: Arc::new(CachedSetting::new(buckets.clone())),
            started_ns: super::freshness::nanos(std::time::SystemTime::now()),
        })
    }

    /// Buckets' Object Lock configurations, parsed once (the one cache of them: the handlers
    /// change them through it).
    pub fn object_locks(&self) -> &Arc<CachedSetting<LockConfiguration>> {
        &self.object_locks
    }

    /// The lock a version filled into `bucket` now takes: the bucket's default retention.
    fn default_lock(&self, bucket: &str) -> Result<storage::ObjectLock, Failure> {
        let config = self.object_locks.get(bucket).map_err(|e| {
            let why = e.source.unwrap_or(e.message);
            Failure::Store(Arc::new(storage::Error::Meta(format!(
                "Object Lock setting: {why}"
            ))))
        })?;
        Ok(storage::ObjectLock {
            retention: config
                .and_then(|c| c.default)
                .map(|d| d.applied_at(std::time::SystemTime::now())),
            legal_hold: false,
        })
    }

    /// Fills (and failed fills) become bucket events (`s3:ObjectCreated:Origin`).
    pub fn with_notifications(
        mut self,
        notifications: Arc<crate::notify::Notifications>,
    ) -> OriginEngine {
        self.notifications = Some(notifications);
        self
    }

    /// Reads follow `configs` instead of each bucket's stored configuration (cluster mode:
    /// the cluster is every bucket's origin). The stored one is still what `?origin` shows.
    pub fn with_read_configs(mut self, configs: ReadConfigs) -> OriginEngine {
        self.read_configs = Some(configs);
        self
    }

    /// Fills from a bucket's own origin rules go through `through` (cluster mode) before
    /// the node keeps them.
    pub fn with_fill_through(mut self, through: FillThrough) -> OriginEngine {
        self.fill_through = Some(through);
        self
    }

    /// Whether reads follow configurations made by the node (cluster mode).
    pub fn reads_from_cluster(&self) -> bool {
        self.read_configs.is_some()
    }

    /// Handle a GET or HEAD of a key with no local object.
    pub async fn on_miss(self: &Arc<Self>, miss: Miss<'_>) -> Result<Outcome, S3Error> {
        self.metrics
            .origin_misses
            .get_or_create(&Metrics::bucket(miss.bucket))
            .inc();
        let rule = match miss.config.rule_for(miss.key) {
            Some(rule) if rules::is_pullable_key(miss.key) => rule,
            _ => return Err(no_such_key()),
        };
        self.metrics
            .origin_rules
            .count(miss.bucket, rule.priority, Event::Miss);
        // A key deleted locally stays deleted.
        if self.store.tombstone(miss.bucket, miss.key)?.is_some() {
            return Err(no_such_key());
        }
        if self.negatively_cached(miss.bucket, miss.key) {
            return Err(no_such_key());
        }
        match rule.origin_type {
            // HEAD answers from an origin HEAD and stores nothing (`aws s3 cp` sends HEAD
            // before GET); in the redirecting modes HEAD is redirected like GET.
            OriginType::Mirror if miss.method == Method::HEAD => self.head(&miss, rule).await,
            OriginType::Proxy | OriginType::Redirect if miss.method == Method::HEAD => {
                redirect(rule, miss.key, miss.query, miss.https)
            }
            OriginType::Mirror if !rule.parameter.copy_origin_data => self.proxy(&miss, rule).await,
            OriginType::Mirror => self.mirror(&miss, rule).await,
            OriginType::Proxy | OriginType::Redirect => {
                if rule.origin_type == OriginType::Proxy || rule.parameter.copy_origin_data {
                    if let Flight::Lead(guard) = self.flights.lead_or_join(miss.bucket, miss.key) {
                        self.spawn_fill(guard, job(&miss, rule));
                    }
                }
                redirect(rule, miss.key, miss.query, miss.https)
            }
        }
    }

    /// Mirror: lead or join the key's flight, and answer from it.
    async fn mirror(
        self: &Arc<Self>,
        miss: &Miss<'_>,
        rule: &OriginRule,
    ) -> Result<Outcome, S3Error> {
        let rx = match self.flights.lead_or_join(miss.bucket, miss.key) {
            Flight::Join(rx) => {
                self.metrics
                    .origin_joined_waiters
                    .get_or_create(&Metrics::bucket(miss.bucket))
                    .inc();
                rx
            }
            Flight::Lead(guard) => {
                // The object may have been committed between our miss and taking the lead.
                if self.store.head_object(miss.bucket, miss.key).is_ok() {
                    guard.publish(FlightState::Done { written: 0 });
                    return Ok(Outcome::Local(status::MISS_FILLED));
                }
                let rx = guard.subscribe();
                self.spawn_fill(guard, job(miss, rule));
                rx
            }
        };
        self.answer_from_flight(rx, miss, rule, status::MISS_FILLED)
            .await
    }

    /// Stream a client's answer from a flight's growing file, or fall back to the stored
    /// object (conditions, partNumber, overrides, a Range of unknown total length, or a
    /// flight that already finished). Either way the answer says it was `served` so.
    pub(super) async fn answer_from_flight(
        &self,
        mut rx: watch::Receiver<FlightState>,
        miss: &Miss<'_>,
        rule: &OriginRule,
        served: &'static str,
    ) -> Result<Outcome, S3Error> {
        let state = flight::first_bytes(&mut rx).await;
        let info = match state {
            FlightState::Streaming { info, .. } => info,
            FlightState::Fetching | FlightState::Done { .. } | FlightState::Failed(_) => {
                return self.wait(rx, rule, served).await
            }
        };
        let total = info.head.size;
        if miss.needs_local || (miss.range.is_some() && total.is_none()) {
            return self.wait(rx, rule, served).await;
        }
        let range = match (miss.range, total) {
            (Some(range), Some(total)) => Some(range.resolve(total)?),
            _ => None,
        };
        let (start, end) = match range {
            Some((first, last)) => (first, Some(last + 1)),
            None => (0, None),
        };
        let body =
            match flight::growing_file(&info, rx.clone(), start, end, self.store.read_buffers())
                .await
            {
                Ok(body) => body,
                // The file was renamed into place (committed) or removed (failed) meanwhile.
                Err(_) => return self.wait(rx, rule, served).await,
            };
        Ok(Outcome::Stream(Box::new(OriginStream {
            head: info.head.clone(),
            range,
            body: Some(Box::pin(body)),
            served,
        })))
    }

    /// Mirror with CopyOriginData=false: stream the origin's answer, store nothing.
    async fn proxy(&self, miss: &Miss<'_>, rule: &OriginRule) -> Result<Outcome, S3Error> {
        let mut fetched = self
            .fetch(miss.bucket, miss.request(rule, Method::GET))
            .await
            .map_err(|f| failure_error(&f, rule, &self.settings))?;
        let head = OriginHead::of(&fetched, None);
        let admission = Arc::new(fetched.admission.take());
        let body = fetched.response.bytes_stream().then(move |r| {
            let admission = admission.clone();
            async move {
                let chunk = r.map_err(std::io::Error::other)?;
                if let Some(admission) = admission.as_ref() {
                    admission.bytes(chunk.len()).await;
                }
                Ok(chunk)
            }
        });
        Ok(Outcome::Stream(Box::new(OriginStream {
            head,
            range: None,
            body: Some(Box::pin(body)),
            served: status::MISS_PROXIED,
        })))
    }

    /// HEAD miss: answer from an origin HEAD, store nothing (`aws s3 cp` sends HEAD first).
    async fn head(&self, miss: &Miss<'_>, rule: &OriginRule) -> Result<Outcome, S3Error> {
        let mut fetched = self
            .fetch(miss.bucket, miss.request(rule, Method::HEAD))
            .await;
        // Cluster mode: a key the cluster does not have is asked of the bucket's own origin.
        let mut rule = rule;
        if let (Err(Failure::NotFound), Some(fallback)) =
            (&fetched, fallback_rule(miss.config, rule, miss.key))
        {
            rule = fallback;
            fetched = self
                .fetch(miss.bucket, miss.request(rule, Method::HEAD))
                .await;
            if fetched.is_ok() {
                self.forget_negative(miss.bucket, miss.key);
            }
        }
        let fetched = fetched.map_err(|f| failure_error(&f, rule, &self.settings))?;
        let mut head = OriginHead::of(&fetched, None);
        // A HEAD's body is empty: its length is the header's.
        head.size = fetched
            .response
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        Ok(Outcome::Stream(Box::new(OriginStream {
            head,
            range: None,
            body: None,
            served: status::MISS_PROXIED,
        })))
    }

    async fn fetch(&self, bucket: &str, request: FetchRequest<'_>) -> Result<Fetched, Failure> {
        let throttle = self.throttle(bucket, request.rule);
        let admission = throttle.admit(request.background).await;
        let labels = Metrics::bucket(bucket);
        self.metrics.origin_requests.get_or_create(&labels).inc();
        let started = Instant::now();
        let mut fetched = self.client.fetch(&request).await;
        match &mut fetched {
            Ok(fetched) => fetched.admission = Some(admission),
            Err(FetchError::Unavailable {
                retry_after: Some(wait),
                ..
            }) => throttle.back_off(*wait),
            Err(_) => {}
        }
        self.metrics
            .origin_latency
            .get_or_create(&labels)
            .observe(started.elapsed().as_secs_f64());
        let fetched = fetched.map_err(|e| self.fetch_failure(bucket, request.key, e))?;
        // A revalidation's 304 is an answer, not a redirect.
        let revalidation = request.if_none_match.is_some() || request.if_modified_since.is_some();
        if !(revalidation && fetched.response.status() == StatusCode::NOT_MODIFIED) {
            check_redirect(&fetched)?;
        }
        Ok(fetched)
    }

    fn fetch_failure(&self, bucket: &str, key: &str, e: FetchError) -> Failure {
        match e {
            FetchError::NotFound { status: 404 } => {
                let until = Instant::now() + Duration::from_secs(self.settings.negative_cache_secs);
                if self.settings.negative_cache_secs > 0 {
                    self.negative
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .insert((bucket.to_owned(), key.to_owned()), until);
                }
                Failure::NotFound
            }
            e => Failure::Fetch(e),
        }
    }

    /// The throttle of `rule` of `bucket`.
    pub(super) fn throttle(
        &self,
        bucket: &str,
        rule: &OriginRule,
    ) -> std::sync::Arc<super::throttle::RuleThrottle> {
        self.throttles.of(
            bucket,
            rule.priority,
            rule.parameter.throttle,
            &self.metrics.origin_rules,
        )
    }

    /// The throttle of a rule, if it ever throttled anything (for the status).
    pub fn throttle_state(
        &self,
        bucket: &str,
        priority: u32,
    ) -> Option<std::sync::Arc<super::throttle::RuleThrottle>> {
        self.throttles.get(bucket, priority)
    }

    fn forget_negative(&self, bucket: &str, key: &str) {
        self.negative
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&(bucket.to_owned(), key.to_owned()));
    }

    fn negatively_cached(&self, bucket: &str, key: &str) -> bool {
        let mut map = self
            .negative
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let k = (bucket.to_owned(), key.to_owned());
        match map.get(&k) {
            Some(until) if Instant::now() < *until => true,
            Some(_) => {
                map.remove(&k);
                false
            }
            None => false,
        }
    }

    /// Wait for a flight's outcome; a filled object is then served from storage.
    async fn wait(
        &self,
        rx: watch::Receiver<FlightState>,
        rule: &OriginRule,
        served: &'static str,
    ) -> Result<Outcome, S3Error> {
        match flight::final_state(rx).await {
            FlightState::Failed(f) => Err(failure_error(&f, rule, &self.settings)),
            _ => Ok(Outcome::Local(served)),
        }
    }

    /// Delete a copy whose object the origin no longer has (`OnOriginDelete` Delete), if it
    /// is still that copy; no tombstone, so the key may be pulled again later.
    async fn drop_copy(&self, job: &FillJob, refresh: &super::fill::Refresh) {
        let condition = storage::DeleteCondition {
            if_match: Some(refresh.local_etag.clone()),
            ..Default::default()
        };
        if let Err(e) = self
            .store
            .delete_if(&job.bucket, &job.key, None, false, &condition)
            .await
        {
            tracing::debug!(bucket = %job.bucket, key = %job.key, error = %e, "stale copy not dropped");
        }
    }

    /// Delete the copy of `key` whose ETag is `local_etag` (the origin no longer has the
    /// object; `OnOriginDelete` Delete), if it is still that copy; no tombstone. Whether
    /// it went.
    pub(super) async fn drop_origin_copy(
        &self,
        bucket: &str,
        key: &str,
        local_etag: &str,
    ) -> Result<bool, storage::Error> {
        let condition = storage::DeleteCondition {
            if_match: Some(local_etag.to_owned()),
            ..Default::default()
        };
        match self
            .store
            .delete_if(bucket, key, None, false, &condition)
            .await
        {
            Ok(_) => Ok(true),
            Err(storage::Error::PreconditionFailed | storage::Error::NoSuchKey) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Pull `key` again by `rule` (no client request behind it), replacing `local` only —
    /// a local write meanwhile wins: its origin has a newer object.
    pub(super) fn spawn_refresh(
        self: &Arc<Self>,
        guard: FlightGuard,
        bucket: &str,
        local: &storage::ObjectMeta,
        rule: &OriginRule,
    ) {
        let job = FillJob {
            bucket: bucket.to_owned(),
            key: local.key.clone(),
            rule: rule.clone(),
            fallback: None,
            query: None,
            headers: HeaderMap::new(),
            https: false,
            refresh: Some(super::fill::Refresh {
                local_etag: local.etag.clone(),
                // Unconditional: the origin's object is known to differ.
                origin_etag: None,
                origin_last_modified: None,
                url: local
                    .attrs
                    .origin
                    .as_ref()
                    .map(|s| s.url.clone())
                    .unwrap_or_default(),
                delete_on_404: false,
            }),
            background: true,
        };
        self.spawn_fill(guard, job);
    }

    pub(super) fn store(&self) -> &Store {
        &self.store
    }

    pub(super) fn client(&self) -> &OriginClient {
        &self.client
    }

    pub(super) fn flights(&self) -> &Flights {
        &self.flights
    }

    pub(super) fn fetch_permits_free(&self) -> usize {
        self.permits.available_permits()
    }

    pub(super) fn fetch_permits_total(&self) -> usize {
        self.settings.max_concurrent_fetches.max(1)
    }

    /// Fill `key` for a backfill (no client request behind it) by `rule`. In cluster mode
    /// the cluster is asked first (what it has is newer than the old origin's), and what
    /// `rule` pulls is written through to it.
    pub(super) fn spawn_background_fill(
        self: &Arc<Self>,
        guard: FlightGuard,
        bucket: &str,
        key: &str,
        rule: &OriginRule,
    ) {
        let cluster_rule = match &self.read_configs {
            Some(_) => self
                .bucket_config(bucket)
                .ok()
                .flatten()
                .and_then(|config| config.rule_for(key).cloned())
                .filter(|r| r.priority == CLUSTER_PRIORITY),
            None => None,
        };
        let (rule, fallback) = match cluster_rule {
            Some(cluster) => (cluster, Some(rule.clone())),
            None => (rule.clone(), None),
        };
        let job = FillJob {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            rule,
            fallback,
            query: None,
            headers: HeaderMap::new(),
            https: false,
            refresh: None,
            background: true,
        };
        self.spawn_fill(guard, job);
    }

    /// One listing page of `bucket`: merged with its origins when a rule says `ListThrough`,
    /// else `None` (the caller scans locally).
    pub async fn list_through(
        &self,
        bucket: &str,
        query: &storage::ListQuery,
    ) -> Result<Option<storage::ListPage>, S3Error> {
        let Some(config) = self.bucket_config(bucket)? else {
            return Ok(None);
        };
        if !config.rules.iter().any(|r| r.parameter.list_through) {
            return Ok(None);
        }
        let throttle_of = |rule: &OriginRule| self.throttle(bucket, rule);
        super::list_through::list(
            &self.client,
            &throttle_of,
            &self.store,
            bucket,
            &config,
            query,
        )
        .await
        .map(Some)
    }

    /// Count a read served from the local copy of `key`, for its rule.
    pub fn record_hit(&self, bucket: &str, config: &OriginConfiguration, key: &str) {
        if let Some(rule) = config.rule_for(key) {
            self.metrics
                .origin_rules
                .count(bucket, rule.priority, Event::Hit);
        }
    }

    /// The breaker state of an origin host: `open` (skipped) or `closed`.
    pub fn host_state(&self, host: &str) -> &'static str {
        self.client.host_state(host)
    }

    /// The bucket's stored origin configuration, or NoSuchOriginConfiguration.
    pub fn required_config(&self, bucket: &str) -> Result<Arc<OriginConfiguration>, S3Error> {
        self.stored_config(bucket)?.ok_or_else(|| {
            S3Error::new(
                crate::error::S3ErrorCode::NoSuchOriginConfiguration,
                "The origin configuration does not exist",
            )
        })
    }

    /// The configuration the bucket's reads follow: the stored one, or in cluster mode the
    /// one the node makes.
    pub fn bucket_config(&self, bucket: &str) -> Result<Option<Arc<OriginConfiguration>>, S3Error> {
        match &self.read_configs {
            Some(make) => make(bucket, self.configs.get(bucket)?.as_ref()).map(Some),
            None => self.configs.get(bucket),
        }
    }

    /// The bucket's stored origin configuration (`PUT ?origin`), if it has one.
    pub fn stored_config(&self, bucket: &str) -> Result<Option<Arc<OriginConfiguration>>, S3Error> {
        self.configs.get(bucket)
    }

    /// Replace (`Some`) or remove (`None`) the bucket's origin configuration; what was
    /// remembered under the old one (origin 404s) is forgotten.
    pub async fn set_bucket_config(
        &self,
        bucket: &str,
        config: Option<&OriginConfiguration>,
    ) -> Result<(), S3Error> {
        let result = self.configs.set(bucket, config).await;
        self.forget_negatives(bucket);
        result
    }

    /// The bucket went away: drop what is cached of it (configuration, origin 404s).
    pub fn forget_bucket(&self, bucket: &str) {
        self.configs.forget(bucket);
        self.forget_negatives(bucket);
    }

    fn forget_negatives(&self, bucket: &str) {
        self.negative
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|(b, _), _| b != bucket);
    }

    pub(super) fn spawn_fill(self: &Arc<Self>, guard: FlightGuard, job: FillJob) {
        let engine = self.clone();
        tokio::spawn(async move {
            let outcome = engine.fill(&job, &guard).await;
            let labels = Metrics::bucket(&job.bucket);
            let (rules, rule) = (&engine.metrics.origin_rules, job.rule.priority);
            match &outcome {
                Ok(filled) if filled.revalidated => {
                    rules.count(&job.bucket, rule, Event::Revalidated);
                    guard.publish(FlightState::Done { written: 0 });
                    return;
                }
                Ok(filled) => {
                    if job.refresh.is_some() {
                        rules.count(&job.bucket, rule, Event::Refreshed);
                    }
                    engine.metrics.origin_fills.get_or_create(&labels).inc();
                    rules.filled(&job.bucket, rule, &job.key, filled.size);
                    guard.publish(FlightState::Done {
                        written: filled.size,
                    });
                }
                Err(failure) => {
                    if !matches!(failure, Failure::NotFound) {
                        engine
                            .metrics
                            .origin_fill_failures
                            .get_or_create(&labels)
                            .inc();
                        tracing::warn!(bucket = %job.bucket, key = %job.key, %failure, "origin fill failed");
                        rules.failed(&job.bucket, rule, &job.key, failure.to_string());
                    }
                    guard.publish(FlightState::Failed(failure.clone()));
                }
            }
            // Waiters are answered first; the notification is queued after.
            drop(guard);
            if let Some(notifications) = &engine.notifications {
                let event = match &outcome {
                    Ok(filled) => super::notify::filled(
                        &job.bucket,
                        &job.key,
                        filled.size,
                        filled.etag.as_deref(),
                        &filled.url,
                    ),
                    // An origin without the object is a miss, not a failed fill.
                    Err(Failure::NotFound) => return,
                    Err(failure) => {
                        super::notify::failed(&job.bucket, &job.key, &failure.to_string())
                    }
                };
                if let Err(e) = notifications.emit(&[event]).await {
                    tracing::error!(bucket = %job.bucket, key = %job.key, error = %e, "could not queue a fill's notification");
                }
            }
        });
    }

    /// Fetch (under the fill concurrency limit), then write, verify and commit.
    async fn fill(&self, job: &FillJob, guard: &FlightGuard) -> Result<Filled, Failure> {
        let _permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            // The semaphore is never closed; were it, the fill could not run.
            .map_err(|_| Failure::Abandoned)?;
        let request = FetchRequest {
            method: Method::GET,
            rule: &job.rule,
            key: &job.key,
            client_query: job.query.as_deref(),
            client_headers: &job.headers,
            client_https: job.https,
            if_none_match: job.refresh.as_ref().and_then(|r| r.origin_etag.as_deref()),
            if_modified_since: job
                .refresh
                .as_ref()
                .and_then(|r| r.origin_last_modified.as_deref()),
            background: job.background,
        };
        let mut through = None;
        let fetched = match self.fetch(&job.bucket, request).await {
            Err(Failure::NotFound) => {
                if let Some(refresh) = job.refresh.as_ref().filter(|r| r.delete_on_404) {
                    self.drop_copy(job, refresh).await;
                    return Err(Failure::NotFound);
                }
                // Cluster mode: a key the cluster does not have is pulled from the bucket's
                // own origin, and written through to the cluster before it is kept.
                let (Some(fallback), Some(make)) = (&job.fallback, &self.fill_through) else {
                    return Err(Failure::NotFound);
                };
                let request = FetchRequest {
                    method: Method::GET,
                    rule: fallback,
                    key: &job.key,
                    client_query: job.query.as_deref(),
                    client_headers: &job.headers,
                    client_https: job.https,
                    if_none_match: None,
                    if_modified_since: None,
                    background: job.background,
                };
                let fetched = self.fetch(&job.bucket, request).await?;
                // The cluster's 404 is not the key's: the origin has it.
                self.forget_negative(&job.bucket, &job.key);
                let mut headers = crate::backend::object_headers(fetched.response.headers());
                // A write through a node meanwhile is newer than the origin's copy: the
                // cluster keeps it (where it enforces the condition).
                headers.insert(
                    http::header::IF_NONE_MATCH,
                    http::HeaderValue::from_static("*"),
                );
                through = Some(make(&job.bucket, &job.key, headers));
                fetched
            }
            other => other?,
        };
        if let Some(refresh) = &job.refresh {
            if fetched.response.status() == StatusCode::NOT_MODIFIED {
                let stamp = super::freshness::stamp(
                    refresh.origin_etag.clone(),
                    refresh.origin_last_modified.clone(),
                    refresh.url.clone(),
                    fetched.response.headers(),
                    std::time::SystemTime::now(),
                );
                self.store
                    .set_origin_stamp(&job.bucket, &job.key, &refresh.local_etag, stamp)
                    .await
                    .map_err(Failure::of_store)?;
                return Ok(Filled {
                    size: 0,
                    etag: None,
                    url: fetched.url,
                    revalidated: true,
                });
            }
        }
        let pulled = self
            .metrics
            .origin_bytes_pulled
            .get_or_create(&Metrics::bucket(&job.bucket))
            .clone();
        let lock = self.default_lock(&job.bucket)?;
        fill::write(
            &self.store,
            job,
            fill::Fetch { fetched, through },
            guard,
            self.settings.max_object_size,
            lock,
            &pulled,
        )
        .await
    }
}

/// Cluster mode: the rule a miss falls back on when the cluster (the chosen rule) does not
/// have the key — the bucket's own first matching Mirror rule that keeps what it pulls.
fn fallback_rule<'c>(
    config: &'c OriginConfiguration,
    rule: &OriginRule,
    key: &str,
) -> Option<&'c OriginRule> {
    if rule.priority != CLUSTER_PRIORITY {
        return None;
    }
    config
        .rules
        .iter()
        .filter(|r| r.priority > CLUSTER_PRIORITY && r.matches(key))
        .min_by_key(|r| r.priority)
        .filter(|r| r.origin_type == OriginType::Mirror && r.parameter.copy_origin_data)
}

pub(super) fn job(miss: &Miss<'_>, rule: &OriginRule) -> FillJob {
    FillJob {
        bucket: miss.bucket.to_owned(),
        key: miss.key.to_owned(),
        rule: rule.clone(),
        fallback: fallback_rule(miss.config, rule, miss.key).cloned(),
        query: miss.query.map(str::to_owned),
        headers: miss.headers.clone(),
        https: miss.https,
        refresh: None,
        background: false,
    }
}

fn check_redirect(fetched: &Fetched) -> Result<(), Failure> {
    let status = fetched.response.status();
    if status.is_redirection() {
        let location = fetched
            .response
            .headers()
            .get(http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        return Err(Failure::Redirect {
            status: status.as_u16(),
            location,
        });
    }
    Ok(())
}

/// Proxy / Redirect modes: send the client to the object on the origin.
fn redirect(
    rule: &OriginRule,
    key: &str,
    query: Option<&str>,
    https: bool,
) -> Result<Outcome, S3Error> {
    let hosts = rule.hosts_in_order(key);
    let host = hosts
        .first()
        .ok_or_else(|| S3Error::internal("origin rule without a host"))?;
    Ok(Outcome::Redirect {
        status: rule.parameter.http_redirect_code,
        location: rules::origin_url(rule, host, key, query, https),
    })
}
