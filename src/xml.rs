//! Every S3 XML document originstore reads or writes, as serde structs (quick-xml), each
//! with a golden-string test. Request bodies are parsed under a size cap by the caller.
//!
//! Element names and order follow the AWS API reference for each action.

use serde::{Deserialize, Serialize};

use crate::error::S3Error;

pub const S3_NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// Serialise a document with the XML declaration S3 sends.
pub fn to_xml<T: Serialize>(value: &T) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    // Serialising our own plain structs into a String cannot fail: no maps with non-string
    // keys, no unsupported types. Fall back to an empty document rather than panic.
    match quick_xml::se::to_string(value) {
        Ok(body) => out.push_str(&body),
        Err(e) => tracing::error!(error = %e, "xml serialisation failed"),
    }
    out
}

/// Parse a request document; any error is MalformedXML.
pub fn from_xml<'de, T: Deserialize<'de>>(body: &'de [u8]) -> Result<T, S3Error> {
    let text = std::str::from_utf8(body).map_err(|_| S3Error::malformed_xml("not UTF-8"))?;
    quick_xml::de::from_str(text).map_err(S3Error::malformed_xml)
}

/// S3's timestamp format in XML: `2009-10-12T17:50:30.000Z`.
pub fn timestamp(t: std::time::SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    t.format(&format).unwrap_or_default()
}

// ---------------------------------------------------------------- errors

#[derive(Serialize)]
#[serde(rename = "Error")]
pub struct ErrorBody<'a> {
    #[serde(rename = "Code")]
    pub code: &'a str,
    #[serde(rename = "Message")]
    pub message: &'a str,
    #[serde(rename = "Resource")]
    pub resource: &'a str,
    #[serde(rename = "RequestId")]
    pub request_id: &'a str,
}

// ---------------------------------------------------------------- buckets

#[derive(Serialize, Clone)]
pub struct Owner {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "DisplayName")]
    pub display_name: String,
}

impl Owner {
    pub fn new(access_key: &str) -> Owner {
        Owner {
            id: access_key.to_owned(),
            display_name: access_key.to_owned(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename = "ListAllMyBucketsResult")]
pub struct ListAllMyBucketsResult {
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    #[serde(rename = "Owner")]
    pub owner: Owner,
    #[serde(rename = "Buckets")]
    pub buckets: Buckets,
}

#[derive(Serialize)]
pub struct Buckets {
    #[serde(rename = "Bucket")]
    pub bucket: Vec<BucketEntry>,
}

#[derive(Serialize)]
pub struct BucketEntry {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "CreationDate")]
    pub creation_date: String,
    #[serde(rename = "BucketRegion")]
    pub region: String,
}

#[derive(Serialize)]
#[serde(rename = "LocationConstraint")]
pub struct LocationConstraint {
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    /// Empty for us-east-1, as AWS answers.
    #[serde(rename = "$text")]
    pub region: String,
}

#[derive(Serialize)]
#[serde(rename = "VersioningConfiguration")]
pub struct VersioningConfiguration {
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
}

#[derive(Deserialize, Default)]
pub struct CreateBucketConfiguration {
    #[serde(rename = "LocationConstraint", default)]
    pub location_constraint: Option<String>,
}

