//! What the page shows beyond the S3 API, each answered only to a signed-in user and only
//! as far as the access decision lets that user see:
//!
//! - `GET /console/api/buckets`: every bucket the user may list — its own and those others
//!   granted it (by policy or ACL), which S3's ListBuckets does not name — with whether it
//!   is public (a public ACL or policy that Block Public Access does not neutralise);
//! - `GET /console/api/rights?bucket=&prefix=`: which of the page's actions the access
//!   decision allows the user there ([`RIGHTS`]), so the page shows only those controls
//!   (the server still decides every request);
//! - `GET /console/api/usage?bucket=`: a bucket's usage and quota;
//! - `GET /console/api/server`: version, uptime, disk and requests, to administrators.
//! - `GET /console/api/notify-targets`: the notification targets a bucket may name (id,
//!   kind, ARN; never a URL or secret), and to administrators each one's queue and errors.

use std::sync::Arc;

use axum::response::Response;
use http::{Method, StatusCode};

use super::{denied, json, request_info, signed_in};
use crate::access::{authorize, Principal};
use crate::error::{S3Error, S3ErrorCode};
use crate::router::{BucketOperation, Operation, Query};
use crate::state::AppState;

/// The page's actions, as the S3 request each one makes: a name, the method, the query,
/// and whether it names an object (checked on a key under the page's prefix).
const RIGHTS: &[(&str, Method, &str, bool)] = &[
    ("list", Method::GET, "list-type=2", false),
    ("listVersions", Method::GET, "versions", false),
    ("putObject", Method::PUT, "", true),
    ("deleteObject", Method::DELETE, "", true),
    ("deleteVersion", Method::DELETE, "versionId=null", true),
    ("deleteBucket", Method::DELETE, "", false),
    ("getVersioning", Method::GET, "versioning", false),
    ("putVersioning", Method::PUT, "versioning", false),
    ("getPolicy", Method::GET, "policy", false),
    ("putPolicy", Method::PUT, "policy", false),
    ("getAcl", Method::GET, "acl", false),
    ("putAcl", Method::PUT, "acl", false),
    ("getOwnership", Method::GET, "ownershipControls", false),
    ("putOwnership", Method::PUT, "ownershipControls", false),
    ("getCors", Method::GET, "cors", false),
    ("putCors", Method::PUT, "cors", false),
    ("getLifecycle", Method::GET, "lifecycle", false),
    ("putLifecycle", Method::PUT, "lifecycle", false),
    ("getTagging", Method::GET, "tagging", false),
    ("putTagging", Method::PUT, "tagging", false),
    (
        "getPublicAccessBlock",
        Method::GET,
        "publicAccessBlock",
        false,
    ),
    (
        "putPublicAccessBlock",
        Method::PUT,
        "publicAccessBlock",
        false,
    ),
    ("getObjectLock", Method::GET, "object-lock", false),
    ("putObjectLock", Method::PUT, "object-lock", false),
    ("getOrigin", Method::GET, "origin", false),
    ("putOrigin", Method::PUT, "origin", false),
    ("originStatus", Method::GET, "origin-status", false),
    ("migrate", Method::PUT, "origin-backfill", false),
    ("getNotification", Method::GET, "notification", false),
    ("putNotification", Method::PUT, "notification", false),
    ("listenEvents", Method::GET, "events", false),
];

fn query_of(req: &axum::extract::Request) -> Query {
    Query::parse(req.uri().query())
}

/// The buckets the signed-in user may list.
pub fn buckets(
    state: &Arc<AppState>,
    req: axum::extract::Request,
    source_ip: Option<std::net::IpAddr>,
) -> Result<Response, S3Error> {
    let session = signed_in(state, req.headers()).ok_or_else(denied)?;
    let (parts, _) = req.into_parts();
    let info = request_info(&parts, source_ip);
    let me = state.identity_of(&session.access_key);
    let mut out = Vec::new();
    for bucket in state.store.list_buckets()? {
        let list = Operation::Bucket {
            bucket: bucket.name.clone(),
            op: BucketOperation::HeadBucket,
        };
        if authorize(&state.access, &list, Principal::User(&me), &info).is_err() {
            continue;
        }
        out.push(serde_json::json!({
            "name": bucket.name,
            "created": httpdate::fmt_http_date(bucket.created),
            "mine": bucket.owner == me,
            "public": is_public(state, &bucket.name)?,
        }));
    }
    Ok(json(StatusCode::OK, &serde_json::json!({ "buckets": out })))
}

/// Does anyone at all get in: a public ACL or a public policy that Block Public Access does
/// not set aside?
fn is_public(state: &AppState, bucket: &str) -> Result<bool, S3Error> {
    let block = state.access.public_block(bucket)?;
    let acl = !block.ignore_public_acls
        && state
            .access
            .acls
            .get(bucket)?
            .is_some_and(|acl| acl.is_public());
    let policy = !block.restrict_public_buckets
        && state
            .access
            .policies
            .get(bucket)?
            .is_some_and(|policy| policy.is_public());
    Ok(acl || policy)
}

