//! Per-rule migration counters (since the server started): hits, misses, fills and the bytes
//! they pulled, revalidations, refreshes, stale answers, and each rule's last fill and last
//! failure. The counters are Prometheus families labelled by bucket and rule priority (so
//! `/metrics` shows them too); `GET /{bucket}?origin-status` reads them back.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::SystemTime;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RuleLabels {
    pub bucket: String,
    pub rule: u32,
}

/// What a rule's counters count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Hit,
    Miss,
    Fill,
    Revalidated,
    Refreshed,
    Stale,
    /// An origin request waited for the rule's throttle or the origin's `Retry-After`.
    Throttled,
}

const EVENTS: [(Event, &str, &str); 7] = [
    (
        Event::Hit,
        "origin_rule_hits",
        "Reads served from local copies, by rule",
    ),
    (
        Event::Miss,
        "origin_rule_misses",
        "Reads that missed locally, by rule",
    ),
    (
        Event::Fill,
        "origin_rule_fills",
        "Objects filled from the origin, by rule",
    ),
    (
        Event::Revalidated,
        "origin_rule_revalidated",
        "Stale copies the origin confirmed (304), by rule",
    ),
    (
        Event::Refreshed,
        "origin_rule_refreshed",
        "Stale copies replaced from the origin, by rule",
    ),
    (
        Event::Stale,
        "origin_rule_stale",
        "Answers served stale, by rule",
    ),
    (
        Event::Throttled,
        "origin_rule_throttled",
        "Origin requests (and body pieces) that waited for the rule's throttle or the origin's Retry-After, by rule",
    ),
];

/// One notable moment of a rule: when, which key, and (failures) why.
#[derive(Clone, Debug)]
pub struct Moment {
    pub at: SystemTime,
    pub key: String,
    pub reason: Option<String>,
}

#[derive(Default, Clone)]
struct Last {
    fill: Option<Moment>,
    failure: Option<Moment>,
}

pub struct RuleStats {
    events: Vec<(Event, Family<RuleLabels, Counter>)>,
    bytes: Family<RuleLabels, Counter>,
    throttle_wait_ms: Family<RuleLabels, Counter>,
    last: Mutex<HashMap<RuleLabels, Last>>,
}

/// A rule's counters, read back.
#[derive(Clone, Debug, Default)]
pub struct RuleReport {
    pub hits: u64,
    pub misses: u64,
    pub fills: u64,
    pub bytes_pulled: u64,
    pub revalidated: u64,
    pub refreshed: u64,
    pub stale: u64,
    pub last_fill: Option<Moment>,
    pub last_failure: Option<Moment>,
}

impl RuleStats {
    pub fn register(registry: &mut Registry) -> RuleStats {
        let events = EVENTS
            .iter()
            .map(|(event, name, help)| {
                let family = Family::<RuleLabels, Counter>::default();
                registry.register(*name, *help, family.clone());
                (*event, family)
            })
            .collect();
        let bytes = Family::default();
        registry.register(
            "origin_rule_pulled_bytes",
            "Bytes of the objects filled from the origin, by rule",
            bytes.clone(),
        );
        let throttle_wait_ms = Family::default();
        registry.register(
            "origin_rule_throttle_wait_milliseconds",
            "Time origin requests waited for the rule's throttle or the origin's Retry-After, by rule",
            throttle_wait_ms.clone(),
        );
        RuleStats {
            events,
            bytes,
            throttle_wait_ms,
            last: Mutex::new(HashMap::new()),
        }
    }

    fn labels(bucket: &str, rule: u32) -> RuleLabels {
        RuleLabels {
            bucket: bucket.to_owned(),
            rule,
        }
    }

    pub fn count(&self, bucket: &str, rule: u32, event: Event) {
        if let Some((_, family)) = self.events.iter().find(|(e, _)| *e == event) {
            family.get_or_create(&Self::labels(bucket, rule)).inc();
        }
    }

    fn last(&self) -> std::sync::MutexGuard<'_, HashMap<RuleLabels, Last>> {
        self.last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The counters of the rule's throttle: waits, and milliseconds waited.
    pub fn throttle_counters(&self, bucket: &str, rule: u32) -> (Counter, Counter) {
        let labels = Self::labels(bucket, rule);
        let waits = self
            .events
            .iter()
            .find(|(e, _)| *e == Event::Throttled)
            .map(|(_, f)| f.get_or_create(&labels).clone())
            .unwrap_or_default();
        (waits, self.throttle_wait_ms.get_or_create(&labels).clone())
    }

    pub fn filled(&self, bucket: &str, rule: u32, key: &str, size: u64) {
        self.count(bucket, rule, Event::Fill);
        let labels = Self::labels(bucket, rule);
        self.bytes.get_or_create(&labels).inc_by(size);
        self.last().entry(labels).or_default().fill = Some(Moment {
            at: SystemTime::now(),
            key: key.to_owned(),
            reason: None,
        });
    }

    pub fn failed(&self, bucket: &str, rule: u32, key: &str, reason: String) {
        self.last()
            .entry(Self::labels(bucket, rule))
            .or_default()
            .failure = Some(Moment {
            at: SystemTime::now(),
            key: key.to_owned(),
            reason: Some(reason),
        });
    }

    pub fn report(&self, bucket: &str, rule: u32) -> RuleReport {
        let labels = Self::labels(bucket, rule);
        let get = |event: Event| {
            self.events
                .iter()
                .find(|(e, _)| *e == event)
                .map_or(0, |(_, f)| f.get_or_create(&labels).get())
        };
        let last = self.last().get(&labels).cloned().unwrap_or_default();
        RuleReport {
            hits: get(Event::Hit),
            misses: get(Event::Miss),
            fills: get(Event::Fill),
            bytes_pulled: self.bytes.get_or_create(&labels).get(),
            revalidated: get(Event::Revalidated),
            refreshed: get(Event::Refreshed),
            stale: get(Event::Stale),
            last_fill: last.fill,
            last_failure: last.failure,
        }
    }
}
