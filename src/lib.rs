//! originstore: an S3-compatible object server with origin-pull in its read path.
//!
//! The data path is visible in the module list: [`server`] accepts connections and hands
//! every request to the envelope in [`request`], which routes it with [`router`] (an
//! [`router::Operation`] carrying its typed parameters), authenticates it once with [`auth`]
//! (its body wrapped by [`body`]) and dispatches it through [`handlers`] to one handler per
//! operation family; handlers use the shared [`state`] and the `storage` crate, and write
//! [`xml`] documents or [`error`]s. On a miss in a bucket with an origin, the object
//! handlers ask [`origin`]. Beside the data path: [`lifecycle`] (bucket lifecycle rules and
//! the background expirer that applies them) and [`bucket_setting`] (per-bucket documents
//! parsed once and cached).

pub mod access;
pub mod auth;
pub mod body;
pub mod bucket_setting;
pub mod cli;
pub mod config;
pub mod console;
pub mod cors;
pub mod error;
#[cfg(test)]
mod fuzz;
pub mod handlers;
pub mod identity;
pub mod lifecycle;
pub mod metrics;
pub mod origin;
pub mod post_policy;
pub mod request;
pub mod router;
pub mod serve;
pub mod server;
pub mod state;
#[cfg(test)]
mod test_support;
pub mod xml;
