//! Receiving an upload's body: streamed into a new durable blob while every checksum the
//! request announced (headers and trailers) is verified, within S3's 5 GiB limit for one
//! request. Shared by PutObject, UploadPart and form uploads; in cluster mode the body also
//! streams to the cluster (`tee`).

use storage::Blob;

use super::checksums::ChecksumPlan;
use super::context::RequestContext;
use super::tee::Tee;
use crate::body::RequestBody;
use crate::error::{S3Error, S3ErrorCode};
use crate::state::AppState;

/// Largest single PUT S3 accepts (5 GiB); bigger objects use multipart.
pub const MAX_PUT_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// What a received body becomes: a whole object (small ones kept inline in the metadata)
/// or a multipart upload's part (always a blob file).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Object,
    Part,
}

/// Stream a request body into a new durable blob, verifying every checksum the request
/// announced (headers and trailers), and hashing it with `also_hash` too (an upload's
/// algorithm). Returns the blob and the algorithms the request announced. Shared by
/// PutObject and UploadPart.
pub async fn receive_blob(
    state: &AppState,
    ctx: &mut RequestContext,
    kind: BodyKind,
    also_hash: Option<storage::ChecksumAlgorithm>,
) -> Result<(Blob, Vec<storage::ChecksumAlgorithm>), S3Error> {
    receive(state, ctx, kind, also_hash, None).await
}

/// [`receive_blob`] that also streams the body to the cluster through `tee` (cluster
/// mode), whose last piece goes out only once the local copy is verified.
pub async fn receive_blob_through(
    state: &AppState,
    ctx: &mut RequestContext,
    kind: BodyKind,
    also_hash: Option<storage::ChecksumAlgorithm>,
    tee: &mut Tee,
) -> Result<(Blob, Vec<storage::ChecksumAlgorithm>), S3Error> {
    receive(state, ctx, kind, also_hash, Some(tee)).await
}

async fn receive(
    state: &AppState,
    ctx: &mut RequestContext,
    kind: BodyKind,
    also_hash: Option<storage::ChecksumAlgorithm>,
    mut tee: Option<&mut Tee>,
) -> Result<(Blob, Vec<storage::ChecksumAlgorithm>), S3Error> {
    let mut body: RequestBody = ctx.take_body()?;
    let declared = body.declared_len();
    if let Some(tee) = tee.as_mut() {
        tee.set_length(declared);
    }
    if declared.is_some_and(|n| n > MAX_PUT_SIZE) {
        return Err(S3Error::new(
            S3ErrorCode::EntityTooLarge,
            "Your proposed upload exceeds the maximum allowed size",
        ));
    }
    let mut plan = ChecksumPlan::from_headers(&ctx.parts.headers, declared)?;
    let announced = plan.algorithms.clone();
    if let Some(algorithm) = also_hash {
        plan.add(algorithm);
    }
    let mut writer = match kind {
        BodyKind::Object => state.store.object_writer(&plan.algorithms)?,
        BodyKind::Part => state.store.blob_writer(&plan.algorithms)?,
    };
    while let Some(chunk) = body.next_chunk().await? {
        writer.write(&chunk).await?;
        if writer.written() > MAX_PUT_SIZE {
            return Err(S3Error::new(
                S3ErrorCode::EntityTooLarge,
                "Your proposed upload exceeds the maximum allowed size",
            ));
        }
        if let Some(tee) = tee.as_mut() {
            if tee.send(chunk).await.is_err() {
                // The cluster stopped reading: the caller answers with its reason.
                return Err(S3Error::new(
                    S3ErrorCode::ServiceUnavailable,
                    "The storage cluster behind this node stopped reading the upload.",
                ));
            }
        }
    }
    plan.apply_trailers(body.trailers())?;
    Ok((writer.finish(&plan.expect).await?, announced))
}
