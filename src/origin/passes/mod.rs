//! Migration passes: finishing the move off an old store with evidence. Both walk an
//! S3-compatible origin's listing (signed ListObjectsV2 under one rule) merged with the
//! bucket's, in key order, a page of each at a time.
//!
//! - **Delta** reconciles: a key new at the origin is filled; a copy filled from an object
//!   the origin has since changed (its ETag or size differs from the listing) is pulled
//!   again; a copy whose object went from the origin follows the rule's `OnOriginDelete`
//!   (Keep, or Delete). Local writes always win; local deletes stay deleted. An unchanged
//!   key costs nothing but its share of two listings. A pass that found nothing to do is
//!   *clean*.
//! - **Verify** proves each origin key's copy: its size, and its bytes hashed as the origin
//!   made its ETag — multipart ETags included, cut at the origin's part size. Each mismatch
//!   is listed (key, what differs); with `Repair` the key is pulled again.
//!
//! A pass is a job like a backfill (`origin-delta`, `origin-verify`; one migration job per
//! bucket at a time): checkpointed after each batch with its plan, so that after kill -9 it
//! resumes where it was with exact totals; cancellable; client misses go first.

mod act;
mod classify;
mod cutover;
mod document;
mod jobs;
pub mod report;
mod runner;
mod verify;
mod walk;

pub use crate::origin::backfill::listable_rule;
pub use cutover::{cutover, Cutover};
pub use document::{
    status_document, Class, PassJob, PassKind, PassRequest, PassStatus, DELTA_SETTING,
    VERIFY_SETTING,
};
pub use jobs::Passes;
