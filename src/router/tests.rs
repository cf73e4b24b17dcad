//! The router's table: the request shapes of the AWS API reference, one line per case
//! (method and URL, headers -> operation), covering every [`Operation`] variant.

use std::collections::BTreeSet;

use http::{HeaderMap, Method};

use super::*;
use crate::error::S3ErrorCode;

/// Request headers of a case.
type Headers = &'static [(&'static str, &'static str)];

const NONE: Headers = &[];
const COPY: Headers = &[("x-amz-copy-source", "/src/a%20b?versionId=null")];
const SIGNED: Headers = &[("authorization", "AWS4-HMAC-SHA256 ...")];
const ATTRIBUTES: Headers = &[
    ("x-amz-object-attributes", "ETag,ObjectParts, ObjectSize"),
    ("x-amz-max-parts", "2"),
    ("x-amz-part-number-marker", "1"),
];

fn route(request: &str, headers: &[(&str, &str)]) -> Result<Operation, S3Error> {
    let (method, url) = request.split_once(' ').expect("METHOD URL");
    let (path, query) = match url.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (url, None),
    };
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.insert(
            http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
            value.parse().expect("value"),
        );
    }
    let method: Method = method.parse().expect("method");
    Operation::from_parts(&method, Some("127.0.0.1:9000"), path, query, &map, None)
}

fn bucket(op: BucketOperation) -> Operation {
    Operation::Bucket {
        bucket: "b".into(),
        op,
    }
}

fn object(op: ObjectOperation) -> Operation {
    Operation::Object {
        bucket: "b".into(),
        key: "k".into(),
        op,
    }
}

fn list_common() -> ListCommon {
    ListCommon {
        prefix: String::new(),
        delimiter: None,
        max_keys: 1000,
        url_encode: false,
    }
}

fn copy_source() -> CopySource {
    CopySource {
        bucket: "src".into(),
        key: "a b".into(),
        version_id: Some("null".into()),
    }
}

/// Every variant, by an exhaustive match: a new variant does not compile until it has a
/// number here, and the table test fails until it has a row.
fn variant(op: &Operation) -> &'static str {
    use BucketOperation as B;
    use ObjectOperation as O;
    match op {
        Operation::Health
        | Operation::Metrics
        | Operation::ListBuckets(_)
        | Operation::Preflight { .. } => op.name(),
        Operation::Bucket { op, .. } => match op {
            B::CreateBucket
            | B::HeadBucket
            | B::DeleteBucket
            | B::GetBucketLocation
            | B::GetBucketVersioning
            | B::PutBucketVersioning
            | B::GetBucketAcl
            | B::PutBucketAcl
            | B::GetBucketTagging
            | B::PutBucketTagging
            | B::DeleteBucketTagging
            | B::GetBucketLifecycleConfiguration
            | B::PutBucketLifecycleConfiguration
            | B::DeleteBucketLifecycle
            | B::GetBucketCors
            | B::PutBucketCors
            | B::DeleteBucketCors
            | B::GetBucketPolicy
            | B::PutBucketPolicy
            | B::DeleteBucketPolicy
            | B::GetBucketPolicyStatus
            | B::GetBucketOwnershipControls
            | B::PutBucketOwnershipControls
            | B::DeleteBucketOwnershipControls
            | B::GetObjectLockConfiguration
            | B::PutObjectLockConfiguration
            | B::GetPublicAccessBlock
            | B::PutPublicAccessBlock
            | B::DeletePublicAccessBlock
            | B::PutBucketOrigin
            | B::GetBucketOrigin
            | B::DeleteBucketOrigin
            | B::PurgeBucketOrigin
            | B::GetBucketOriginStatus
            | B::PutBucketOriginBackfill
            | B::GetBucketOriginBackfill
            | B::DeleteBucketOriginBackfill
            | B::PutBucketOriginDelta
            | B::GetBucketOriginDelta
            | B::DeleteBucketOriginDelta
            | B::PutBucketOriginVerify
            | B::GetBucketOriginVerify
            | B::DeleteBucketOriginVerify
            | B::GetBucketOriginReport
            | B::GetBucketNotificationConfiguration
            | B::PutBucketNotificationConfiguration
            | B::ListenBucketEvents
            | B::ListObjects(_)
            | B::ListObjectsV2(_)
            | B::ListObjectVersions(_)
            | B::ListMultipartUploads(_)
            | B::DeleteObjects
            | B::PostObject => op.name(),
            B::NotImplemented(_) => "bucket NotImplemented",
        },
        Operation::Object { op, .. } => match op {
            O::PutObject
            | O::CopyObject { .. }
            | O::GetObject(_)
            | O::HeadObject(_)
            | O::DeleteObject { .. }
            | O::GetObjectAcl { .. }
            | O::PutObjectAcl { .. }
            | O::GetObjectTagging { .. }
            | O::GetObjectAttributes(_)
            | O::PutObjectTagging { .. }
            | O::DeleteObjectTagging { .. }
            | O::GetObjectRetention { .. }
            | O::PutObjectRetention { .. }
            | O::GetObjectLegalHold { .. }
            | O::PutObjectLegalHold { .. }
            | O::DeleteObjectTombstone
            | O::CreateMultipartUpload
            | O::UploadPart { .. }
            | O::UploadPartCopy { .. }
            | O::CompleteMultipartUpload { .. }
            | O::AbortMultipartUpload { .. }
            | O::ListParts(_) => op.name(),
            O::NotImplemented(_) => "object NotImplemented",
        },
    }
}

