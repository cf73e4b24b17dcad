//! Object Lock as S3 defines it, on the server's side: a bucket's configuration (enabled
//! for good, with an optional default retention) and its documents (`document.rs`), the
//! lock a write asks for and the headers an answer shows (`request.rs`). The versions' locks
//! themselves are the storage crate's (`storage::ObjectLock`), which refuses every removal
//! a lock forbids, whoever asks; the handlers are `handlers/object_lock.rs`.
//!
//! In cluster mode the cluster holds the objects, and an engine that does not enforce
//! Object Lock (Garage, for one) would let a lock be ignored: every lock setting is refused
//! there with 501 rather than accepted and not enforced.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html>

pub mod document;
pub mod request;

pub use document::LockConfiguration;

use crate::error::S3Error;

/// The answer to a lock asked of a node in cluster mode.
pub fn cluster_refusal() -> S3Error {
    S3Error::not_implemented("Object Lock in cluster mode")
}
