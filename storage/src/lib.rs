//! originstore storage engine: sled metadata + filesystem blobs.
//!
//! This crate owns every byte and every metadata record originstore keeps. It knows nothing
//! of HTTP (no axum, no reqwest): callers hand it byte chunks and metadata, it hands back
//! metadata and byte streams.
//!
//! # Layout of a data directory
//!
//! ```text
//! <dir>/meta/          sled database (the only metadata store; named only in meta/)
//! <dir>/blobs/xx/<id>  object and part bytes, one immutable file per blob, 256 fan-out dirs
//! <dir>/tmp/<id>       blobs being written; always garbage after a crash
//! <dir>/packs/<n>      small objects appended to shared files (`packs.rs`)
//! ```
//!
//! Object keys never become file paths: a blob's file name is a random 128-bit id, so no key
//! (`..`, `/`, NUL, anything) can escape the data directory.
//!
//! # The write path (PUT, CopyObject, UploadPart, origin fill)
//!
//! 1. [`Store::blob_writer`] marks the new blob's id in the metadata store's `pending` log
//!    (the intent log of blobs that may be unreferenced, see Invariants), then creates a temp
//!    file under `<dir>/tmp` (same filesystem as blobs).
//! 2. [`BlobWriter::write`] streams chunks through a large buffer into the file while hashing
//!    them (MD5 always; CRC32 / CRC32C / CRC64NVME / SHA-1 / SHA-256 when asked): one
//!    buffer is hashed and written on the blocking pool while the next fills, and once 4 MiB
//!    are in the file unsynced a background `fdatasync` starts (so step 4 finds little
//!    left). Buffers come from, and go back to, the store's pool (`buffers.rs`).
//! 3. [`BlobWriter::finish`] flushes the buffer and verifies the length and digests the caller
//!    expected (Content-Length, Content-MD5, x-amz-checksum-*): on mismatch the temp file is
//!    deleted and nothing else changes. Verification comes before `sync_all` so a rejected
//!    body never costs an fsync.
//! 4. `sync_all` on the file and, at the same time, a metadata flush that makes step 1's
//!    mark durable: the file cannot reach `blobs/` unmarked.
//! 5. rename into `<dir>/blobs/xx/<id>`, then fsync the `xx` directory. The blob is durable.
//! 6. [`Store::commit_object`] (the one commit routine shared by PUT, copy and origin fill)
//!    swaps the key's metadata in one sled transaction that also checks the bucket exists
//!    and, for a fill ([`CommitCondition::IfAbsent`]), that no object or tombstone appeared,
//!    removes the new blob's mark and marks the blobs of the metadata it replaced.
//!    UploadPart commits the blob as a staged part instead ([`Store::commit_part`]).
//! 7. sled's blocking `flush`, run on the blocking pool (sled 0.34's `flush_async` never wakes
//!    concurrent waiters: sled #1241, #1308) and shared by the writers that commit while one
//!    runs (group commit, `group_flush.rs`); only when a flush that started after this
//!    commit has finished does the call return and the server answer 2xx. A failed flush
//!    poisons the store like a failed fsync.
//! 8. The blobs of the metadata that was replaced are deleted (deferred while a reader
//!    still streams them), then unmarked once their directory is synced. Deleting after the
//!    flush matters: deleting first could leave durable metadata naming a deleted blob.
//!
//! Small objects skip steps 1 and 4-5: a writer made by [`Store::object_writer`] keeps up to
//! [`StoreOptions::pack_max`] bytes in memory; at step 4 it appends them to the current pack
//! file, together with every other small body finishing at the same time (one write, one
//! `fdatasync` for the group, `packs.rs`), and the commit stores where they are in the
//! metadata store's `packed` tree, in the same transaction as the record that names them.
//! No file of their own, no rename, no directory fsync; step 8 forgets the place, and
//! compaction (`compact.rs`) reclaims the pack space of released objects in the
//! background. With [`StoreOptions::inline_max`] set, bodies up to that size go into the
//! `inline` tree instead (no pack at all; the flush of step 7 makes them durable).
//!
//! Steps 1, 5 and 6 assert what must hold when they are done (`debug_assert!`, so debug
//! builds and the tests check them on every write): the mark precedes the file, the blob is
//! at its final path and its temp file gone, and a commit references only durable blobs,
//! never releases one it references, and leaves the pending log marking exactly what it
//! released.
//!
//! # What the write path assumes of the filesystem
//!
//! - `<dir>/tmp`, `<dir>/blobs` and `<dir>/meta` are on one filesystem, where `rename(2)`
//!   of a file is atomic: a blob path names either nothing or the whole verified file, never
//!   a partial one (the reason temp files live under the data directory, not in `/tmp`).
//! - `fsync` of a file makes its contents durable, and `fsync` of a directory makes the
//!   renames into it durable (POSIX leaves the latter to the filesystem; ext4, XFS and btrfs
//!   provide it). Without step 5's directory fsync a crash could forget a rename that the
//!   metadata already points at.
//! - After a failed `fsync` nothing is known of the file's pages: Linux may have dropped the
//!   dirty pages and cleared the error, so a retry could report success for lost data
//!   (the PostgreSQL "fsyncgate" lesson). The store therefore poisons itself
//!   ([`Error::Poisoned`]): writes are refused until a restart, whose recovery sweep
//!   rebuilds a consistent state from what is durable; reads keep working.
//! - sled's flush is trusted to make committed transactions durable; an I/O error it
//!   reports is treated as a failed fsync.
//!
//! # Multipart objects
//!
//! Completion does not concatenate: the object's metadata lists its part blobs in order
//! (with their sizes) and [`ObjectReader`] streams them in sequence, honouring ranges across
//! part boundaries. [`Store::complete_upload`] is ONE sled transaction that removes the
//! upload and its part records and inserts the object, so a crash leaves either the upload
//! or the object; unlisted parts and the replaced object's blobs are deleted afterwards.
//! ETag `hex(md5(concat(part md5s)))-N`; with a checksum algorithm, a COMPOSITE checksum
//! `base64(algo(concat(part checksums)))-N` (not for CRC64NVME, which S3 defines only as a
//! full-object checksum: such objects carry no checksum).
//!
//! # Versions
//!
//! A versioned bucket keeps every version of a key: the current one in the `objects` tree,
//! the others and every delete marker in the `versions` tree under `bucket 0 key 0 !seq`, so
//! listing a key's versions newest first is one range scan (`meta/objects.rs` has the layout).
//! `versions.rs` decides what a write or delete does to a key's versions (AWS semantics for
//! Enabled and Suspended buckets); the change is one metadata transaction, and the blobs of
//! a non-current version are kept until that version is deleted. Version ids are the
//! version's sequence number and 64 random bits in hex: unique, opaque, URL-safe, and they
//! find their record without a scan.
//!
//! # Upgrades
//!
//! The metadata records its format. [`Store::open`] migrates a directory written by an
//! earlier release in place, with a log line: format 1 (no versions tree) has its object
//! records rewritten; formats 1 and 2 (no `pending` log) get one full sweep of every record
//! and blob. A directory written by a newer release is refused with an error naming both
//! formats. `storage/tests/fixtures/format1` and `format2` are such directories, opened by
//! tests.
//!
//! # Readers and deletes
//!
//! [`Store::get_object`] reads the metadata, leases its blobs in an in-memory table, and
//! re-reads the metadata (retrying if it changed). A delete of a leased blob is deferred
//! until the last reader of it drops, so a reader that opens a later part's file lazily
//! still finds it.
//!
//! # Invariants
//!
//! - Metadata never points at a blob that is not durable (steps 4-5 precede step 6).
//! - A blob that no metadata references is garbage; every temp file is garbage. Every such
//!   blob is marked in the `pending` log (marked before its file is renamed into place, and
//!   by the transaction that drops its last reference; unmarked by the one that adds it), so
//!   [`Store::open`] deletes the marked blobs and empties `tmp/`, and logs the counts, without
//!   reading every record or listing every blob: the sweep costs the same at any store size.
//!   No referenced blob is ever marked.
//! - A reader never sees a partial object, including after kill -9: readers only ever reach
//!   blobs through committed metadata, and blobs are immutable once renamed.
//! - Concurrent writers to one key end with one complete object (last commit wins) and no
//!   leaked blob: each commit deletes exactly the blobs of the metadata it replaced.
//! - After a failed fsync the store is poisoned: every later write is refused with
//!   [`Error::Poisoned`] instead of being retried on a disk in an unknown state.
//! - Nothing holds a whole object in memory: writers and readers move bounded chunks.
//!
//! # Modules
//!
//! `meta/` (the only place naming sled: `db` the trees and the format record, `buckets`,
//! `objects` (current records and versions), `uploads`, `pending` (the intent log),
//! `errors`), `layout` (blob ids and paths), `key` (object key validation), `blob`
//! ([`BlobWriter`], [`Blob`]), `buffers` (the write buffer pool), `lease` (deletes deferred
//! while a reader streams a blob), `checksum` and `crc_combine`, `range`, `reader`,
//! `object` (commit routine, put / get / delete / copy, tombstones), `records` (the
//! metadata records, their encodings and their view as [`ObjectMeta`]), `versions`
//! (versioning state, what a write or a delete does to a key's versions), `list`,
//! `list_versions`, `bucket`, `multipart`, `fill`, `group_flush` (writers share metadata
//! flushes), `packs` (small objects appended to shared files, one sync per group) and
//! `compact` (their dead space reclaimed), `poison` (writes refused after a failed fsync), `tagging` (a version's tags rewritten in place), `recovery` (the open-time
//! sweep of the `pending` log), `events` (a durable queue of records waiting for
//! delivery: origin notifications), `store` (the handle, poisoning, gates).