/// Which of [`RIGHTS`] the signed-in user has on `bucket` (objects: under `prefix`).
pub fn rights(
    state: &Arc<AppState>,
    req: axum::extract::Request,
    source_ip: Option<std::net::IpAddr>,
) -> Result<Response, S3Error> {
    let session = signed_in(state, req.headers()).ok_or_else(denied)?;
    let query = query_of(&req);
    let bucket = query.get("bucket").unwrap_or_default().to_owned();
    // A key under the prefix stands for its objects (policies name them by prefix).
    let key = format!("{}x", query.get("prefix").unwrap_or_default());
    let (parts, _) = req.into_parts();
    let info = request_info(&parts, source_ip);
    let me = state.identity_of(&session.access_key);
    state.store.head_bucket(&bucket)?;
    let encoded = percent_encoding::utf8_percent_encode(&key, crate::auth::sigv4::URI_ENCODE_PATH);
    let mut out = serde_json::Map::new();
    for (name, method, q, object) in RIGHTS {
        let path = if *object {
            format!("/{bucket}/{encoded}")
        } else {
            format!("/{bucket}")
        };
        let query = (!q.is_empty()).then_some(*q);
        let allowed = Operation::from_parts(method, None, &path, query, &parts.headers, None)
            .and_then(|op| authorize(&state.access, &op, Principal::User(&me), &info))
            .is_ok();
        out.insert((*name).to_owned(), serde_json::Value::Bool(allowed));
    }
    Ok(json(StatusCode::OK, &serde_json::Value::Object(out)))
}

/// The server page, for the configuration's users (it names the data directory).
pub fn server(state: &Arc<AppState>, req: axum::extract::Request) -> Result<Response, S3Error> {
    let session = signed_in(state, req.headers()).ok_or_else(denied)?;
    if !state
        .directory
        .is_admin(&state.identity_of(&session.access_key))
    {
        return Err(S3Error::new(
            S3ErrorCode::AccessDenied,
            "The server page is for the configuration's users",
        ));
    }
    let dir = &state.config.data_dir;
    let (free, total) = match fs4::statvfs(dir) {
        Ok(stats) => (stats.available_space(), stats.total_space()),
        Err(_) => (0, 0),
    };
    let metrics = state.metrics.encode();
    let requests: f64 = metrics
        .lines()
        .filter(|l| l.starts_with("originstore_requests_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "uptimeSeconds": state.started.elapsed().as_secs(),
            "dataDirectory": dir.display().to_string(),
            "diskFreeBytes": free,
            "diskTotalBytes": total,
            "requests": requests,
            "node": state.backend.as_ref().and_then(|b| b.node()).map(str::to_owned),
        }),
    ))
}

/// The notification targets, for the page's notification form and server page.
pub fn notify_targets(
    state: &Arc<AppState>,
    req: axum::extract::Request,
) -> Result<Response, S3Error> {
    let session = signed_in(state, req.headers()).ok_or_else(denied)?;
    let admin = state
        .directory
        .is_admin(&state.identity_of(&session.access_key));
    let targets: Vec<serde_json::Value> = state
        .notify
        .targets()
        .into_iter()
        .filter(|t| admin || !t["arn"].is_null())
        .map(|t| {
            if admin {
                t
            } else {
                serde_json::json!({ "id": t["id"], "kind": t["kind"], "arn": t["arn"] })
            }
        })
        .collect();
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "targets": targets }),
    ))
}

/// A bucket's usage and quota (`?bucket=`), to a signed-in user who may list the bucket.
pub fn usage(
    state: &Arc<AppState>,
    req: axum::extract::Request,
    source_ip: Option<std::net::IpAddr>,
) -> Result<Response, S3Error> {
    let session = signed_in(state, req.headers()).ok_or_else(denied)?;
    let bucket = query_of(&req).get("bucket").unwrap_or_default().to_owned();
    let (parts, _) = req.into_parts();
    let list = Operation::Bucket {
        bucket: bucket.clone(),
        op: BucketOperation::HeadBucket,
    };
    let info = request_info(&parts, source_ip);
    authorize(
        &state.access,
        &list,
        Principal::User(&state.identity_of(&session.access_key)),
        &info,
    )?;
    let usage = state.store.bucket_usage(&bucket)?;
    let bound = |n: u64| (n != u64::MAX).then_some(n);
    let quota = state.store.quota(&bucket)?.map(|q| {
        serde_json::json!({ "maxBytes": bound(q.max_bytes), "maxObjects": bound(q.max_objects) })
    });
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({
            "bytes": usage.bytes,
            "objects": usage.objects,
            "quota": quota,
        }),
    ))
}
