//! Bucket notifications: every change to an object of a bucket whose
//! `NotificationConfiguration` asks for it becomes a record (AWS's event message) queued
//! durably for each target it names, then delivered by that target's worker.
//!
//! - **Never lost once acknowledged**: a request's events are written to the metadata
//!   store's queues (flushed, with concurrent writers' in one fsync) after the change
//!   commits and before the request is answered; if they cannot be, the request fails
//!   (500) and the client retries. A crash after the commit and before the answer may lose
//!   the event of a change no client was told about, never one it was.
//! - **At least once, in order per target** (so per key): see [`delivery`].
//! - **A target that is down does not slow writes**: its events wait on disk, up to
//!   `queue_max` of them (then new ones go straight to its dead letters, logged and
//!   counted); `originstore_notify_*` in `/metrics` and the admin API show each target.
//! - **A live stream**: [`Notifications::subscribe`] sees every event of every bucket as
//!   it is queued (`GET /{bucket}?events`), whether or not a configuration asks for it.
//!
//! `[origin] webhooks` (the older way to hear of origin fills) are targets of their own
//! (`origin-webhook-1`, ...) that receive every bucket's `s3:ObjectCreated:Origin` events
//! and failed fills, with no bucket configuration.

pub mod delivery;
pub mod document;
pub mod record;
pub mod settings;
pub mod targets;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::SystemTime;

use storage::Store;
use tokio::sync::broadcast;

use crate::bucket_setting::{BucketSettings, CachedSetting};
use crate::error::S3Error;
use crate::metrics::notify::NotifyStats;
pub use document::NotificationConfiguration;
pub use record::Event;
use record::Sequencer;
use settings::{NotifySettings, TargetKind, TargetSettings};

/// One event as the live stream carries it: its bucket and key (to filter by) and its
/// record, one JSON line.
pub struct LiveEvent {
    pub bucket: String,
    pub key: String,
    pub line: String,
}

/// The event name of a failed origin fill, sent only to `[origin] webhooks`.
pub const ORIGIN_FAILED: &str = "originstore:OriginFailed";

pub struct Notifications {
    store: Store,
    region: String,
    workers: Vec<Arc<delivery::Worker>>,
    /// How many of `workers` (the first ones) are `[origin] webhooks`.
    origin_webhooks: usize,
    configs: CachedSetting<NotificationConfiguration>,
    live: broadcast::Sender<Arc<LiveEvent>>,
    sequencer: Sequencer,
    queue_max: u64,
}

impl Notifications {
    /// Start a worker for every target (and for every `[origin] webhooks` URL).
    pub async fn start(
        store: Store,
        settings: &NotifySettings,
        origin: &crate::config::OriginSettings,
        buckets: &Arc<BucketSettings>,
        region: &str,
        stats: NotifyStats,
    ) -> anyhow::Result<Arc<Notifications>> {
        settings.validate()?;
        let origin_webhooks = &origin.webhooks;
        let legacy = origin_webhooks
            .iter()
            .enumerate()
            .map(|(n, url)| TargetSettings {
                id: format!("origin-webhook-{}", n + 1),
                kind: TargetKind::Webhook,
                url: url.clone(),
                secret: None,
                token: None,
                subject: None,
                jetstream: false,
                stream: None,
                exchange: None,
                routing_key: None,
                max_attempts: Some(origin.webhook_max_attempts.max(1)),
            });
        let mut workers = Vec::new();
        for target in legacy.chain(settings.targets.iter().cloned()) {
            let max_attempts = target.max_attempts.unwrap_or(settings.max_attempts);
            let worker = Arc::new(delivery::Worker::new(
                targets::Target::new(target)?,
                &store,
                max_attempts,
                stats.clone(),
            )?);
            delivery::spawn(&worker);
            workers.push(worker);
        }
        let notifications = Notifications {
            store,
            region: region.to_owned(),
            workers,
            origin_webhooks: origin_webhooks.len(),
            configs: CachedSetting::new(buckets.clone()),
            live: broadcast::channel(4096).0,
            sequencer: Sequencer::default(),
            queue_max: settings.queue_max,
        };
        notifications.adopt_legacy_queue().await;
        Ok(Arc::new(notifications))
    }