#![deny(clippy::unwrap_used, clippy::expect_used)]

mod blob;
mod bucket;
mod buffers;
mod checksum;
mod compact;
mod crc_combine;
mod events;
mod fill;
mod group_flush;
mod key;
mod layout;
mod lease;
mod list;
mod list_versions;
mod lock;
mod meta;
mod metadata_value;
mod multipart;
mod object;
mod packs;
mod poison;
mod quota;
mod range;
mod reader;
mod records;
mod recovery;
mod store;
mod tagging;
mod versions;

pub use blob::{Blob, BlobWriter};
pub use bucket::validate_bucket_name;
pub use buffers::ReadBuffers;
pub use checksum::Checksummer;
pub use compact::CompactReport;
pub use fill::{FillWriter, VerifiedFill};
pub use lock::{ObjectLock, Retention, RetentionMode};
pub use meta::{Quota, Usage};
pub use metadata_value::MetadataValue;
pub use reader::ObjectReader;
pub use store::Store;
pub use versions::{Deleted, Versioning};

use std::time::SystemTime;

/// Storage errors. The server maps each variant to exactly one S3 error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no such bucket")]
    NoSuchBucket,
    #[error("bucket already exists and belongs to another owner")]
    BucketAlreadyExists,
    #[error("bucket already exists and belongs to you")]
    BucketAlreadyOwnedByYou,
    #[error("bucket is not empty")]
    BucketNotEmpty,
    #[error("invalid bucket name: {0}")]
    InvalidBucketName(String),
    #[error("no such key")]
    NoSuchKey,
    #[error("no such version")]
    NoSuchVersion,
    #[error("invalid version id")]
    InvalidVersionId,
    /// The version read is a delete marker: the key's current version (`addressed` false:
    /// the key reads as missing) or the one a version id named (`addressed` true).
    #[error("the version {version_id} is a delete marker")]
    DeleteMarker {
        version_id: String,
        last_modified: SystemTime,
        addressed: bool,
    },
    /// A conditional write's or delete's precondition did not hold.
    #[error("a precondition did not hold")]
    PreconditionFailed,
    /// The object a conditional write was checked against changed or went during it.
    #[error("a concurrent change conflicted with this conditional request")]
    ConditionalRequestConflict,
    #[error("key is longer than 1024 bytes")]
    KeyTooLong,
    #[error("invalid key: {0}")]
    InvalidKey(String),
    #[error("range not satisfiable for an object of {size} bytes")]
    InvalidRange { size: u64 },
    #[error("Content-MD5 does not match the body")]
    BadDigest,
    #[error("{algorithm} checksum does not match the body")]
    ChecksumMismatch { algorithm: ChecksumAlgorithm },
    #[error("body length {got} does not match the declared {expected}")]
    IncompleteBody { expected: u64, got: u64 },
    #[error("no such upload")]
    NoSuchUpload,
    #[error("invalid part: {0}")]
    InvalidPart(String),
    #[error("parts are not in ascending order")]
    InvalidPartOrder,
    #[error("part {part_number} is smaller than the minimum part size")]
    EntityTooSmall { part_number: u32 },
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The change would grow the bucket past its quota.
    #[error("the bucket's quota would be exceeded")]
    QuotaExceeded,
    /// Object Lock forbids it: the version is retained or under a legal hold.
    #[error("the object version is protected by Object Lock")]
    ObjectLocked,
    #[error("store is poisoned after a failed fsync; refusing writes")]
    Poisoned,
    #[error("metadata store: {0}")]
    Meta(String),
    #[error("corrupt metadata: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Default [`StoreOptions::inline_max`]: off. Measured (benches/RESULTS.md): small PUTs gain
