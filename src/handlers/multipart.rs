//! Multipart uploads: CreateMultipartUpload, UploadPart, UploadPartCopy,
//! AbortMultipartUpload, ListParts, ListMultipartUploads (CompleteMultipartUpload is in
//! `completion.rs`). Parts are staged as blobs by the storage crate.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use http::StatusCode;
use storage::{ChecksumAlgorithm, UploadQuery};

use super::context::RequestContext;
use super::copy_source::open_copy_source;
use super::headers;
use super::new_acl::acl_for_new_object;
use super::range::parse_range;
use super::receive::{receive_blob, BodyKind};
use super::reply::{empty_response, xml_response};
use crate::error::{S3Error, S3ErrorCode};
use crate::router::{CopySource, ListPartsParams, ListUploadsParams};
use crate::state::AppState;
use crate::xml;

/// Where an UploadPart or UploadPartCopy writes.
pub struct PartTarget<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub upload_id: &'a str,
    pub part_number: u32,
}

pub async fn handle_create_multipart_upload(
    state: &Arc<AppState>,
    ctx: &RequestContext,
    bucket: &str,
    key: &str,
) -> Result<Response, S3Error> {
    let mut attrs = headers::object_attrs(&ctx.parts.headers)?;
    attrs.acl = acl_for_new_object(state, bucket, ctx.user.as_deref(), &ctx.parts.headers).await?;
    // The bucket's default retention counts from the upload's creation.
    attrs.lock = crate::object_lock::request::for_new_version(
        state,
        bucket,
        key,
        ctx.principal(),
        &ctx.request_info(),
        crate::object_lock::request::Write::NoBody,
    )?;
    let checksum = upload_checksum(ctx)?;
    let upload = state
        .store
        .create_upload(bucket, key, ctx.user()?, attrs, checksum)
        .await?;
    let mut response = xml_response(
        StatusCode::OK,
        &xml::InitiateMultipartUploadResult {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            upload_id: upload.upload_id,
        },
    )?;
    if let Some(c) = checksum {
        let headers = response.headers_mut();
        headers.insert(
            "x-amz-checksum-algorithm",
            http::HeaderValue::from_static(c.algorithm.as_str()),
        );
        headers.insert(
            "x-amz-checksum-type",
            http::HeaderValue::from_static(headers::checksum_type(!c.full_object)),
        );
    }
    Ok(response)
}

/// `x-amz-checksum-algorithm` and `x-amz-checksum-type` of a CreateMultipartUpload: the
/// type defaults per algorithm; FULL_OBJECT exists only for the CRCs, COMPOSITE not for
/// CRC64NVME (AWS answers InvalidRequest to the other pairs).
fn upload_checksum(ctx: &RequestContext) -> Result<Option<storage::UploadChecksum>, S3Error> {
    let invalid = |message: String| S3Error::new(S3ErrorCode::InvalidRequest, message);
    let full_object = match ctx.header("x-amz-checksum-type") {
        None => None,
        Some(t) if t.eq_ignore_ascii_case("FULL_OBJECT") => Some(true),
        Some(t) if t.eq_ignore_ascii_case("COMPOSITE") => Some(false),
        Some(t) => {
            return Err(invalid(format!(
                "Value for x-amz-checksum-type header is invalid: {t}"
            )))
        }
    };
    let Some(name) = ctx.header("x-amz-checksum-algorithm") else {
        return match full_object {
            None => Ok(None),
            Some(_) => Err(invalid(
                "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header."
                    .to_owned(),
            )),
        };
    };
    let algorithm = ChecksumAlgorithm::parse(name)
        .ok_or_else(|| invalid(format!("Unsupported checksum algorithm: {name}")))?;
    storage::UploadChecksum::new(algorithm, full_object)
        .map(Some)
        .ok_or_else(|| {
            invalid(format!(
                "The {} checksum type cannot be used with the {} checksum algorithm.",
                headers::checksum_type(!full_object.unwrap_or(false)),
                algorithm.as_str().to_lowercase()
            ))
        })
}

pub async fn handle_upload_part(
    state: &Arc<AppState>,
    ctx: &mut RequestContext,
    bucket: &str,
    key: &str,
    upload_id: &str,
    number: u32,
) -> Result<Response, S3Error> {
    let upload = state.store.get_upload(bucket, key, upload_id)?;
    // Parts of an upload with a checksum algorithm are always hashed with it, so the
    // composite checksum can be computed at completion.
    let (blob, _) = receive_blob(state, ctx, BodyKind::Part, upload.checksum_algorithm).await?;
    let part = state
        .store
        .commit_part(bucket, key, upload_id, number, blob)
        .await?;
    let mut builder = Response::builder()
        .status(StatusCode::OK)
        .header("etag", headers::quoted_etag(&part.etag));
    if let (Some(a), Some(value)) = (upload.checksum_algorithm, &part.checksum) {
        builder = builder.header(a.header_name(), value);
    }
    builder.body(Body::empty()).map_err(S3Error::internal)
}

