//! Routing is data: method + host + path + query + headers -> [`Operation`], named after the
//! AWS API action and carrying its bucket, key and typed parameters.
//!
//! S3 picks the operation from the query string and headers, not from the path alone, so
//! axum contributes a single fallback route and everything is decided here, in one pure
//! function with a table test (`tests.rs`). Parameters are parsed and validated here, once
//! ([`params`]); handlers receive them typed. Nothing here touches storage or authentication.

use http::{HeaderMap, Method};

use crate::error::{S3Error, S3ErrorCode};

mod operation;
pub mod params;
mod unsupported;

pub use operation::{BucketOperation, ObjectOperation, Operation};
pub use params::{
    AttributesParams, CopySource, ListBucketsParams, ListCommon, ListObjectVersionsParams,
    ListObjectsParams, ListObjectsV2Params, ListPartsParams, ListUploadsParams, Query, ReadParams,
    ResponseOverrides, MAX_BUCKETS,
};

impl Operation {
    /// Route a request. `domain` is the configured base domain for virtual-hosted-style
    /// addressing (`bucket.domain[:port]`); path-style always works.
    pub fn from_parts(
        method: &Method,
        host: Option<&str>,
        raw_path: &str,
        raw_query: Option<&str>,
        headers: &HeaderMap,
        domain: Option<&str>,
    ) -> Result<Operation, S3Error> {
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
        match bucket.as_deref() {
            Some("health") if probe => return Ok(Operation::Health),
            Some("metrics") if probe => return Ok(Operation::Metrics),
            _ => {}
        }

        // A browser's CORS preflight, whatever it addresses: answered without credentials.
        if method == Method::OPTIONS {
            return Ok(Operation::Preflight { bucket });
        }
        match (bucket, key) {
            (None, _) => service_operation(method, &query),
            (Some(bucket), None) => Ok(Operation::Bucket {
                op: bucket_operation(method, &query)?,
                bucket,
            }),
            (Some(bucket), Some(key)) => Ok(Operation::Object {
                op: object_operation(method, &query, headers)?,
                bucket,
                key,
            }),
        }
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// `photos.s3.local:9000` under domain `s3.local` -> `photos`; and Tencent COS's form,
/// `<bucket>-<appid>.cos.<region>.<domain>` (what COS SDKs address), -> `<bucket>-<appid>`.
fn vhost_bucket(host: &str, domain: &str) -> Option<String> {
    let host = strip_port(host);
    let domain = strip_port(domain);
    let mut bucket = host.strip_suffix(domain)?.strip_suffix('.')?;
    if let Some((first, rest)) = bucket.split_once('.') {
        let cos_region = rest
            .strip_prefix("cos.")
            .or_else(|| rest.strip_prefix("cos-internal."));
        if cos_region.is_some_and(|r| !r.is_empty() && !r.contains('.')) {
            bucket = first;
        }
    }
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

fn service_operation(method: &Method, q: &Query) -> Result<Operation, S3Error> {
    match *method {
        Method::GET => Ok(Operation::ListBuckets(ListBucketsParams::parse(q)?)),
        _ => Err(method_not_allowed(method)),
    }
}

fn bucket_operation(method: &Method, q: &Query) -> Result<BucketOperation, S3Error> {
    use BucketOperation as Op;
    if let Some(name) =
        unsupported::unsupported(method, q, unsupported::UNSUPPORTED_BUCKET_SUBRESOURCES)
    {
        return Ok(Op::NotImplemented(name));
    }
    let op = match *method {
        Method::GET if q.has("origin") => Op::GetBucketOrigin,
        Method::GET if q.has("origin-status") => Op::GetBucketOriginStatus,
        Method::GET if q.has("origin-backfill") => Op::GetBucketOriginBackfill,
        Method::GET if q.has("origin-delta") => Op::GetBucketOriginDelta,
        Method::GET if q.has("origin-verify") => Op::GetBucketOriginVerify,
        Method::GET if q.has("origin-report") => Op::GetBucketOriginReport,
        Method::GET if q.has("notification") => Op::GetBucketNotificationConfiguration,
        Method::GET if q.has("events") => Op::ListenBucketEvents,
        Method::GET if q.has("location") => Op::GetBucketLocation,
        Method::GET if q.has("versioning") => Op::GetBucketVersioning,
        Method::GET if q.has("acl") => Op::GetBucketAcl,
        Method::GET if q.has("tagging") => Op::GetBucketTagging,
        Method::GET if q.has("lifecycle") => Op::GetBucketLifecycleConfiguration,
        Method::GET if q.has("cors") => Op::GetBucketCors,
        Method::GET if q.has("policyStatus") => Op::GetBucketPolicyStatus,
        Method::GET if q.has("policy") => Op::GetBucketPolicy,
        Method::GET if q.has("ownershipControls") => Op::GetBucketOwnershipControls,
        Method::GET if q.has("object-lock") => Op::GetObjectLockConfiguration,
        Method::GET if q.has("publicAccessBlock") => Op::GetPublicAccessBlock,
        Method::GET if q.has("uploads") => Op::ListMultipartUploads(ListUploadsParams::parse(q)?),
        Method::GET if q.has("versions") => {
            Op::ListObjectVersions(ListObjectVersionsParams::parse(q)?)
        }
        Method::GET if q.get("list-type") == Some("2") => {
            Op::ListObjectsV2(ListObjectsV2Params::parse(q)?)
        }
        Method::GET => Op::ListObjects(ListObjectsParams::parse(q)?),
        Method::HEAD => Op::HeadBucket,
        Method::PUT if q.has("origin") => Op::PutBucketOrigin,
        Method::PUT if q.has("origin-backfill") => Op::PutBucketOriginBackfill,
        Method::PUT if q.has("origin-delta") => Op::PutBucketOriginDelta,
        Method::PUT if q.has("origin-verify") => Op::PutBucketOriginVerify,
        Method::PUT if q.has("notification") => Op::PutBucketNotificationConfiguration,
        Method::PUT if q.has("acl") => Op::PutBucketAcl,
        Method::PUT if q.has("tagging") => Op::PutBucketTagging,
        Method::PUT if q.has("lifecycle") => Op::PutBucketLifecycleConfiguration,
        Method::PUT if q.has("cors") => Op::PutBucketCors,
        Method::PUT if q.has("policy") => Op::PutBucketPolicy,
        Method::PUT if q.has("ownershipControls") => Op::PutBucketOwnershipControls,
        Method::PUT if q.has("object-lock") => Op::PutObjectLockConfiguration,
        Method::PUT if q.has("publicAccessBlock") => Op::PutPublicAccessBlock,
        Method::PUT if q.has("versioning") => Op::PutBucketVersioning,
        Method::PUT => Op::CreateBucket,
        Method::DELETE if q.has("origin") => Op::DeleteBucketOrigin,
        Method::DELETE if q.has("origin-backfill") => Op::DeleteBucketOriginBackfill,
        Method::DELETE if q.has("origin-delta") => Op::DeleteBucketOriginDelta,
        Method::DELETE if q.has("origin-verify") => Op::DeleteBucketOriginVerify,
        Method::DELETE if q.has("tagging") => Op::DeleteBucketTagging,
        Method::DELETE if q.has("lifecycle") => Op::DeleteBucketLifecycle,
        Method::DELETE if q.has("cors") => Op::DeleteBucketCors,
        Method::DELETE if q.has("policy") => Op::DeleteBucketPolicy,
        Method::DELETE if q.has("ownershipControls") => Op::DeleteBucketOwnershipControls,
        Method::DELETE if q.has("publicAccessBlock") => Op::DeletePublicAccessBlock,
        Method::DELETE => Op::DeleteBucket,
        Method::POST if q.has("delete") => Op::DeleteObjects,
        Method::POST if q.has("origin-purge") => Op::PurgeBucketOrigin,
        Method::POST => Op::PostObject,
        _ => return Err(method_not_allowed(method)),
    };
    Ok(op)
}

fn object_operation(
    method: &Method,
    q: &Query,
    headers: &HeaderMap,
) -> Result<ObjectOperation, S3Error> {
    use ObjectOperation as Op;
    if let Some(name) =
        unsupported::unsupported(method, q, unsupported::UNSUPPORTED_OBJECT_SUBRESOURCES)
    {
        return Ok(Op::NotImplemented(name));
    }
    let copy = headers.contains_key("x-amz-copy-source");
    let version = || q.get("versionId").map(str::to_owned);
    let part = |q: &Query| -> Result<(String, u32), S3Error> {
        let number = params::parse_part_number(q.get("partNumber").unwrap_or_default())?;
        Ok((params::upload_id(q)?, number))
    };
    let op = match *method {
        Method::GET if q.has("uploadId") => Op::ListParts(ListPartsParams::parse(q)?),
        Method::GET if q.has("acl") => Op::GetObjectAcl {
            version_id: version(),
        },
        Method::GET if q.has("tagging") => Op::GetObjectTagging {
            version_id: version(),
        },
        Method::GET if q.has("retention") => Op::GetObjectRetention {
            version_id: version(),
        },
        Method::GET if q.has("legal-hold") => Op::GetObjectLegalHold {
            version_id: version(),
        },
        Method::GET if q.has("attributes") => {
            Op::GetObjectAttributes(AttributesParams::parse(q, headers)?)
        }
        Method::GET => Op::GetObject(ReadParams::parse(q)?),
        Method::HEAD => Op::HeadObject(ReadParams::parse(q)?),
        Method::PUT if q.has("acl") => Op::PutObjectAcl {
            version_id: version(),
        },
        Method::PUT if q.has("tagging") => Op::PutObjectTagging {
            version_id: version(),
        },
        Method::PUT if q.has("retention") => Op::PutObjectRetention {
            version_id: version(),
        },
        Method::PUT if q.has("legal-hold") => Op::PutObjectLegalHold {
            version_id: version(),
        },
        Method::PUT if q.has("partNumber") && q.has("uploadId") && copy => {
            let (upload_id, part_number) = part(q)?;
            Op::UploadPartCopy {
                upload_id,
                part_number,
                source: CopySource::from_headers(headers)?,
            }
        }
        Method::PUT if q.has("partNumber") && q.has("uploadId") => {
            let (upload_id, part_number) = part(q)?;
            Op::UploadPart {
                upload_id,
                part_number,
            }
        }
        Method::PUT if copy => Op::CopyObject {
            source: CopySource::from_headers(headers)?,
        },
        Method::PUT => Op::PutObject,
        Method::POST if q.has("uploads") => Op::CreateMultipartUpload,
        Method::POST if q.has("uploadId") => Op::CompleteMultipartUpload {
            upload_id: params::upload_id(q)?,
        },
        Method::POST => Op::NotImplemented("PostObject"),
        Method::DELETE if q.has("uploadId") => Op::AbortMultipartUpload {
            upload_id: params::upload_id(q)?,
        },
        Method::DELETE if q.has("tombstone") => Op::DeleteObjectTombstone,
        Method::DELETE if q.has("tagging") => Op::DeleteObjectTagging {
            version_id: version(),
        },
        Method::DELETE => Op::DeleteObject {
            version_id: version(),
        },
        _ => return Err(method_not_allowed(method)),
    };
    Ok(op)
}

fn method_not_allowed(method: &Method) -> S3Error {
    S3Error::new(
        S3ErrorCode::MethodNotAllowed,
        format!("the method {method} is not allowed against this resource"),
    )
}

#[cfg(test)]
mod tests;
