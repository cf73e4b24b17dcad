//! The source of CopyObject and UploadPartCopy: opened with the caller's read access
//! (decided before dispatch) and its `x-amz-copy-source-if-*` conditions; a source missing
//! locally but on its bucket's origin is pulled first (Mirror rules), so copies work during
//! a lazy migration too.

use storage::{ByteRange, ObjectMeta};

use super::conditions;
use super::context::RequestContext;
use crate::error::{S3Error, S3ErrorCode};
use crate::router::CopySource;
use crate::state::AppState;

/// Open a copy source the caller may read, check its conditions, and return it with a
/// reader of `range`.
/// A copy source that is missing locally but lives on its bucket's origin is pulled first
/// (Mirror rules), so copies work during a lazy migration too.
pub async fn open_copy_source(
    state: &AppState,
    ctx: &RequestContext,
    source: &CopySource,
    range: Option<ByteRange>,
) -> Result<(ObjectMeta, storage::ObjectReader), S3Error> {
    let (src_bucket, src_key) = (source.bucket.as_str(), source.key.as_str());
    let version = source.version_id.as_deref();
    // The caller's read access to the source was decided with the request's (dispatch).
    let _ = ctx;
    let read =
        |store: &storage::Store| store.get_object_version(src_bucket, src_key, version, range);
    let (meta, reader) = match read(&state.store) {
        Err(storage::Error::NoSuchKey) if version.is_none() => {
            pull_copy_source(state, src_bucket, src_key).await?;
            read(&state.store)?
        }
        Err(storage::Error::DeleteMarker { addressed: true, .. }) => {
            return Err(S3Error::new(
                S3ErrorCode::InvalidRequest,
                "The source of a copy request may not specifically refer to a delete marker by version id.",
            ))
        }
        other => other?,
    };
    conditions::check_copy_source_conditions(&ctx.parts.headers, &meta)?;
    Ok((meta, reader))
}

/// Fill a missing copy source from its bucket's origin; NoSuchKey when there is none, or
/// when the rule only redirects.
async fn pull_copy_source(state: &AppState, bucket: &str, key: &str) -> Result<(), S3Error> {
    use crate::origin::{Miss, Outcome};
    let Some(config) = state.origin.bucket_config(bucket)? else {
        return Err(storage::Error::NoSuchKey.into());
    };
    let no_headers = http::HeaderMap::new();
    let miss = Miss {
        bucket,
        key,
        config: &config,
        method: http::Method::GET,
        range: None,
        // Wait for the fill and read the stored object.
        needs_local: true,
        query: None,
        headers: &no_headers,
        https: false,
    };
    match state.origin.on_miss(miss).await? {
        Outcome::Local(_) => Ok(()),
        // Proxied or redirected: nothing was stored to copy.
        Outcome::Stream(_) | Outcome::Redirect { .. } => Err(storage::Error::NoSuchKey.into()),
    }
}
