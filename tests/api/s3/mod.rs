//! The S3 API through the real server, one file per operation family.

mod access;
mod auth;
mod bucket;
mod checksums;
mod chunked;
mod conditional;
mod cors;
pub(crate) mod lifecycle;
mod list;
mod multipart;
mod object;
pub(crate) mod object_lock;
pub(crate) mod post_object;
mod public_block;
mod tagging;
mod versioning;
