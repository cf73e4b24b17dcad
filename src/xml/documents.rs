//! Every S3 XML document originstore reads or writes, as serde structs: buckets
//! (ListAllMyBucketsResult, LocationConstraint, VersioningConfiguration,
//! CreateBucketConfiguration, AccessControlPolicy both ways), listings (ListBucketResult for
//! ListObjects v1 and v2, ListVersionsResult), objects (CopyObjectResult, CopyPartResult,
//! DeleteObjects' Delete and DeleteResult) and multipart uploads (InitiateMultipartUploadResult,
//! CompleteMultipartUpload and its result, ListPartsResult, ListMultipartUploadsResult).

use serde::{Deserialize, Serialize};

// Buckets

/// An `Owner`: the canonical id alone. AWS stopped returning `DisplayName` on 21 November
/// 2025 (clients use canonical ids), and a display name here would be the user's access
/// key, which nobody who may list a bucket should learn.
#[derive(Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct Owner {
    #[serde(rename = "ID")]
    pub id: String,
}

impl Owner {
    /// The user of `access_key`, by its canonical id.
    pub fn new(access_key: &str) -> Owner {
        Owner {
            id: crate::identity::canonical_id(access_key),
        }
    }
}

#[derive(Serialize)]
#[serde(rename = "ListAllMyBucketsResult", rename_all = "PascalCase")]
pub struct ListAllMyBucketsResult {
    pub owner: Owner,
    pub buckets: Buckets,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continuation_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Buckets {
    pub bucket: Vec<BucketEntry>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketEntry {
    pub name: String,
    pub creation_date: String,
    #[serde(rename = "BucketRegion")]
    pub region: String,
}

#[derive(Serialize)]
#[serde(rename = "LocationConstraint")]
pub struct LocationConstraint {
    /// Empty for us-east-1, as AWS answers.
    #[serde(rename = "$text")]
    pub region: String,
}

/// GetBucketVersioning's answer: empty for a bucket that was never versioned.
#[derive(Serialize, Default)]
#[serde(rename = "VersioningConfiguration", rename_all = "PascalCase")]
pub struct VersioningConfiguration {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
}

/// Put/GetObjectTagging and Put/GetBucketTagging, both ways.
#[derive(Serialize, Deserialize, Default, Debug)]
#[serde(rename = "Tagging", rename_all = "PascalCase")]
pub struct Tagging {
    #[serde(default)]
    pub tag_set: TagSet,
}

#[derive(Serialize, Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct TagSet {
    #[serde(default)]
    pub tag: Vec<Tag>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// PutBucketVersioning's request. Both elements are optional in the schema.
#[derive(Deserialize, Default, Debug)]
pub struct VersioningConfigurationRequest {
    #[serde(rename = "Status", default)]
    pub status: Option<String>,
    #[serde(rename = "MfaDelete", default)]
    pub mfa_delete: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct CreateBucketConfiguration {
    #[serde(default)]
    pub location_constraint: Option<String>,
}

#[derive(Serialize)]
#[serde(rename = "AccessControlPolicy", rename_all = "PascalCase")]
pub struct AccessControlPolicy {
    pub owner: Owner,
    #[serde(rename = "AccessControlList")]
    pub acl: AccessControlList,
}

#[derive(Serialize)]
pub struct AccessControlList {
    #[serde(rename = "Grant")]
    pub grants: Vec<Grant>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Grant {
    pub grantee: Grantee,
    pub permission: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Grantee {
    #[serde(rename = "@xmlns:xsi")]
    pub xmlns_xsi: &'static str,
    #[serde(rename = "@xsi:type")]
    pub kind: &'static str,
    /// A user grantee's canonical id (no `DisplayName`: see [`Owner`]).
    #[serde(rename = "ID", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "URI", skip_serializing_if = "Option::is_none")]
    pub uri: Option<&'static str>,
}

pub const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// A PutBucketAcl / PutObjectAcl request body.
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "PascalCase")]
pub struct AccessControlPolicyRequest {
    #[serde(default)]
    pub owner: Option<OwnerRequest>,
    #[serde(default)]
    pub access_control_list: Option<GrantList>,
}

#[derive(Deserialize, Debug, Default)]
pub struct OwnerRequest {
    #[serde(rename = "ID", default)]
    pub id: Option<String>,
}

#[derive(Deserialize, Debug, Default)]
pub struct GrantList {
    #[serde(rename = "Grant", default)]
    pub grants: Vec<GrantRequest>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct GrantRequest {
    pub grantee: GranteeRequest,
    pub permission: String,
}

#[derive(Deserialize, Debug)]
pub struct GranteeRequest {
    #[serde(rename = "ID", default)]
    pub id: Option<String>,
    #[serde(rename = "URI", default)]
    pub uri: Option<String>,
    #[serde(rename = "EmailAddress", default)]
    pub email_address: Option<String>,
}

// Listing

#[derive(Serialize, Default)]
#[serde(rename = "ListBucketResult", rename_all = "PascalCase")]
pub struct ListBucketResult {
    pub name: String,
    pub prefix: String,
    /// v1 only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
    /// v1 only, when truncated with a delimiter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// v2 only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_after: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continuation_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_continuation_token: Option<String>,
    /// v2 only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_count: Option<usize>,
    pub max_keys: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding_type: Option<&'static str>,
    pub is_truncated: bool,
    pub contents: Vec<ListEntry>,
    pub common_prefixes: Vec<CommonPrefix>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListEntry {
    pub key: String,
    pub last_modified: String,
    #[serde(rename = "ETag")]
    pub etag: String,
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    pub storage_class: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CommonPrefix {
    pub prefix: String,
}

#[derive(Serialize, Default)]
#[serde(rename = "ListVersionsResult", rename_all = "PascalCase")]
pub struct ListVersionsResult {
    pub name: String,
    pub prefix: String,
    pub key_marker: String,
    pub version_id_marker: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_key_marker: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_version_id_marker: Option<String>,
    pub max_keys: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding_type: Option<&'static str>,
    pub is_truncated: bool,
    /// Versions and delete markers, interleaved in listing order (key ascending, newest
    /// first), each element named by its kind.
    #[serde(rename = "$value")]
    pub entries: Vec<VersionListEntry>,
    pub common_prefixes: Vec<CommonPrefix>,
}

#[derive(Serialize)]
pub enum VersionListEntry {
    Version(VersionEntry),
    DeleteMarker(DeleteMarkerEntry),
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VersionEntry {
    pub key: String,
    pub version_id: String,
    pub is_latest: bool,
    pub last_modified: String,
    #[serde(rename = "ETag")]
    pub etag: String,
    pub size: u64,
    pub owner: Owner,
    pub storage_class: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteMarkerEntry {
    pub key: String,
    pub version_id: String,
    pub is_latest: bool,
    pub last_modified: String,
    pub owner: Owner,
}

// Objects

#[derive(Serialize)]
#[serde(rename = "CopyObjectResult", rename_all = "PascalCase")]
pub struct CopyObjectResult {
    pub last_modified: String,
    #[serde(rename = "ETag")]
    pub etag: String,
}

#[derive(Serialize)]
#[serde(rename = "CopyPartResult", rename_all = "PascalCase")]
pub struct CopyPartResult {
    pub last_modified: String,
    #[serde(rename = "ETag")]
    pub etag: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Delete {
    #[serde(default)]
    pub quiet: bool,
    #[serde(rename = "Object", default)]
    pub objects: Vec<ObjectIdentifier>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ObjectIdentifier {
    pub key: String,
    #[serde(default)]
    pub version_id: Option<String>,
    /// Conditional delete: the current object's ETag (or `*`).
    #[serde(default, rename = "ETag")]
    pub etag: Option<String>,
    #[serde(default)]
    pub last_modified_time: Option<String>,
    #[serde(default)]
    pub size: Option<u64>,
}

#[derive(Serialize, Default)]
#[serde(rename = "DeleteResult", rename_all = "PascalCase")]
pub struct DeleteResult {
    pub deleted: Vec<DeletedEntry>,
    #[serde(rename = "Error")]
    pub errors: Vec<DeleteError>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeletedEntry {
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete_marker: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete_marker_version_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteError {
    pub key: String,
    pub code: &'static str,
    pub message: String,
}

// Multipart uploads

#[derive(Serialize)]
#[serde(rename = "InitiateMultipartUploadResult", rename_all = "PascalCase")]
pub struct InitiateMultipartUploadResult {
    pub bucket: String,
    pub key: String,
    pub upload_id: String,
}

#[derive(Deserialize)]
pub struct CompleteMultipartUpload {
    #[serde(rename = "Part", default)]
    pub parts: Vec<CompletePart>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CompletePart {
    pub part_number: u32,
    #[serde(rename = "ETag")]
    pub etag: String,
    #[serde(rename = "ChecksumCRC32", default)]
    pub checksum_crc32: Option<String>,
    #[serde(rename = "ChecksumCRC32C", default)]
    pub checksum_crc32c: Option<String>,
    #[serde(rename = "ChecksumCRC64NVME", default)]
    pub checksum_crc64nvme: Option<String>,
    #[serde(rename = "ChecksumSHA1", default)]
    pub checksum_sha1: Option<String>,
    #[serde(rename = "ChecksumSHA256", default)]
    pub checksum_sha256: Option<String>,
}

impl CompletePart {
    /// The part checksum the client listed for `algorithm`, if any.
    pub fn checksum(&self, algorithm: storage::ChecksumAlgorithm) -> Option<&str> {
        use storage::ChecksumAlgorithm as A;
        match algorithm {
            A::Crc32 => self.checksum_crc32.as_deref(),
            A::Crc32c => self.checksum_crc32c.as_deref(),
            A::Crc64Nvme => self.checksum_crc64nvme.as_deref(),
            A::Sha1 => self.checksum_sha1.as_deref(),
            A::Sha256 => self.checksum_sha256.as_deref(),
        }
    }
}

/// Serialised with [`super::to_xml_with_root`]: its flattened checksum makes it a map to
/// serde, which loses the struct's name.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CompleteMultipartUploadResult {
    pub location: String,
    pub bucket: String,
    pub key: String,
    #[serde(rename = "ETag")]
    pub etag: String,
    #[serde(flatten)]
    pub checksum: Option<Checksum>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum_type: Option<&'static str>,
}

#[derive(Serialize, Default)]
#[serde(rename = "ListPartsResult", rename_all = "PascalCase")]
pub struct ListPartsResult {
    pub bucket: String,
    pub key: String,
    pub upload_id: String,
    pub part_number_marker: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_part_number_marker: Option<u32>,
    pub max_parts: usize,
    pub is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum_algorithm: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initiator: Option<Owner>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    pub storage_class: String,
    #[serde(rename = "Part")]
    pub parts: Vec<PartEntry>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PartEntry {
    pub part_number: u32,
    pub last_modified: String,
    #[serde(rename = "ETag")]
    pub etag: String,
    pub size: u64,
    #[serde(flatten)]
    pub checksum: Option<Checksum>,
}

#[derive(Serialize, Default)]
#[serde(rename = "ListMultipartUploadsResult", rename_all = "PascalCase")]
pub struct ListMultipartUploadsResult {
    pub bucket: String,
    pub key_marker: String,
    pub upload_id_marker: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_key_marker: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_upload_id_marker: Option<String>,
    pub prefix: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    pub max_uploads: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding_type: Option<&'static str>,
    pub is_truncated: bool,
    #[serde(rename = "Upload")]
    pub uploads: Vec<UploadEntry>,
    pub common_prefixes: Vec<CommonPrefix>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UploadEntry {
    pub key: String,
    pub upload_id: String,
    pub initiator: Owner,
    pub owner: Owner,
    pub storage_class: String,
    pub initiated: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum_algorithm: Option<&'static str>,
}

/// GetObjectAttributes' answer: only the attributes asked for.
#[derive(Serialize, Default)]
#[serde(rename = "GetObjectAttributesResponse", rename_all = "PascalCase")]
pub struct GetObjectAttributesResponse {
    /// Unquoted, unlike everywhere else.
    #[serde(rename = "ETag", skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum: Option<AttributesChecksum>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_parts: Option<ObjectParts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_size: Option<u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributesChecksum {
    #[serde(flatten)]
    pub checksum: Checksum,
    pub checksum_type: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ObjectParts {
    /// `TotalPartsCount` in the API reference; `PartsCount` on the wire.
    pub parts_count: usize,
    pub part_number_marker: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_part_number_marker: Option<u32>,
    pub max_parts: usize,
    pub is_truncated: bool,
    #[serde(rename = "Part")]
    pub parts: Vec<ObjectPart>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ObjectPart {
    pub part_number: u32,
    pub size: u64,
    #[serde(flatten)]
    pub checksum: Option<Checksum>,
}

/// The one checksum of a part or of a completed object, as the element named after its
/// algorithm (`<ChecksumCRC32>...</ChecksumCRC32>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksum {
    pub algorithm: storage::ChecksumAlgorithm,
    pub value: String,
}

impl Checksum {
    /// The element name AWS gives a checksum of this algorithm.
    pub fn element(algorithm: storage::ChecksumAlgorithm) -> &'static str {
        use storage::ChecksumAlgorithm as A;
        match algorithm {
            A::Crc32 => "ChecksumCRC32",
            A::Crc32c => "ChecksumCRC32C",
            A::Crc64Nvme => "ChecksumCRC64NVME",
            A::Sha1 => "ChecksumSHA1",
            A::Sha256 => "ChecksumSHA256",
        }
    }
}

impl Serialize for Checksum {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(Checksum::element(self.algorithm), &self.value)?;
        map.end()
    }
}

/// The answer to a form upload (PostObject) with `success_action_status` 201.
#[derive(Serialize, Debug)]
#[serde(rename = "PostResponse", rename_all = "PascalCase")]
pub struct PostResponse {
    pub location: String,
    pub bucket: String,
    pub key: String,
    #[serde(rename = "ETag")]
    pub etag: String,
}

/// GetBucketPolicyStatus.
#[derive(Serialize, Debug)]
#[serde(rename = "PolicyStatus", rename_all = "PascalCase")]
pub struct PolicyStatus {
    pub is_public: bool,
}