#[derive(Serialize)]
#[serde(rename = "AccessControlPolicy")]
pub struct AccessControlPolicy {
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    #[serde(rename = "Owner")]
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
pub struct Grant {
    #[serde(rename = "Grantee")]
    pub grantee: Grantee,
    #[serde(rename = "Permission")]
    pub permission: &'static str,
}

#[derive(Serialize)]
pub struct Grantee {
    #[serde(rename = "@xmlns:xsi")]
    pub xmlns_xsi: &'static str,
    #[serde(rename = "@xsi:type")]
    pub kind: &'static str,
    #[serde(rename = "ID", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "DisplayName", skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(rename = "URI", skip_serializing_if = "Option::is_none")]
    pub uri: Option<&'static str>,
}

pub const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
pub const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";

impl AccessControlPolicy {
    /// The owner's FULL_CONTROL, plus READ for everyone when `public_read`.
    pub fn canned(owner: &str, public_read: bool) -> AccessControlPolicy {
        let mut grants = vec![Grant {
            grantee: Grantee {
                xmlns_xsi: XSI_NS,
                kind: "CanonicalUser",
                id: Some(owner.to_owned()),
                display_name: Some(owner.to_owned()),
                uri: None,
            },
            permission: "FULL_CONTROL",
        }];
        if public_read {
            grants.push(Grant {
                grantee: Grantee {
                    xmlns_xsi: XSI_NS,
                    kind: "Group",
                    id: None,
                    display_name: None,
                    uri: Some(ALL_USERS),
                },
                permission: "READ",
            });
        }
        AccessControlPolicy {
            xmlns: S3_NS,
            owner: Owner::new(owner),
            acl: AccessControlList { grants },
        }
    }
}

// ---------------------------------------------------------------- listing

#[derive(Serialize, Default)]
#[serde(rename = "ListBucketResult")]
pub struct ListBucketResult {
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Prefix")]
    pub prefix: String,
    /// v1 only.
    #[serde(rename = "Marker", skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
    /// v1 only, when truncated with a delimiter.
    #[serde(rename = "NextMarker", skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// v2 only.
    #[serde(rename = "StartAfter", skip_serializing_if = "Option::is_none")]
    pub start_after: Option<String>,
    #[serde(rename = "ContinuationToken", skip_serializing_if = "Option::is_none")]
    pub continuation_token: Option<String>,
    #[serde(
        rename = "NextContinuationToken",
        skip_serializing_if = "Option::is_none"
    )]
    pub next_continuation_token: Option<String>,
    /// v2 only.
    #[serde(rename = "KeyCount", skip_serializing_if = "Option::is_none")]
    pub key_count: Option<usize>,
    #[serde(rename = "MaxKeys")]
    pub max_keys: usize,
    #[serde(rename = "Delimiter", skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    #[serde(rename = "EncodingType", skip_serializing_if = "Option::is_none")]
    pub encoding_type: Option<&'static str>,
    #[serde(rename = "IsTruncated")]
    pub is_truncated: bool,
    #[serde(rename = "Contents")]
    pub contents: Vec<ListEntry>,
    #[serde(rename = "CommonPrefixes")]
    pub common_prefixes: Vec<CommonPrefix>,
}

#[derive(Serialize)]
pub struct ListEntry {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "LastModified")]
    pub last_modified: String,
    #[serde(rename = "ETag")]
    pub etag: String,
    #[serde(rename = "Size")]
    pub size: u64,
    #[serde(rename = "Owner", skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    #[serde(rename = "StorageClass")]
    pub storage_class: &'static str,
}

#[derive(Serialize)]
pub struct CommonPrefix {
    #[serde(rename = "Prefix")]
    pub prefix: String,
}

#[derive(Serialize, Default)]
#[serde(rename = "ListVersionsResult")]
pub struct ListVersionsResult {
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Prefix")]
    pub prefix: String,
    #[serde(rename = "KeyMarker")]
    pub key_marker: String,
    #[serde(rename = "VersionIdMarker")]
    pub version_id_marker: String,
    #[serde(rename = "NextKeyMarker", skip_serializing_if = "Option::is_none")]
    pub next_key_marker: Option<String>,
    #[serde(
        rename = "NextVersionIdMarker",
        skip_serializing_if = "Option::is_none"
    )]
    pub next_version_id_marker: Option<String>,
    #[serde(rename = "MaxKeys")]
    pub max_keys: usize,
    #[serde(rename = "Delimiter", skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    #[serde(rename = "EncodingType", skip_serializing_if = "Option::is_none")]
    pub encoding_type: Option<&'static str>,
    #[serde(rename = "IsTruncated")]
    pub is_truncated: bool,
    #[serde(rename = "Version")]
    pub versions: Vec<VersionEntry>,
    #[serde(rename = "CommonPrefixes")]
    pub common_prefixes: Vec<CommonPrefix>,
}

