//! originstore storage engine: sled metadata + filesystem blobs.
//!
//! This crate owns every byte and every metadata record originstore keeps. It knows nothing
//! of HTTP (no axum, no reqwest): callers hand it byte chunks and metadata, it hands back
//! metadata and byte streams.
//!
//! # Layout of a data directory
//!
//! ```text
//! <dir>/meta/          sled database (the only metadata store; named only in meta.rs)
//! <dir>/blobs/xx/<id>  object and part bytes, one immutable file per blob, 256 fan-out dirs
//! <dir>/tmp/<id>       blobs being written; always garbage after a crash
//! ```
//!
//! Object keys never become file paths: a blob's file name is a random 128-bit id, so no key
//! (`..`, `/`, NUL, anything) can escape the data directory.
//!
//! # The write path (PUT, CopyObject, UploadPart, origin fill)
//!
//! 1. [`Store::blob_writer`] creates a temp file under `<dir>/tmp` (same filesystem as blobs).
//! 2. [`BlobWriter::write`] streams chunks through a large buffer into the file while hashing
//!    them (MD5 always; CRC32 / CRC32C / CRC64NVME / SHA-1 / SHA-256 when asked).
//! 3. [`BlobWriter::finish`] flushes the buffer and verifies the length and digests the caller
//!    expected (Content-Length, Content-MD5, x-amz-checksum-*): on mismatch the temp file is
//!    deleted and nothing else changes. Verification comes before `sync_all` so a rejected
//!    body never costs an fsync.
//! 4. `sync_all` on the file.
//! 5. rename into `<dir>/blobs/xx/<id>`, then fsync the `xx` directory. The blob is durable.
//! 6. [`Store::commit_object`] (the one commit routine shared by PUT, copy, multipart
//!    completion and origin fill) swaps the key's metadata in one sled transaction.
//! 7. `flush_async` on sled; only then does the call return and the server answer 2xx.
//! 8. The blobs of the metadata that was replaced are deleted (deferred while a reader
//!    still streams them).
//!
//! # Invariants
//!
//! - Metadata never points at a blob that is not durable (steps 4-5 precede step 6).
//! - A blob that no metadata references is garbage; every temp file is garbage. [`Store::open`]
//!   sweeps both and logs the counts.
//! - A reader never sees a partial object, including after kill -9: readers only ever reach
//!   blobs through committed metadata, and blobs are immutable once renamed.
//! - Concurrent writers to one key end with one complete object (last commit wins) and no
//!   leaked blob: each commit deletes exactly the blobs of the metadata it replaced.
//! - After a failed fsync the store is poisoned: every later write is refused with
//!   [`Error::Poisoned`] instead of being retried on a disk in an unknown state.
//! - Nothing holds a whole object in memory: writers and readers move bounded chunks.

// todo: implementation modules (meta.rs, blob.rs, object.rs, list.rs, multipart.rs,
// recovery.rs, ...) replace the placeholder bodies below.

use std::path::Path;
use std::time::{Duration, SystemTime};

use bytes::Bytes;

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

/// Tunables of a store. `Default` is what the server uses.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Every part but the last must be at least this big (S3: 5 MiB).
    pub min_part_size: u64,
    /// Size of the chunks object readers yield (64 KiB ..= 1 MiB is sensible).
    pub read_chunk: usize,
    /// Size of the writer's buffer in front of the temp file.
    pub write_buffer: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            min_part_size: 5 * 1024 * 1024,
            read_chunk: 1024 * 1024,
            write_buffer: 1024 * 1024,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum ChecksumAlgorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

impl ChecksumAlgorithm {
    /// The S3 spelling (`CRC32`, `CRC32C`, `CRC64NVME`, `SHA1`, `SHA256`).
    pub fn as_str(self) -> &'static str {
        todo!()
    }
    /// Parse the S3 spelling, case-insensitively.
    pub fn parse(s: &str) -> Option<Self> {
        let _ = s;
        todo!()
    }
    /// The header that carries it: `x-amz-checksum-crc32`, ...
    pub fn header_name(self) -> &'static str {
        todo!()
    }
}