/// 3x in short bursts but 1.2x sustained, while sled keeps written inline bytes in memory
/// whatever its cache setting (+0.7 KiB of RSS per 4 KiB object); worth turning on once the
/// metadata store's memory is bounded.
pub const DEFAULT_INLINE_MAX: usize = 0;

/// Default [`StoreOptions::pack_max`]. Measured (benches/RESULTS.md, issue 31): PUT 4 KiB
/// with 16 clients 2.3x the file path; packing 1 MiB bodies too gained nothing beyond the
/// noise and held 16 MiB more of bodies in memory.
pub const DEFAULT_PACK_MAX: usize = 64 * 1024;

/// Tunables of a store. `Default` is what the server uses.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Every part but the last must be at least this big (S3: 5 MiB).
    pub min_part_size: u64,
    /// Size of the chunks object readers yield (64 KiB ..= 1 MiB is sensible).
    pub read_chunk: usize,
    /// Size of the writer's buffer in front of the temp file.
    pub write_buffer: usize,
    /// Objects written whole (PUT, copy) up to this size are kept inline in their metadata
    /// record: no blob file, no file or directory fsync; the metadata flush makes them
    /// durable. 0 turns inlining off. Parts and origin fills always become blob files.
    pub inline_max: usize,
    /// Objects written whole (PUT, copy) up to this size, and above `inline_max`, are
    /// appended to a shared pack file (`packs.rs`): no file of their own, one `fdatasync`
    /// per group of concurrent writers. 0 turns packing off. A writer holds such a body in
    /// memory until it is verified and appended: keep it small.
    pub pack_max: usize,
    /// A pack file takes appends until it holds this much; then the next one starts.
    /// Compaction copies the live objects out of a closed pack once half of it is dead, so
    /// this bounds the work of one compaction.
    pub pack_file_bytes: u64,
    /// The metadata store's page cache (sled's `cache_capacity`), the term of the server's
    /// memory that a setting bounds. sled counts it in serialized bytes, so it costs about
    /// three times this much once full (measured, `benches/RESULTS.md`: 64 MiB plateaued at
    /// ~240 MiB of RSS, 16 MiB at ~105 MiB); the default, 16 MiB, keeps per-request cost at
    /// one million objects within a few percent of the 64 MiB figure. What no setting bounds
    /// is sled's page table, ~25 bytes per object.
    pub meta_cache_bytes: u64,
    /// Large I/O buffers (of the bigger of `write_buffer` and `read_chunk`) kept for reuse
    /// when idle; memory beyond the live buffers is at most this many of them.
    pub idle_buffers: usize,
    /// Write blob files with `O_DIRECT` where the filesystem takes it: the bytes go from the
    /// writer's buffer to the device without passing through the page cache (whatever
    /// cannot be aligned — a body's last few bytes — still does). Writes no longer pay for
    /// page-cache pages; the first read of what they wrote does (measured in
    /// benches/RESULTS.md: off by default for that reason).
    pub direct_writes: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            min_part_size: 5 * 1024 * 1024,
            read_chunk: 1024 * 1024,
            write_buffer: 1024 * 1024,
            inline_max: DEFAULT_INLINE_MAX,
            pack_max: DEFAULT_PACK_MAX,
            pack_file_bytes: 64 * 1024 * 1024,
            meta_cache_bytes: 16 * 1024 * 1024,
            idle_buffers: 32,
            direct_writes: false,
        }
    }
}

