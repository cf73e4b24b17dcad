//! What a request asks for: the [`Operation`] enum, named after the AWS API actions, whose
//! variants carry the bucket, the key and the typed parameters their handler needs.
//!
//! Built only by the router ([`Operation::from_parts`]); handlers destructure it, so a
//! handler can never run without its bucket, key or a valid parameter.

use super::params::{
    AttributesParams, CopySource, ListBucketsParams, ListObjectVersionsParams, ListObjectsParams,
    ListObjectsV2Params, ListPartsParams, ListUploadsParams, ReadParams,
};

/// A routed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// `GET /health`: liveness probe, no auth.
    Health,
    /// `GET /metrics`: Prometheus text exposition, no auth.
    Metrics,
    ListBuckets(ListBucketsParams),
    /// `OPTIONS`: a browser's CORS preflight for the bucket (or outside any bucket).
    Preflight {
        bucket: Option<String>,
    },
    /// An operation on a bucket (`/{bucket}`).
    Bucket {
        bucket: String,
        op: BucketOperation,
    },
    /// An operation on an object (`/{bucket}/{key}`).
    Object {
        bucket: String,
        key: String,
        op: ObjectOperation,
    },
}

/// Operations addressed to `/{bucket}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BucketOperation {
    CreateBucket,
    HeadBucket,
    DeleteBucket,
    GetBucketLocation,
    GetBucketVersioning,
    PutBucketVersioning,
    GetBucketAcl,
    PutBucketAcl,
    GetBucketTagging,
    PutBucketTagging,
    DeleteBucketTagging,
    GetBucketLifecycleConfiguration,
    PutBucketLifecycleConfiguration,
    DeleteBucketLifecycle,
    GetBucketCors,
    PutBucketCors,
    DeleteBucketCors,
    GetBucketPolicy,
    PutBucketPolicy,
    DeleteBucketPolicy,
    GetBucketPolicyStatus,
    GetBucketOwnershipControls,
    PutBucketOwnershipControls,
    DeleteBucketOwnershipControls,
    GetObjectLockConfiguration,
    PutObjectLockConfiguration,
    GetPublicAccessBlock,
    PutPublicAccessBlock,
    DeletePublicAccessBlock,
    PutBucketOrigin,
    GetBucketOrigin,
    DeleteBucketOrigin,
    /// originstore extension: `POST /{bucket}?origin-purge` drops local copies of
    /// origin-filled objects.
    PurgeBucketOrigin,
    /// originstore extension: `GET /{bucket}?origin-status`, the migration's counters.
    GetBucketOriginStatus,
    /// originstore extension: `?origin-backfill` starts (PUT), reads (GET) and cancels
    /// (DELETE) the bucket's backfill job.
    PutBucketOriginBackfill,
    GetBucketOriginBackfill,
    DeleteBucketOriginBackfill,
    /// originstore extension: `?origin-delta` starts (PUT), reads (GET) and cancels
    /// (DELETE) a delta pass (the bucket reconciled with its origin).
    PutBucketOriginDelta,
    GetBucketOriginDelta,
    DeleteBucketOriginDelta,
    /// originstore extension: `?origin-verify`, likewise a verification (each origin key's
    /// copy proven by its bytes).
    PutBucketOriginVerify,
    GetBucketOriginVerify,
    DeleteBucketOriginVerify,
    /// originstore extension: `GET /{bucket}?origin-report`, every key's migration state,
    /// streamed as CSV or JSON Lines.
    GetBucketOriginReport,
    GetBucketNotificationConfiguration,
    PutBucketNotificationConfiguration,
    /// originstore extension: `GET /{bucket}?events`, the bucket's events streamed as they
    /// happen (newline-delimited JSON).
    ListenBucketEvents,
    ListObjects(ListObjectsParams),
    ListObjectsV2(ListObjectsV2Params),
    ListObjectVersions(ListObjectVersionsParams),
    ListMultipartUploads(ListUploadsParams),
    DeleteObjects,
    /// A browser's form upload (`POST /{bucket}`, multipart/form-data).
    PostObject,
    /// A recognised S3 operation that originstore does not implement (answered 501).
    NotImplemented(&'static str),
}