    /// Origin notifications queued by an older release (one queue of `{webhook, document}`)
    /// go to the `[origin] webhooks` target with the same URL.
    async fn adopt_legacy_queue(&self) {
        #[derive(serde::Deserialize)]
        struct Legacy {
            webhook: String,
            document: serde_json::Value,
        }
        let Ok(old) = self.store.queued_events(usize::MAX) else {
            return;
        };
        for (id, raw) in old {
            if let Ok(legacy) = serde_json::from_slice::<Legacy>(&raw) {
                if let Some(w) = self.workers[..self.origin_webhooks]
                    .iter()
                    .find(|w| w.target.settings.url == legacy.webhook)
                {
                    let body = legacy.document.to_string();
                    let moved = self
                        .store
                        .enqueue(&[(w.queue.as_str(), body.as_bytes())])
                        .await;
                    if moved.is_ok() {
                        w.reserve(u64::MAX);
                        w.queued(1);
                    } else {
                        continue;
                    }
                } else {
                    tracing::warn!(webhook = %legacy.webhook, "an origin notification queued for a webhook no longer configured is dropped");
                }
            }
            let _ = self.store.dequeue_event(id);
        }
    }

    /// Is `arn` one of the configured targets' (a bucket configuration may name it)?
    pub fn known(&self, arn: &str) -> bool {
        self.workers[self.origin_webhooks..]
            .iter()
            .any(|w| w.target.settings.arn() == arn)
    }

    fn worker_of(&self, arn: &str) -> Option<&Arc<delivery::Worker>> {
        self.workers[self.origin_webhooks..]
            .iter()
            .find(|w| w.target.settings.arn() == arn)
    }

    pub fn configs(&self) -> &CachedSetting<NotificationConfiguration> {
        &self.configs
    }

