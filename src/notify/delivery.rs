//! One worker per target: it delivers the target's queue in order (a record is retried
//! until the target acknowledges it, so events of one key arrive in the order they
//! happened), waits with exponential backoff between attempts (0.2 s doubling, at most
//! 10 s), and after the target's `max_attempts` moves the record to the target's
//! dead-letter queue, logged and counted. A record is removed only once acknowledged:
//! delivery is at least once (a crash between the two delivers it again).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime};

use storage::Store;
use tokio::sync::Notify;

use super::targets::Target;
use crate::metrics::notify::NotifyStats;

/// A target, its queues and what the admin API and metrics show of it.
pub struct Worker {
    pub target: Target,
    /// Held through the worker, so that an idle worker holds no store once the server is gone.
    store: Store,
    pub queue: String,
    pub dead: String,
    pub max_attempts: u32,
    /// Records waiting (counted at start, then kept up to date).
    pub depth: AtomicU64,
    pub dead_letters: AtomicU64,
    pub delivered: AtomicU64,
    /// Seconds since the oldest waiting event happened (0: none waits).
    pub lag_seconds: std::sync::atomic::AtomicI64,
    pub last_error: Mutex<Option<String>>,
    pub wake: Arc<Notify>,
    stats: NotifyStats,
}

const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// A queue this long is logged (once per crossing): its target is down or slow.
const LONG_QUEUE: u64 = 10_000;

pub fn backoff(attempts: u32) -> Duration {
    Duration::from_millis(200u64.saturating_mul(1 << attempts.min(8))).min(MAX_BACKOFF)
}

impl Worker {
    pub fn new(
        target: Target,
        store: &Store,
        max_attempts: u32,
        stats: NotifyStats,
    ) -> anyhow::Result<Worker> {
        let id = target.settings.id.clone();
        let queue = format!("notify/{id}");
        let dead = format!("dead/{id}");
        let worker = Worker {
            store: store.clone(),
            depth: AtomicU64::new(store.queue_len(&queue)?),
            dead_letters: AtomicU64::new(store.queue_len(&dead)?),
            delivered: AtomicU64::new(0),
            lag_seconds: std::sync::atomic::AtomicI64::new(0),
            last_error: Mutex::new(None),
            wake: Arc::new(Notify::new()),
            target,
            queue,
            dead,
            max_attempts,
            stats,
        };
        worker.gauge();
        Ok(worker)
    }

    pub fn id(&self) -> &str {
        &self.target.settings.id
    }

    fn gauge(&self) {
        let depth = self.depth.load(Ordering::Relaxed);
        self.stats
            .depth
            .get_or_create(&NotifyStats::labels(self.id()))
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
    }

    /// Room for one more record, unless the queue holds `max` already: counted before the
    /// record is written, so that the worker (which counts it out once delivered) never
    /// sees the count go below zero.
    pub fn reserve(&self, max: u64) -> bool {
        self.depth
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |d| {
                (d < max).then_some(d + 1)
            })
            .is_ok()
    }

    /// Give back a reservation whose record could not be written.
    pub fn unreserve(&self) {
        self.leave();
    }

    fn leave(&self) {
        let _ = self
            .depth
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |d| {
                Some(d.saturating_sub(1))
            });
    }

    /// `n` reserved records were appended to the queue.
    pub fn queued(&self, n: u64) {
        let now = self.depth.load(Ordering::Relaxed);
        let before = now.saturating_sub(n);
        if before < LONG_QUEUE && now >= LONG_QUEUE {
            tracing::warn!(target_id = self.id(), waiting = before + n, "bucket notifications are piling up for a target that is down or slow (writes go on; events wait on disk)");
        }
        self.stats
            .queued
            .get_or_create(&NotifyStats::labels(self.id()))
            .inc_by(n);
        self.gauge();
        self.wake.notify_one();
    }

    /// `n` records went straight to the dead letters (the queue was full).
    pub fn overflowed(&self, n: u64) {
        self.dead_letters.fetch_add(n, Ordering::Relaxed);
        self.stats
            .dead_letters
            .get_or_create(&NotifyStats::labels(self.id()))
            .inc_by(n);
    }

    fn set_lag(&self, record: &[u8]) {
        let lag = serde_json::from_slice::<serde_json::Value>(record)
            .ok()
            .and_then(|v| {
                let t = v["Records"][0]["eventTime"]
                    .as_str()
                    .or(v["Time"].as_str())?
                    .to_owned();
                let at =
                    time::OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339)
                        .ok()?;
                Some(
                    (time::OffsetDateTime::now_utc() - at)
                        .whole_seconds()
                        .max(0),
                )
            })
            .unwrap_or(0);
        self.show_lag(lag);
    }

    fn show_lag(&self, lag: i64) {
        self.lag_seconds.store(lag, Ordering::Relaxed);
        self.stats
            .lag_seconds
            .get_or_create(&NotifyStats::labels(self.id()))
            .set(lag);
    }
}

/// Deliver `worker`'s queue for as long as the server runs (the worker is held weakly).
pub async fn run(worker: Weak<Worker>) {
    let mut logged_at: Option<SystemTime> = None;
    loop {
        let Some(w) = worker.upgrade() else { return };
        let store = w.store.clone();
        let batch = match store.queued(&w.queue, 64) {
            Ok(batch) => batch,
            Err(e) => {
                tracing::warn!(target_id = w.id(), error = %e, "reading a notification queue");
                Vec::new()
            }
        };
        if batch.is_empty() {
            w.show_lag(0);
            let wake = w.wake.clone();
            drop(w);
            drop(store);
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            continue;
        }
        for (id, record) in batch {
            w.set_lag(&record);
            let mut attempts = 0u32;
            loop {
                match w.target.send(&record).await {
                    Ok(()) => {
                        if let Err(e) = store.dequeue(&w.queue, id) {
                            tracing::warn!(target_id = w.id(), error = %e, "removing a delivered notification");
                        }
                        w.delivered.fetch_add(1, Ordering::Relaxed);
                        w.stats
                            .delivered
                            .get_or_create(&NotifyStats::labels(w.id()))
                            .inc();
                        break;
                    }
                    Err(why) => {
                        attempts += 1;
                        w.stats
                            .failed_attempts
                            .get_or_create(&NotifyStats::labels(w.id()))
                            .inc();
                        let quiet = logged_at.is_some_and(|t| {
                            t.elapsed().is_ok_and(|e| e < Duration::from_secs(60))
                        });
                        if !quiet {
                            tracing::warn!(target_id = w.id(), attempts, error = %why, "a notification target did not take an event; retrying");
                            logged_at = Some(SystemTime::now());
                        }
                        *w.last_error
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(why);
                        if attempts >= w.max_attempts {
                            tracing::error!(
                                target_id = w.id(),
                                attempts,
                                "a notification became a dead letter after max_attempts"
                            );
                            if let Err(e) = store.requeue(&w.queue, id, &w.dead).await {
                                tracing::error!(target_id = w.id(), error = %e, "moving a notification to the dead letters");
                            }
                            w.overflowed(1);
                            break;
                        }
                        // The server is gone (only this loop holds the worker): stop.
                        if Arc::strong_count(&w) <= 1 {
                            return;
                        }
                        tokio::time::sleep(backoff(attempts)).await;
                    }
                }
            }
            w.leave();
            w.gauge();
        }
    }
}

pub fn spawn(worker: &Arc<Worker>) {
    tokio::spawn(run(Arc::downgrade(worker)));
}
