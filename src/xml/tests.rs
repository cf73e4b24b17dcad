//! Golden strings: every document exactly as a client sees it (responses) or sends it
//! (requests).

use super::*;

const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

#[test]
fn list_v2_golden() {
    let doc = ListBucketResult {
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
            storage_class: "STANDARD".into(),
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
        region: String::new(),
    });
    assert_eq!(
        xml,
        format!("{DECL}<LocationConstraint xmlns=\"{S3_NS}\"/>")
    );
    let xml = to_xml(&LocationConstraint {
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
    // Mapped to MalformedXML in error.rs (`xml_errors_are_malformed_xml`).
    assert!(from_xml::<CompleteMultipartUpload>(b"<CompleteMultipartUpload><Part>").is_err());
}

#[test]
fn timestamps_have_milliseconds() {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_255_369_830_123);
    assert_eq!(timestamp(t), "2009-10-12T17:50:30.123Z");
}

fn owner() -> Owner {
    Owner { id: "AK".into() }
}

const T: &str = "2009-10-12T17:50:30.000Z";

/// `<Owner>` as every document carries it.
const OWNER: &str = "<Owner><ID>AK</ID></Owner>";

#[test]
fn error_golden() {
    let xml = to_xml_without_namespace(&ErrorBody {
        code: "NoSuchKey",
        message: "The specified key does not exist.",
        resource: "/b/k",
        request_id: "0123456789ABCDEF",
    });
    assert_eq!(
        xml,
        format!("{DECL}<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Resource>/b/k</Resource><RequestId>0123456789ABCDEF</RequestId></Error>")
    );
}

#[test]
fn list_all_my_buckets_golden() {
    let xml = to_xml(&ListAllMyBucketsResult {
        owner: owner(),
        buckets: Buckets {
            bucket: vec![BucketEntry {
                name: "photos".into(),
                creation_date: T.into(),
                region: "us-east-1".into(),
            }],
        },
        continuation_token: None,
        prefix: None,
    });
    assert_eq!(
        xml,
        format!("{DECL}<ListAllMyBucketsResult xmlns=\"{S3_NS}\">{OWNER}<Buckets><Bucket><Name>photos</Name><CreationDate>{T}</CreationDate><BucketRegion>us-east-1</BucketRegion></Bucket></Buckets></ListAllMyBucketsResult>")
    );
    let page = to_xml(&ListAllMyBucketsResult {
        owner: owner(),
        buckets: Buckets { bucket: vec![] },
        continuation_token: Some("cGhvdG9z".into()),
        prefix: Some("ph".into()),
    });
    assert_eq!(
        page,
        format!("{DECL}<ListAllMyBucketsResult xmlns=\"{S3_NS}\">{OWNER}<Buckets/><ContinuationToken>cGhvdG9z</ContinuationToken><Prefix>ph</Prefix></ListAllMyBucketsResult>")
    );
}

#[test]
fn versioning_configuration_golden() {
    let xml = to_xml(&VersioningConfiguration { status: None });
    assert_eq!(
        xml,
        format!("{DECL}<VersioningConfiguration xmlns=\"{S3_NS}\"/>")
    );
    let xml = to_xml(&VersioningConfiguration {
        status: Some("Enabled"),
    });
    assert_eq!(
        xml,
        format!("{DECL}<VersioningConfiguration xmlns=\"{S3_NS}\"><Status>Enabled</Status></VersioningConfiguration>")
    );
}

#[test]
fn versioning_configuration_request_parses() {
    let body = format!("<VersioningConfiguration xmlns=\"{S3_NS}\"><Status>Suspended</Status><MfaDelete>Disabled</MfaDelete></VersioningConfiguration>");
    let c: VersioningConfigurationRequest = from_xml(body.as_bytes()).expect("parses");
    assert_eq!(c.status.as_deref(), Some("Suspended"));
    assert_eq!(c.mfa_delete.as_deref(), Some("Disabled"));
}

#[test]
fn create_bucket_configuration_request_parses() {
    let body = br#"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"#;
    let c: CreateBucketConfiguration = from_xml(body).expect("parses");
    assert_eq!(c.location_constraint.as_deref(), Some("eu-west-1"));
}