const ALL_VARIANTS: usize = 4 + 54 + 23;

#[rustfmt::skip]
#[test]
fn aws_reference_requests_route_to_their_operation() {
    use BucketOperation as B;
    use ObjectOperation as O;
    let read = ReadParams::default;
    let table: Vec<(&str, Headers, Operation)> = vec![
        ("GET /", SIGNED, Operation::ListBuckets(ListBucketsParams::default())),
        ("GET /?max-buckets=2&continuation-token=dA&prefix=a&bucket-region=us-east-1", SIGNED,
            Operation::ListBuckets(ListBucketsParams {
                max_buckets: Some(2),
                continuation_token: Some("dA".into()),
                prefix: Some("a".into()),
                bucket_region: Some("us-east-1".into()),
            })),
        ("GET /health", NONE, Operation::Health),
        ("GET /metrics", NONE, Operation::Metrics),
        ("PUT /b", NONE, bucket(B::CreateBucket)),
        ("HEAD /b", NONE, bucket(B::HeadBucket)),
        ("DELETE /b/", NONE, bucket(B::DeleteBucket)),
        ("GET /b?location", NONE, bucket(B::GetBucketLocation)),
        ("GET /b?versioning", NONE, bucket(B::GetBucketVersioning)),
        ("GET /b?acl", NONE, bucket(B::GetBucketAcl)),
        ("PUT /b?acl", NONE, bucket(B::PutBucketAcl)),
        ("GET /b?tagging", NONE, bucket(B::GetBucketTagging)),
        ("PUT /b?tagging", NONE, bucket(B::PutBucketTagging)),
        ("DELETE /b?tagging", NONE, bucket(B::DeleteBucketTagging)),
        ("PUT /b?origin", NONE, bucket(B::PutBucketOrigin)),
        ("GET /b?origin", NONE, bucket(B::GetBucketOrigin)),
        ("DELETE /b?origin", NONE, bucket(B::DeleteBucketOrigin)),
        ("POST /b?origin-purge", NONE, bucket(B::PurgeBucketOrigin)),
        ("GET /b?origin-status", NONE, bucket(B::GetBucketOriginStatus)),
        ("PUT /b?origin-backfill", NONE, bucket(B::PutBucketOriginBackfill)),
        ("GET /b?origin-backfill", NONE, bucket(B::GetBucketOriginBackfill)),
        ("DELETE /b?origin-backfill", NONE, bucket(B::DeleteBucketOriginBackfill)),
        ("PUT /b?origin-delta", NONE, bucket(B::PutBucketOriginDelta)),
        ("GET /b?origin-delta", NONE, bucket(B::GetBucketOriginDelta)),
        ("DELETE /b?origin-delta", NONE, bucket(B::DeleteBucketOriginDelta)),
        ("PUT /b?origin-verify", NONE, bucket(B::PutBucketOriginVerify)),
        ("GET /b?origin-verify", NONE, bucket(B::GetBucketOriginVerify)),
        ("DELETE /b?origin-verify", NONE, bucket(B::DeleteBucketOriginVerify)),
        ("GET /b?origin-report&format=csv", NONE, bucket(B::GetBucketOriginReport)),
        ("GET /b?notification", NONE, bucket(B::GetBucketNotificationConfiguration)),
        ("PUT /b?notification", NONE, bucket(B::PutBucketNotificationConfiguration)),
        ("GET /b?events&prefix=p/", NONE, bucket(B::ListenBucketEvents)),
        ("GET /b?prefix=a&delimiter=%2F&marker=m", NONE, bucket(B::ListObjects(ListObjectsParams { common: ListCommon { prefix: "a".into(), delimiter: Some("/".into()), ..list_common() }, marker: Some("m".into()) }))),
        ("GET /b?list-type=2&max-keys=5&encoding-type=url&start-after=s&fetch-owner=true", NONE, bucket(B::ListObjectsV2(ListObjectsV2Params { common: ListCommon { max_keys: 5, url_encode: true, ..list_common() }, continuation_token: None, start_after: Some("s".into()), fetch_owner: true }))),
        ("GET /b?versions&key-marker=k&version-id-marker=null", NONE, bucket(B::ListObjectVersions(ListObjectVersionsParams { common: list_common(), key_marker: Some("k".into()), version_id_marker: "null".into() }))),
        ("GET /b?uploads&max-uploads=3", NONE, bucket(B::ListMultipartUploads(ListUploadsParams { prefix: String::new(), delimiter: None, key_marker: None, upload_id_marker: None, max_uploads: 3, url_encode: false }))),
        ("POST /b?delete", NONE, bucket(B::DeleteObjects)),
        ("POST /b", NONE, bucket(B::PostObject)),
        ("PUT /b?versioning", NONE, bucket(B::PutBucketVersioning)),
        ("GET /b?policy", NONE, bucket(B::GetBucketPolicy)),
        ("GET /b?website", NONE, bucket(B::NotImplemented("GetBucketWebsite"))),
        ("PUT /b?policy", NONE, bucket(B::PutBucketPolicy)),
        ("DELETE /b?policy", NONE, bucket(B::DeleteBucketPolicy)),
        ("GET /b?policyStatus", NONE, bucket(B::GetBucketPolicyStatus)),
        ("GET /b?ownershipControls", NONE, bucket(B::GetBucketOwnershipControls)),
        ("PUT /b?ownershipControls", NONE, bucket(B::PutBucketOwnershipControls)),
        ("DELETE /b?ownershipControls", NONE, bucket(B::DeleteBucketOwnershipControls)),
        ("GET /b?object-lock", NONE, bucket(B::GetObjectLockConfiguration)),
        ("PUT /b?object-lock", NONE, bucket(B::PutObjectLockConfiguration)),
        ("GET /b?publicAccessBlock", NONE, bucket(B::GetPublicAccessBlock)),
        ("PUT /b?publicAccessBlock", NONE, bucket(B::PutPublicAccessBlock)),
        ("DELETE /b?publicAccessBlock", NONE, bucket(B::DeletePublicAccessBlock)),
        ("PUT /b?lifecycle", NONE, bucket(B::PutBucketLifecycleConfiguration)),
        ("GET /b?lifecycle", NONE, bucket(B::GetBucketLifecycleConfiguration)),
        ("DELETE /b?lifecycle", NONE, bucket(B::DeleteBucketLifecycle)),
        ("DELETE /b?cors", NONE, bucket(B::DeleteBucketCors)),
        ("PUT /b?cors", NONE, bucket(B::PutBucketCors)),
        ("GET /b?cors", NONE, bucket(B::GetBucketCors)),
        ("OPTIONS /b/k?X-Amz-Signature=x", NONE, Operation::Preflight { bucket: Some("b".into()) }),
        ("OPTIONS /", NONE, Operation::Preflight { bucket: None }),
        ("PUT /b/k", NONE, object(O::PutObject)),
        ("PUT /b/k", COPY, object(O::CopyObject { source: copy_source() })),
        ("GET /b/k", NONE, object(O::GetObject(read()))),
        ("GET /b/k?versionId=v1&partNumber=2&response-content-type=text%2Fplain", NONE, object(O::GetObject(ReadParams { version_id: Some("v1".into()), part_number: Some(2), overrides: ResponseOverrides { content_type: Some("text/plain".into()), ..Default::default() } }))),
        ("HEAD /b/k", NONE, object(O::HeadObject(read()))),
        ("DELETE /b/k", NONE, object(O::DeleteObject { version_id: None })),
        ("DELETE /b/k?versionId=v1", NONE, object(O::DeleteObject { version_id: Some("v1".into()) })),
        ("GET /b/k?acl", NONE, object(O::GetObjectAcl { version_id: None })),
        ("DELETE /b/k?tombstone", NONE, object(O::DeleteObjectTombstone)),
        ("POST /b/k?uploads", NONE, object(O::CreateMultipartUpload)),
        ("PUT /b/k?partNumber=1&uploadId=u", NONE, object(O::UploadPart { upload_id: "u".into(), part_number: 1 })),
        ("PUT /b/k?partNumber=7&uploadId=u", COPY, object(O::UploadPartCopy { upload_id: "u".into(), part_number: 7, source: copy_source() })),
        ("POST /b/k?uploadId=u", NONE, object(O::CompleteMultipartUpload { upload_id: "u".into() })),
        ("DELETE /b/k?uploadId=u", NONE, object(O::AbortMultipartUpload { upload_id: "u".into() })),
        ("GET /b/k?uploadId=u&max-parts=2&part-number-marker=3", NONE, object(O::ListParts(ListPartsParams { upload_id: "u".into(), part_number_marker: 3, max_parts: 2 }))),
        ("PUT /b/k?acl&versionId=v1", NONE, object(O::PutObjectAcl { version_id: Some("v1".into()) })),
        ("POST /b/k", NONE, object(O::NotImplemented("PostObject"))),
        ("GET /b/k?tagging&versionId=v1", NONE, object(O::GetObjectTagging { version_id: Some("v1".into()) })),
        ("PUT /b/k?tagging", NONE, object(O::PutObjectTagging { version_id: None })),
        ("DELETE /b/k?tagging", NONE, object(O::DeleteObjectTagging { version_id: None })),
        ("GET /b/k?retention&versionId=v1", NONE, object(O::GetObjectRetention { version_id: Some("v1".into()) })),
        ("PUT /b/k?retention", NONE, object(O::PutObjectRetention { version_id: None })),
        ("GET /b/k?legal-hold", NONE, object(O::GetObjectLegalHold { version_id: None })),
        ("PUT /b/k?legal-hold&versionId=v1", NONE, object(O::PutObjectLegalHold { version_id: Some("v1".into()) })),
        ("GET /b/k?attributes&versionId=v1", ATTRIBUTES, object(O::GetObjectAttributes(AttributesParams { version_id: Some("v1".into()), etag: true, checksum: false, object_parts: true, storage_class: false, object_size: true, max_parts: 2, part_number_marker: 1 }))),
    ];
    let mut seen = BTreeSet::new();
    for (request, headers, expected) in table {
        let routed = route(request, headers).unwrap_or_else(|e| panic!("{request}: {e:?}"));
        assert_eq!(routed, expected, "{request}");
        seen.insert(variant(&routed));
    }
    assert_eq!(seen.len(), ALL_VARIANTS, "every variant has a row: {seen:?}");
}

