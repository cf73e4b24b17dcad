//! Cluster mode's write-through as the families use it: which of a client's headers an
//! object write forwards to the cluster, the [`Tee`] that streams a PutObject body there,
//! the writes not yet written through, refused rather than left on one node, and the
//! adoption of a bucket another node created.

use std::sync::Arc;

use http::HeaderMap;

use super::headers::stored_content_encoding;
use super::tee::Tee;
use crate::backend::Backend;
use crate::error::S3Error;
use crate::router::{BucketOperation, ObjectOperation, Operation};
use crate::state::AppState;

/// The headers of an object write the cluster must see: what is stored with the object,
/// its integrity check and its conditions. (`aws-chunked` is the client's framing, not
/// the object's.)
const FORWARDED: &[&str] = &[
    "content-type",
    "cache-control",
    "content-disposition",
    "content-language",
    "expires",
    "content-md5",
    "x-amz-tagging",
    "if-match",
    "if-none-match",
];

pub fn forwarded_headers(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (name, value) in headers {
        let name_text = name.as_str();
        if FORWARDED.contains(&name_text) || name_text.starts_with("x-amz-meta-") {
            out.append(name.clone(), value.clone());
        }
    }
    if let Some(encoding) = headers
        .get(http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .and_then(stored_content_encoding)
        .and_then(|v| http::HeaderValue::from_str(&v).ok())
    {
        out.insert(http::header::CONTENT_ENCODING, encoding);
    }
    out
}

/// The tee of a PutObject of `key` in `bucket`: the cluster request starts with the body.
pub fn put_tee(backend: &Arc<Backend>, bucket: &str, key: &str, headers: HeaderMap) -> Tee {
    let backend = backend.clone();
    let (bucket, key) = (bucket.to_owned(), key.to_owned());
    Tee::new(Box::new(move |body, length| {
        tokio::spawn(async move {
            backend
                .put_object(&bucket, &key, headers, length, body)
                .await
        })
    }))
}

/// In cluster mode, the writes that do not yet go through to the cluster are refused
/// (501), so that no node ever holds a change the cluster does not.
pub fn refuse_if_not_written_through(
    backend: Option<&Arc<Backend>>,
    op: &Operation,
) -> Result<(), S3Error> {
    if backend.is_none() {
        return Ok(());
    }
    let through = match op {
        Operation::Bucket { op, .. } => !matches!(
            op,
            BucketOperation::PostObject | BucketOperation::PutBucketVersioning
        ),
        Operation::Object { op, .. } => match op {
            ObjectOperation::DeleteObject { version_id } => version_id.is_none(),
            ObjectOperation::PutObjectAcl { .. }
            | ObjectOperation::PutObjectTagging { .. }
            | ObjectOperation::DeleteObjectTagging { .. }
            | ObjectOperation::DeleteObjectTombstone => false,
            _ => true,
        },
        _ => true,
    };
    if through {
        Ok(())
    } else {
        Err(S3Error::not_implemented(&format!(
            "{} in cluster mode (not yet written through to the cluster)",
            op.name()
        )))
    }
}

/// Cluster mode: a bucket another node created is adopted here (its owner as recorded at
/// the cluster) the first time a request names it, so that every node knows every bucket.
pub async fn adopt_bucket(
    state: &AppState,
    backend: &Backend,
    op: &Operation,
) -> Result<(), S3Error> {
    let Some(bucket) = op.bucket() else {
        return Ok(());
    };
    let creating = matches!(
        op,
        Operation::Bucket {
            op: BucketOperation::CreateBucket,
            ..
        }
    );
    if creating
        || !matches!(
            state.store.head_bucket(bucket),
            Err(storage::Error::NoSuchBucket)
        )
    {
        return Ok(());
    }
    match backend.recorded_owner(bucket).await? {
        Some(owner) => match state
            .store
            .create_bucket(bucket, &owner, &state.config.region)
            .await
        {
            Ok(_) | Err(storage::Error::BucketAlreadyOwnedByYou) => Ok(()),
            Err(e) => Err(e.into()),
        },
        // The cluster has the bucket but its owner has not reached the cluster node this
        // node asks yet (engines spread new buckets within moments): ask to retry.
        None if backend.has_bucket(bucket).await? => Err(S3Error::new(
            crate::error::S3ErrorCode::ServiceUnavailable,
            "This bucket's settings have not reached this node yet; please retry.",
        )
        .with_header("retry-after", "1")),
        None => Ok(()),
    }
}