#[test]
fn access_control_policy_golden() {
    use crate::access::acl::{Acl, ALL_USERS};
    let id = crate::identity::canonical_id("AK");
    let acl = Acl::canned("public-read", &id, &id).expect("canned");
    let xml = to_xml(&acl.to_document());
    assert_eq!(
        xml,
        format!("{DECL}<AccessControlPolicy xmlns=\"{S3_NS}\"><Owner><ID>{id}</ID></Owner><AccessControlList>\
<Grant><Grantee xmlns:xsi=\"{XSI_NS}\" xsi:type=\"CanonicalUser\"><ID>{id}</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>\
<Grant><Grantee xmlns:xsi=\"{XSI_NS}\" xsi:type=\"Group\"><URI>{ALL_USERS}</URI></Grantee><Permission>READ</Permission></Grant>\
</AccessControlList></AccessControlPolicy>")
    );
}

#[test]
fn access_control_policy_request_parses() {
    use crate::access::acl::ALL_USERS;
    let body = format!(
        "<AccessControlPolicy xmlns=\"{S3_NS}\"><Owner><ID>AK</ID></Owner><AccessControlList>\
<Grant><Grantee xmlns:xsi=\"{XSI_NS}\" xsi:type=\"CanonicalUser\"><ID>AK</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>\
<Grant><Grantee xmlns:xsi=\"{XSI_NS}\" xsi:type=\"Group\"><URI>{ALL_USERS}</URI></Grantee><Permission>READ</Permission></Grant>\
</AccessControlList></AccessControlPolicy>"
    );
    let p: AccessControlPolicyRequest = from_xml(body.as_bytes()).expect("parses");
    let grants = p.access_control_list.expect("list").grants;
    assert_eq!(grants.len(), 2);
    assert_eq!(grants[0].grantee.id.as_deref(), Some("AK"));
    assert_eq!(grants[0].permission, "FULL_CONTROL");
    assert_eq!(grants[1].grantee.uri.as_deref(), Some(ALL_USERS));
    assert_eq!(grants[1].permission, "READ");
}

#[test]
fn list_v1_golden() {
    let xml = to_xml(&ListBucketResult {
        name: "b".into(),
        prefix: String::new(),
        marker: Some(String::new()),
        next_marker: Some("a/".into()),
        max_keys: 1,
        delimiter: Some("/".into()),
        encoding_type: Some("url"),
        is_truncated: true,
        contents: vec![ListEntry {
            key: "a%20b".into(),
            last_modified: T.into(),
            etag: "\"e\"".into(),
            size: 0,
            owner: Some(owner()),
            storage_class: "STANDARD".into(),
        }],
        ..Default::default()
    });
    assert_eq!(
        xml,
        format!("{DECL}<ListBucketResult xmlns=\"{S3_NS}\"><Name>b</Name><Prefix/><Marker/><NextMarker>a/</NextMarker><MaxKeys>1</MaxKeys><Delimiter>/</Delimiter><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated><Contents><Key>a%20b</Key><LastModified>{T}</LastModified><ETag>\"e\"</ETag><Size>0</Size>{OWNER}<StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>")
    );
}

#[test]
fn list_versions_golden() {
    let xml = to_xml(&ListVersionsResult {
        name: "b".into(),
        prefix: "p".into(),
        key_marker: String::new(),
        version_id_marker: String::new(),
        next_key_marker: Some("p1".into()),
        next_version_id_marker: Some("null".into()),
        max_keys: 1,
        delimiter: None,
        encoding_type: None,
        is_truncated: true,
        entries: vec![
            VersionListEntry::DeleteMarker(DeleteMarkerEntry {
                key: "p1".into(),
                version_id: "v2".into(),
                is_latest: true,
                last_modified: T.into(),
                owner: owner(),
            }),
            VersionListEntry::Version(VersionEntry {
                key: "p1".into(),
                version_id: "null".into(),
                is_latest: false,
                last_modified: T.into(),
                etag: "\"e\"".into(),
                size: 5,
                owner: owner(),
                storage_class: "STANDARD".into(),
            }),
        ],
        common_prefixes: vec![CommonPrefix {
            prefix: "p/".into(),
        }],
    });
    assert_eq!(
        xml,
        format!("{DECL}<ListVersionsResult xmlns=\"{S3_NS}\"><Name>b</Name><Prefix>p</Prefix><KeyMarker/><VersionIdMarker/><NextKeyMarker>p1</NextKeyMarker><NextVersionIdMarker>null</NextVersionIdMarker><MaxKeys>1</MaxKeys><IsTruncated>true</IsTruncated><DeleteMarker><Key>p1</Key><VersionId>v2</VersionId><IsLatest>true</IsLatest><LastModified>{T}</LastModified>{OWNER}</DeleteMarker><Version><Key>p1</Key><VersionId>null</VersionId><IsLatest>false</IsLatest><LastModified>{T}</LastModified><ETag>\"e\"</ETag><Size>5</Size>{OWNER}<StorageClass>STANDARD</StorageClass></Version><CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes></ListVersionsResult>")
    );
}

