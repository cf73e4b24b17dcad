//! Object operations: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects,
//! CopyObject.
//!
//! Bodies stream: request chunks go straight into a storage `BlobWriter`, object bytes go
//! straight from an `ObjectReader` into the response.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use http::StatusCode;
use storage::{Blob, ByteRange, ObjectMeta};

use super::conditions;
use super::headers::{self, ChecksumPlan};
use super::{empty_response, xml_response, RequestContext};
use crate::access;
use crate::body::RequestBody;
use crate::error::{S3Error, S3ErrorCode, DELETE_MARKER_HEADER};
use crate::router::{CopySource, ObjectOperation, Operation, ReadParams};
use crate::state::AppState;
use crate::xml;

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
    let mut body: RequestBody = ctx.take_body()?;
    let declared = body.declared_len();
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
    }
    plan.apply_trailers(body.trailers())?;
    Ok((writer.finish(&plan.expect).await?, announced))
}

fn put_response(
    meta: &ObjectMeta,
    announced: &[storage::ChecksumAlgorithm],
) -> Result<Response, S3Error> {
    let mut builder = Response::builder()
        .status(StatusCode::OK)
        .header("etag", headers::quoted_etag(&meta.etag));
    for c in meta
        .checksums
        .iter()
        .filter(|c| announced.contains(&c.algorithm))
    {
        builder = builder.header(c.algorithm.header_name(), &c.value);
    }
    builder.body(Body::empty()).map_err(S3Error::internal)
}

pub async fn handle_put_object(
    state: &Arc<AppState>,
    ctx: &mut RequestContext,
    bucket: &str,
    key: &str,
) -> Result<Response, S3Error> {
    let mut attrs = headers::object_attrs(&ctx.parts.headers)?;
    let condition = conditions::write_condition(state, &ctx.parts.headers, bucket, key)?;
    attrs.acl =
        super::acl::acl_for_new_object(state, bucket, ctx.user.as_deref(), &ctx.parts.headers)
            .await?;
    let (blob, announced) = receive_blob(state, ctx, BodyKind::Object, None).await?;
    let meta = state
        .store
        .commit_object(bucket, key, attrs, blob, condition)
        .await?
        .ok_or_else(|| S3Error::internal("a client's commit reported a lost fill race"))?;
    let response = put_response(&meta, &announced)?;
    let response = super::lifecycle::with_expiration(state, bucket, &meta, response)?;
    super::versioning::with_version(state, bucket, meta.version_id.as_deref(), response)
}

/// GetObject / HeadObject. In a bucket with an origin, a miss is pulled from the origin and
/// every answer says how it was served (`x-originstore-origin`).
pub async fn handle_get_object(
    state: &Arc<AppState>,
    ctx: &RequestContext,
    bucket: &str,
    key: &str,
    params: &ReadParams,
    head: bool,
) -> Result<Response, S3Error> {
    use crate::origin::{status, Outcome};
    let read = LocalRead {
        bucket,
        key,
        params,
        head,
    };
    let Some(config) = state.origin.bucket_config(bucket)? else {
        return serve_local(state, ctx, &read);
    };
    // A copy filled from the origin may be stale by its rule's Freshness.
    let has_freshness = config
        .rule_for(key)
        .is_some_and(|r| r.parameter.freshness.is_some());
    if has_freshness && params.version_id.is_none() {
        if let Ok(meta) = state.store.head_object(bucket, key) {
            if let Some(stale) = state.origin.stale_for(&config, key, &meta) {
                let target = (bucket, key);
                let answer = super::origin::on_stale(
                    state, ctx, target, params, head, &config, &meta, stale,
                )
                .await?;
                return match answer {
                    crate::origin::StaleAnswer::Respond(response) => Ok(response),
                    crate::origin::StaleAnswer::Local(tag) => {
                        serve_local(state, ctx, &read).map(|r| super::origin::tag(r, tag))
                    }
                };
            }
        }
    }
    match serve_local(state, ctx, &read) {
        Ok(response) => {
            state
                .metrics
                .origin_hits
                .get_or_create(&crate::metrics::Metrics::bucket(bucket))
                .inc();
            state.origin.record_hit(bucket, &config, key);
            Ok(super::origin::tag(response, status::HIT))
        }
        // A key whose current version is a delete marker was deleted here: it stays deleted.
        Err(e) if e.code == S3ErrorCode::NoSuchKey && !e.is_delete_marker() => {
            let target = (bucket, key);
            match super::origin::on_miss(state, ctx, target, params, head, &config).await? {
                Outcome::Respond(response) => Ok(response),
                Outcome::Local => serve_local(state, ctx, &read)
                    .map(|r| super::origin::tag(r, status::MISS_FILLED)),
            }
        }
        Err(e) => Err(e),
    }
}

