//! What a rule may ask of its origin: its `Throttle` (requests per second, requests at once,
//! bytes per second) and the origin's own `Retry-After` when it answered 429 or 503. Every
//! origin request of the rule passes here — client misses, revalidations, backfills, delta
//! passes and verifications alike — and client misses go first: a background request
//! waits while less than a quarter of a budget is left.
//!
//! Rates are token buckets holding one second's worth (so over any window the rule stays
//! within its rate plus one second's burst); a request takes one token, a body its bytes as
//! they arrive (the balance may go below zero for a large chunk: the next ones wait for it).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use prometheus_client::metrics::counter::Counter;

use super::document::Throttle as Limits;
use crate::metrics::origin_rules::RuleStats;

/// The longest an origin's `Retry-After` is obeyed.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// How long a waiting request sleeps before it looks again.
const POLL: Duration = Duration::from_millis(10);

struct TokenBucket {
    rate: f64,
    capacity: f64,
    state: Mutex<(f64, Instant)>,
}

impl TokenBucket {
    fn new(rate: f64) -> TokenBucket {
        let capacity = rate.max(1.0);
        TokenBucket {
            rate,
            capacity,
            state: Mutex::new((capacity, Instant::now())),
        }
    }

    /// Take `n` tokens once more than `reserve` of the capacity is left; `None`: taken,
    /// else how long to wait before looking again.
    fn try_take(&self, n: f64, reserve: f64) -> Option<Duration> {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        let (tokens, at) = *state;
        let tokens = (tokens + now.duration_since(at).as_secs_f64() * self.rate).min(self.capacity);
        let floor = reserve * self.capacity;
        // A request needs a whole token above the floor; a large body chunk may borrow.
        let needed = floor + n.min(self.capacity);
        if tokens >= needed {
            *state = (tokens - n, now);
            None
        } else {
            *state = (tokens, now);
            Some(
                Duration::from_secs_f64((needed - tokens) / self.rate)
                    .clamp(Duration::from_millis(1), POLL * 10),
            )
        }
    }

    async fn take(&self, n: f64, reserve: f64) -> bool {
        let mut waited = false;
        while let Some(wait) = self.try_take(n, reserve) {
            waited = true;
            tokio::time::sleep(wait).await;
        }
        waited
    }
}

/// The throttle of one rule of one bucket.
pub struct RuleThrottle {
    limits: Limits,
    requests: Option<TokenBucket>,
    bytes: Option<TokenBucket>,
    slots: Option<Arc<Semaphore>>,
    /// Until when the origin asked to be left alone (429 / 503 with Retry-After).
    backoff: Mutex<Option<(Instant, SystemTime)>>,
    /// Requests (and body pieces) that had to wait, and how long they waited in all
    /// (milliseconds): the rule's `origin_rule_throttle*` counters.
    pub waits: Counter,
    pub waited_ms: Counter,
    /// Requests admitted, and body bytes passed.
    pub admitted: AtomicU64,
    pub bytes_passed: AtomicU64,
}

/// A request's admission: holds its concurrency slot until dropped (when its body is
/// read), and throttles its body's bytes.
pub struct Admission {
    throttle: Arc<RuleThrottle>,
    background: bool,
    _slot: Option<OwnedSemaphorePermit>,
}

impl Admission {
    /// `n` bytes of the body arrived: wait for their share of the byte rate.
    pub async fn bytes(&self, n: usize) {
        let throttle = &self.throttle;
        throttle.bytes_passed.fetch_add(n as u64, Ordering::Relaxed);
        if let Some(bucket) = &throttle.bytes {
            let started = Instant::now();
            if bucket.take(n as f64, reserve(self.background)).await {
                throttle.record_wait(started);
            }
        }
    }
}

/// The share of a budget background requests leave to client misses.
fn reserve(background: bool) -> f64 {
    if background {
        0.25
    } else {
        0.0
    }
}

