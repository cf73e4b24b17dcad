//! Cross-origin resource sharing, as S3 does it: a bucket's `CORSConfiguration` (and an
//! optional server-wide default rule set for buckets without one), which rule a browser's
//! request matches, and the `Access-Control-*` headers the answer then carries.
//!
//! A preflight (`OPTIONS`) is matched on its origin, `Access-Control-Request-Method` and
//! every `Access-Control-Request-Headers` name; an actual request on its origin and method
//! only. The first matching rule answers. Without a match a preflight is refused (403) and an
//! actual request is answered without CORS headers, which the browser then refuses to expose.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html>

//!
//! Here: the validated rules and the matching (`rules.rs`), the `CORSConfiguration`
//! document's XML shape (`wire.rs`) and its validation ([`document`]).

pub mod document;
mod rules;
#[cfg(test)]
mod tests;
mod wire;

pub use rules::{add_vary, Cors, CorsRequest, CorsRule, Pattern};
pub use wire::{CorsConfiguration, CorsRuleWire};

/// The per-bucket CORS configurations, parsed once and cached.
pub type CorsConfigs = crate::bucket_setting::CachedSetting<Cors>;