impl std::fmt::Display for ChecksumAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Incremental hasher for one algorithm; also usable by the server (e.g. for trailers).
pub struct Checksummer {/* todo */}

impl Checksummer {
    pub fn new(algorithm: ChecksumAlgorithm) -> Self {
        let _ = algorithm;
        todo!()
    }
    pub fn update(&mut self, data: &[u8]) {
        let _ = data;
        todo!()
    }
    /// Raw digest bytes (big-endian for the CRCs, as S3 encodes them before base64).
    pub fn finish(self) -> Vec<u8> {
        todo!()
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
    pub user_metadata: std::collections::BTreeMap<String, String>,
    /// Set when the object was filled from an origin.
    pub origin: Option<OriginStamp>,
}

/// Provenance of an object copied from an origin.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OriginStamp {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// The URL it was fetched from.
    pub url: String,
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

impl ByteRange {
    /// The inclusive `(first, last)` byte positions for an object of `size` bytes, or
    /// [`Error::InvalidRange`] when the range is not satisfiable (S3: 416).
    pub fn resolve(self, size: u64) -> Result<(u64, u64)> {
        let _ = size;
        todo!()
    }
}

/// A finished, durable blob not yet referenced by any metadata (dropping it without
/// committing it deletes the file).
pub struct Blob {/* todo */}

impl Blob {
    pub fn size(&self) -> u64 {
        todo!()
    }
    pub fn md5(&self) -> [u8; 16] {
        todo!()
    }
    /// Raw digests of the algorithms the writer was created with.
    pub fn checksum(&self, algorithm: ChecksumAlgorithm) -> Option<&[u8]> {
        let _ = algorithm;
        todo!()
    }
}

/// Writes one blob: temp file -> hash -> verify -> fsync -> rename -> fsync dir.
/// Dropping it before [`BlobWriter::finish`] deletes the temp file.
pub struct BlobWriter {/* todo */}

impl BlobWriter {
    pub async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        let _ = chunk;
        todo!()
    }
    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        todo!()
    }
    /// Verify against `expect`, make the blob durable, and hand it back.
    pub async fn finish(self, expect: &Expect) -> Result<Blob> {
        let _ = expect;
        todo!()
    }
}

/// When a commit may replace what is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitCondition {
    /// PUT / copy / multipart: last commit wins; clears any tombstone.
    Always,
    /// Origin fill: only if the key has no object and no tombstone (a local PUT or DELETE
    /// that happened during the fetch wins over the origin's bytes).
    IfAbsent,
}

/// A stream of an object's bytes (or of a range of them), in chunks of at most
/// `StoreOptions::read_chunk`. Holds the blobs alive while it exists.
pub struct ObjectReader {/* todo */}

