//! S3 subresources that exist in AWS but not in originstore, by the query parameter that
//! names them: routed to `NotImplemented` with their AWS action name (answered 501), rather
//! than misread as a listing, a bucket creation or an object write.

use http::Method;

use super::params::Query;

/// Bucket subresources that exist in S3 but not here: answered 501 with their name rather
/// than misread as a listing or a bucket creation.
pub const UNSUPPORTED_BUCKET_SUBRESOURCES: &[(&str, &str, &str, &str)] = &[
    // (query name, GET action, PUT action, DELETE action)
    (
        "website",
        "GetBucketWebsite",
        "PutBucketWebsite",
        "DeleteBucketWebsite",
    ),
    (
        "replication",
        "GetBucketReplication",
        "PutBucketReplication",
        "DeleteBucketReplication",
    ),
    (
        "encryption",
        "GetBucketEncryption",
        "PutBucketEncryption",
        "DeleteBucketEncryption",
    ),
    (
        "logging",
        "GetBucketLogging",
        "PutBucketLogging",
        "PutBucketLogging",
    ),
    (
        "accelerate",
        "GetBucketAccelerateConfiguration",
        "PutBucketAccelerateConfiguration",
        "PutBucketAccelerateConfiguration",
    ),
    (
        "requestPayment",
        "GetBucketRequestPayment",
        "PutBucketRequestPayment",
        "PutBucketRequestPayment",
    ),
    (
        "analytics",
        "GetBucketAnalyticsConfiguration",
        "PutBucketAnalyticsConfiguration",
        "DeleteBucketAnalyticsConfiguration",
    ),
    (
        "metrics",
        "GetBucketMetricsConfiguration",
        "PutBucketMetricsConfiguration",
        "DeleteBucketMetricsConfiguration",
    ),
    (
        "inventory",
        "GetBucketInventoryConfiguration",
        "PutBucketInventoryConfiguration",
        "DeleteBucketInventoryConfiguration",
    ),
    (
        "intelligent-tiering",
        "GetBucketIntelligentTieringConfiguration",
        "PutBucketIntelligentTieringConfiguration",
        "DeleteBucketIntelligentTieringConfiguration",
    ),
];

pub const UNSUPPORTED_OBJECT_SUBRESOURCES: &[(&str, &str, &str, &str)] = &[
    (
        "torrent",
        "GetObjectTorrent",
        "GetObjectTorrent",
        "GetObjectTorrent",
    ),
    ("restore", "RestoreObject", "RestoreObject", "RestoreObject"),
    (
        "select",
        "SelectObjectContent",
        "SelectObjectContent",
        "SelectObjectContent",
    ),
];

/// The AWS action a request for an unsupported subresource names, by method.
pub fn unsupported(
    method: &Method,
    q: &Query,
    table: &[(&str, &'static str, &'static str, &'static str)],
) -> Option<&'static str> {
    let (_, get, put, delete) = table.iter().find(|(name, ..)| q.has(name))?;
    let name = match *method {
        Method::PUT | Method::POST => put,
        Method::DELETE => delete,
        _ => get,
    };
    Some(name)
}