/// What [`Store::open`]'s recovery sweep found and removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    pub temp_files_removed: u64,
    pub orphan_blobs_removed: u64,
}

/// The additional checksum algorithms S3 clients may ask for (MD5 is always computed).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum ChecksumAlgorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

impl std::fmt::Display for ChecksumAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored checksum: the algorithm and its base64 value as S3 returns it
/// (multipart composite values carry the `-N` suffix).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredChecksum {
    pub algorithm: ChecksumAlgorithm,
    pub value: String,
    /// `FULL_OBJECT` (false) or `COMPOSITE` (true, multipart).
    pub composite: bool,
}

/// What the caller expects of a body; checked by [`BlobWriter::finish`] before anything is
/// made durable.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// Exact length (Content-Length / x-amz-decoded-content-length).
    pub size: Option<u64>,
    /// Raw MD5 (decoded Content-Md5).
    pub md5: Option<[u8; 16]>,
    /// Raw digests per algorithm (decoded x-amz-checksum-* header or trailer); each algorithm
    /// here must also have been passed to [`Store::blob_writer`].
    pub checksums: Vec<(ChecksumAlgorithm, Vec<u8>)>,
}

/// User-facing attributes of an object, stored and returned as given.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ObjectAttrs {
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    pub content_encoding: Option<String>,
    pub content_language: Option<String>,
    pub expires: Option<String>,
    /// `x-amz-meta-*` without the prefix, lower-cased names, sorted.
    pub user_metadata: std::collections::BTreeMap<String, MetadataValue>,
    /// Set when the object was filled from an origin.
    pub origin: Option<OriginStamp>,
    /// Object tags (`x-amz-tagging`, PutObjectTagging), in the order they were given.
    pub tags: Vec<(String, String)>,
    /// `x-amz-storage-class` as given; `None` is STANDARD.
    pub storage_class: Option<String>,
    /// The object's access control list, encoded by the server (opaque here); `None`: the
    /// default (the bucket owner's, private). Added by record format 3.
    pub acl: Option<String>,
    /// Object Lock: the version's retention and legal hold. Added by record format 4.
    pub lock: ObjectLock,
}