/// What a GetObject / HeadObject reads.
struct LocalRead<'a> {
    bucket: &'a str,
    key: &'a str,
    params: &'a ReadParams,
    head: bool,
}

/// GetObject / HeadObject from local storage.
fn serve_local(
    state: &AppState,
    ctx: &RequestContext,
    read: &LocalRead<'_>,
) -> Result<Response, S3Error> {
    let LocalRead {
        bucket,
        key,
        params,
        head,
    } = *read;
    let version = params.version_id.as_deref();
    let part_number = params.part_number;
    let range = match part_number {
        Some(_) if ctx.parts.headers.contains_key(http::header::RANGE) => {
            return Err(S3Error::new(
                S3ErrorCode::InvalidRequest,
                "Cannot specify both Range header and partNumber query parameter",
            ))
        }
        Some(n) => Some(part_range(
            &state.store.head_object_version(bucket, key, version)?,
            n,
        )?),
        None => ctx.header("range").and_then(headers::parse_range),
    };
    let (meta, reader) = state
        .store
        .get_object_version(bucket, key, version, range)?;
    let version_id = super::versioning::version_header(state, bucket, meta.version_id.as_deref())?;
    // 304 and 412 still say which object they are about (ETag, Last-Modified, version).
    headers::check_read_conditions(&ctx.parts.headers, &meta).map_err(|e| {
        let e = e
            .with_header("etag", headers::quoted_etag(&meta.etag))
            .with_header("last-modified", headers::http_date(meta.last_modified));
        match &version_id {
            Some(v) => e.with_header(super::versioning::VERSION_ID_HEADER, v.clone()),
            None => e,
        }
    })?;
    let checksum_mode = ctx
        .header("x-amz-checksum-mode")
        .is_some_and(|v| v.eq_ignore_ascii_case("enabled"));
    let whole = range.is_none() || (part_number.is_some() && meta.part_sizes.is_empty());
    let mut builder = headers::with_headers(
        Response::builder(),
        headers::object_headers(&meta, &params.overrides, checksum_mode, whole),
    )
    .header(http::header::CONTENT_LENGTH, reader.len());
    if let Some(v) = &version_id {
        builder = builder.header(super::versioning::VERSION_ID_HEADER, v);
    }
    if part_number.is_some() && !meta.part_sizes.is_empty() {
        // Only partNumber reads report the part count (GetObject reference).
        builder = builder.header("x-amz-mp-parts-count", meta.part_sizes.len());
    }
    builder = match (range, reader.range()) {
        (Some(_), Some((first, last))) => builder.status(StatusCode::PARTIAL_CONTENT).header(
            http::header::CONTENT_RANGE,
            format!("bytes {first}-{last}/{}", meta.size),
        ),
        _ => builder.status(StatusCode::OK),
    };
    let body = if head {
        Body::empty()
    } else {
        Body::from_stream(reader)
    };
    let response = builder.body(body).map_err(S3Error::internal)?;
    match version {
        None => super::lifecycle::with_expiration(state, bucket, &meta, response),
        Some(_) => Ok(response),
    }
}

