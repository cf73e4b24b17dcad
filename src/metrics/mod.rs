//! Prometheus metrics, served at `GET /metrics` (text exposition format): the server's
//! families and their registry ([`Metrics`]: requests by operation and status, origin-pull
//! counters per bucket with the origin's response latency), and the per-rule migration
//! counters that `GET /{bucket}?origin-status` also reads back ([`origin_rules`]).

pub mod notify;
pub mod origin_rules;
mod registry;

pub use registry::{AdminLabels, BucketLabels, Metrics, RequestLabels};
