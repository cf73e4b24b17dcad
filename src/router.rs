//! Routing is data: method + host + path + query -> [`Route`] (an [`Operation`] named after
//! the AWS API action, plus the bucket, the key and the decoded query).
//!
//! S3 picks the operation from the query string and headers, not from the path alone, so
//! axum contributes a single fallback route and everything is decided here, in one pure
//! function with a table test. Nothing here touches storage or authentication.

use http::{HeaderMap, Method};

use crate::error::{S3Error, S3ErrorCode};

/// The S3 operations originstore knows, named as in the AWS API reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Health,
    /// `GET /metrics`: Prometheus text exposition.
    Metrics,
    ListBuckets,
    CreateBucket,
    HeadBucket,
    DeleteBucket,
    GetBucketLocation,
    GetBucketVersioning,
    GetBucketAcl,
    PutBucketAcl,
    PutBucketOrigin,
    GetBucketOrigin,
    DeleteBucketOrigin,
    ListObjects,
    ListObjectsV2,
    ListObjectVersions,
    ListMultipartUploads,
    DeleteObjects,
    PutObject,
    CopyObject,
    GetObject,
    HeadObject,
    DeleteObject,
    GetObjectAcl,
    /// originstore extension: `DELETE /{bucket}/{key}?tombstone` forgets a local delete so
    /// the origin is the key's source again.
    DeleteObjectTombstone,
    CreateMultipartUpload,
    UploadPart,
    UploadPartCopy,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListParts,
    /// A recognised S3 operation that originstore does not implement (answered 501).
    NotImplemented(&'static str),
}

impl Operation {
    /// The AWS action name, used in logs and in NotImplemented errors.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Health => "Health",
            Operation::Metrics => "Metrics",
            Operation::ListBuckets => "ListBuckets",
            Operation::CreateBucket => "CreateBucket",
            Operation::HeadBucket => "HeadBucket",
            Operation::DeleteBucket => "DeleteBucket",
            Operation::GetBucketLocation => "GetBucketLocation",
            Operation::GetBucketVersioning => "GetBucketVersioning",
            Operation::GetBucketAcl => "GetBucketAcl",
            Operation::PutBucketAcl => "PutBucketAcl",
            Operation::PutBucketOrigin => "PutBucketOrigin",
            Operation::GetBucketOrigin => "GetBucketOrigin",
            Operation::DeleteBucketOrigin => "DeleteBucketOrigin",
            Operation::ListObjects => "ListObjects",
            Operation::ListObjectsV2 => "ListObjectsV2",
            Operation::ListObjectVersions => "ListObjectVersions",
            Operation::ListMultipartUploads => "ListMultipartUploads",
            Operation::DeleteObjects => "DeleteObjects",
            Operation::PutObject => "PutObject",
            Operation::CopyObject => "CopyObject",
            Operation::GetObject => "GetObject",
            Operation::HeadObject => "HeadObject",
            Operation::DeleteObject => "DeleteObject",
            Operation::GetObjectAcl => "GetObjectAcl",
            Operation::DeleteObjectTombstone => "DeleteObjectTombstone",
            Operation::CreateMultipartUpload => "CreateMultipartUpload",
            Operation::UploadPart => "UploadPart",
            Operation::UploadPartCopy => "UploadPartCopy",
            Operation::CompleteMultipartUpload => "CompleteMultipartUpload",
            Operation::AbortMultipartUpload => "AbortMultipartUpload",
            Operation::ListParts => "ListParts",
            Operation::NotImplemented(name) => name,
        }
    }

    /// Operations that only read object data: the only ones an anonymous client may perform,
    /// and only on a public-read bucket.
    pub fn is_public_read(self) -> bool {
        matches!(self, Operation::GetObject | Operation::HeadObject)
    }
}

/// The decoded query string, in order, duplicates kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Query {
        let Some(raw) = raw else {
            return Query::default();
        };
        Query(
            raw.split('&')
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    (decode_component(k), decode_component(v))
                })
                .collect(),
        )
    }
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// Query components use `+` for space in HTML forms; S3 clients percent-encode spaces, but
/// some (and browsers) send `+`, which AWS also reads as a space in query values.
fn decode_component(s: &str) -> String {
    let s = s.replace('+', " ");
    percent_encoding::percent_decode_str(&s)
        .decode_utf8_lossy()
        .into_owned()
}

