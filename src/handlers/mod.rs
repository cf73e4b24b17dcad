//! The S3 operations, one room per operation family, handlers named `handle_<operation>`;
//! [`dispatch`] routes an authenticated request to them after the one access decision.
//!
//! Families (each imports the ground floor below, never another family): `bucket`,
//! `versioning`, `acl`, `policy`, `tagging`, `lifecycle`, `cors`, `list`, `get`, `put`,
//! `copy`, `delete`, `attributes`, `multipart`, `completion`, `relayed` (cluster
//! mode's), `post_object`, and the origin extensions
//! `origin`, `origin_status`, `backfill`, `passes` (delta and verification), `report`,
//! `purge`.
//!
//! Ground floor, shared by the families: `context` (the request as handlers see it),
//! `reply` (XML and empty answers, small request documents), `headers` (object headers in
//! both directions, the version and expiration headers), `render` (the one renderer of
//! GetObject / HeadObject answers), `conditions` (every conditional request), `checksums`
//! (what a body must hash to), `range`, `receive` (an upload body into a blob),
//! `copy_source`, `new_acl` (the ACL of a new bucket or object), `owner`, `tags`, `token`,
//! and for cluster mode `through` (what writes forward, the ones refused until they go
//! through, the adoption of buckets other nodes made).

mod acl;
pub mod admin;
mod attributes;
mod backfill;
mod bucket;
mod checksums;
mod completion;
mod conditions;
mod context;
mod copy;
mod copy_source;
pub mod cors;
mod delete;
mod dispatch;
mod events;
mod get;
mod headers;
mod lifecycle;
mod list;
mod multipart;
mod new_acl;
mod notification;
mod object_lock;
mod origin;
mod origin_status;
mod owner;
mod passes;
mod policy;
mod post_object;
mod public_block;
mod purge;
mod put;
mod range;
mod receive;
mod relayed;
mod render;
mod reply;
mod report;
pub mod sts;
mod tagging;
mod tags;
mod through;
mod token;
mod versioning;

pub use context::{access_denied, RequestContext};
pub use dispatch::dispatch;
