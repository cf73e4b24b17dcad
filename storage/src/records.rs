//! The metadata records and their encoding: what each tree of `meta.rs` holds (a version
//! byte, then postcard), the order-preserving key encodings, and the time conversions.
//! No sled here: meta.rs is the only file that names it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::checksum::to_base64;
use crate::layout::BlobId;
use crate::{ChecksumAlgorithm, Error, ObjectAttrs, ObjectMeta, Result, StoredChecksum};

/// Record format of every record but objects and versions.
const VERSION: u8 = 1;
/// Record format of [`ObjectRec`], [`VersionRec`] and [`UploadRec`] (1: before
/// versioning; 2: before object ACLs and the origin stamp's revalidation fields; 3: before
/// Object Lock).
pub(crate) const OBJECT_VERSION: u8 = 4;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BucketRec {
    pub created_ns: u64,
    pub owner: String,
    pub region: String,
}

/// One blob of an object, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BlobRef {
    pub id: BlobId,
    pub size: u64,
}

/// One version of an object (the only one in an unversioned bucket). Encoded with
/// [`OBJECT_VERSION`]; records of format 1 (before versioning) decode with `version_id`
/// `None`, `seq` 0 and no `upload_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ObjectRec {
    pub size: u64,
    pub etag: String,
    pub modified_ns: u64,
    pub attrs: ObjectAttrs,
    pub checksums: Vec<StoredChecksum>,
    /// One blob for a plain object, one per part for a multipart object.
    pub blobs: Vec<BlobRef>,
    pub multipart: bool,
    /// `None`: the `null` version.
    pub version_id: Option<String>,
    /// Creation order among the versions of the store (higher is newer); 0 before
    /// versioning existed.
    pub seq: u64,
    /// The multipart upload this object completed: a retried completion answers from it.
    pub upload_id: Option<String>,
    /// Raw checksum of each part in the upload's algorithm (multipart objects whose upload
    /// had one; empty otherwise), for GetObjectAttributes.
    pub part_checksums: Vec<Vec<u8>>,
    /// A small object: its one blob's bytes are in the metadata store's `inline` tree
    /// (under the blob's id), not in a file. Kept apart from the record so that listings
    /// and scans never read object bytes.
    pub inline: bool,
}

/// [`ObjectRec`] as format 1 wrote it.
#[derive(Deserialize)]
struct ObjectRecV1 {
    size: u64,
    etag: String,
    modified_ns: u64,
    attrs: ObjectAttrsV1,
    checksums: Vec<StoredChecksum>,
    blobs: Vec<BlobRef>,
    multipart: bool,
}

/// [`ObjectAttrs`] as format 1 wrote it (in objects and uploads): no tags, no storage class.
#[derive(Deserialize)]
struct ObjectAttrsV1 {
    content_type: Option<String>,
    cache_control: Option<String>,
    content_disposition: Option<String>,
    content_encoding: Option<String>,
    content_language: Option<String>,
    expires: Option<String>,
    user_metadata: std::collections::BTreeMap<String, crate::MetadataValue>,
    origin: Option<OriginStampV2>,
}

impl From<ObjectAttrsV1> for ObjectAttrs {
    fn from(v1: ObjectAttrsV1) -> ObjectAttrs {
        ObjectAttrs {
            content_type: v1.content_type,
            cache_control: v1.cache_control,
            content_disposition: v1.content_disposition,
            content_encoding: v1.content_encoding,
            content_language: v1.content_language,
            expires: v1.expires,
            user_metadata: v1.user_metadata,
            origin: v1.origin.map(Into::into),
            tags: Vec::new(),
            storage_class: None,
            acl: None,
            lock: Default::default(),
        }
    }
}

/// [`crate::OriginStamp`] as formats 1 and 2 wrote it: no revalidation time, no max-age.
#[derive(Deserialize)]
struct OriginStampV2 {
    etag: Option<String>,
    last_modified: Option<String>,
    url: String,
}