/// Operations addressed to `/{bucket}/{key}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectOperation {
    PutObject,
    CopyObject {
        source: CopySource,
    },
    GetObject(ReadParams),
    HeadObject(ReadParams),
    DeleteObject {
        version_id: Option<String>,
    },
    GetObjectAcl {
        version_id: Option<String>,
    },
    PutObjectAcl {
        version_id: Option<String>,
    },
    GetObjectTagging {
        version_id: Option<String>,
    },
    GetObjectAttributes(AttributesParams),
    PutObjectTagging {
        version_id: Option<String>,
    },
    DeleteObjectTagging {
        version_id: Option<String>,
    },
    GetObjectRetention {
        version_id: Option<String>,
    },
    PutObjectRetention {
        version_id: Option<String>,
    },
    GetObjectLegalHold {
        version_id: Option<String>,
    },
    PutObjectLegalHold {
        version_id: Option<String>,
    },
    /// originstore extension: `DELETE /{bucket}/{key}?tombstone` forgets a local delete so
    /// the origin is the key's source again.
    DeleteObjectTombstone,
    CreateMultipartUpload,
    UploadPart {
        upload_id: String,
        part_number: u32,
    },
    UploadPartCopy {
        upload_id: String,
        part_number: u32,
        source: CopySource,
    },
    CompleteMultipartUpload {
        upload_id: String,
    },
    AbortMultipartUpload {
        upload_id: String,
    },
    ListParts(ListPartsParams),
    /// A recognised S3 operation that originstore does not implement (answered 501).
    NotImplemented(&'static str),
}

impl Operation {
    /// The AWS action name, used in logs, metrics and NotImplemented errors.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::Health => "Health",
            Operation::Metrics => "Metrics",
            Operation::ListBuckets(_) => "ListBuckets",
            Operation::Preflight { .. } => "PreflightRequest",
            Operation::Bucket { op, .. } => op.name(),
            Operation::Object { op, .. } => op.name(),
        }
    }

    /// The bucket the operation addresses, if any.
    pub fn bucket(&self) -> Option<&str> {
        match self {
            Operation::Bucket { bucket, .. } | Operation::Object { bucket, .. } => Some(bucket),
            Operation::Preflight { bucket } => bucket.as_deref(),
            Operation::Health | Operation::Metrics | Operation::ListBuckets(_) => None,
        }
    }

    /// The key the operation addresses, if any.
    pub fn key(&self) -> Option<&str> {
        match self {
            Operation::Object { key, .. } => Some(key),
            _ => None,
        }
    }

    /// The name of an operation originstore recognises but does not implement.
    pub fn not_implemented(&self) -> Option<&'static str> {
        match self {
            Operation::Bucket {
                op: BucketOperation::NotImplemented(name),
                ..
            }
            | Operation::Object {
                op: ObjectOperation::NotImplemented(name),
                ..
            } => Some(name),
            _ => None,
        }
    }
}