#[test]
fn copy_results_golden() {
    let xml = to_xml(&CopyObjectResult {
        last_modified: T.into(),
        etag: "\"e\"".into(),
    });
    assert_eq!(
        xml,
        format!("{DECL}<CopyObjectResult xmlns=\"{S3_NS}\"><LastModified>{T}</LastModified><ETag>\"e\"</ETag></CopyObjectResult>")
    );
    let xml = to_xml(&CopyPartResult {
        last_modified: T.into(),
        etag: "\"e\"".into(),
    });
    assert_eq!(
        xml,
        format!("{DECL}<CopyPartResult xmlns=\"{S3_NS}\"><LastModified>{T}</LastModified><ETag>\"e\"</ETag></CopyPartResult>")
    );
}

#[test]
fn delete_result_golden() {
    let xml = to_xml(&DeleteResult {
        deleted: vec![
            DeletedEntry {
                key: "a".into(),
                version_id: Some("null".into()),
                delete_marker: None,
                delete_marker_version_id: None,
            },
            DeletedEntry {
                key: "c".into(),
                version_id: None,
                delete_marker: Some(true),
                delete_marker_version_id: Some("v9".into()),
            },
        ],
        errors: vec![DeleteError {
            key: "b".into(),
            code: "AccessDenied",
            message: "Access Denied".into(),
        }],
    });
    assert_eq!(
        xml,
        format!("{DECL}<DeleteResult xmlns=\"{S3_NS}\"><Deleted><Key>a</Key><VersionId>null</VersionId></Deleted><Deleted><Key>c</Key><DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>v9</DeleteMarkerVersionId></Deleted><Error><Key>b</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>")
    );
}

#[test]
fn initiate_multipart_upload_golden() {
    let xml = to_xml(&InitiateMultipartUploadResult {
        bucket: "b".into(),
        key: "k".into(),
        upload_id: "u1".into(),
    });
    assert_eq!(
        xml,
        format!("{DECL}<InitiateMultipartUploadResult xmlns=\"{S3_NS}\"><Bucket>b</Bucket><Key>k</Key><UploadId>u1</UploadId></InitiateMultipartUploadResult>")
    );
}

#[test]
fn complete_multipart_upload_result_golden() {
    let xml = to_xml_with_root(
        "CompleteMultipartUploadResult",
        &CompleteMultipartUploadResult {
            location: "/b/k".into(),
            bucket: "b".into(),
            key: "k".into(),
            etag: "\"e-2\"".into(),
            checksum: Some(Checksum {
                algorithm: storage::ChecksumAlgorithm::Crc32,
                value: "AAAAAA==-2".into(),
            }),
            checksum_type: Some("COMPOSITE"),
        },
    );
    assert_eq!(
        xml,
        format!("{DECL}<CompleteMultipartUploadResult xmlns=\"{S3_NS}\"><Location>/b/k</Location><Bucket>b</Bucket><Key>k</Key><ETag>\"e-2\"</ETag><ChecksumCRC32>AAAAAA==-2</ChecksumCRC32><ChecksumType>COMPOSITE</ChecksumType></CompleteMultipartUploadResult>")
    );
}

#[test]
fn list_parts_golden() {
    let xml = to_xml(&ListPartsResult {
        bucket: "b".into(),
        key: "k".into(),
        upload_id: "u1".into(),
        part_number_marker: 0,
        next_part_number_marker: Some(1),
        max_parts: 1,
        is_truncated: true,
        checksum_algorithm: Some("SHA256"),
        checksum_type: Some("COMPOSITE"),
        initiator: Some(owner()),
        owner: Some(owner()),
        storage_class: "STANDARD".into(),
        parts: vec![PartEntry {
            part_number: 1,
            last_modified: T.into(),
            etag: "\"e\"".into(),
            size: 5,
            checksum: Some(Checksum {
                algorithm: storage::ChecksumAlgorithm::Sha256,
                value: "c2hh".into(),
            }),
        }],
    });
    assert_eq!(
        xml,
        format!("{DECL}<ListPartsResult xmlns=\"{S3_NS}\"><Bucket>b</Bucket><Key>k</Key><UploadId>u1</UploadId><PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>1</NextPartNumberMarker><MaxParts>1</MaxParts><IsTruncated>true</IsTruncated><ChecksumAlgorithm>SHA256</ChecksumAlgorithm><ChecksumType>COMPOSITE</ChecksumType><Initiator><ID>AK</ID></Initiator>{OWNER}<StorageClass>STANDARD</StorageClass><Part><PartNumber>1</PartNumber><LastModified>{T}</LastModified><ETag>\"e\"</ETag><Size>5</Size><ChecksumSHA256>c2hh</ChecksumSHA256></Part></ListPartsResult>")
    );
}