impl From<OriginStampV2> for crate::OriginStamp {
    fn from(v2: OriginStampV2) -> crate::OriginStamp {
        crate::OriginStamp {
            etag: v2.etag,
            last_modified: v2.last_modified,
            url: v2.url,
            validated_ns: 0,
            max_age_secs: None,
        }
    }
}

/// [`ObjectAttrs`] as format 2 wrote it: no ACL.
#[derive(Deserialize)]
struct ObjectAttrsV2 {
    content_type: Option<String>,
    cache_control: Option<String>,
    content_disposition: Option<String>,
    content_encoding: Option<String>,
    content_language: Option<String>,
    expires: Option<String>,
    user_metadata: std::collections::BTreeMap<String, crate::MetadataValue>,
    origin: Option<OriginStampV2>,
    tags: Vec<(String, String)>,
    storage_class: Option<String>,
}

impl From<ObjectAttrsV2> for ObjectAttrs {
    fn from(v2: ObjectAttrsV2) -> ObjectAttrs {
        ObjectAttrs {
            content_type: v2.content_type,
            cache_control: v2.cache_control,
            content_disposition: v2.content_disposition,
            content_encoding: v2.content_encoding,
            content_language: v2.content_language,
            expires: v2.expires,
            user_metadata: v2.user_metadata,
            origin: v2.origin.map(Into::into),
            tags: v2.tags,
            storage_class: v2.storage_class,
            acl: None,
            lock: Default::default(),
        }
    }
}

/// [`ObjectRec`] as format 2 wrote it.
#[derive(Deserialize)]
struct ObjectRecV2 {
    size: u64,
    etag: String,
    modified_ns: u64,
    attrs: ObjectAttrsV2,
    checksums: Vec<StoredChecksum>,
    blobs: Vec<BlobRef>,
    multipart: bool,
    version_id: Option<String>,
    seq: u64,
    upload_id: Option<String>,
    part_checksums: Vec<Vec<u8>>,
    inline: bool,
}

impl From<ObjectRecV2> for ObjectRec {
    fn from(v2: ObjectRecV2) -> ObjectRec {
        ObjectRec {
            size: v2.size,
            etag: v2.etag,
            modified_ns: v2.modified_ns,
            attrs: v2.attrs.into(),
            checksums: v2.checksums,
            blobs: v2.blobs,
            multipart: v2.multipart,
            version_id: v2.version_id,
            seq: v2.seq,
            upload_id: v2.upload_id,
            part_checksums: v2.part_checksums,
            inline: v2.inline,
        }
    }
}

/// [`VersionRec`] as format 2 wrote it.
#[derive(Deserialize)]
enum VersionRecV2 {
    Object(Box<ObjectRecV2>),
    DeleteMarker(MarkerRec),
}

/// [`UploadRec`] as format 2 wrote it.
#[derive(Deserialize)]
struct UploadRecV2 {
    initiated_ns: u64,
    owner: String,
    attrs: ObjectAttrsV2,
    checksum_algorithm: Option<ChecksumAlgorithm>,
    full_object: bool,
}

/// [`ObjectAttrs`] as format 3 wrote it: no Object Lock.
#[derive(Deserialize)]
struct ObjectAttrsV3 {
    content_type: Option<String>,
    cache_control: Option<String>,
    content_disposition: Option<String>,
    content_encoding: Option<String>,
    content_language: Option<String>,
    expires: Option<String>,
    user_metadata: std::collections::BTreeMap<String, crate::MetadataValue>,
    origin: Option<crate::OriginStamp>,
    tags: Vec<(String, String)>,
    storage_class: Option<String>,
    acl: Option<String>,
}

