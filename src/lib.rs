//! originstore: an S3-compatible object server with origin-pull in its read path.
//!
//! The data path is visible in the module list: [`server`] and [`serve`] accept connections
//! and hand every request to the envelope in [`request`], which routes it with [`router`]
//! (an [`router::Operation`] carrying its typed parameters), authenticates it once with
//! [`auth`] (its body wrapped by [`body`]), asks [`access`] whether the caller may do it and
//! dispatches it through [`handlers`] to one room per operation family; handlers use the
//! shared [`state`] and the `storage` crate, and write [`xml`] documents or [`error`]s. On a
//! miss in a bucket with an origin, the GET path asks [`origin`], which answers with data
//! (serve the local copy, a stream, or a redirect) that the handler renders. In cluster
//! mode ([`backend`]) writes go through to an S3 cluster first, and misses are filled from
//! it by the same origin machinery.
//!
//! Beside the data path: [`identity`] (users and their canonical ids, the leaf every other
//! room may import), [`config`], [`cli`] (the `backfill` client), [`console`] (the web
//! console), [`cors`], [`lifecycle`] (bucket lifecycle rules and the background expirer),
//! [`object_lock`] (buckets' Object Lock configurations and the lock a write asks for),
//! [`post_policy`] (browser form uploads), [`metrics`] (Prometheus) and [`bucket_setting`]
//! (per-bucket documents parsed once and cached).

pub mod access;
pub mod auth;
pub mod backend;
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
pub mod notify;
pub mod object_lock;
pub mod origin;
pub mod post_policy;
pub mod request;
pub mod router;
pub mod serve;
pub mod server;
pub mod state;
#[cfg(test)]
mod test_support;
pub mod users;
pub mod xml;
