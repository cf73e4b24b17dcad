//! `POST /{bucket}?origin-purge` (an originstore extension, bucket owner only): drop the
//! local copies of objects filled from the origin, by prefix or by key, so that the next GET
//! pulls them again. Objects written locally (PUT, copy, multipart, form upload) are kept,
//! and so is an object a client replaced while the purge ran (each delete is conditional on
//! the ETag and modification time the purge saw). A prefix is walked a page at a time,
//! never loaded whole. In a versioned bucket the current version is purged (the previous
//! one, if any, becomes current).
//!
//! ```xml
//! <Purge><Prefix>images/</Prefix></Purge>     or     <Purge><Key>a.jpg</Key><Key>b.jpg</Key></Purge>
//! ```
//! Answer: `<PurgeResult><Purged>N</Purged></PurgeResult>`.

use std::sync::Arc;

use axum::response::Response;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use storage::{DeleteCondition, ListQuery, ObjectMeta};

use super::context::RequestContext;
use super::reply::{read_small_body, xml_response};
use crate::error::S3Error;
use crate::state::AppState;
use crate::xml;

/// Keys named in one request, at most (as DeleteObjects).
const MAX_KEYS: usize = 1000;
/// Objects examined per page of a prefix walk.
const PAGE: usize = 1000;

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "PascalCase")]
struct Purge {
    #[serde(default)]
    prefix: Option<String>,
    #[serde(rename = "Key", default)]
    keys: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename = "PurgeResult", rename_all = "PascalCase")]
struct PurgeResult {
    purged: u64,
}

pub async fn handle_purge_bucket_origin(
    state: &Arc<AppState>,
    ctx: &mut RequestContext,
    bucket: &str,
) -> Result<Response, S3Error> {
    let body = read_small_body(ctx, 1024 * 1024).await?;
    let request: Purge = xml::from_xml_document(&body, "Purge")?;
    let purged = match (request.prefix, request.keys.is_empty()) {
        (Some(prefix), true) => purge_prefix(state, bucket, &prefix).await?,
        (None, false) if request.keys.len() <= MAX_KEYS => {
            let mut purged = 0;
            for key in &request.keys {
                match state.store.head_object(bucket, key) {
                    Ok(meta) => purged += purge_one(state, bucket, &meta).await?,
                    Err(storage::Error::NoSuchKey | storage::Error::DeleteMarker { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            purged
        }
        _ => {
            return Err(S3Error::malformed_xml(format!(
                "a Purge names a Prefix or 1 to {MAX_KEYS} Keys"
            )))
        }
    };
    xml_response(StatusCode::OK, &PurgeResult { purged })
}

async fn purge_prefix(state: &AppState, bucket: &str, prefix: &str) -> Result<u64, S3Error> {
    let mut purged = 0;
    let mut after = None;
    loop {
        let query = ListQuery {
            prefix: prefix.to_owned(),
            delimiter: None,
            after: after.take(),
            max_keys: PAGE,
        };
        let store = state.store.clone();
        let owned = bucket.to_owned();
        let page = tokio::task::spawn_blocking(move || store.list_objects(&owned, &query))
            .await
            .map_err(S3Error::internal)??;
        for meta in &page.objects {
            purged += purge_one(state, bucket, meta).await?;
        }
        match page.next_after {
            Some(next) if page.is_truncated => after = Some(next),
            _ => return Ok(purged),
        }
    }
}

/// Delete `meta` if it came from the origin and is still what the purge saw; 1 if it went.
async fn purge_one(state: &AppState, bucket: &str, meta: &ObjectMeta) -> Result<u64, S3Error> {
    if meta.attrs.origin.is_none() {
        return Ok(0);
    }
    let condition = DeleteCondition {
        if_match: Some(meta.etag.clone()),
        exactly_modified: Some(meta.last_modified),
        ..Default::default()
    };
    let version = meta.version_id.as_deref().unwrap_or("null");
    match state
        .store
        .delete_if(bucket, &meta.key, Some(version), false, &condition)
        .await
    {
        Ok(_) => Ok(1),
        // Replaced or deleted meanwhile: no longer the origin's copy. Or locked (Object
        // Lock): kept, as every locked version is.
        Err(
            storage::Error::PreconditionFailed
            | storage::Error::NoSuchKey
            | storage::Error::NoSuchVersion
            | storage::Error::ObjectLocked,
        ) => Ok(0),
        Err(e) => Err(e.into()),
    }
}
