//! Bucket notification counters and gauges, per target: events queued, delivered, failed
//! attempts, dead letters, and what waits (queue depth and the age of its oldest event).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TargetLabels {
    pub target: String,
}

#[derive(Clone, Default)]
pub struct NotifyStats {
    pub queued: Family<TargetLabels, Counter>,
    pub delivered: Family<TargetLabels, Counter>,
    pub failed_attempts: Family<TargetLabels, Counter>,
    pub dead_letters: Family<TargetLabels, Counter>,
    /// Events waiting for the target now.
    pub depth: Family<TargetLabels, Gauge>,
    /// Seconds since the oldest waiting event happened (0 when none waits).
    pub lag_seconds: Family<TargetLabels, Gauge>,
}

impl NotifyStats {
    pub fn register(registry: &mut Registry) -> NotifyStats {
        let stats = NotifyStats::default();
        registry.register(
            "notify_queued",
            "Bucket events queued for a target",
            stats.queued.clone(),
        );
        registry.register(
            "notify_delivered",
            "Bucket events a target acknowledged",
            stats.delivered.clone(),
        );
        registry.register(
            "notify_failed_attempts",
            "Deliveries a target refused or did not answer (each retried)",
            stats.failed_attempts.clone(),
        );
        registry.register(
            "notify_dead_letters",
            "Bucket events set aside after max_attempts (or a full queue)",
            stats.dead_letters.clone(),
        );
        registry.register(
            "notify_queue_depth",
            "Bucket events waiting for a target",
            stats.depth.clone(),
        );
        registry.register(
            "notify_lag_seconds",
            "Age of the oldest bucket event waiting for a target",
            stats.lag_seconds.clone(),
        );
        stats
    }

    pub fn labels(target: &str) -> TargetLabels {
        TargetLabels {
            target: target.to_owned(),
        }
    }
}