impl ObjectAttrs {
    /// The system-defined metadata S3 keeps with an object as it was sent, each under the
    /// name of the HTTP header that sets it on a write and returns it on a read: the one
    /// list of them (PUT, GET and origin fills all go through it).
    pub fn standard(&self) -> [(&'static str, Option<&str>); 6] {
        [
            ("content-type", self.content_type.as_deref()),
            ("cache-control", self.cache_control.as_deref()),
            ("content-disposition", self.content_disposition.as_deref()),
            ("content-encoding", self.content_encoding.as_deref()),
            ("content-language", self.content_language.as_deref()),
            ("expires", self.expires.as_deref()),
        ]
    }

    /// [`ObjectAttrs::standard`], to set.
    pub fn standard_mut(&mut self) -> [(&'static str, &mut Option<String>); 6] {
        [
            ("content-type", &mut self.content_type),
            ("cache-control", &mut self.cache_control),
            ("content-disposition", &mut self.content_disposition),
            ("content-encoding", &mut self.content_encoding),
            ("content-language", &mut self.content_language),
            ("expires", &mut self.expires),
        ]
    }
}

/// Provenance of an object copied from an origin.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OriginStamp {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// The URL it was fetched from.
    pub url: String,
    /// When the origin last vouched for this copy (the fill, or a later `304`), in
    /// nanoseconds since the epoch; 0: at the object's last-modified time. Format 3.
    pub validated_ns: u64,
    /// How long the origin said the copy stays fresh (`Cache-Control: max-age` /
    /// `s-maxage`, `Expires`; 0 for `no-cache`), as of `validated_ns`. Format 3.
    pub max_age_secs: Option<u64>,
}

/// One committed object's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    pub key: String,
    pub size: u64,
    /// Unquoted: hex MD5, or `hex(md5(part md5s))-N` for multipart objects.
    pub etag: String,
    pub last_modified: SystemTime,
    pub attrs: ObjectAttrs,
    pub checksums: Vec<StoredChecksum>,
    /// Sizes of the parts of a multipart object, in order; empty for a single-part object.
    pub part_sizes: Vec<u64>,
    /// `None`: the `null` version (every object of an unversioned bucket).
    /// Base64 checksum of each part, in the object's algorithm, for a multipart object
    /// whose upload had one (empty otherwise).
    pub part_checksums: Vec<Option<String>>,
    pub version_id: Option<String>,
}

