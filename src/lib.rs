//! originstore: an S3-compatible object server with origin-pull in its read path.
//!
//! The data path is visible in the module list: a request is parsed by [`router`] into an
//! operation, authenticated once by [`auth`] (its body wrapped by [`body`]), dispatched by
//! [`handlers`] to one handler per operation family, which talk to the `storage` crate. On a
//! miss in a bucket with an origin, the object handlers ask [`origin`].

pub mod auth;
pub mod body;
pub mod config;
pub mod error;
pub mod handlers;
pub mod metrics;
pub mod origin;
pub mod request;
pub mod router;
pub mod server;
pub mod state;
pub mod xml;