#[derive(Serialize)]
pub struct VersionEntry {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "VersionId")]
    pub version_id: &'static str,
    #[serde(rename = "IsLatest")]
    pub is_latest: bool,
    #[serde(rename = "LastModified")]
    pub last_modified: String,
    #[serde(rename = "ETag")]
    pub etag: String,
    #[serde(rename = "Size")]
    pub size: u64,
    #[serde(rename = "Owner")]
    pub owner: Owner,
    #[serde(rename = "StorageClass")]
    pub storage_class: &'static str,
}

// ---------------------------------------------------------------- objects

#[derive(Serialize)]
#[serde(rename = "CopyObjectResult")]
pub struct CopyObjectResult {
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    #[serde(rename = "LastModified")]
    pub last_modified: String,
    #[serde(rename = "ETag")]
    pub etag: String,
}

#[derive(Serialize)]
#[serde(rename = "CopyPartResult")]
pub struct CopyPartResult {
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    #[serde(rename = "LastModified")]
    pub last_modified: String,
    #[serde(rename = "ETag")]
    pub etag: String,
}

#[derive(Deserialize)]
pub struct Delete {
    #[serde(rename = "Quiet", default)]
    pub quiet: bool,
    #[serde(rename = "Object", default)]
    pub objects: Vec<ObjectIdentifier>,
}

#[derive(Deserialize)]
pub struct ObjectIdentifier {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "VersionId", default)]
    pub version_id: Option<String>,
}

#[derive(Serialize, Default)]
#[serde(rename = "DeleteResult")]
pub struct DeleteResult {
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    #[serde(rename = "Deleted")]
    pub deleted: Vec<DeletedEntry>,
    #[serde(rename = "Error")]
    pub errors: Vec<DeleteError>,
}

#[derive(Serialize)]
pub struct DeletedEntry {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "VersionId", skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
}

#[derive(Serialize)]
pub struct DeleteError {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Code")]
    pub code: &'static str,
    #[serde(rename = "Message")]
    pub message: String,
}

// ---------------------------------------------------------------- multipart

#[derive(Serialize)]
#[serde(rename = "InitiateMultipartUploadResult")]
pub struct InitiateMultipartUploadResult {
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    #[serde(rename = "Bucket")]
    pub bucket: String,
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "UploadId")]
    pub upload_id: String,
}

#[derive(Deserialize)]
pub struct CompleteMultipartUpload {
    #[serde(rename = "Part", default)]
    pub parts: Vec<CompletePart>,
}

#[derive(Deserialize)]
pub struct CompletePart {
    #[serde(rename = "PartNumber")]
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

#[derive(Serialize)]
#[serde(rename = "CompleteMultipartUploadResult")]
pub struct CompleteMultipartUploadResult {
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    #[serde(rename = "Location")]
    pub location: String,
    #[serde(rename = "Bucket")]
    pub bucket: String,
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "ETag")]
    pub etag: String,
    #[serde(rename = "ChecksumCRC32", skip_serializing_if = "Option::is_none")]
    pub checksum_crc32: Option<String>,
    #[serde(rename = "ChecksumCRC32C", skip_serializing_if = "Option::is_none")]
    pub checksum_crc32c: Option<String>,
    #[serde(rename = "ChecksumCRC64NVME", skip_serializing_if = "Option::is_none")]
    pub checksum_crc64nvme: Option<String>,
    #[serde(rename = "ChecksumSHA1", skip_serializing_if = "Option::is_none")]
    pub checksum_sha1: Option<String>,
    #[serde(rename = "ChecksumSHA256", skip_serializing_if = "Option::is_none")]
    pub checksum_sha256: Option<String>,
    #[serde(rename = "ChecksumType", skip_serializing_if = "Option::is_none")]
    pub checksum_type: Option<&'static str>,
}