impl From<ObjectAttrsV3> for ObjectAttrs {
    fn from(v3: ObjectAttrsV3) -> ObjectAttrs {
        ObjectAttrs {
            content_type: v3.content_type,
            cache_control: v3.cache_control,
            content_disposition: v3.content_disposition,
            content_encoding: v3.content_encoding,
            content_language: v3.content_language,
            expires: v3.expires,
            user_metadata: v3.user_metadata,
            origin: v3.origin,
            tags: v3.tags,
            storage_class: v3.storage_class,
            acl: v3.acl,
            lock: Default::default(),
        }
    }
}

/// [`ObjectRec`] as format 3 wrote it.
#[derive(Deserialize)]
struct ObjectRecV3 {
    size: u64,
    etag: String,
    modified_ns: u64,
    attrs: ObjectAttrsV3,
    checksums: Vec<StoredChecksum>,
    blobs: Vec<BlobRef>,
    multipart: bool,
    version_id: Option<String>,
    seq: u64,
    upload_id: Option<String>,
    part_checksums: Vec<Vec<u8>>,
    inline: bool,
}

impl From<ObjectRecV3> for ObjectRec {
    fn from(v3: ObjectRecV3) -> ObjectRec {
        ObjectRec {
            size: v3.size,
            etag: v3.etag,
            modified_ns: v3.modified_ns,
            attrs: v3.attrs.into(),
            checksums: v3.checksums,
            blobs: v3.blobs,
            multipart: v3.multipart,
            version_id: v3.version_id,
            seq: v3.seq,
            upload_id: v3.upload_id,
            part_checksums: v3.part_checksums,
            inline: v3.inline,
        }
    }
}

/// [`VersionRec`] as format 3 wrote it.
#[derive(Deserialize)]
enum VersionRecV3 {
    Object(Box<ObjectRecV3>),
    DeleteMarker(MarkerRec),
}

/// [`UploadRec`] as format 3 wrote it.
#[derive(Deserialize)]
struct UploadRecV3 {
    initiated_ns: u64,
    owner: String,
    attrs: ObjectAttrsV3,
    checksum_algorithm: Option<ChecksumAlgorithm>,
    full_object: bool,
}

/// A delete marker: a version that says "deleted".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MarkerRec {
    /// `None`: the `null` version.
    pub version_id: Option<String>,
    pub seq: u64,
    pub modified_ns: u64,
}

/// A value of the `versions` tree: a non-current object version, or a delete marker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum VersionRec {
    Object(Box<ObjectRec>),
    DeleteMarker(MarkerRec),
}

impl VersionRec {
    pub fn version_id(&self) -> Option<&str> {
        match self {
            VersionRec::Object(o) => o.version_id.as_deref(),
            VersionRec::DeleteMarker(m) => m.version_id.as_deref(),
        }
    }
}

/// A pending multipart upload. Encoded with [`OBJECT_VERSION`] (it holds [`ObjectAttrs`]);
/// format 1 wrote it with version 1 and format-1 attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct UploadRec {
    pub initiated_ns: u64,
    pub owner: String,
    pub attrs: ObjectAttrs,
    pub checksum_algorithm: Option<ChecksumAlgorithm>,
    /// FULL_OBJECT rather than COMPOSITE.
    pub full_object: bool,
}

#[derive(Deserialize)]
struct UploadRecV1 {
    initiated_ns: u64,
    owner: String,
    attrs: ObjectAttrsV1,
    checksum_algorithm: Option<ChecksumAlgorithm>,
}

pub(crate) fn encode_upload(rec: &UploadRec) -> Result<Vec<u8>> {
    encode_as(OBJECT_VERSION, rec)
}