/// The byte range of part `n` of a multipart object; a single-part object has only part 1.
fn part_range(meta: &ObjectMeta, n: u32) -> Result<ByteRange, S3Error> {
    let invalid = || {
        S3Error::new(
            S3ErrorCode::InvalidRange,
            "The requested partnumber is not satisfiable",
        )
        .with_header("content-range", format!("bytes */{}", meta.size))
    };
    if meta.part_sizes.is_empty() {
        return if n == 1 && meta.size > 0 {
            Ok(ByteRange::FromTo(0, meta.size - 1))
        } else {
            Err(invalid())
        };
    }
    let index = usize::try_from(n - 1).map_err(|_| invalid())?;
    let size = *meta.part_sizes.get(index).ok_or_else(invalid)?;
    let start: u64 = meta.part_sizes[..index].iter().sum();
    if size == 0 {
        return Err(invalid());
    }
    Ok(ByteRange::FromTo(start, start + size - 1))
}

pub async fn handle_delete_object(
    state: &Arc<AppState>,
    ctx: &RequestContext,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> Result<Response, S3Error> {
    let tombstone = super::origin_configured(state, bucket)?;
    let condition = conditions::delete_condition(&ctx.parts.headers)?;
    let deleted = state
        .store
        .delete_if(bucket, key, version_id, tombstone, &condition)
        .await?;
    let mut response = empty_response(StatusCode::NO_CONTENT);
    let headers = response.headers_mut();
    if deleted.delete_marker {
        headers.insert(DELETE_MARKER_HEADER, http::HeaderValue::from_static("true"));
    }
    if let Some(v) = deleted
        .version_id
        .as_deref()
        .and_then(|v| http::HeaderValue::from_str(v).ok())
    {
        headers.insert(super::versioning::VERSION_ID_HEADER, v);
    }
    Ok(response)
}

/// DeleteObjects: up to 1000 keys, per-key results; Content-MD5 is optional (new SDKs send
/// a CRC32 instead), verified when present.
pub async fn handle_delete_objects(
    state: &Arc<AppState>,
    ctx: &mut RequestContext,
    bucket: &str,
) -> Result<Response, S3Error> {
    state.store.head_bucket(bucket)?;
    let body = super::read_small_body(ctx, 2 * 1024 * 1024).await?;
    let request: xml::Delete = xml::from_xml_document(&body, "Delete")?;
    // The schema wants 1 to 1000 Object entries.
    if request.objects.is_empty() || request.objects.len() > 1000 {
        return Err(S3Error::malformed_xml(
            "a DeleteObjects request names 1 to 1000 objects",
        ));
    }
    let tombstone = super::origin_configured(state, bucket)?;
    let mut result = xml::DeleteResult {
        ..Default::default()
    };
    for object in request.objects {
        // Each key is its own DeleteObject to the access decision, as in AWS.
        let one = Operation::Object {
            bucket: bucket.to_owned(),
            key: object.key.clone(),
            op: ObjectOperation::DeleteObject {
                version_id: object.version_id.clone(),
            },
        };
        let allowed = access::authorize(&state.access, &one, ctx.principal(), &ctx.request_info());
        let condition = conditions::entry_condition(
            object.etag.as_deref(),
            object.last_modified_time.as_deref(),
            object.size,
        );
        let outcome = match allowed.and(condition) {
            Ok(condition) => {
                let version = object.version_id.as_deref();
                let store = &state.store;
                store
                    .delete_if(bucket, &object.key, version, tombstone, &condition)
                    .await
                    .map_err(S3Error::from)
            }
            Err(e) => Err(e),
        };
        match outcome {
            Ok(_) if request.quiet => {}
            Ok(deleted) => {
                let marker_id = deleted.delete_marker.then(|| deleted.version_id.clone());
                result.deleted.push(xml::DeletedEntry {
                    key: object.key,
                    // The version the request named (a new marker's id is reported apart).
                    version_id: object.version_id,
                    delete_marker: deleted.delete_marker.then_some(true),
                    delete_marker_version_id: marker_id.flatten(),
                })
            }
            Err(e) => result.errors.push(xml::DeleteError {
                key: object.key,
                code: e.code.as_str(),
                message: e.message,
            }),
        }
    }
    xml_response(StatusCode::OK, &result)
}

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
    headers::check_copy_source_conditions(&ctx.parts.headers, &meta)?;
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
        Outcome::Local => Ok(()),
        Outcome::Respond(_) => Err(storage::Error::NoSuchKey.into()),
    }
}