pub async fn handle_upload_part_copy(
    state: &Arc<AppState>,
    ctx: &RequestContext,
    part: PartTarget<'_>,
    source: &CopySource,
) -> Result<Response, S3Error> {
    let PartTarget {
        bucket,
        key,
        upload_id,
        part_number: number,
    } = part;
    let upload = state.store.get_upload(bucket, key, upload_id)?;
    let range = match ctx.header("x-amz-copy-source-range") {
        Some(v) => Some(
            parse_range(v)
                .filter(|r| matches!(r, storage::ByteRange::FromTo(..)))
                .ok_or_else(|| {
                    S3Error::invalid_argument(
                        "The x-amz-copy-source-range value must be of the form bytes=first-last",
                    )
                })?,
        ),
        None => None,
    };
    // S3 never clamps a copy range: one reaching past the source's end is InvalidArgument
    // "Range specified is not valid for source object of size: N" (a read would clamp it,
    // or answer InvalidRange when it starts past the end). Regression test:
    // tests/api/s3/multipart.rs `upload_part_copy_with_range_and_conditions`.
    let out_of_range = |size: Option<u64>| {
        S3Error::invalid_argument(match size {
            Some(size) => format!("Range specified is not valid for source object of size: {size}"),
            None => "Range specified is not valid for the source object".to_owned(),
        })
    };
    let (meta, mut reader) =
        open_copy_source(state, ctx, source, range)
            .await
            .map_err(|e| match e.code {
                S3ErrorCode::InvalidRange if range.is_some() => out_of_range(None),
                _ => e,
            })?;
    if let Some(storage::ByteRange::FromTo(_, last)) = range {
        if last >= meta.size {
            return Err(out_of_range(Some(meta.size)));
        }
    }
    let algorithms: Vec<ChecksumAlgorithm> = upload.checksum_algorithm.into_iter().collect();
    let mut writer = state.store.blob_writer(&algorithms)?;
    use futures::StreamExt as _;
    while let Some(chunk) = reader.next().await {
        writer.write(&chunk.map_err(storage::Error::from)?).await?;
    }
    let blob = writer.finish(&storage::Expect::default()).await?;
    let part = state
        .store
        .commit_part(bucket, key, upload_id, number, blob)
        .await?;
    xml_response(
        StatusCode::OK,
        &xml::CopyPartResult {
            last_modified: xml::timestamp(part.last_modified),
            etag: headers::quoted_etag(&part.etag),
        },
    )
}

pub async fn handle_abort_multipart_upload(
    state: &Arc<AppState>,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<Response, S3Error> {
    state.store.abort_upload(bucket, key, upload_id).await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}

pub async fn handle_list_parts(
    state: &Arc<AppState>,
    bucket: &str,
    key: &str,
    params: &ListPartsParams,
) -> Result<Response, S3Error> {
    let ListPartsParams {
        upload_id,
        part_number_marker: marker,
        max_parts,
    } = params;
    let (marker, max_parts) = (*marker, *max_parts);
    let upload = state.store.get_upload(bucket, key, upload_id)?;
    let page = state
        .store
        .list_parts(bucket, key, upload_id, marker, max_parts)?;
    let algorithm = upload.checksum_algorithm;
    let parts = page
        .parts
        .iter()
        .map(|p| xml::PartEntry {
            part_number: p.part_number,
            last_modified: xml::timestamp(p.last_modified),
            etag: headers::quoted_etag(&p.etag),
            size: p.size,
            checksum: algorithm
                .zip(p.checksum.clone())
                .map(|(algorithm, value)| xml::Checksum { algorithm, value }),
        })
        .collect();
    xml_response(
        StatusCode::OK,
        &xml::ListPartsResult {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            upload_id: upload_id.to_owned(),
            part_number_marker: marker,
            next_part_number_marker: page.next_part_number_marker,
            max_parts,
            is_truncated: page.is_truncated,
            checksum_algorithm: algorithm.map(ChecksumAlgorithm::as_str),
            checksum_type: algorithm.map(|_| headers::checksum_type(!upload.checksum_full_object)),
            initiator: Some(xml::Owner::new(&upload.owner)),
            owner: Some(xml::Owner::new(&upload.owner)),
            storage_class: headers::storage_class_name(&upload.attrs),
            parts,
        },
    )
}

pub async fn handle_list_multipart_uploads(
    state: &Arc<AppState>,
    bucket: &str,
    params: ListUploadsParams,
) -> Result<Response, S3Error> {
    let ListUploadsParams {
        prefix,
        delimiter,
        key_marker,
        upload_id_marker,
        max_uploads,
        url_encode,
    } = params;
    let query = UploadQuery {
        prefix,
        delimiter,
        key_marker,
        upload_id_marker,
        max_uploads,
    };
    let page = state.store.list_uploads(bucket, &query)?;
    let enc = |s: &str| {
        if url_encode {
            percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
        } else {
            s.to_owned()
        }
    };
    let uploads = page
        .uploads
        .iter()
        .map(|u| xml::UploadEntry {
            key: enc(&u.key),
            upload_id: u.upload_id.clone(),
            initiator: xml::Owner::new(&u.owner),
            owner: xml::Owner::new(&u.owner),
            storage_class: headers::storage_class_name(&u.attrs),
            initiated: xml::timestamp(u.initiated),
            checksum_algorithm: u.checksum_algorithm.map(ChecksumAlgorithm::as_str),
        })
        .collect();
    xml_response(
        StatusCode::OK,
        &xml::ListMultipartUploadsResult {
            bucket: bucket.to_owned(),
            key_marker: query.key_marker.as_deref().map(enc).unwrap_or_default(),
            upload_id_marker: query.upload_id_marker.clone().unwrap_or_default(),
            next_key_marker: page.next_key_marker.as_deref().map(enc),
            next_upload_id_marker: page.next_upload_id_marker.clone(),
            prefix: enc(&query.prefix),
            delimiter: query.delimiter.as_deref().map(enc),
            max_uploads,
            encoding_type: url_encode.then_some("url"),
            is_truncated: page.is_truncated,
            uploads,
            common_prefixes: page
                .common_prefixes
                .iter()
                .map(|p| xml::CommonPrefix { prefix: enc(p) })
                .collect(),
        },
    )
}