/// One routed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub operation: Operation,
    pub bucket: Option<String>,
    pub key: Option<String>,
    pub query: Query,
}

impl Route {
    /// Route a request. `domain` is the configured base domain for virtual-hosted-style
    /// addressing (`bucket.domain[:port]`); path-style always works.
    pub fn from_parts(
        method: &Method,
        host: Option<&str>,
        raw_path: &str,
        raw_query: Option<&str>,
        headers: &HeaderMap,
        domain: Option<&str>,
    ) -> Result<Route, S3Error> {
        let query = Query::parse(raw_query);
        let path = percent_encoding::percent_decode_str(raw_path)
            .decode_utf8()
            .map_err(|_| {
                S3Error::new(
                    S3ErrorCode::InvalidURI,
                    "the path is not valid UTF-8 once decoded",
                )
            })?;
        let path = path.strip_prefix('/').unwrap_or(&path);

        let (bucket, key) = match domain.and_then(|d| host.and_then(|h| vhost_bucket(h, d))) {
            Some(bucket) => (Some(bucket), non_empty(path)),
            None => match path.split_once('/') {
                Some((b, k)) => (non_empty(b), non_empty(k)),
                None => (non_empty(path), None),
            },
        };

        // `GET /health` and `GET /metrics`: probes without auth. Only unsigned requests
        // without a query are probes, so a bucket of either name stays reachable signed
        // (an anonymous listing would be refused anyway).
        let probe = key.is_none()
            && method == Method::GET
            && raw_query.is_none_or(str::is_empty)
            && !headers.contains_key(http::header::AUTHORIZATION);
        let probe_operation = match bucket.as_deref() {
            Some("health") if probe => Some(Operation::Health),
            Some("metrics") if probe => Some(Operation::Metrics),
            _ => None,
        };
        if let Some(operation) = probe_operation {
            return Ok(Route {
                operation,
                bucket: None,
                key: None,
                query,
            });
        }

        let operation = match (&bucket, &key) {
            (None, _) => service_operation(method)?,
            (Some(_), None) => bucket_operation(method, &query)?,
            (Some(_), Some(_)) => object_operation(method, &query, headers)?,
        };
        Ok(Route {
            operation,
            bucket,
            key,
            query,
        })
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// `photos.s3.local:9000` under domain `s3.local` -> `photos`.
fn vhost_bucket(host: &str, domain: &str) -> Option<String> {
    let host = strip_port(host);
    let domain = strip_port(domain);
    let bucket = host.strip_suffix(domain)?.strip_suffix('.')?;
    (!bucket.is_empty()).then(|| bucket.to_ascii_lowercase())
}

fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        // [::1]:9000
        return rest.split_once(']').map_or(host, |(ip, _)| ip);
    }
    match host.rsplit_once(':') {
        Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

fn service_operation(method: &Method) -> Result<Operation, S3Error> {
    match *method {
        Method::GET => Ok(Operation::ListBuckets),
        _ => Err(method_not_allowed(method)),
    }
}

/// Bucket subresources that exist in S3 but not here: answered 501 with their name rather
/// than misread as a listing or a bucket creation.
const UNSUPPORTED_BUCKET_SUBRESOURCES: &[(&str, &str, &str, &str)] = &[
    // (query name, GET action, PUT action, DELETE action)
    (
        "policy",
        "GetBucketPolicy",
        "PutBucketPolicy",
        "DeleteBucketPolicy",
    ),
    ("cors", "GetBucketCors", "PutBucketCors", "DeleteBucketCors"),
    (
        "lifecycle",
        "GetBucketLifecycleConfiguration",
        "PutBucketLifecycleConfiguration",
        "DeleteBucketLifecycle",
    ),
    (
        "tagging",
        "GetBucketTagging",
        "PutBucketTagging",
        "DeleteBucketTagging",
    ),
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
        "notification",
        "GetBucketNotificationConfiguration",
        "PutBucketNotificationConfiguration",
        "PutBucketNotificationConfiguration",
    ),
    (
        "logging",
        "GetBucketLogging",
        "PutBucketLogging",
        "PutBucketLogging",
    ),
    (
        "object-lock",
        "GetObjectLockConfiguration",
        "PutObjectLockConfiguration",
        "PutObjectLockConfiguration",
    ),
    (
        "ownershipControls",
        "GetBucketOwnershipControls",
        "PutBucketOwnershipControls",
        "DeleteBucketOwnershipControls",
    ),
    (
        "publicAccessBlock",
        "GetPublicAccessBlock",
        "PutPublicAccessBlock",
        "DeletePublicAccessBlock",
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

fn bucket_operation(method: &Method, q: &Query) -> Result<Operation, S3Error> {
    use Operation as Op;
    if let Some(op) = unsupported(method, q, UNSUPPORTED_BUCKET_SUBRESOURCES) {
        return Ok(op);
    }
    let op = match *method {
        Method::GET if q.has("origin") => Op::GetBucketOrigin,
        Method::GET if q.has("location") => Op::GetBucketLocation,
        Method::GET if q.has("versioning") => Op::GetBucketVersioning,
        Method::GET if q.has("acl") => Op::GetBucketAcl,
        Method::GET if q.has("uploads") => Op::ListMultipartUploads,
        Method::GET if q.has("versions") => Op::ListObjectVersions,
        Method::GET if q.get("list-type") == Some("2") => Op::ListObjectsV2,
        Method::GET => Op::ListObjects,
        Method::HEAD => Op::HeadBucket,
        Method::PUT if q.has("origin") => Op::PutBucketOrigin,
        Method::PUT if q.has("acl") => Op::PutBucketAcl,
        Method::PUT if q.has("versioning") => Op::NotImplemented("PutBucketVersioning"),
        Method::PUT => Op::CreateBucket,
        Method::DELETE if q.has("origin") => Op::DeleteBucketOrigin,
        Method::DELETE => Op::DeleteBucket,
        Method::POST if q.has("delete") => Op::DeleteObjects,
        _ => return Err(method_not_allowed(method)),
    };
    Ok(op)
}

const UNSUPPORTED_OBJECT_SUBRESOURCES: &[(&str, &str, &str, &str)] = &[
    (
        "tagging",
        "GetObjectTagging",
        "PutObjectTagging",
        "DeleteObjectTagging",
    ),
    (
        "retention",
        "GetObjectRetention",
        "PutObjectRetention",
        "PutObjectRetention",
    ),
    (
        "legal-hold",
        "GetObjectLegalHold",
        "PutObjectLegalHold",
        "PutObjectLegalHold",
    ),
    (
        "attributes",
        "GetObjectAttributes",
        "GetObjectAttributes",
        "GetObjectAttributes",
    ),
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

fn object_operation(method: &Method, q: &Query, headers: &HeaderMap) -> Result<Operation, S3Error> {
    use Operation as Op;
    if let Some(op) = unsupported(method, q, UNSUPPORTED_OBJECT_SUBRESOURCES) {
        return Ok(op);
    }
    let copy = headers.contains_key("x-amz-copy-source");
    let op = match *method {
        Method::GET if q.has("uploadId") => Op::ListParts,
        Method::GET if q.has("acl") => Op::GetObjectAcl,
        Method::GET => Op::GetObject,
        Method::HEAD => Op::HeadObject,
        Method::PUT if q.has("acl") => Op::NotImplemented("PutObjectAcl"),
        Method::PUT if q.has("partNumber") && q.has("uploadId") && copy => Op::UploadPartCopy,
        Method::PUT if q.has("partNumber") && q.has("uploadId") => Op::UploadPart,
        Method::PUT if copy => Op::CopyObject,
        Method::PUT => Op::PutObject,
        Method::POST if q.has("uploads") => Op::CreateMultipartUpload,
        Method::POST if q.has("uploadId") => Op::CompleteMultipartUpload,
        Method::POST => Op::NotImplemented("PostObject"),
        Method::DELETE if q.has("uploadId") => Op::AbortMultipartUpload,
        Method::DELETE if q.has("tombstone") => Op::DeleteObjectTombstone,
        Method::DELETE => Op::DeleteObject,
        _ => return Err(method_not_allowed(method)),
    };
    Ok(op)
}

fn unsupported(
    method: &Method,
    q: &Query,
    table: &[(&str, &'static str, &'static str, &'static str)],
) -> Option<Operation> {
    let (_, get, put, delete) = table.iter().find(|(name, ..)| q.has(name))?;
    let name = match *method {
        Method::PUT | Method::POST => put,
        Method::DELETE => delete,
        _ => get,
    };
    Some(Operation::NotImplemented(name))
}

fn method_not_allowed(method: &Method) -> S3Error {
    S3Error::new(
        S3ErrorCode::MethodNotAllowed,
        format!("the method {method} is not allowed against this resource"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(method: &str, path: &str, query: Option<&str>, copy: bool) -> Route {
        let mut headers = HeaderMap::new();
        if copy {
            headers.insert(
                "x-amz-copy-source",
                "/src/key".parse().expect("static header"),
            );
        }
        let method: Method = method.parse().expect("method");
        Route::from_parts(&method, Some("127.0.0.1:9000"), path, query, &headers, None)
            .expect("routes")
    }

    /// method, path, query, has x-amz-copy-source, operation, bucket, key
    type Row = (
        &'static str,
        &'static str,
        Option<&'static str>,
        bool,
        Operation,
        Option<&'static str>,
        Option<&'static str>,
    );

    /// The request shapes of the AWS API reference, one row per operation.
    #[test]
    fn aws_reference_requests_route_to_their_operation() {
        use Operation as Op;
        let table: &[Row] = &[
            ("GET", "/", None, false, Op::ListBuckets, None, None),
            ("GET", "/health", None, false, Op::Health, None, None),
            ("GET", "/metrics", None, false, Op::Metrics, None, None),
            (
                "PUT",
                "/bucket",
                None,
                false,
                Op::CreateBucket,
                Some("bucket"),
                None,
            ),
            (
                "HEAD",
                "/bucket",
                None,
                false,
                Op::HeadBucket,
                Some("bucket"),
                None,
            ),
            (
                "DELETE",
                "/bucket/",
                None,
                false,
                Op::DeleteBucket,
                Some("bucket"),
                None,
            ),
            (
                "GET",
                "/bucket",
                Some("location"),
                false,
                Op::GetBucketLocation,
                Some("bucket"),
                None,
            ),
            (
                "GET",
                "/bucket",
                Some("versioning"),
                false,
                Op::GetBucketVersioning,
                Some("bucket"),
                None,
            ),
            (
                "GET",
                "/bucket",
                Some("acl"),
                false,
                Op::GetBucketAcl,
                Some("bucket"),
                None,
            ),
            (
                "PUT",
                "/bucket",
                Some("acl"),
                false,
                Op::PutBucketAcl,
                Some("bucket"),
                None,
            ),
            (
                "PUT",
                "/bucket",
                Some("origin"),
                false,
                Op::PutBucketOrigin,
                Some("bucket"),
                None,
            ),
            (
                "GET",
                "/bucket",
                Some("origin"),
                false,
                Op::GetBucketOrigin,
                Some("bucket"),
                None,
            ),
            (
                "DELETE",
                "/bucket",
                Some("origin"),
                false,
                Op::DeleteBucketOrigin,
                Some("bucket"),
                None,
            ),
            (
                "GET",
                "/bucket",
                Some("prefix=a&delimiter=%2F"),
                false,
                Op::ListObjects,
                Some("bucket"),
                None,
            ),
            (
                "GET",
                "/bucket",
                Some("list-type=2&prefix=a"),
                false,
                Op::ListObjectsV2,
                Some("bucket"),
                None,
            ),
            (
                "GET",
                "/bucket",
                Some("versions"),
                false,
                Op::ListObjectVersions,
                Some("bucket"),
                None,
            ),
            (
                "GET",
                "/bucket",
                Some("uploads"),
                false,
                Op::ListMultipartUploads,
                Some("bucket"),
                None,
            ),
            (
                "POST",
                "/bucket",
                Some("delete"),
                false,
                Op::DeleteObjects,
                Some("bucket"),
                None,
            ),
            (
                "PUT",
                "/bucket/a/b.txt",
                None,
                false,
                Op::PutObject,
                Some("bucket"),
                Some("a/b.txt"),
            ),
            (
                "PUT",
                "/bucket/a",
                None,
                true,
                Op::CopyObject,
                Some("bucket"),
                Some("a"),
            ),
            (
                "GET",
                "/bucket/a",
                None,
                false,
                Op::GetObject,
                Some("bucket"),
                Some("a"),
            ),
            (
                "HEAD",
                "/bucket/a",
                None,
                false,
                Op::HeadObject,
                Some("bucket"),
                Some("a"),
            ),
            (
                "DELETE",
                "/bucket/a",
                None,
                false,
                Op::DeleteObject,
                Some("bucket"),
                Some("a"),
            ),
            (
                "GET",
                "/bucket/a",
                Some("acl"),
                false,
                Op::GetObjectAcl,
                Some("bucket"),
                Some("a"),
            ),
            (
                "POST",
                "/bucket/a",
                Some("uploads"),
                false,
                Op::CreateMultipartUpload,
                Some("bucket"),
                Some("a"),
            ),
            (
                "PUT",
                "/bucket/a",
                Some("partNumber=1&uploadId=u"),
                false,
                Op::UploadPart,
                Some("bucket"),
                Some("a"),
            ),
            (
                "PUT",
                "/bucket/a",
                Some("partNumber=1&uploadId=u"),
                true,
                Op::UploadPartCopy,
                Some("bucket"),
                Some("a"),
            ),
            (
                "POST",
                "/bucket/a",
                Some("uploadId=u"),
                false,
                Op::CompleteMultipartUpload,
                Some("bucket"),
                Some("a"),
            ),
            (
                "DELETE",
                "/bucket/a",
                Some("uploadId=u"),
                false,
                Op::AbortMultipartUpload,
                Some("bucket"),
                Some("a"),
            ),
            (
                "GET",
                "/bucket/a",
                Some("uploadId=u"),
                false,
                Op::ListParts,
                Some("bucket"),
                Some("a"),
            ),
            (
                "GET",
                "/bucket",
                Some("policy"),
                false,
                Op::NotImplemented("GetBucketPolicy"),
                Some("bucket"),
                None,
            ),
            (
                "PUT",
                "/bucket/a",
                Some("tagging"),
                false,
                Op::NotImplemented("PutObjectTagging"),
                Some("bucket"),
                Some("a"),
            ),
        ];
        for (method, path, query, copy, op, bucket, key) in table {
            let r = route(method, path, *query, *copy);
            assert_eq!(r.operation, *op, "{method} {path}?{query:?}");
            assert_eq!(r.bucket.as_deref(), *bucket, "{method} {path}");
            assert_eq!(r.key.as_deref(), *key, "{method} {path}");
        }
    }

    #[test]
    fn keys_keep_slashes_spaces_and_unicode() {
        let r = route("GET", "/b//lead/trail/", None, false);
        assert_eq!(r.key.as_deref(), Some("/lead/trail/"));
        let r = route("GET", "/b/a%20b%2Bc%25d%3Fe%23f%C3%A9", None, false);
        assert_eq!(r.key.as_deref(), Some("a b+c%d?e#fé"));
        // '+' in a path is a literal plus, not a space.
        let r = route("GET", "/b/a+b", None, false);
        assert_eq!(r.key.as_deref(), Some("a+b"));
    }

    #[test]
    fn query_values_are_decoded() {
        let r = route(
            "GET",
            "/b",
            Some("list-type=2&prefix=a%2Fb+c&delimiter=%2F"),
            false,
        );
        assert_eq!(r.query.get("prefix"), Some("a/b c"));
        assert_eq!(r.query.get("delimiter"), Some("/"));
        assert!(r.query.has("list-type"));
    }

    #[test]
    fn virtual_hosted_style_takes_the_bucket_from_the_host() {
        let headers = HeaderMap::new();
        let r = Route::from_parts(
            &Method::GET,
            Some("photos.s3.local:9000"),
            "/a/b.jpg",
            None,
            &headers,
            Some("s3.local"),
        )
        .expect("routes");
        assert_eq!(r.bucket.as_deref(), Some("photos"));
        assert_eq!(r.key.as_deref(), Some("a/b.jpg"));
        assert_eq!(r.operation, Operation::GetObject);
        // The bare domain is path-style.
        let r = Route::from_parts(
            &Method::GET,
            Some("s3.local:9000"),
            "/photos/a",
            None,
            &headers,
            Some("s3.local"),
        )
        .expect("routes");
        assert_eq!(r.bucket.as_deref(), Some("photos"));
        assert_eq!(r.key.as_deref(), Some("a"));
    }

    #[test]
    fn unknown_methods_are_refused() {
        let headers = HeaderMap::new();
        let err = Route::from_parts(&Method::PATCH, None, "/b/k", None, &headers, None)
            .expect_err("refused");
        assert_eq!(err.code, S3ErrorCode::MethodNotAllowed);
    }
}