pub async fn handle_copy_object(
    state: &Arc<AppState>,
    ctx: &RequestContext,
    bucket: &str,
    key: &str,
    source: &CopySource,
) -> Result<Response, S3Error> {
    // The destination's own conditions, before the source is read.
    let condition = conditions::write_condition(state, &ctx.parts.headers, bucket, key)?;
    let (meta, reader) = open_copy_source(state, ctx, source, None).await?;
    let replace = match ctx.header("x-amz-metadata-directive") {
        None | Some("COPY") => false,
        Some("REPLACE") => true,
        Some(other) => {
            return Err(S3Error::invalid_argument(format!(
                "Unknown metadata directive: {other}"
            )))
        }
    };
    let replace_tags = match ctx.header("x-amz-tagging-directive") {
        None | Some("COPY") => false,
        Some("REPLACE") => true,
        Some(_) => return Err(S3Error::invalid_argument("Unknown tag directive.")),
    };
    let storage_class = headers::storage_class(ctx.header("x-amz-storage-class"))?;
    // Copying a named version onto its own key restores it: allowed.
    let changes_nothing = !replace && storage_class == meta.attrs.storage_class;
    if source.bucket == bucket
        && source.key == key
        && changes_nothing
        && source.version_id.is_none()
    {
        return Err(S3Error::new(
            S3ErrorCode::InvalidRequest,
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        ));
    }
    let mut attrs = if replace {
        headers::object_attrs(&ctx.parts.headers)?
    } else {
        meta.attrs.clone()
    };
    // The tag set follows x-amz-tagging-directive, whatever the metadata directive says;
    // the storage class is the request's.
    attrs.tags = match (replace_tags, ctx.header("x-amz-tagging")) {
        (false, _) => meta.attrs.tags.clone(),
        (true, Some(header)) => super::tagging::from_header(header)?,
        (true, None) => Vec::new(),
    };
    attrs.storage_class = storage_class;
    // A copy never takes its source's ACL: it gets the one this request asks for.
    attrs.acl =
        super::acl::acl_for_new_object(state, bucket, ctx.user.as_deref(), &ctx.parts.headers)
            .await?;
    let source_version =
        super::versioning::version_header(state, &source.bucket, meta.version_id.as_deref())?;
    let copied = state
        .store
        .copy_object_if((meta, reader), bucket, key, attrs, condition)
        .await?;
    let mut response = xml_response(
        StatusCode::OK,
        &xml::CopyObjectResult {
            last_modified: xml::timestamp(copied.last_modified),
            etag: headers::quoted_etag(&copied.etag),
        },
    )?;
    if let Some(v) = source_version.and_then(|v| http::HeaderValue::from_str(&v).ok()) {
        response
            .headers_mut()
            .insert("x-amz-copy-source-version-id", v);
    }
    let response = super::lifecycle::with_expiration(state, bucket, &copied, response)?;
    super::versioning::with_version(state, bucket, copied.version_id.as_deref(), response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(size: u64, parts: Vec<u64>) -> ObjectMeta {
        ObjectMeta {
            key: "k".into(),
            size,
            etag: "e".into(),
            last_modified: std::time::SystemTime::UNIX_EPOCH,
            attrs: Default::default(),
            checksums: vec![],
            part_sizes: parts,
            version_id: None,
            part_checksums: vec![],
        }
    }

    #[test]
    fn part_ranges() {
        let m = meta(12, vec![5, 5, 2]);
        assert_eq!(part_range(&m, 1).expect("ok"), ByteRange::FromTo(0, 4));
        assert_eq!(part_range(&m, 3).expect("ok"), ByteRange::FromTo(10, 11));
        assert!(part_range(&m, 4).is_err());
        assert_eq!(
            part_range(&meta(3, vec![]), 1).expect("ok"),
            ByteRange::FromTo(0, 2)
        );
        assert!(part_range(&meta(3, vec![]), 2).is_err());
    }
}