/// Every subresource originstore does not implement is named, for every method.
#[test]
fn unsupported_subresources_name_their_aws_action() {
    for (table, key) in [
        (unsupported::UNSUPPORTED_BUCKET_SUBRESOURCES, ""),
        (unsupported::UNSUPPORTED_OBJECT_SUBRESOURCES, "/k"),
    ] {
        for (name, get, put, delete) in table {
            for (method, action) in [
                ("GET", get),
                ("PUT", put),
                ("POST", put),
                ("DELETE", delete),
            ] {
                let request = format!("{method} /b{key}?{name}");
                let op = route(&request, NONE).expect("routes");
                assert_eq!(op.not_implemented(), Some(*action), "{request}");
            }
        }
    }
}

#[rustfmt::skip]
#[test]
fn invalid_parameters_get_the_aws_error() {
    let table: &[(&str, S3ErrorCode)] = &[
        ("GET /b?max-keys=-1", S3ErrorCode::InvalidArgument),
        ("GET /b?list-type=2&encoding-type=xml", S3ErrorCode::InvalidArgument),
        ("GET /b?versions&version-id-marker=v", S3ErrorCode::InvalidArgument),
        ("GET /b?uploads&max-uploads=x", S3ErrorCode::InvalidArgument),
        ("GET /b/k?partNumber=0", S3ErrorCode::InvalidArgument),
        ("PUT /b/k?partNumber=10001&uploadId=u", S3ErrorCode::InvalidArgument),
        ("GET /b/k?uploadId=u&max-parts=x", S3ErrorCode::InvalidArgument),
        ("PATCH /b/k", S3ErrorCode::MethodNotAllowed),
        ("POST /", S3ErrorCode::MethodNotAllowed),
        ("GET /?max-buckets=0", S3ErrorCode::InvalidArgument),
        ("GET /b/k?attributes", S3ErrorCode::InvalidRequest),
        ("GET /?max-buckets=10001", S3ErrorCode::InvalidArgument),
        ("GET /b/%FF", S3ErrorCode::InvalidURI),
    ];
    for (request, code) in table {
        let err = route(request, NONE).expect_err(request);
        assert_eq!(err.code, *code, "{request}");
    }
    let bad_copy = route("PUT /b/k", &[("x-amz-copy-source", "nokey")]).expect_err("refused");
    assert_eq!(bad_copy.code, S3ErrorCode::InvalidArgument);
}

