//! CompleteMultipartUpload: the part list read (its body's Content-MD5 checked; its
//! `x-amz-checksum-*` headers are the object's checksum, in the full-object form or the
//! composite `<base64>-<parts>` form SDKs send), checked against the upload (part checksums,
//! `x-amz-checksum-type`, `x-amz-mp-object-size`) before the storage crate commits the
//! object atomically with the removal of the upload.

use std::sync::Arc;

use axum::response::Response;
use http::StatusCode;
use storage::{ChecksumAlgorithm, CompletedPart};

use super::checksums::parse_object_checksum;
use super::conditions;
use super::context::RequestContext;
use super::headers;
use super::reply::{read_md5_checked_body, xml_text_response};
use crate::error::{S3Error, S3ErrorCode};
use crate::state::AppState;
use crate::xml;

pub async fn handle_complete_multipart_upload(
    state: &Arc<AppState>,
    ctx: &mut RequestContext,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<Response, S3Error> {
    // 10000 parts of ~100 bytes of XML each.
    let body = read_md5_checked_body(ctx, 4 * 1024 * 1024).await?;
    let request: xml::CompleteMultipartUpload = xml::from_xml(&body)?;
    if request.parts.is_empty() {
        return Err(S3Error::malformed_xml(
            "a CompleteMultipartUpload request must list at least one part",
        ));
    }
    // The upload, read once. Gone: a retried completion, which storage answers from the
    // object it made (its checks and conditions passed the first time).
    // A checksum of the whole object sent with the completion must be the object's.
    let claimed = claimed_checksums(ctx, request.parts.len())?;
    let condition = match state.store.get_upload(bucket, key, upload_id) {
        Ok(upload) => {
            check_checksum_type(ctx, &upload, &claimed)?;
            check_listed_part_checksums(state, &upload, &request.parts)?;
            check_object_size(state, ctx, &upload, &request.parts)?;
            conditions::write_condition(state, &ctx.parts.headers, bucket, key)?
        }
        Err(storage::Error::NoSuchUpload) => storage::CommitCondition::Always,
        Err(e) => return Err(e.into()),
    };
    let parts: Vec<CompletedPart> = request
        .parts
        .into_iter()
        .map(|p| CompletedPart {
            part_number: p.part_number,
            etag: p.etag,
        })
        .collect();
    let meta = state
        .store
        .complete_upload_if(bucket, key, upload_id, &parts, condition, &claimed.bases())
        .await?;
    let checksum_type = meta
        .checksums
        .first()
        .map(|c| headers::checksum_type(c.composite));
    let result = xml::CompleteMultipartUploadResult {
        location: format!("/{bucket}/{key}"),
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        etag: headers::quoted_etag(&meta.etag),
        checksum: meta.checksums.first().map(|c| xml::Checksum {
            algorithm: c.algorithm,
            value: c.value.clone(),
        }),
        checksum_type,
    };
    let response = xml_text_response(
        StatusCode::OK,
        xml::to_xml_with_root("CompleteMultipartUploadResult", &result),
    )?;
    let response = headers::with_expiration(state, bucket, &meta, response)?;
    headers::with_version(state, bucket, meta.version_id.as_deref(), response)
}

/// `x-amz-mp-object-size`, when sent, must be the total size of the listed parts (AWS:
/// 400 InvalidRequest otherwise), checked before anything is written.
fn check_object_size(
    state: &AppState,
    ctx: &RequestContext,
    upload: &storage::Upload,
    listed: &[xml::CompletePart],
) -> Result<(), S3Error> {
    let Some(claimed) = ctx.header("x-amz-mp-object-size") else {
        return Ok(());
    };
    let invalid = |m: String| S3Error::new(S3ErrorCode::InvalidRequest, m);
    let claimed: u64 = claimed
        .trim()
        .parse()
        .map_err(|_| invalid("x-amz-mp-object-size must be a size in bytes".to_owned()))?;
    let parts = state
        .store
        .list_parts(&upload.bucket, &upload.key, &upload.upload_id, 0, 10_000)?
        .parts;
    let total: u64 = listed
        .iter()
        .filter_map(|l| parts.iter().find(|p| p.part_number == l.part_number))
        .map(|p| p.size)
        .sum();
    if total != claimed {
        return Err(invalid(format!(
            "The provided 'x-amz-mp-object-size' header value {claimed} does not match what was computed: {total}"
        )));
    }
    Ok(())
}

/// Part checksums listed in a CompleteMultipartUpload request must match the stored ones,
/// for the upload's checksum algorithm (AWS answers InvalidPart otherwise).
fn check_listed_part_checksums(
    state: &AppState,
    upload: &storage::Upload,
    listed: &[xml::CompletePart],
) -> Result<(), S3Error> {
    let Some(algorithm) = upload.checksum_algorithm else {
        return Ok(());
    };
    if !listed.iter().any(|p| p.checksum(algorithm).is_some()) {
        return Ok(());
    }
    let stored = state
        .store
        .list_parts(&upload.bucket, &upload.key, &upload.upload_id, 0, 10_000)?
        .parts;
    for part in listed {
        let Some(claimed) = part.checksum(algorithm) else {
            continue;
        };
        let actual = stored
            .iter()
            .find(|p| p.part_number == part.part_number)
            .and_then(|p| p.checksum.as_deref());
        if actual.is_some_and(|actual| actual != claimed.trim()) {
            return Err(storage::Error::InvalidPart(format!(
                "the {} of part {} does not match the uploaded part",
                algorithm.as_str(),
                part.part_number
            ))
            .into());
        }
    }
    Ok(())
}

/// The whole-object checksums a completion claims, one per algorithm sent.
struct Claimed(Vec<ClaimedChecksum>);

struct ClaimedChecksum {
    algorithm: ChecksumAlgorithm,
    base64: String,
    /// `Some(n)`: the composite form, for `n` parts.
    parts: Option<u32>,
}

impl Claimed {
    /// The values storage compares with the object's checksum (the composite suffix was
    /// checked here against the part list).
    fn bases(&self) -> Vec<(ChecksumAlgorithm, String)> {
        self.0
            .iter()
            .map(|c| (c.algorithm, c.base64.clone()))
            .collect()
    }
}

/// The `x-amz-checksum-*` headers of a completion listing `listed` parts. A composite value
/// names the part count; a different one cannot be this object's checksum (BadDigest).
fn claimed_checksums(ctx: &RequestContext, listed: usize) -> Result<Claimed, S3Error> {
    let mut claimed = Vec::new();
    for algorithm in ChecksumAlgorithm::ALL {
        let Some(value) = ctx.header(algorithm.header_name()) else {
            continue;
        };
        let (base64, parts) = parse_object_checksum(algorithm, value)?;
        if parts.is_some_and(|n| n as usize != listed) {
            return Err(storage::Error::ChecksumMismatch { algorithm }.into());
        }
        claimed.push(ClaimedChecksum {
            algorithm,
            base64,
            parts,
        });
    }
    Ok(Claimed(claimed))
}

/// `x-amz-checksum-type` of a completion, and the form of a claimed checksum, must be the
/// type the upload was created with (AWS: 400 InvalidRequest).
fn check_checksum_type(
    ctx: &RequestContext,
    upload: &storage::Upload,
    claimed: &Claimed,
) -> Result<(), S3Error> {
    let invalid = |m: String| S3Error::new(S3ErrorCode::InvalidRequest, m);
    let created = upload
        .checksum_algorithm
        .map(|_| headers::checksum_type(!upload.checksum_full_object));
    if let Some(sent) = ctx.header("x-amz-checksum-type") {
        let sent = sent.trim();
        if !matches!(sent, "COMPOSITE" | "FULL_OBJECT") {
            return Err(invalid(format!(
                "Value for x-amz-checksum-type header is invalid: {sent}"
            )));
        }
        match created {
            Some(created) if created != sent => {
                return Err(invalid(format!(
                    "The upload was created using the {created} checksum mode. The complete request must use the same checksum mode."
                )))
            }
            None => {
                return Err(invalid(
                    "The x-amz-checksum-type header can only be used for an upload created with a checksum algorithm.".to_owned(),
                ))
            }
            Some(_) => {}
        }
    }
    if upload.checksum_full_object {
        if let Some(c) = claimed.0.iter().find(|c| c.parts.is_some()) {
            return Err(invalid(format!(
                "The upload was created using the FULL_OBJECT checksum mode; {} must be the checksum of the whole object, without a part count.",
                c.algorithm.header_name()
            )));
        }
    }
    Ok(())
}
