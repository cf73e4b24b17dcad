//! Receiving an upload's body: streamed into a new durable blob while every checksum the
//! request announced (headers and trailers) is verified, within S3's 5 GiB limit for one
//! request. Shared by PutObject, UploadPart and form uploads; in cluster mode the body also
//! streams to the cluster (`tee`).

use storage::Blob;

use super::checksums::ChecksumPlan;
use super::context::RequestContext;
use crate::backend::tee::Tee;
use crate::backend::Acknowledged;
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

/// Stream a request body to the cluster only (no local copy: a multipart part in cluster
/// mode), verifying its length, Content-MD5 and every announced checksum (headers and
/// trailers) on the way; the last piece goes out only once they held, so a body that fails
/// them never completes at the cluster.
pub async fn stream_through(
    ctx: &mut RequestContext,
    mut tee: Tee,
) -> Result<Acknowledged, S3Error> {
    use md5::Digest as _;
    let mut body: RequestBody = ctx.take_body()?;
    let declared = body.declared_len();
    if declared.is_some_and(|n| n > MAX_PUT_SIZE) {
        return Err(S3Error::new(
            S3ErrorCode::EntityTooLarge,
            "Your proposed upload exceeds the maximum allowed size",
        ));
    }
    tee.set_length(declared);
    let mut plan = ChecksumPlan::from_headers(&ctx.parts.headers, declared)?;
    let mut sums: Vec<storage::Checksummer> = plan
        .algorithms
        .iter()
        .map(|a| storage::Checksummer::new(*a))
        .collect();
    let mut md5 = plan.expect.md5.map(|_| md5::Md5::new());
    let mut received: u64 = 0;
    while let Some(chunk) = body.next_chunk().await? {
        received += chunk.len() as u64;
        if received > MAX_PUT_SIZE {
            return Err(S3Error::new(
                S3ErrorCode::EntityTooLarge,
                "Your proposed upload exceeds the maximum allowed size",
            ));
        }
        for sum in &mut sums {
            sum.update(&chunk);
        }
        if let Some(md5) = md5.as_mut() {
            md5.update(&chunk);
        }
        if tee.send(chunk).await.is_err() {
            return tee.answer().await;
        }
    }
    plan.apply_trailers(body.trailers())?;
    if declared.is_some_and(|n| n != received) {
        return Err(S3Error::new(
            S3ErrorCode::IncompleteBody,
            "You did not provide the number of bytes specified by the Content-Length HTTP header.",
        ));
    }
    if let (Some(md5), Some(expected)) = (md5, plan.expect.md5) {
        if md5.finalize().as_slice() != expected.as_slice() {
            return Err(S3Error::new(
                S3ErrorCode::BadDigest,
                "The Content-MD5 you specified did not match what we received.",
            ));
        }
    }
    for sum in sums {
        let algorithm = sum.algorithm();
        let expected = plan.expect.checksums.iter().find(|(a, _)| *a == algorithm);
        if let Some((_, expected)) = expected {
            if sum.finish() != *expected {
                return Err(S3Error::new(
                    S3ErrorCode::BadDigest,
                    format!(
                        "The {} you specified did not match the calculated checksum.",
                        algorithm.header_name()
                    ),
                ));
            }
        }
    }
    tee.finish().await
}
