//! The metadata store: the ONLY folder that names sled. `db.rs` opens the database and
//! owns its trees and format; `buckets.rs`, `objects.rs` and `uploads.rs` read and write
//! them; `usage.rs` is what a bucket's usage and quota records hold and `counts.rs` reads
//! them (and counts an older directory once); `pending.rs` is the intent log; `errors.rs`
//! maps sled's errors.
//!
//! Fixed trees (never one per bucket):
//!
//! | tree         | key                                   | value          |
//! |--------------|---------------------------------------|----------------|
//! | `buckets`    | `bucket`                              | [`BucketRec`]  |
//! | `objects`    | `bucket 0x00 key`                     | [`ObjectRec`]: the current version, when it is an object |
//! | `versions`   | `bucket 0x00 key 0x00 !seq(u64 BE)`   | [`VersionRec`]: every other version and every delete marker, newest first |
//! | `uploads`    | `bucket 0x00 key 0x00 upload_id`      | [`UploadRec`]  |
//! | `parts`      | `upload_id part_number(u32 BE)`       | [`PartRec`]    |
//! | `settings`   | `bucket 0x00 name`                    | opaque bytes   |
//! | `tombstones` | `bucket 0x00 key`                     | [`TombstoneRec`] |
//! | `events`     | `id(u64 BE)`                          | opaque bytes   |
//! | `queues`     | `queue name 0x00 id(u64 BE)`          | opaque bytes: a named queue's records, oldest first |
//! | `inline`     | `blob id (16 bytes)`                  | a small object's bytes |
//! | `packed`     | `blob id (16 bytes)`                  | where a packed object's bytes are: pack, offset, length (u64 BE each) |
//! | `pending`    | `blob id (16 bytes)`                  | empty: a blob that may be unreferenced |
//! | `store`      | `format`; `usage 0x00 bucket`; `quota 0x00 bucket`; `usage-counted` | format number (u32 BE); bytes and object versions (u64 BE each); the quota's bounds (likewise); a marker |
//!
//! The current version of a key is in `objects` when it is an object; when it is a delete
//! marker, `objects` has no entry and the marker is the key's newest entry in `versions`.
//! `pending` is the intent log that spares [`crate::Store::open`] a walk of every record and
//! blob: a blob is marked before its file can reach `blobs/` (the mark is flushed before the
//! rename) and unmarked by the transaction that makes a record reference it; a transaction
//! that drops a reference marks the blob in the same commit. So every unreferenced blob is
//! marked, and no referenced one is: the sweep deletes exactly the marked blobs.
//!
//! Format 1 (before versioning) had no `versions` tree and no format record; format 2 had no
//! `pending` tree, so its orphans are unmarked; format 3 had no `packed` tree (nothing to
//! rewrite: it starts empty); format 4 wrote object records without Object Lock (record
//! format 3, still read: nothing to rewrite, but a release that knows nothing of locks
//! must not open a directory whose versions may be locked). [`Meta::open`] reports the format found (rewriting format-1
//! object records in format 2 first); the store runs the full sweep once for a format below
//! 3, then [`Meta::set_current_format`]. A newer format is refused, so a release that
//! knows nothing of packs (or of Object Lock) never opens a directory whose small objects
//! are in them (or whose versions are locked).
//!
//! Keys preserve order: bucket names and object keys never contain NUL (validated), so
//! `bucket 0x00 key` sorts by bucket, then by key bytes (= S3 order); integers are
//! big-endian. Values are small: a version byte then postcard. Transactions only read and
//! write trees; every I/O and every blob deletion happens after commit, in the callers.

mod buckets;
mod counts;
mod db;
mod errors;
mod objects;
mod pending;
mod queues;
mod uploads;
mod usage;

pub(crate) use db::{Meta, FORMAT};
pub(crate) use objects::Change;
pub(crate) use usage::{quota_key, usage_key};
pub use usage::{Quota, Usage};
