//! The bucket `origin` subresource document: COS's `OriginConfiguration` XML, parsed into typed
//! structs under a size cap, validated strictly, and serialised back (GET answers with secrets
//! redacted; the metadata store keeps the unredacted normalised XML and re-parses it on load).
//!
//! This module owns the schema and its validation. It does no I/O and knows nothing of HTTP
//! requests; what a rule *does* with a key lives in [`super::rules`]. Here: the domain types
//! (`model.rs`), [`parse`] and serialisation (`codec.rs`); `validate.rs` turns wire structs
//! into domain types; `wire.rs` holds the wire structs; `tests.rs` the tests.
//!
//! Parsing is two steps: quick-xml + serde read the body into `Wire*` structs whose leaves are
//! all `Option<String>` (so serde never produces a message we cannot control), then `validate`
//! turns them into the domain types, each rejection naming the element and the reason.
//! Serialisation goes the other way through the same `Wire*` structs.
//!
//! Schema and defaults: <https://cloud.tencent.com/document/product/436/34533> (PUT Bucket
//! Origin) and the COS Go SDK (`bucket_origin.go`), which sends `PrivateHost` and the
//! `StandbyHostName_N` elements that serde cannot name statically (hence the hand-written
//! (de)serialiser of `WireHostInfo`).

mod codec;
mod model;
#[cfg(test)]
mod tests;
mod validate;
mod wire;

pub use codec::parse;
pub use model::{
    ConfigError, ConfigErrorCode, CredentialProvider, FileInfo, Freshness, HostInfo,
    HttpHeaderRules, LegacyFileInfo, NewHttpHeader, OnOriginDelete, OriginCondition,
    OriginConfiguration, OriginParameter, OriginRule, OriginType, PrefixConfiguration, PrivateHost,
    Protocol, StandbyHost, SuffixConfiguration, Throttle, AWS4_HMAC_SHA256, CLUSTER_PRIORITY,
    HOP_BY_HOP, MAX_CONFIG_BYTES, MAX_HOST_INFOS, MAX_NEW_HTTP_HEADERS, MAX_STANDBY_HOSTS,
    REDACTED_SECRET,
};