impl RuleThrottle {
    fn new(limits: Limits, (waits, waited_ms): (Counter, Counter)) -> RuleThrottle {
        RuleThrottle {
            limits,
            requests: limits
                .requests_per_second
                .map(|r| TokenBucket::new(f64::from(r))),
            bytes: limits.bytes_per_second.map(|b| TokenBucket::new(b as f64)),
            slots: limits
                .concurrency
                .map(|n| Arc::new(Semaphore::new(n as usize))),
            backoff: Mutex::new(None),
            waits,
            waited_ms,
            admitted: AtomicU64::new(0),
            bytes_passed: AtomicU64::new(0),
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    fn record_wait(&self, started: Instant) {
        self.waits.inc();
        let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.waited_ms.inc_by(ms);
    }

    /// Until when the origin asked to be left alone, if that is still ahead.
    pub fn backed_off_until(&self) -> Option<SystemTime> {
        let backoff = self
            .backoff
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        backoff
            .filter(|(until, _)| *until > Instant::now())
            .map(|(_, wall)| wall)
    }

    /// The origin answered 429 or 503 with `Retry-After: retry_after`.
    pub fn back_off(&self, retry_after: Duration) {
        let retry_after = retry_after.min(MAX_BACKOFF);
        let until = (
            Instant::now() + retry_after,
            SystemTime::now() + retry_after,
        );
        let mut backoff = self
            .backoff
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if backoff.is_none_or(|(at, _)| at < until.0) {
            *backoff = Some(until);
        }
    }

    /// Wait until a request may go: the origin's back-off, a concurrency slot, a request
    /// token. `background`: a job's request, which leaves a quarter of each budget to
    /// client misses.
    pub async fn admit(self: &Arc<Self>, background: bool) -> Admission {
        let started = Instant::now();
        let mut waited = false;
        loop {
            let until = self
                .backoff
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .map(|(at, _)| at);
            match until {
                Some(at) if at > Instant::now() => {
                    waited = true;
                    tokio::time::sleep_until(at).await;
                }
                _ => break,
            }
        }
        let slot = match &self.slots {
            None => None,
            Some(slots) => {
                let total = self.limits.concurrency.unwrap_or(1) as usize;
                let keep = if background { total.div_ceil(4) } else { 0 };
                // A background request leaves slots to client misses.
                while background && slots.available_permits() <= keep && total > 1 {
                    waited = true;
                    tokio::time::sleep(POLL).await;
                }
                if slots.available_permits() == 0 {
                    waited = true;
                }
                slots.clone().acquire_owned().await.ok()
            }
        };
        if let Some(requests) = &self.requests {
            waited |= requests.take(1.0, reserve(background)).await;
        }
        if waited {
            self.record_wait(started);
        }
        self.admitted.fetch_add(1, Ordering::Relaxed);
        Admission {
            throttle: self.clone(),
            background,
            _slot: slot,
        }
    }
}

/// Every rule's throttle, made on first use and remade when its limits change.
#[derive(Default)]
pub struct Throttles {
    by_rule: Mutex<HashMap<(String, u32), Arc<RuleThrottle>>>,
}

impl Throttles {
    /// The throttle of the rule of `priority` in `bucket`, with `limits`, counting its
    /// waits in `stats`.
    pub fn of(
        &self,
        bucket: &str,
        priority: u32,
        limits: Limits,
        stats: &RuleStats,
    ) -> Arc<RuleThrottle> {
        let mut map = self
            .by_rule
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let id = (bucket.to_owned(), priority);
        match map.get(&id) {
            Some(throttle) if throttle.limits == limits => throttle.clone(),
            _ => {
                let counters = stats.throttle_counters(bucket, priority);
                let throttle = Arc::new(RuleThrottle::new(limits, counters));
                map.insert(id, throttle.clone());
                throttle
            }
        }
    }

    /// The throttle of a rule, if one was made (for the status).
    pub fn get(&self, bucket: &str, priority: u32) -> Option<Arc<RuleThrottle>> {
        self.by_rule
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&(bucket.to_owned(), priority))
            .cloned()
    }
}

/// A `Retry-After` value (delay-seconds or an HTTP date) as a wait from now.
pub fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    httpdate::parse_http_date(value)
        .ok()
        .map(|at| at.duration_since(SystemTime::now()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_keep_to_the_rate_and_background_leaves_a_reserve() {
        let limits = Limits {
            requests_per_second: Some(10),
            ..Default::default()
        };
        let throttle = Arc::new(RuleThrottle::new(limits, Default::default()));
        let started = tokio::time::Instant::now();
        for _ in 0..30 {
            throttle.admit(false).await;
        }
        // 10 at once (the burst), then 20 more at 10 per second.
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(1900), "{elapsed:?}");
        assert!(elapsed <= Duration::from_millis(2300), "{elapsed:?}");
        assert!(throttle.waits.get() >= 20);
    }

    #[test]
    fn a_background_request_waits_while_the_reserve_is_all_that_is_left() {
        let bucket = TokenBucket::new(4.0);
        // Four tokens: a background request takes one while more than the reserve (a
        // quarter: one token) is left.
        assert!(bucket.try_take(1.0, 0.25).is_none());
        assert!(bucket.try_take(1.0, 0.25).is_none());
        assert!(bucket.try_take(1.0, 0.25).is_none());
        assert!(
            bucket.try_take(1.0, 0.25).is_some(),
            "one left: the clients' reserve"
        );
        assert!(
            bucket.try_take(1.0, 0.0).is_none(),
            "a client takes the reserve"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_origins_retry_after_holds_every_request() {
        let throttle = Arc::new(RuleThrottle::new(Limits::default(), Default::default()));
        throttle.back_off(Duration::from_secs(2));
        assert!(throttle.backed_off_until().is_some());
        let started = tokio::time::Instant::now();
        throttle.admit(false).await;
        assert!(started.elapsed() >= Duration::from_secs(2));
        assert_eq!(retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(retry_after("soon"), None);
    }

    #[tokio::test]
    async fn concurrency_is_held_until_the_admission_goes() {
        let limits = Limits {
            concurrency: Some(1),
            ..Default::default()
        };
        let throttle = Arc::new(RuleThrottle::new(limits, Default::default()));
        let first = throttle.admit(false).await;
        let second = tokio::time::timeout(Duration::from_millis(50), throttle.admit(false)).await;
        assert!(second.is_err(), "the only slot is taken");
        drop(first);
        let third = tokio::time::timeout(Duration::from_millis(500), throttle.admit(false)).await;
        assert!(third.is_ok());
    }
}