impl ObjectReader {
    /// Inclusive `(first, last)` of what it yields; `None` for an empty object.
    pub fn range(&self) -> Option<(u64, u64)> {
        todo!()
    }
    /// Number of bytes it yields in total.
    pub fn len(&self) -> u64 {
        todo!()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl futures::Stream for ObjectReader {
    type Item = std::io::Result<Bytes>;
    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let _ = cx;
        todo!()
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

/// A writer for an origin fill: bytes go through a [`BlobWriter`]; the object appears only
/// when [`FillWriter::commit`] is called after the caller verified the whole body, and only
/// if no local object or tombstone appeared meanwhile. Dropped uncommitted, it leaves no trace.
pub struct FillWriter {/* todo */}

impl FillWriter {
    pub async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        let _ = chunk;
        todo!()
    }
    pub fn written(&self) -> u64 {
        todo!()
    }
    /// `Ok(None)` when a local write or delete won the race and the fill was discarded.
    pub async fn commit(self, attrs: ObjectAttrs, expect: &Expect) -> Result<Option<ObjectMeta>> {
        let _ = (attrs, expect);
        todo!()
    }
}

/// The store. Cheap to clone; all clones share one database and data directory.
#[derive(Clone)]
pub struct Store {/* todo */}

impl Store {
    /// Open (creating if needed) the store in `dir`, then run the recovery sweep.
    /// A corrupt database is a clear error, never silently recreated.
    pub fn open(dir: impl AsRef<Path>, options: StoreOptions) -> Result<Store> {
        let _ = (dir.as_ref(), options);
        todo!()
    }
    /// What the sweep at open removed.
    pub fn recovery_report(&self) -> RecoveryReport {
        todo!()
    }
    /// Flush metadata to disk (also done by every write before it returns).
    pub async fn flush(&self) -> Result<()> {
        todo!()
    }

    // ---- buckets ----

    /// Validates the name with S3's rules (3-63 chars, lowercase letters, digits, `.`, `-`,
    /// starts and ends with a letter or digit, not an IP address, no `..`, ...).
    pub async fn create_bucket(&self, name: &str, owner: &str, region: &str) -> Result<BucketMeta> {
        let _ = (name, owner, region);
        todo!()
    }
    pub fn head_bucket(&self, name: &str) -> Result<BucketMeta> {
        let _ = name;
        todo!()
    }
    /// Refused with BucketNotEmpty while it holds objects; aborts its uploads and drops its
    /// settings and tombstones.
    pub async fn delete_bucket(&self, name: &str) -> Result<()> {
        let _ = name;
        todo!()
    }
    /// Sorted by name.
    pub fn list_buckets(&self) -> Result<Vec<BucketMeta>> {
        todo!()
    }
    /// Per-bucket settings (origin configuration, ACL, ...): opaque bytes under a name.
    pub fn bucket_setting(&self, bucket: &str, name: &str) -> Result<Option<Vec<u8>>> {
        let _ = (bucket, name);
        todo!()
    }
    /// `None` removes the setting.
    pub async fn set_bucket_setting(&self, bucket: &str, name: &str, value: Option<&[u8]>) -> Result<()> {
        let _ = (bucket, name, value);
        todo!()
    }

    // ---- objects ----

    /// A writer for a new blob computing MD5 plus `algorithms`.
    pub fn blob_writer(&self, algorithms: &[ChecksumAlgorithm]) -> Result<BlobWriter> {
        let _ = algorithms;
        todo!()
    }
    /// The one commit routine: make `blob` the content of `bucket/key`.
    /// `Ok(None)` only with [`CommitCondition::IfAbsent`] when the condition failed (the blob
    /// is then deleted).
    pub async fn commit_object(
        &self,
        bucket: &str,
        key: &str,
        attrs: ObjectAttrs,
        blob: Blob,
        condition: CommitCondition,
    ) -> Result<Option<ObjectMeta>> {
        let _ = (bucket, key, attrs, blob, condition);
        todo!()
    }
    /// Convenience: write a whole stream and commit it (last commit wins).
    pub async fn put_object<S>(
        &self,
        bucket: &str,
        key: &str,
        attrs: ObjectAttrs,
        body: S,
        expect: &Expect,
    ) -> Result<ObjectMeta>
    where
        S: futures::Stream<Item = std::io::Result<Bytes>> + Send,
    {
        let _ = (bucket, key, attrs, body, expect);
        todo!()
    }
    pub fn head_object(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        let _ = (bucket, key);
        todo!()
    }
    /// Metadata plus a reader of `range` (whole object when `None`).
    pub fn get_object(&self, bucket: &str, key: &str, range: Option<ByteRange>) -> Result<(ObjectMeta, ObjectReader)> {
        let _ = (bucket, key, range);
        todo!()
    }
    /// Idempotent. With `tombstone`, remember the key as deleted (origin buckets) so a fill
    /// will not bring it back; a later commit with [`CommitCondition::Always`] clears it.
    /// Returns the deleted object's metadata, if there was one.
    pub async fn delete_object(&self, bucket: &str, key: &str, tombstone: bool) -> Result<Option<ObjectMeta>> {
        let _ = (bucket, key, tombstone);
        todo!()
    }
    /// When the key was deleted locally, if it carries a tombstone.
    pub fn tombstone(&self, bucket: &str, key: &str) -> Result<Option<SystemTime>> {
        let _ = (bucket, key);
        todo!()
    }
    /// Forget a tombstone (operator action: make the origin the source of the key again).
    pub async fn clear_tombstone(&self, bucket: &str, key: &str) -> Result<()> {
        let _ = (bucket, key);
        todo!()
    }
    /// Stream `reader` (from [`Store::get_object`]) into a new object `dst_bucket/dst_key`
    /// with `attrs`; copying onto the source key itself is allowed.
    pub async fn copy_object(
        &self,
        source: (ObjectMeta, ObjectReader),
        dst_bucket: &str,
        dst_key: &str,
        attrs: ObjectAttrs,
    ) -> Result<ObjectMeta> {
        let _ = (source, dst_bucket, dst_key, attrs);
        todo!()
    }
    pub fn list_objects(&self, bucket: &str, query: &ListQuery) -> Result<ListPage> {
        let _ = (bucket, query);
        todo!()
    }

    // ---- multipart ----

    pub async fn create_upload(
        &self,
        bucket: &str,
        key: &str,
        owner: &str,
        attrs: ObjectAttrs,
        checksum_algorithm: Option<ChecksumAlgorithm>,
    ) -> Result<Upload> {
        let _ = (bucket, key, owner, attrs, checksum_algorithm);
        todo!()
    }
    /// NoSuchUpload unless `upload_id` is an upload of exactly `bucket/key`.
    pub fn get_upload(&self, bucket: &str, key: &str, upload_id: &str) -> Result<Upload> {
        let _ = (bucket, key, upload_id);
        todo!()
    }
    /// Stage `blob` as part `part_number` (1..=10000), replacing an earlier one.
    pub async fn commit_part(&self, bucket: &str, key: &str, upload_id: &str, part_number: u32, blob: Blob) -> Result<PartMeta> {
        let _ = (bucket, key, upload_id, part_number, blob);
        todo!()
    }
    /// Parts with number > `marker`, at most `max_parts`.
    pub fn list_parts(&self, bucket: &str, key: &str, upload_id: &str, marker: u32, max_parts: usize) -> Result<PartsPage> {
        let _ = (bucket, key, upload_id, marker, max_parts);
        todo!()
    }
    pub async fn abort_upload(&self, bucket: &str, key: &str, upload_id: &str) -> Result<()> {
        let _ = (bucket, key, upload_id);
        todo!()
    }
    /// Validate the part list (ascending -> InvalidPartOrder; known part with matching
    /// ETag -> InvalidPart; all but the last >= min_part_size -> EntityTooSmall), then commit
    /// the object atomically with the removal of the upload. Unlisted parts are deleted.
    pub async fn complete_upload(&self, bucket: &str, key: &str, upload_id: &str, parts: &[CompletedPart]) -> Result<ObjectMeta> {
        let _ = (bucket, key, upload_id, parts);
        todo!()
    }
    /// Sorted by key, then initiation time.
    pub fn list_uploads(&self, bucket: &str, query: &UploadQuery) -> Result<UploadsPage> {
        let _ = (bucket, query);
        todo!()
    }
    /// Abort every upload initiated before `now - max_age`; returns how many.
    pub async fn expire_uploads(&self, max_age: Duration) -> Result<usize> {
        let _ = max_age;
        todo!()
    }

    // ---- origin fill ----

    pub fn fill_writer(&self, bucket: &str, key: &str, algorithms: &[ChecksumAlgorithm]) -> Result<FillWriter> {
        let _ = (bucket, key, algorithms);
        todo!()
    }
}