#[derive(Serialize, Default)]
#[serde(rename = "ListPartsResult")]
pub struct ListPartsResult {
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    #[serde(rename = "Bucket")]
    pub bucket: String,
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "UploadId")]
    pub upload_id: String,
    #[serde(rename = "PartNumberMarker")]
    pub part_number_marker: u32,
    #[serde(
        rename = "NextPartNumberMarker",
        skip_serializing_if = "Option::is_none"
    )]
    pub next_part_number_marker: Option<u32>,
    #[serde(rename = "MaxParts")]
    pub max_parts: usize,
    #[serde(rename = "IsTruncated")]
    pub is_truncated: bool,
    #[serde(rename = "ChecksumAlgorithm", skip_serializing_if = "Option::is_none")]
    pub checksum_algorithm: Option<&'static str>,
    #[serde(rename = "Initiator", skip_serializing_if = "Option::is_none")]
    pub initiator: Option<Owner>,
    #[serde(rename = "Owner", skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    #[serde(rename = "StorageClass")]
    pub storage_class: &'static str,
    #[serde(rename = "Part")]
    pub parts: Vec<PartEntry>,
}

#[derive(Serialize)]
pub struct PartEntry {
    #[serde(rename = "PartNumber")]
    pub part_number: u32,
    #[serde(rename = "LastModified")]
    pub last_modified: String,
    #[serde(rename = "ETag")]
    pub etag: String,
    #[serde(rename = "Size")]
    pub size: u64,
    #[serde(rename = "ChecksumCRC32", skip_serializing_if = "Option::is_none")]
    pub checksum_crc32: Option<String>,
    #[serde(rename = "ChecksumCRC32C", skip_serializing_if = "Option::is_none")]
    pub checksum_crc32c: Option<String>,
    #[serde(rename = "ChecksumCRC64NVME", skip_serializing_if = "Option::is_none")]
    pub checksum_crc64nvme: Option<String>,
    #[serde(rename = "ChecksumSHA1", skip_serializing_if = "Option::is_none")]
    pub checksum_sha1: Option<String>,
    #[serde(rename = "ChecksumSHA256", skip_serializing_if = "Option::is_none")]
    pub checksum_sha256: Option<String>,
}

#[derive(Serialize, Default)]
#[serde(rename = "ListMultipartUploadsResult")]
pub struct ListMultipartUploadsResult {
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    #[serde(rename = "Bucket")]
    pub bucket: String,
    #[serde(rename = "KeyMarker")]
    pub key_marker: String,
    #[serde(rename = "UploadIdMarker")]
    pub upload_id_marker: String,
    #[serde(rename = "NextKeyMarker", skip_serializing_if = "Option::is_none")]
    pub next_key_marker: Option<String>,
    #[serde(rename = "NextUploadIdMarker", skip_serializing_if = "Option::is_none")]
    pub next_upload_id_marker: Option<String>,
    #[serde(rename = "Prefix")]
    pub prefix: String,
    #[serde(rename = "Delimiter", skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    #[serde(rename = "MaxUploads")]
    pub max_uploads: usize,
    #[serde(rename = "EncodingType", skip_serializing_if = "Option::is_none")]
    pub encoding_type: Option<&'static str>,
    #[serde(rename = "IsTruncated")]
    pub is_truncated: bool,
    #[serde(rename = "Upload")]
    pub uploads: Vec<UploadEntry>,
    #[serde(rename = "CommonPrefixes")]
    pub common_prefixes: Vec<CommonPrefix>,
}

