//! Origin-pull, the HTTP-free part: the bucket's `OriginConfiguration` ([`config`]), what a
//! rule does with a key — rule choice, origin URL, forwarded headers, host failover order
//! ([`rules`]) — and SigV4 signing of requests to private origins ([`sign`]).
//!
//! Nothing here performs I/O or knows about axum, reqwest or storage: the GET path calls these
//! pure functions and does the fetching, filling and answering itself. See
//! `../shared/ORIGIN.md` for the behaviour they serve.

pub mod config;
pub mod fetch;
mod flight;
pub mod notify;
pub mod pull;
pub mod rules;
pub mod sign;

pub use config::{
    parse, ConfigError, ConfigErrorCode, CredentialProvider, FileInfo, HostInfo, HttpHeaderRules,
    LegacyFileInfo, NewHttpHeader, OriginCondition, OriginConfiguration, OriginParameter,
    OriginRule, OriginType, PrefixConfiguration, PrivateHost, Protocol, StandbyHost,
    SuffixConfiguration, MAX_CONFIG_BYTES, REDACTED_SECRET,
};
pub use rules::{
    forwarded_query, is_pullable_key, origin_path, origin_request_headers, origin_url,
    should_failover, HostEntry,
};
pub use sign::{sign_origin_request, SignError};
