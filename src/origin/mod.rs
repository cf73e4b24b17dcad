//! Origin-pull: a GET or HEAD that misses in a bucket with an origin is fetched from that
//! origin, streamed to its clients and kept (the README's "Origin-pull" section has the
//! behaviour). The engine returns data, never a response: an [`Outcome`] (serve the local
//! copy, stream an [`OriginStream`] with its [`OriginHead`], or redirect) that
//! `handlers/get.rs` renders with the same header mapping as a local object.
//!
//! Pure parts (no I/O): the bucket's `OriginConfiguration` document ([`document`]); what a
//! rule does with a key — rule choice, origin URL, forwarded headers, host failover order
//! ([`rules`]); SigV4 signing of requests to private origins ([`sign`]); an origin answer's
//! head (`head`); the outcome types (`outcome`); a failed miss as an S3 error (`failure`).
//!
//! I/O parts: the origin HTTP client with its network policy and circuit breaker
//! ([`fetch`]); the per-bucket configuration, stored as a bucket setting and cached
//! (`configs`); single flight per key with live streaming from the growing fill (`flight`);
//! the engine that handles a miss in each mode and runs fills (`engine`, `fill`); freshness
//! and revalidation of stale copies (`freshness`, `revalidate`); listings of the origin
//! ([`list`], [`list_through`]); backfill jobs ([`backfill`]); webhook notifications of
//! fills, queued durably ([`notify`]). The per-rule counters live in
//! [`crate::metrics::origin_rules`].

pub mod backfill;
mod configs;
pub mod document;
mod engine;
mod failure;
pub mod fetch;
mod fill;
mod flight;
mod freshness;
mod head;
pub mod list;
pub mod list_through;
pub mod notify;
mod outcome;
pub mod passes;
mod revalidate;
pub mod rules;
pub mod sign;
pub mod throttle;

pub use configs::ORIGIN_SETTING;
pub use document::{
    parse, ConfigError, ConfigErrorCode, CredentialProvider, FileInfo, Freshness, HostInfo,
    HttpHeaderRules, LegacyFileInfo, NewHttpHeader, OnOriginDelete, OriginCondition,
    OriginConfiguration, OriginParameter, OriginRule, OriginType, PrefixConfiguration, PrivateHost,
    Protocol, StandbyHost, SuffixConfiguration, MAX_CONFIG_BYTES, REDACTED_SECRET,
};
pub use engine::{FillThrough, Miss, OriginEngine, ReadConfigs};
pub use freshness::{nanos, stamp};
pub use head::OriginHead;
pub use outcome::{status, OriginBody, OriginStream, Outcome, ORIGIN_STATUS_HEADER};
pub use rules::{
    forwarded_query, is_pullable_key, origin_path, origin_request_headers, origin_url,
    should_failover, HostEntry,
};
pub use sign::{sign_origin_request, SignError, SigningKeys};