#[test]
fn keys_keep_slashes_spaces_and_unicode() {
    let key = |path: &str| {
        route(&format!("GET {path}"), NONE)
            .expect("routes")
            .key()
            .map(str::to_owned)
    };
    assert_eq!(key("/b//lead/trail/").as_deref(), Some("/lead/trail/"));
    assert_eq!(
        key("/b/a%20b%2Bc%25d%3Fe%23f%C3%A9").as_deref(),
        Some("a b+c%d?e#fé")
    );
    // '+' in a path is a literal plus, not a space.
    assert_eq!(key("/b/a+b").as_deref(), Some("a+b"));
}

#[test]
fn probes_are_unsigned_and_without_query() {
    // A signed request, or one with a query, reaches a bucket named health or metrics.
    let op = route("GET /health", SIGNED).expect("routes");
    assert_eq!(op.bucket(), Some("health"));
    let op = route("GET /metrics?list-type=2", NONE).expect("routes");
    assert_eq!(op.name(), "ListObjectsV2");
}

#[test]
fn virtual_hosted_style_takes_the_bucket_from_the_host() {
    let headers = HeaderMap::new();
    let op = Operation::from_parts(
        &Method::GET,
        Some("photos.s3.local:9000"),
        "/a/b.jpg",
        None,
        &headers,
        Some("s3.local"),
    )
    .expect("routes");
    assert_eq!(op.bucket(), Some("photos"));
    assert_eq!(op.key(), Some("a/b.jpg"));
    assert_eq!(op.name(), "GetObject");
    // The bare domain is path-style.
    let op = Operation::from_parts(
        &Method::GET,
        Some("s3.local:9000"),
        "/photos/a",
        None,
        &headers,
        Some("s3.local"),
    )
    .expect("routes");
    assert_eq!(op.bucket(), Some("photos"));
    assert_eq!(op.key(), Some("a"));
    // Tencent COS's host form: <bucket>-<appid>.cos.<region>.<domain>.
    let op = Operation::from_parts(
        &Method::GET,
        Some("photos-1250000000.cos.ap-guangzhou.myqcloud.com"),
        "/a",
        None,
        &headers,
        Some("myqcloud.com"),
    )
    .expect("routes");
    assert_eq!(op.bucket(), Some("photos-1250000000"));
    assert_eq!(op.key(), Some("a"));
}