pub(crate) fn decode_upload(raw: &[u8]) -> Result<UploadRec> {
    let corrupt = |e: postcard::Error| Error::Corrupt(format!("upload record: {e}"));
    match raw.split_first() {
        Some((&OBJECT_VERSION, body)) => postcard::from_bytes(body).map_err(corrupt),
        Some((&3, body)) => {
            let v3: UploadRecV3 = postcard::from_bytes(body).map_err(corrupt)?;
            Ok(UploadRec {
                initiated_ns: v3.initiated_ns,
                owner: v3.owner,
                attrs: v3.attrs.into(),
                checksum_algorithm: v3.checksum_algorithm,
                full_object: v3.full_object,
            })
        }
        Some((&2, body)) => {
            let v2: UploadRecV2 = postcard::from_bytes(body).map_err(corrupt)?;
            Ok(UploadRec {
                initiated_ns: v2.initiated_ns,
                owner: v2.owner,
                attrs: v2.attrs.into(),
                checksum_algorithm: v2.checksum_algorithm,
                full_object: v2.full_object,
            })
        }
        Some((&1, body)) => {
            let v1: UploadRecV1 = postcard::from_bytes(body).map_err(corrupt)?;
            Ok(UploadRec {
                initiated_ns: v1.initiated_ns,
                owner: v1.owner,
                attrs: v1.attrs.into(),
                checksum_algorithm: v1.checksum_algorithm,
                full_object: false,
            })
        }
        Some((v, _)) => Err(Error::Corrupt(format!(
            "upload record: unknown version {v}"
        ))),
        None => Err(Error::Corrupt("upload record: empty".into())),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PartRec {
    pub size: u64,
    pub md5: [u8; 16],
    pub modified_ns: u64,
    /// Raw checksum of the upload's algorithm.
    pub checksum: Option<Vec<u8>>,
    pub blob: BlobId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TombstoneRec {
    pub deleted_ns: u64,
}

pub(crate) fn now_ns() -> u64 {
    to_ns(SystemTime::now())
}

pub(crate) fn to_ns(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

pub(crate) fn from_ns(ns: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(ns)
}

pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    encode_as(VERSION, value)
}

pub(crate) fn decode<T: DeserializeOwned>(what: &str, raw: &[u8]) -> Result<T> {
    match raw.split_first() {
        Some((&VERSION, body)) => {
            postcard::from_bytes(body).map_err(|e| Error::Corrupt(format!("{what} record: {e}")))
        }
        Some((v, _)) => Err(Error::Corrupt(format!(
            "{what} record: unknown version {v}"
        ))),
        None => Err(Error::Corrupt(format!("{what} record: empty"))),
    }
}

pub(crate) fn encode_object(rec: &ObjectRec) -> Result<Vec<u8>> {
    encode_as(OBJECT_VERSION, rec)
}

pub(crate) fn decode_object(raw: &[u8]) -> Result<ObjectRec> {
    match raw.split_first() {
        Some((&OBJECT_VERSION, body)) => {
            postcard::from_bytes(body).map_err(|e| Error::Corrupt(format!("object record: {e}")))
        }
        Some((&3, body)) => {
            let v3: ObjectRecV3 = postcard::from_bytes(body)
                .map_err(|e| Error::Corrupt(format!("object record (format 3): {e}")))?;
            Ok(v3.into())
        }
        Some((&2, body)) => {
            let v2: ObjectRecV2 = postcard::from_bytes(body)
                .map_err(|e| Error::Corrupt(format!("object record (format 2): {e}")))?;
            Ok(v2.into())
        }
        Some((&1, body)) => {
            let v1: ObjectRecV1 = postcard::from_bytes(body)
                .map_err(|e| Error::Corrupt(format!("object record (format 1): {e}")))?;
            Ok(ObjectRec {
                size: v1.size,
                etag: v1.etag,
                modified_ns: v1.modified_ns,
                attrs: v1.attrs.into(),
                checksums: v1.checksums,
                blobs: v1.blobs,
                multipart: v1.multipart,
                version_id: None,
                seq: 0,
                upload_id: None,
                part_checksums: Vec::new(),
                inline: false,
            })
        }
        Some((v, _)) => Err(Error::Corrupt(format!(
            "object record: unknown version {v}"
        ))),
        None => Err(Error::Corrupt("object record: empty".into())),
    }
}

pub(crate) fn encode_version(rec: &VersionRec) -> Result<Vec<u8>> {
    encode_as(OBJECT_VERSION, rec)
}

pub(crate) fn decode_version(raw: &[u8]) -> Result<VersionRec> {
    match raw.split_first() {
        Some((&OBJECT_VERSION, body)) => {
            postcard::from_bytes(body).map_err(|e| Error::Corrupt(format!("version record: {e}")))
        }
        Some((&3, body)) => {
            let v3: VersionRecV3 = postcard::from_bytes(body)
                .map_err(|e| Error::Corrupt(format!("version record (format 3): {e}")))?;
            Ok(match v3 {
                VersionRecV3::Object(o) => VersionRec::Object(Box::new((*o).into())),
                VersionRecV3::DeleteMarker(m) => VersionRec::DeleteMarker(m),
            })
        }
        Some((&2, body)) => {
            let v2: VersionRecV2 = postcard::from_bytes(body)
                .map_err(|e| Error::Corrupt(format!("version record (format 2): {e}")))?;
            Ok(match v2 {
                VersionRecV2::Object(o) => VersionRec::Object(Box::new((*o).into())),
                VersionRecV2::DeleteMarker(m) => VersionRec::DeleteMarker(m),
            })
        }
        Some((v, _)) => Err(Error::Corrupt(format!(
            "version record: unknown version {v}"
        ))),
        None => Err(Error::Corrupt("version record: empty".into())),
    }
}

fn encode_as<T: Serialize>(version: u8, value: &T) -> Result<Vec<u8>> {
    let mut out = vec![version];
    let body = postcard::to_stdvec(value).map_err(|e| Error::Meta(format!("encode: {e}")))?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// `bucket 0x00 key 0x00 !seq(u64 BE)`: the versions of a key sort together, newest first.
pub(crate) fn version_key(bucket: &str, key: &str, seq: u64) -> Vec<u8> {
    let mut k = join_key(bucket, key);
    k.push(0);
    k.extend_from_slice(&(u64::MAX - seq).to_be_bytes());
    k
}

/// Split `key 0x00 !seq` (after the bucket prefix was removed) into `(key, seq)`.
pub(crate) fn split_version_key(rest: &[u8]) -> Result<(&str, u64)> {
    let bad = || Error::Corrupt("version key".into());
    let cut = rest.len().checked_sub(9).ok_or_else(bad)?;
    if rest[cut] != 0 {
        return Err(bad());
    }
    let key = std::str::from_utf8(&rest[..cut]).map_err(|_| bad())?;
    let inv: [u8; 8] = rest[cut + 1..].try_into().map_err(|_| bad())?;
    Ok((key, u64::MAX - u64::from_be_bytes(inv)))
}

/// `a 0x00 b`: the order-preserving composite key.
pub(crate) fn join_key(a: &str, b: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(a.len() + 1 + b.len());
    k.extend_from_slice(a.as_bytes());
    k.push(0);
    k.extend_from_slice(b.as_bytes());
    k
}

pub(crate) fn upload_key(bucket: &str, key: &str, upload_id: &str) -> Vec<u8> {
    let mut k = join_key(bucket, key);
    k.push(0);
    k.extend_from_slice(upload_id.as_bytes());
    k
}

/// Split `bucket 0x00 key 0x00 upload_id` (after the bucket prefix was removed) into
/// `(key, upload_id)`.
pub(crate) fn split_upload_key(rest: &[u8]) -> Result<(String, String)> {
    let bad = || Error::Corrupt("upload key".into());
    let cut = rest.iter().rposition(|&b| b == 0).ok_or_else(bad)?;
    let key = std::str::from_utf8(&rest[..cut]).map_err(|_| bad())?;
    let id = std::str::from_utf8(&rest[cut + 1..]).map_err(|_| bad())?;
    Ok((key.to_owned(), id.to_owned()))
}

/// The `parts` tree's key: the upload id, then the part number big-endian (so parts sort
/// numerically).
pub(crate) fn part_key(upload_id: &str, part_number: u32) -> Vec<u8> {
    let mut k = upload_id.as_bytes().to_vec();
    k.extend_from_slice(&part_number.to_be_bytes());
    k
}

/// The metadata `rec`, the record of `key`, reads back as.
pub(crate) fn object_meta(key: String, rec: ObjectRec) -> ObjectMeta {
    ObjectMeta {
        key,
        size: rec.size,
        etag: rec.etag,
        last_modified: from_ns(rec.modified_ns),
        attrs: rec.attrs,
        checksums: rec.checksums,
        part_sizes: if rec.multipart {
            rec.blobs.iter().map(|b| b.size).collect()
        } else {
            Vec::new()
        },
        version_id: rec.version_id,
        part_checksums: rec
            .part_checksums
            .iter()
            .map(|raw| (!raw.is_empty()).then(|| to_base64(raw)))
            .collect(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn key_encoding_preserves_s3_order() {
        // Within a bucket, keys sort by their bytes, including '/', ' ', '+', '%', unicode.
        let mut keys = vec![
            "a",
            "a/",
            "a/b",
            "a b",
            "a+b",
            "a%2F",
            "ä",
            "日本",
            "a\u{10FFFF}",
            "b",
        ];
        let mut encoded: Vec<Vec<u8>> = keys.iter().map(|k| join_key("bkt", k)).collect();
        keys.sort();
        encoded.sort();
        let decoded: Vec<&str> = encoded
            .iter()
            .map(|e| std::str::from_utf8(&e[4..]).unwrap())
            .collect();
        assert_eq!(decoded, keys);
        // A bucket's keys never interleave with a bucket whose name extends it.
        assert!(join_key("a", "zzzz") < join_key("ab", ""));
        assert!(join_key("a", "\u{10FFFF}") < join_key("a0", ""));
    }

    #[test]
    fn upload_keys_split_back() {
        let k = upload_key("b", "dir/a key", "0123abc");
        let (key, id) = split_upload_key(&k[2..]).unwrap();
        assert_eq!((key.as_str(), id.as_str()), ("dir/a key", "0123abc"));
    }

    #[test]
    fn records_are_versioned() {
        let rec = TombstoneRec { deleted_ns: 42 };
        let raw = encode(&rec).unwrap();
        assert_eq!(raw[0], VERSION);
        assert_eq!(decode::<TombstoneRec>("t", &raw).unwrap(), rec);
        let mut bad = raw.clone();
        bad[0] = 99;
        assert!(matches!(
            decode::<TombstoneRec>("t", &bad),
            Err(Error::Corrupt(_))
        ));
        assert!(matches!(
            decode::<TombstoneRec>("t", &[]),
            Err(Error::Corrupt(_))
        ));
    }

    #[test]
    fn versions_sort_by_key_then_newest_first() {
        let mut keys = [
            version_key("b", "a", 1),
            version_key("b", "a", 7),
            version_key("b", "a/x", 3),
            version_key("b", "a b", 9),
            version_key("b", "ab", 2),
        ];
        keys.sort();
        let split: Vec<(String, u64)> = keys
            .iter()
            .map(|k| {
                let (key, seq) = split_version_key(&k[2..]).unwrap();
                (key.to_owned(), seq)
            })
            .collect();
        let expect = [("a", 7), ("a", 1), ("a b", 9), ("a/x", 3), ("ab", 2)];
        let expect: Vec<(String, u64)> =
            expect.iter().map(|(k, s)| ((*k).to_owned(), *s)).collect();
        assert_eq!(split, expect);
    }

    #[test]
    fn format_1_object_records_decode_as_null_versions() {
        #[derive(serde::Serialize)]
        struct V1<'a> {
            size: u64,
            etag: &'a str,
            modified_ns: u64,
            attrs: ObjectAttrs,
            checksums: Vec<StoredChecksum>,
            blobs: Vec<BlobRef>,
            multipart: bool,
        }
        let mut raw = vec![1u8];
        raw.extend(
            postcard::to_stdvec(&V1 {
                size: 3,
                etag: "e",
                modified_ns: 5,
                attrs: ObjectAttrs::default(),
                checksums: vec![],
                blobs: vec![],
                multipart: false,
            })
            .unwrap(),
        );
        let rec = decode_object(&raw).unwrap();
        assert_eq!((rec.size, rec.version_id.as_deref(), rec.seq), (3, None, 0));
        let again = decode_object(&encode_object(&rec).unwrap()).unwrap();
        assert_eq!(again, rec);
    }

    #[test]
    fn format_2_upload_records_decode_without_an_acl() {
        #[derive(serde::Serialize)]
        struct StampV2<'a> {
            etag: Option<&'a str>,
            last_modified: Option<&'a str>,
            url: &'a str,
        }
        #[derive(serde::Serialize)]
        struct AttrsV2<'a> {
            content_type: Option<&'a str>,
            cache_control: Option<&'a str>,
            content_disposition: Option<&'a str>,
            content_encoding: Option<&'a str>,
            content_language: Option<&'a str>,
            expires: Option<&'a str>,
            user_metadata: std::collections::BTreeMap<String, String>,
            origin: Option<StampV2<'a>>,
            tags: Vec<(&'a str, &'a str)>,
            storage_class: Option<&'a str>,
        }
        #[derive(serde::Serialize)]
        struct UploadV2<'a> {
            initiated_ns: u64,
            owner: &'a str,
            attrs: AttrsV2<'a>,
            checksum_algorithm: Option<ChecksumAlgorithm>,
            full_object: bool,
        }
        let mut raw = vec![2u8];
        raw.extend(
            postcard::to_stdvec(&UploadV2 {
                initiated_ns: 7,
                owner: "ALICE",
                attrs: AttrsV2 {
                    content_type: Some("text/plain"),
                    cache_control: None,
                    content_disposition: None,
                    content_encoding: None,
                    content_language: None,
                    expires: None,
                    user_metadata: [("k".to_owned(), "v".to_owned())].into(),
                    origin: Some(StampV2 {
                        etag: Some("\"e\""),
                        last_modified: None,
                        url: "http://origin/a",
                    }),
                    tags: vec![("team", "red")],
                    storage_class: Some("STANDARD_IA"),
                },
                checksum_algorithm: None,
                full_object: true,
            })
            .unwrap(),
        );
        let rec = decode_upload(&raw).unwrap();
        assert_eq!((rec.initiated_ns, rec.owner.as_str()), (7, "ALICE"));
        assert!(rec.full_object);
        assert_eq!(rec.attrs.content_type.as_deref(), Some("text/plain"));
        assert_eq!(
            rec.attrs.user_metadata.get("k").and_then(|v| v.as_str()),
            Some("v")
        );
        assert_eq!(rec.attrs.tags, vec![("team".to_owned(), "red".to_owned())]);
        assert_eq!(rec.attrs.storage_class.as_deref(), Some("STANDARD_IA"));
        assert_eq!(rec.attrs.acl, None);
        let origin = rec.attrs.origin.as_ref().unwrap();
        assert_eq!(
            (origin.url.as_str(), origin.validated_ns),
            ("http://origin/a", 0)
        );
        let again = decode_upload(&encode_upload(&rec).unwrap()).unwrap();
        assert_eq!(again, rec);
    }

    #[test]
    fn times_round_trip() {
        let t = SystemTime::now();
        assert_eq!(from_ns(to_ns(t)), t);
    }

    #[test]
    fn part_numbers_sort_numerically() {
        assert!(part_key("u", 2) < part_key("u", 10));
        assert!(part_key("u", 255) < part_key("u", 256));
    }
}