#[derive(Serialize)]
pub struct UploadEntry {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "UploadId")]
    pub upload_id: String,
    #[serde(rename = "Initiator")]
    pub initiator: Owner,
    #[serde(rename = "Owner")]
    pub owner: Owner,
    #[serde(rename = "StorageClass")]
    pub storage_class: &'static str,
    #[serde(rename = "Initiated")]
    pub initiated: String,
    #[serde(rename = "ChecksumAlgorithm", skip_serializing_if = "Option::is_none")]
    pub checksum_algorithm: Option<&'static str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

    #[test]
    fn list_v2_golden() {
        let doc = ListBucketResult {
            xmlns: S3_NS,
            name: "b".into(),
            prefix: "p/".into(),
            key_count: Some(1),
            max_keys: 1000,
            delimiter: Some("/".into()),
            contents: vec![ListEntry {
                key: "p/a&b".into(),
                last_modified: "2009-10-12T17:50:30.000Z".into(),
                etag: "\"abc\"".into(),
                size: 3,
                owner: None,
                storage_class: "STANDARD",
            }],
            common_prefixes: vec![CommonPrefix {
                prefix: "p/c/".into(),
            }],
            ..Default::default()
        };
        let xml = to_xml(&doc);
        assert_eq!(
            xml,
            format!(
                "{DECL}<ListBucketResult xmlns=\"{S3_NS}\"><Name>b</Name><Prefix>p/</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>false</IsTruncated><Contents><Key>p/a&amp;b</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified><ETag>\"abc\"</ETag><Size>3</Size><StorageClass>STANDARD</StorageClass></Contents><CommonPrefixes><Prefix>p/c/</Prefix></CommonPrefixes></ListBucketResult>"
            )
        );
    }

    #[test]
    fn location_constraint_golden() {
        let xml = to_xml(&LocationConstraint {
            xmlns: S3_NS,
            region: String::new(),
        });
        assert_eq!(
            xml,
            format!("{DECL}<LocationConstraint xmlns=\"{S3_NS}\"/>")
        );
        let xml = to_xml(&LocationConstraint {
            xmlns: S3_NS,
            region: "eu-west-1".into(),
        });
        assert_eq!(
            xml,
            format!("{DECL}<LocationConstraint xmlns=\"{S3_NS}\">eu-west-1</LocationConstraint>")
        );
    }

    #[test]
    fn delete_request_parses() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
            <Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>
            <Object><Key>a b</Key></Object><Object><Key>c&amp;d</Key><VersionId>null</VersionId></Object></Delete>"#;
        let d: Delete = from_xml(body).expect("parses");
        assert!(d.quiet);
        assert_eq!(d.objects.len(), 2);
        assert_eq!(d.objects[1].key, "c&d");
        assert_eq!(d.objects[1].version_id.as_deref(), Some("null"));
    }

    #[test]
    fn complete_request_parses_and_bad_xml_is_malformed() {
        let body = br#"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"e1"</ETag><ChecksumCRC32>x</ChecksumCRC32></Part><Part><ETag>e2</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>"#;
        let c: CompleteMultipartUpload = from_xml(body).expect("parses");
        assert_eq!(c.parts.len(), 2);
        assert_eq!(c.parts[0].etag, "\"e1\"");
        assert_eq!(c.parts[1].part_number, 2);
        let err = from_xml::<CompleteMultipartUpload>(b"<CompleteMultipartUpload><Part>")
            .err()
            .expect("fails");
        assert_eq!(err.code, crate::error::S3ErrorCode::MalformedXML);
    }

    #[test]
    fn acl_golden() {
        let xml = to_xml(&AccessControlPolicy::canned("AK", true));
        assert!(xml.contains("<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"Group\"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission>"), "{xml}");
        assert!(xml.contains("<Permission>FULL_CONTROL</Permission>"));
    }

    #[test]
    fn timestamps_have_milliseconds() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_255_369_830_123);
        assert_eq!(timestamp(t), "2009-10-12T17:50:30.123Z");
    }
}