/// A byte range as a client asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `bytes=a-b` (inclusive; b past the end is clamped).
    FromTo(u64, u64),
    /// `bytes=a-`
    From(u64),
    /// `bytes=-n`: the last n bytes.
    Suffix(u64),
}

/// When a commit may replace what is there. Checked under the key's lock, in the commit
/// itself: of writers racing on one key, exactly one can meet an `IfNoneMatch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitCondition {
    /// PUT / copy / multipart: last commit wins; clears any tombstone.
    Always,
    /// Origin fill: only if the key has no object and no tombstone (a local PUT or DELETE
    /// that happened during the fetch wins over the origin's bytes).
    IfAbsent,
    /// A client's `If-None-Match: *`: only if the key has no current object (a current
    /// delete marker counts as none); else [`Error::PreconditionFailed`].
    IfNoneMatch,
    /// A client's `If-Match: "etag"`: only if the current object has this ETag (unquoted);
    /// [`Error::PreconditionFailed`] when it differs, [`Error::ConditionalRequestConflict`]
    /// when there is no current object (the caller saw one before: it went meanwhile).
    IfMatch(String),
}

/// A conditional delete's preconditions on the key's current object, each optional:
/// `If-Match` (an ETag, or `*` for "exists"), and the last-modified time and size AWS
/// defines for DeleteObject. A missing current object is [`Error::NoSuchKey`]; a mismatch
/// is [`Error::PreconditionFailed`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteCondition {
    pub if_match: Option<String>,
    /// Compared at S3's one-second resolution.
    pub last_modified: Option<SystemTime>,
    pub size: Option<u64>,
    /// The exact modification time of the object the caller examined ([`ObjectMeta`]'s):
    /// a background task's guard against deleting a newer object that replaced it.
    pub exactly_modified: Option<SystemTime>,
    /// Not a precondition: the caller may, and asked to, bypass a GOVERNANCE retention
    /// (`x-amz-bypass-governance-retention` from a caller allowed
    /// `s3:BypassGovernanceRetention`).
    pub bypass_governance: bool,
}

impl DeleteCondition {
    /// No precondition (the bypass is none).
    pub fn is_empty(&self) -> bool {
        self.if_match.is_none()
            && self.last_modified.is_none()
            && self.size.is_none()
            && self.exactly_modified.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketMeta {
    pub name: String,
    pub created: SystemTime,
    /// Access key id of the user who created it.
    pub owner: String,
    pub region: String,
}

/// A listing request. Keys are compared as bytes (UTF-8 order = S3 order).
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub prefix: String,
    pub delimiter: Option<String>,
    /// Resume strictly after this key. If it is a common prefix under `delimiter`
    /// (i.e. `after` starts with `prefix` and ends with the delimiter), every key under
    /// it is skipped too. Serves marker, start-after and continuation tokens alike.
    pub after: Option<String>,
    /// 0..=1000 (the server clamps).
    pub max_keys: usize,
}

#[derive(Debug, Clone, Default)]
pub struct ListPage {
    pub objects: Vec<ObjectMeta>,
    /// Sorted, each listed once per page and never again on a later page.
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
    /// When truncated: the last key or common prefix on this page (feed it back as `after`).
    pub next_after: Option<String>,
}

/// A ListObjectVersions page request.
#[derive(Debug, Clone, Default)]
pub struct VersionQuery {
    pub prefix: String,
    pub delimiter: Option<String>,
    /// Resume after this key: after all its versions, or, with `version_id_marker`, after
    /// that version of it.
    pub key_marker: Option<String>,
    pub version_id_marker: Option<String>,
    /// 0..=1000 (the server clamps).
    pub max_keys: usize,
}

/// One entry of a version listing: an object version or a delete marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionEntry {
    pub key: String,
    /// `None`: the null version.
    pub version_id: Option<String>,
    pub is_latest: bool,
    pub last_modified: SystemTime,
    /// `None` for a delete marker.
    pub object: Option<ObjectMeta>,
}