impl BucketOperation {
    pub fn name(&self) -> &'static str {
        use BucketOperation as Op;
        match self {
            Op::CreateBucket => "CreateBucket",
            Op::HeadBucket => "HeadBucket",
            Op::DeleteBucket => "DeleteBucket",
            Op::GetBucketLocation => "GetBucketLocation",
            Op::GetBucketVersioning => "GetBucketVersioning",
            Op::PutBucketVersioning => "PutBucketVersioning",
            Op::GetBucketAcl => "GetBucketAcl",
            Op::PutBucketAcl => "PutBucketAcl",
            Op::GetBucketTagging => "GetBucketTagging",
            Op::PutBucketTagging => "PutBucketTagging",
            Op::DeleteBucketTagging => "DeleteBucketTagging",
            Op::GetBucketLifecycleConfiguration => "GetBucketLifecycleConfiguration",
            Op::PutBucketLifecycleConfiguration => "PutBucketLifecycleConfiguration",
            Op::DeleteBucketLifecycle => "DeleteBucketLifecycle",
            Op::GetBucketCors => "GetBucketCors",
            Op::PutBucketCors => "PutBucketCors",
            Op::DeleteBucketCors => "DeleteBucketCors",
            Op::GetBucketPolicy => "GetBucketPolicy",
            Op::PutBucketPolicy => "PutBucketPolicy",
            Op::DeleteBucketPolicy => "DeleteBucketPolicy",
            Op::GetBucketPolicyStatus => "GetBucketPolicyStatus",
            Op::GetBucketOwnershipControls => "GetBucketOwnershipControls",
            Op::PutBucketOwnershipControls => "PutBucketOwnershipControls",
            Op::DeleteBucketOwnershipControls => "DeleteBucketOwnershipControls",
            Op::GetObjectLockConfiguration => "GetObjectLockConfiguration",
            Op::PutObjectLockConfiguration => "PutObjectLockConfiguration",
            Op::GetPublicAccessBlock => "GetPublicAccessBlock",
            Op::PutPublicAccessBlock => "PutPublicAccessBlock",
            Op::DeletePublicAccessBlock => "DeletePublicAccessBlock",
            Op::PutBucketOrigin => "PutBucketOrigin",
            Op::GetBucketOrigin => "GetBucketOrigin",
            Op::DeleteBucketOrigin => "DeleteBucketOrigin",
            Op::PurgeBucketOrigin => "PurgeBucketOrigin",
            Op::GetBucketOriginStatus => "GetBucketOriginStatus",
            Op::PutBucketOriginBackfill => "PutBucketOriginBackfill",
            Op::GetBucketOriginBackfill => "GetBucketOriginBackfill",
            Op::DeleteBucketOriginBackfill => "DeleteBucketOriginBackfill",
            Op::PutBucketOriginDelta => "PutBucketOriginDelta",
            Op::GetBucketOriginDelta => "GetBucketOriginDelta",
            Op::DeleteBucketOriginDelta => "DeleteBucketOriginDelta",
            Op::PutBucketOriginVerify => "PutBucketOriginVerify",
            Op::GetBucketOriginVerify => "GetBucketOriginVerify",
            Op::DeleteBucketOriginVerify => "DeleteBucketOriginVerify",
            Op::GetBucketOriginReport => "GetBucketOriginReport",
            Op::GetBucketNotificationConfiguration => "GetBucketNotificationConfiguration",
            Op::PutBucketNotificationConfiguration => "PutBucketNotificationConfiguration",
            Op::ListenBucketEvents => "ListenBucketEvents",
            Op::ListObjects(_) => "ListObjects",
            Op::ListObjectsV2(_) => "ListObjectsV2",
            Op::ListObjectVersions(_) => "ListObjectVersions",
            Op::ListMultipartUploads(_) => "ListMultipartUploads",
            Op::DeleteObjects => "DeleteObjects",
            Op::PostObject => "PostObject",
            Op::NotImplemented(name) => name,
        }
    }
}

impl ObjectOperation {
    pub fn name(&self) -> &'static str {
        use ObjectOperation as Op;
        match self {
            Op::PutObject => "PutObject",
            Op::CopyObject { .. } => "CopyObject",
            Op::GetObject(_) => "GetObject",
            Op::HeadObject(_) => "HeadObject",
            Op::DeleteObject { .. } => "DeleteObject",
            Op::GetObjectAcl { .. } => "GetObjectAcl",
            Op::PutObjectAcl { .. } => "PutObjectAcl",
            Op::GetObjectTagging { .. } => "GetObjectTagging",
            Op::GetObjectAttributes(_) => "GetObjectAttributes",
            Op::PutObjectTagging { .. } => "PutObjectTagging",
            Op::DeleteObjectTagging { .. } => "DeleteObjectTagging",
            Op::GetObjectRetention { .. } => "GetObjectRetention",
            Op::PutObjectRetention { .. } => "PutObjectRetention",
            Op::GetObjectLegalHold { .. } => "GetObjectLegalHold",
            Op::PutObjectLegalHold { .. } => "PutObjectLegalHold",
            Op::DeleteObjectTombstone => "DeleteObjectTombstone",
            Op::CreateMultipartUpload => "CreateMultipartUpload",
            Op::UploadPart { .. } => "UploadPart",
            Op::UploadPartCopy { .. } => "UploadPartCopy",
            Op::CompleteMultipartUpload { .. } => "CompleteMultipartUpload",
            Op::AbortMultipartUpload { .. } => "AbortMultipartUpload",
            Op::ListParts(_) => "ListParts",
            Op::NotImplemented(name) => name,
        }
    }
}