#[test]
fn list_multipart_uploads_golden() {
    let xml = to_xml(&ListMultipartUploadsResult {
        bucket: "b".into(),
        key_marker: String::new(),
        upload_id_marker: String::new(),
        next_key_marker: Some("k".into()),
        next_upload_id_marker: Some("u1".into()),
        prefix: String::new(),
        delimiter: Some("/".into()),
        max_uploads: 1,
        encoding_type: None,
        is_truncated: true,
        uploads: vec![UploadEntry {
            key: "k".into(),
            upload_id: "u1".into(),
            initiator: owner(),
            owner: owner(),
            storage_class: "STANDARD".into(),
            initiated: T.into(),
            checksum_algorithm: None,
        }],
        common_prefixes: vec![CommonPrefix {
            prefix: "d/".into(),
        }],
    });
    assert_eq!(
        xml,
        format!("{DECL}<ListMultipartUploadsResult xmlns=\"{S3_NS}\"><Bucket>b</Bucket><KeyMarker/><UploadIdMarker/><NextKeyMarker>k</NextKeyMarker><NextUploadIdMarker>u1</NextUploadIdMarker><Prefix/><Delimiter>/</Delimiter><MaxUploads>1</MaxUploads><IsTruncated>true</IsTruncated><Upload><Key>k</Key><UploadId>u1</UploadId><Initiator><ID>AK</ID></Initiator>{OWNER}<StorageClass>STANDARD</StorageClass><Initiated>{T}</Initiated></Upload><CommonPrefixes><Prefix>d/</Prefix></CommonPrefixes></ListMultipartUploadsResult>")
    );
}

#[test]
fn request_documents_must_have_their_root() {
    let ok: VersioningConfigurationRequest = from_xml_document(
        b"<?xml version=\"1.0\"?><VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>Enabled</Status></VersioningConfiguration>",
        "VersioningConfiguration",
    )
    .expect("parses");
    assert_eq!(ok.status.as_deref(), Some("Enabled"));
    for bad in [
        &b"<Other><Status>Enabled</Status></Other>"[..],
        b"",
        b"<!-- only a comment -->",
        b"<VersioningConfiguration><Status>",
    ] {
        assert!(
            from_xml_document::<VersioningConfigurationRequest>(bad, "VersioningConfiguration")
                .is_err(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn get_object_attributes_golden() {
    let xml = to_xml(&GetObjectAttributesResponse {
        etag: Some("e-2".into()),
        checksum: Some(AttributesChecksum {
            checksum: Checksum {
                algorithm: storage::ChecksumAlgorithm::Crc32,
                value: "AAAAAA==".into(),
            },
            checksum_type: "FULL_OBJECT",
        }),
        object_parts: Some(ObjectParts {
            parts_count: 2,
            part_number_marker: 0,
            next_part_number_marker: Some(1),
            max_parts: 1,
            is_truncated: true,
            parts: vec![ObjectPart {
                part_number: 1,
                size: 5,
                checksum: Some(Checksum {
                    algorithm: storage::ChecksumAlgorithm::Crc32,
                    value: "AQEBAQ==".into(),
                }),
            }],
        }),
        storage_class: Some("STANDARD".into()),
        object_size: Some(10),
    });
    assert_eq!(
        xml,
        format!("{DECL}<GetObjectAttributesResponse xmlns=\"{S3_NS}\"><ETag>e-2</ETag><Checksum><ChecksumCRC32>AAAAAA==</ChecksumCRC32><ChecksumType>FULL_OBJECT</ChecksumType></Checksum><ObjectParts><PartsCount>2</PartsCount><PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>1</NextPartNumberMarker><MaxParts>1</MaxParts><IsTruncated>true</IsTruncated><Part><PartNumber>1</PartNumber><Size>5</Size><ChecksumCRC32>AQEBAQ==</ChecksumCRC32></Part></ObjectParts><StorageClass>STANDARD</StorageClass><ObjectSize>10</ObjectSize></GetObjectAttributesResponse>")
    );
    let only_size = to_xml(&GetObjectAttributesResponse {
        object_size: Some(3),
        ..Default::default()
    });
    assert_eq!(
        only_size,
        format!("{DECL}<GetObjectAttributesResponse xmlns=\"{S3_NS}\"><ObjectSize>3</ObjectSize></GetObjectAttributesResponse>")
    );
}