#[derive(Debug, Clone, Default)]
pub struct VersionPage {
    /// Key ascending, newest version first within a key.
    pub versions: Vec<VersionEntry>,
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
    /// When truncated: where the next page starts.
    pub next_key_marker: Option<String>,
    /// `None` with a `next_key_marker` that is a common prefix. For the null version, an
    /// opaque marker holding its place (not `null`: the next page must resume exactly even if
    /// the null version is deleted in between; `null` is accepted as a marker too).
    pub next_version_id_marker: Option<String>,
}

/// An in-progress multipart upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub bucket: String,
    pub key: String,
    pub upload_id: String,
    pub initiated: SystemTime,
    pub owner: String,
    pub attrs: ObjectAttrs,
    pub checksum_algorithm: Option<ChecksumAlgorithm>,
    /// The object's checksum will be FULL_OBJECT (combined from the parts' CRCs) rather than
    /// COMPOSITE (a checksum of the parts' checksums).
    pub checksum_full_object: bool,
}

/// The checksum a multipart upload is created with: an algorithm and its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadChecksum {
    pub algorithm: ChecksumAlgorithm,
    pub full_object: bool,
}

impl UploadChecksum {
    /// `algorithm` with `full_object` (`None`: its default type, FULL_OBJECT for CRC64NVME,
    /// COMPOSITE for the others); `None` when the pair is one S3 does not support:
    /// FULL_OBJECT exists only for the CRCs, COMPOSITE not for CRC64NVME.
    pub fn new(algorithm: ChecksumAlgorithm, full_object: Option<bool>) -> Option<UploadChecksum> {
        let crc64 = algorithm == ChecksumAlgorithm::Crc64Nvme;
        let full_object = full_object.unwrap_or(crc64);
        let crc = matches!(
            algorithm,
            ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c | ChecksumAlgorithm::Crc64Nvme
        );
        let supported = if full_object { crc } else { !crc64 };
        supported.then_some(UploadChecksum {
            algorithm,
            full_object,
        })
    }
}

impl From<ChecksumAlgorithm> for UploadChecksum {
    /// The algorithm with its default type.
    fn from(algorithm: ChecksumAlgorithm) -> UploadChecksum {
        UploadChecksum {
            algorithm,
            full_object: algorithm == ChecksumAlgorithm::Crc64Nvme,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartMeta {
    pub part_number: u32,
    pub size: u64,
    /// Unquoted hex MD5 of the part.
    pub etag: String,
    pub last_modified: SystemTime,
    /// base64 checksum of the upload's algorithm, if it has one.
    pub checksum: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct PartsPage {
    pub parts: Vec<PartMeta>,
    pub is_truncated: bool,
    pub next_part_number_marker: Option<u32>,
}

/// One entry of a CompleteMultipartUpload request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedPart {
    pub part_number: u32,
    /// As the client sent it; quotes are ignored.
    pub etag: String,
}

#[derive(Debug, Clone, Default)]
pub struct UploadQuery {
    pub prefix: String,
    pub delimiter: Option<String>,
    pub key_marker: Option<String>,
    pub upload_id_marker: Option<String>,
    pub max_uploads: usize,
}

#[derive(Debug, Clone, Default)]
pub struct UploadsPage {
    pub uploads: Vec<Upload>,
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
    pub next_key_marker: Option<String>,
    pub next_upload_id_marker: Option<String>,
}
