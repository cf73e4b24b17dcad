//! Prometheus metrics, served at `GET /metrics` (text exposition format): requests by
//! operation and status, origin-pull counters per bucket (hits, misses, fills, fill
//! failures, bytes pulled, joined waiters) with the origin's response latency — in cluster
//! mode the cache's hits and misses — and the cluster cache's bytes held and evictions.
//!
//! Counters are lock-free after their first use per label set; nothing here is on a path
//! that waits.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BucketLabels {
    pub bucket: String,
}

/// An admin change, by what it did (`user_add`, `key_remove`, ...).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AdminLabels {
    pub action: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub operation: &'static str,
    pub status: u16,
}

fn latency_histogram() -> Histogram {
    // 1 ms .. ~65 s
    Histogram::new(exponential_buckets(0.001, 2.0, 17))
}

pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    /// GET/HEAD of an origin bucket served from local storage.
    pub origin_hits: Family<BucketLabels, Counter>,
    /// GET/HEAD of an origin bucket with no local object.
    pub origin_misses: Family<BucketLabels, Counter>,
    /// Objects filled from the origin and committed.
    pub origin_fills: Family<BucketLabels, Counter>,
    pub origin_fill_failures: Family<BucketLabels, Counter>,
    /// Per-rule migration counters (hits, misses, fills, bytes, revalidations, refreshes,
    /// stale answers) and each rule's last fill and failure.
    pub origin_rules: super::origin_rules::RuleStats,
    pub origin_bytes_pulled: Family<BucketLabels, Counter>,
    /// Misses that joined a fill already in flight instead of fetching again.
    pub origin_joined_waiters: Family<BucketLabels, Counter>,
    /// Requests sent to origins (GET and HEAD, redirects and failover included once).
    pub origin_requests: Family<BucketLabels, Counter>,
    /// Seconds from an origin request to its response head (or failure).
    pub origin_latency: Family<BucketLabels, Histogram, fn() -> Histogram>,
    /// Cluster mode: bytes the node holds, as its last cache pass counted them.
    pub cache_bytes: Gauge,
    /// Cluster mode: copies dropped to keep the node under its cache bound.
    pub cache_evictions: Counter,
    /// Changes made through the admin API (users, keys), by action.
    pub admin_changes: Family<AdminLabels, Counter>,
    /// Bucket notifications, per target.
    pub notify: super::notify::NotifyStats,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("originstore");
        let requests = Family::default();
        registry.register(
            "requests",
            "S3 requests by operation and status",
            requests.clone(),
        );
        let origin_hits = Family::default();
        registry.register(
            "origin_hits",
            "GET/HEAD of an origin bucket served locally",
            origin_hits.clone(),
        );
        let origin_misses = Family::default();
        registry.register(
            "origin_misses",
            "GET/HEAD of an origin bucket with no local object",
            origin_misses.clone(),
        );
        let origin_fills = Family::default();
        registry.register(
            "origin_fills",
            "Objects filled from the origin",
            origin_fills.clone(),
        );
        let origin_fill_failures = Family::default();
        registry.register(
            "origin_fill_failures",
            "Origin fills that failed",
            origin_fill_failures.clone(),
        );
        let origin_rules = super::origin_rules::RuleStats::register(&mut registry);
        let notify = super::notify::NotifyStats::register(&mut registry);
        let origin_bytes_pulled = Family::default();
        registry.register(
            "origin_pulled_bytes",
            "Bytes received from origins by fills",
            origin_bytes_pulled.clone(),
        );
        let origin_joined_waiters = Family::default();
        registry.register(
            "origin_joined_waiters",
            "Misses served by a fill already in flight",
            origin_joined_waiters.clone(),
        );
        let origin_requests = Family::default();
        registry.register(
            "origin_requests",
            "Requests sent to origins",
            origin_requests.clone(),
        );
        let origin_latency =
            Family::<BucketLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                latency_histogram,
            );
        registry.register(
            "origin_latency_seconds",
            "Seconds from an origin request to its response head",
            origin_latency.clone(),
        );
        let cache_bytes = Gauge::default();
        registry.register(
            "cache_bytes",
            "Cluster mode: bytes the node holds (as of its last cache pass)",
            cache_bytes.clone(),
        );
        let cache_evictions = Counter::default();
        registry.register(
            "cache_evictions",
            "Cluster mode: copies dropped to keep the node under its cache bound",
            cache_evictions.clone(),
        );
        let admin_changes = Family::default();
        registry.register(
            "admin_changes",
            "Changes made through the admin API (users and keys), by action",
            admin_changes.clone(),
        );
        Metrics {
            admin_changes,
            notify,
            cache_bytes,
            cache_evictions,
            registry,
            requests,
            origin_hits,
            origin_misses,
            origin_fills,
            origin_fill_failures,
            origin_rules,
            origin_bytes_pulled,
            origin_joined_waiters,
            origin_requests,
            origin_latency,
        }
    }

    pub fn bucket(bucket: &str) -> BucketLabels {
        BucketLabels {
            bucket: bucket.to_owned(),
        }
    }

    /// The text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "encoding metrics");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_labelled_by_bucket() {
        let m = Metrics::new();
        m.origin_hits.get_or_create(&Metrics::bucket("site")).inc();
        m.origin_hits.get_or_create(&Metrics::bucket("site")).inc();
        m.origin_latency
            .get_or_create(&Metrics::bucket("site"))
            .observe(0.02);
        m.requests
            .get_or_create(&RequestLabels {
                operation: "GetObject",
                status: 200,
            })
            .inc();
        let text = m.encode();
        assert!(
            text.contains("originstore_origin_hits_total{bucket=\"site\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("originstore_requests_total{operation=\"GetObject\",status=\"200\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("originstore_origin_latency_seconds_count{bucket=\"site\"} 1"),
            "{text}"
        );
    }
}