    /// Every event of every bucket, as it is queued.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveEvent>> {
        self.live.subscribe()
    }

    /// Would an event of `bucket` go anywhere (a configuration, or someone following the live
    /// stream)? Asked before an event is worked out, so that a bucket nobody listens to costs
    /// its writes nothing.
    pub fn wants(&self, bucket: &str) -> bool {
        self.live.receiver_count() > 0 || self.configs.get(bucket).is_ok_and(|c| c.is_some())
    }

    /// Queue `events` (of one bucket) for every target their bucket's configuration names,
    /// durably, before returning; then hand them to the live stream.
    pub async fn emit(&self, events: &[Event]) -> Result<(), S3Error> {
        let Some(first) = events.first() else {
            return Ok(());
        };
        let config = self.configs.get(&first.bucket)?;
        let live = self.live.receiver_count() > 0;
        let origin_event =
            |e: &Event| e.name == "s3:ObjectCreated:Origin" || e.name == ORIGIN_FAILED;
        let legacy = self.origin_webhooks > 0 && events.iter().any(origin_event);
        if config.is_none() && !live && !legacy {
            return Ok(());
        }
        let now = SystemTime::now();
        let mut items: Vec<(&delivery::Worker, bool, String)> = Vec::new();
        let mut lines = Vec::new();
        for event in events {
            let sequencer = self.sequencer.next();
            if let Some(config) = &config {
                for d in config.destinations() {
                    if !d.wants(event.name, &event.key) {
                        continue;
                    }
                    let Some(worker) = self.worker_of(d.arn()) else {
                        continue;
                    };
                    let id = d.id.as_deref().unwrap_or_default();
                    let body =
                        record::message(event, id, &self.region, &sequencer, now).to_string();
                    items.push((worker, false, body));
                }
            }
            if origin_event(event) {
                for worker in &self.workers[..self.origin_webhooks] {
                    let body =
                        record::message(event, "originstore-origin", &self.region, &sequencer, now)
                            .to_string();
                    items.push((worker, false, body));
                }
            }
            if live {
                lines.push(LiveEvent {
                    bucket: event.bucket.clone(),
                    key: event.key.clone(),
                    line: record::message(event, "live", &self.region, &sequencer, now).to_string(),
                });
            }
        }
        // A target with a full queue gets its new events as dead letters (kept, counted).
        for item in &mut items {
            item.1 = !item.0.reserve(self.queue_max);
        }
        if !items.is_empty() {
            let batch: Vec<(&str, &[u8])> = items
                .iter()
                .map(|(w, full, body)| {
                    let queue = if *full {
                        w.dead.as_str()
                    } else {
                        w.queue.as_str()
                    };
                    (queue, body.as_bytes())
                })
                .collect();
            if let Err(e) = self.store.enqueue(&batch).await {
                for (w, full, _) in &items {
                    if !*full {
                        w.unreserve();
                    }
                }
                return Err(e.into());
            }
            for (w, full, _) in &items {
                if *full {
                    tracing::warn!(
                        target_id = w.id(),
                        "a target's notification queue is full: the event is a dead letter"
                    );
                    w.overflowed(1);
                } else {
                    w.queued(1);
                }
            }
        }
        for line in lines {
            let _ = self.live.send(Arc::new(line));
        }
        Ok(())
    }

    /// Send `s3:TestEvent` to every target `config` names (queued like any event).
    pub async fn test(
        &self,
        bucket: &str,
        config: &NotificationConfiguration,
        request_id: &str,
    ) -> Result<(), S3Error> {
        let body = record::test_event(bucket, request_id, SystemTime::now()).to_string();
        let mut workers: Vec<&Arc<delivery::Worker>> = config
            .destinations()
            .filter_map(|d| self.worker_of(d.arn()))
            .collect();
        workers.sort_by_key(|w| w.id().to_owned());
        workers.dedup_by_key(|w| w.id().to_owned());
        let batch: Vec<(&str, &[u8])> = workers
            .iter()
            .map(|w| (w.queue.as_str(), body.as_bytes()))
            .collect();
        if batch.is_empty() {
            return Ok(());
        }
        for w in &workers {
            w.reserve(u64::MAX);
        }
        if let Err(e) = self.store.enqueue(&batch).await {
            for w in &workers {
                w.unreserve();
            }
            return Err(e.into());
        }
        for w in workers {
            w.queued(1);
        }
        Ok(())
    }

    /// Every target as the admin API shows it.
    pub fn targets(&self) -> Vec<serde_json::Value> {
        self.workers
            .iter()
            .map(|w| {
                let s = &w.target.settings;
                serde_json::json!({
                    "id": s.id,
                    "kind": s.kind.name(),
                    "arn": (!s.id.starts_with("origin-webhook-")).then(|| s.arn()),
                    "waiting": w.depth.load(Ordering::Relaxed),
                    "delivered": w.delivered.load(Ordering::Relaxed),
                    "dead_letters": w.dead_letters.load(Ordering::Relaxed),
                    "lag_seconds": w.lag_seconds.load(Ordering::Relaxed),
                    "last_error": w.last_error.lock().map(|e| e.clone()).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Move target `id`'s dead letters back into its queue; how many.
    pub async fn redrive(&self, id: &str) -> Result<Option<u64>, S3Error> {
        let Some(w) = self.workers.iter().find(|w| w.id() == id) else {
            return Ok(None);
        };
        let mut moved = 0;
        loop {
            let batch = self.store.queued(&w.dead, 256)?;
            if batch.is_empty() {
                break;
            }
            for (rid, _) in batch {
                w.reserve(u64::MAX);
                if let Err(e) = self.store.requeue(&w.dead, rid, &w.queue).await {
                    w.unreserve();
                    return Err(e.into());
                }
                moved += 1;
            }
        }
        w.dead_letters.fetch_sub(
            moved.min(w.dead_letters.load(Ordering::Relaxed)),
            Ordering::Relaxed,
        );
        w.queued(moved);
        Ok(Some(moved))
    }
}
