//! Bucket lifecycle: the configuration (`document`), when a rule makes an object expire
//! (`expiry`, also behind the `x-amz-expiration` header), and the background expirer that
//! applies the rules (`expirer`).
//!
//! "One day" is [`crate::config::Config::lifecycle_day`] (86 400 s unless a test or a demo shortens it).
//! With the real day, expiration times are rounded up to the next midnight UTC, as AWS does.

pub mod document;
pub mod expirer;
pub mod expiry;

pub use document::{Expiry, Filter, Lifecycle, NoncurrentExpiry, Rule};

/// The per-bucket lifecycle configurations, parsed once and cached.
pub type Lifecycles = crate::bucket_setting::CachedSetting<Lifecycle>;
