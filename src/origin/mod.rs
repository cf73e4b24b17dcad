//! Origin-pull: a GET or HEAD that misses in a bucket with an origin is fetched from that
//! origin, streamed to its clients and kept. See `../shared/ORIGIN.md` for the behaviour.
//!
//! Pure parts (no I/O): the bucket's `OriginConfiguration` document ([`document`]); what a
//! rule does with a key — rule choice, origin URL, forwarded headers, host failover order
//! ([`rules`]); SigV4 signing of requests to private origins ([`sign`]); the answers sent
//! to clients and the failure-to-error mapping (`answer`).
//!
//! I/O parts: the origin HTTP client with its network policy and circuit breaker
//! ([`fetch`]); the per-bucket configuration, stored as a bucket setting and cached
//! (`configs`); single flight per key with live streaming from the growing fill (`flight`);
//! the engine that handles a miss in each mode and runs fills (`engine`, `fill`); webhook
//! notifications of fills, queued durably ([`notify`]).

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
mod revalidate;
pub mod rules;
pub mod sign;

pub use configs::ORIGIN_SETTING;
pub use document::{
    parse, ConfigError, ConfigErrorCode, CredentialProvider, FileInfo, Freshness, HostInfo,
    HttpHeaderRules, LegacyFileInfo, NewHttpHeader, OnOriginDelete, OriginCondition,
    OriginConfiguration, OriginParameter, OriginRule, OriginType, PrefixConfiguration, PrivateHost,
    Protocol, StandbyHost, SuffixConfiguration, MAX_CONFIG_BYTES, REDACTED_SECRET,
};
pub use engine::{Miss, OriginEngine};
pub use head::OriginHead;
pub use outcome::{status, OriginBody, OriginStream, Outcome, ORIGIN_STATUS_HEADER};
pub use rules::{
    forwarded_query, is_pullable_key, origin_path, origin_request_headers, origin_url,
    should_failover, HostEntry,
};
pub use sign::{sign_origin_request, SignError, SigningKeys};
