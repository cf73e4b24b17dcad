//! GetObjectAttributes: an object version's ETag, checksum, parts (paged), storage class
//! and size, only those asked for in `x-amz-object-attributes`, without its body.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html>

use std::sync::Arc;

use axum::response::Response;
use http::StatusCode;

use super::headers;
use super::reply::xml_response;
use crate::error::S3Error;
use crate::router::AttributesParams;
use crate::state::AppState;
use crate::xml;

pub async fn handle_get_object_attributes(
    state: &Arc<AppState>,
    bucket: &str,
    key: &str,
    params: &AttributesParams,
) -> Result<Response, S3Error> {
    let meta = state
        .store
        .head_object_version(bucket, key, params.version_id.as_deref())?;
    let checksum = meta.checksums.first();
    let answer = xml::GetObjectAttributesResponse {
        etag: params.etag.then(|| meta.etag.clone()),
        checksum: checksum
            .filter(|_| params.checksum)
            .map(|c| xml::AttributesChecksum {
                checksum: xml::Checksum {
                    algorithm: c.algorithm,
                    value: c.value.clone(),
                },
                checksum_type: headers::checksum_type(c.composite),
            }),
        object_parts: (params.object_parts && !meta.part_sizes.is_empty())
            .then(|| object_parts(&meta, params)),
        storage_class: params
            .storage_class
            .then(|| headers::storage_class_name(&meta.attrs)),
        object_size: params.object_size.then_some(meta.size),
    };
    let mut response = xml_response(StatusCode::OK, &answer)?;
    if let Ok(v) = http::HeaderValue::from_str(&headers::http_date(meta.last_modified)) {
        response
            .headers_mut()
            .insert(http::header::LAST_MODIFIED, v);
    }
    headers::with_version(state, bucket, meta.version_id.as_deref(), response)
}

/// One page of a multipart object's parts, after `part_number_marker`.
fn object_parts(meta: &storage::ObjectMeta, params: &AttributesParams) -> xml::ObjectParts {
    let algorithm = meta.checksums.first().map(|c| c.algorithm);
    let after = params.part_number_marker as usize;
    let all = meta.part_sizes.len();
    let parts: Vec<xml::ObjectPart> = meta
        .part_sizes
        .iter()
        .enumerate()
        .skip(after)
        .take(params.max_parts)
        .map(|(i, size)| xml::ObjectPart {
            part_number: i as u32 + 1,
            size: *size,
            checksum: algorithm
                .zip(meta.part_checksums.get(i).cloned().flatten())
                .map(|(algorithm, value)| xml::Checksum { algorithm, value }),
        })
        .collect();
    let last = parts.last().map(|p| p.part_number);
    let is_truncated = last.is_some_and(|n| (n as usize) < all);
    xml::ObjectParts {
        parts_count: all,
        part_number_marker: params.part_number_marker,
        next_part_number_marker: if is_truncated { last } else { None },
        max_parts: params.max_parts,
        is_truncated,
        parts,
    }
}
