//! Backfill: copy an origin's cold tail into the bucket on the same fill path as GET misses,
//! with progress and a clear "safe to cut over" answer. One job per bucket at a time.
//!
//! - The job (its request, state, totals and checkpoint) is a bucket setting, written after
//!   each batch of keys: after a restart (kill -9 included) the runner resumes from the last
//!   checkpoint. Keys of the interrupted batch are looked at again; one that was filled by
//!   then is counted as filled (its origin stamp is newer than the job), so the totals stay
//!   exact and nothing committed is fetched again.
//! - Keys come from the origin (`List`: signed ListObjectsV2 of an S3-compatible rule) or
//!   from a manifest object in the bucket (one key per line), and go through the same rule
//!   matching as a GET miss. A key already local, tombstoned or delete-marked is skipped and
//!   counted; the others are filled through the key's single flight (a client GET of the
//!   key joins the backfill's fill, and the other way round).
//! - Client misses go first: the backfill waits while fewer than a quarter of the origin
//!   fetch permits are free.

mod document;
mod jobs;
mod runner;

pub use document::{
    now_ns, parse_concurrency, time_of, BackfillJob, BackfillRequest, BackfillSource,
    BackfillState, BackfillStatus, Failure,
};
pub use jobs::Backfills;
pub use runner::listable_rule;
