//! GetObject and HeadObject: the stored object (a version, a Range, a part) under its read
//! conditions, and — in a bucket with an origin — a miss pulled from the origin or a stale
//! copy revalidated with it. The origin engine answers with data ([`Outcome`]); every answer
//! is rendered here, through `render.rs`, and in a bucket with an origin says how it was
//! served (`x-originstore-origin`).
//!
//! The key's metadata is read once: a hit is served from that read (its copy's Freshness
//! checked on it), a miss hands its absence to the origin engine.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, StatusCode};
use storage::{ByteRange, ObjectMeta, ObjectReader};

use super::conditions;
use super::context::RequestContext;
use super::headers::{self, http_date, quoted_etag, ObjectHead, VERSION_ID_HEADER};
use super::range::{parse_range, part_range};
use super::render::{object_response, ReadAnswer};
use crate::error::{S3Error, S3ErrorCode};
use crate::metrics::Metrics;
use crate::origin::ORIGIN_STATUS_HEADER;
use crate::origin::{status, Miss, OriginConfiguration, OriginStream, Outcome};
use crate::router::ReadParams;
use crate::state::AppState;

/// What a GetObject / HeadObject reads.
struct Read<'a> {
    bucket: &'a str,
    key: &'a str,
    params: &'a ReadParams,
    head: bool,
}

/// The stored object a read found, with a reader of the bytes it asked for.
struct Local {
    meta: ObjectMeta,
    reader: ObjectReader,
    /// What the client asked for: a Range, or a part's bytes.
    range: Option<ByteRange>,
}

/// GetObject / HeadObject. In a bucket with an origin, a miss is pulled from the origin and
/// every answer says how it was served.
pub async fn handle_get_object(
    state: &Arc<AppState>,
    ctx: &RequestContext,
    bucket: &str,
    key: &str,
    params: &ReadParams,
    head: bool,
) -> Result<Response, S3Error> {
    let read = Read {
        bucket,
        key,
        params,
        head,
    };
    let Some(config) = state.origin.bucket_config(bucket)? else {
        let local = open_local(state, ctx, &read)?;
        return render_local(state, ctx, &read, local);
    };
    match open_local(state, ctx, &read) {
        Ok(local) => {
            // A copy filled from the origin may be stale by its rule's Freshness.
            let stale = match params.version_id {
                None => state.origin.stale_for(&config, key, &local.meta),
                Some(_) => None,
            };
            if let Some(stale) = stale {
                let Local { meta, reader, .. } = local;
                // The revalidation may replace the copy: hold no lease on it meanwhile.
                drop(reader);
                let miss = miss(ctx, &read, &config);
                let outcome = state.origin.on_stale(miss, &meta, stale).await?;
                return render_outcome(state, ctx, &read, outcome);
            }
            state
                .metrics
                .origin_hits
                .get_or_create(&Metrics::bucket(bucket))
                .inc();
            state.origin.record_hit(bucket, &config, key);
            render_local(state, ctx, &read, local).map(|r| tag(r, status::HIT))
        }
        // A key whose current version is a delete marker was deleted here: it stays deleted.
        Err(e) if e.code == S3ErrorCode::NoSuchKey && !e.is_delete_marker() => {
            let outcome = state.origin.on_miss(miss(ctx, &read, &config)).await?;
            render_outcome(state, ctx, &read, outcome)
        }
        Err(e) => Err(e),
    }
}

/// Open the stored object a read asks for (its version, its Range or part).
fn open_local(state: &AppState, ctx: &RequestContext, read: &Read<'_>) -> Result<Local, S3Error> {
    let version = read.params.version_id.as_deref();
    let range = match read.params.part_number {
        Some(_) if ctx.parts.headers.contains_key(http::header::RANGE) => {
            return Err(S3Error::new(
                S3ErrorCode::InvalidRequest,
                "Cannot specify both Range header and partNumber query parameter",
            ))
        }
        Some(n) => Some(part_range(
            &state
                .store
                .head_object_version(read.bucket, read.key, version)?,
            n,
        )?),
        None => ctx.header("range").and_then(parse_range),
    };
    let (meta, reader) = state
        .store
        .get_object_version(read.bucket, read.key, version, range)?;
    Ok(Local {
        meta,
        reader,
        range,
    })
}

/// Answer from the stored object, under the request's conditions.
fn render_local(
    state: &AppState,
    ctx: &RequestContext,
    read: &Read<'_>,
    local: Local,
) -> Result<Response, S3Error> {
    let Local {
        meta,
        reader,
        range,
    } = local;
    let version_id = headers::version_header(state, read.bucket, meta.version_id.as_deref())?;
    // 304 and 412 still say which object they are about (ETag, Last-Modified, version).
    conditions::check_read_conditions(&ctx.parts.headers, &meta).map_err(|e| {
        let e = e
            .with_header("etag", quoted_etag(&meta.etag))
            .with_header("last-modified", http_date(meta.last_modified));
        match &version_id {
            Some(v) => e.with_header(VERSION_ID_HEADER, v.clone()),
            None => e,
        }
    })?;
    let checksum_mode = ctx
        .header("x-amz-checksum-mode")
        .is_some_and(|v| v.eq_ignore_ascii_case("enabled"));
    let part_number = read.params.part_number;
    let whole = range.is_none() || (part_number.is_some() && meta.part_sizes.is_empty());
    let mut extra = Vec::new();
    if let Some(v) = version_id {
        extra.push((VERSION_ID_HEADER, v));
    }
    if part_number.is_some() && !meta.part_sizes.is_empty() {
        // Only partNumber reads report the part count (GetObject reference).
        extra.push(("x-amz-mp-parts-count", meta.part_sizes.len().to_string()));
    }
    if read.params.version_id.is_none() {
        if let Some(expiration) = headers::expiration_header(state, read.bucket, &meta)? {
            extra.push(("x-amz-expiration", expiration));
        }
    }
    extra.extend(crate::object_lock::request::lock_headers(
        state,
        read.bucket,
        read.key,
        ctx.principal(),
        &ctx.request_info(),
        &meta.attrs.lock,
    )?);
    let sent = match (range, reader.range()) {
        (Some(_), Some((first, last))) => Some((first, last, meta.size)),
        _ => None,
    };
    let length = reader.len();
    let body = if read.head {
        Body::empty()
    } else {
        Body::from_stream(reader)
    };
    object_response(ReadAnswer {
        head: ObjectHead::from(&meta),
        overrides: &read.params.overrides,
        send_checksums: checksum_mode && whole,
        length: Some(length),
        range: sent,
        extra,
        body,
    })
}

/// Answer a read the origin engine handled.
fn render_outcome(
    state: &AppState,
    ctx: &RequestContext,
    read: &Read<'_>,
    outcome: Outcome,
) -> Result<Response, S3Error> {
    match outcome {
        Outcome::Local(served) => {
            let local = open_local(state, ctx, read)?;
            render_local(state, ctx, read, local).map(|r| tag(r, served))
        }
        Outcome::Stream(stream) => render_stream(read, *stream),
        Outcome::Redirect { status, location } => Response::builder()
            .status(StatusCode::from_u16(status).unwrap_or(StatusCode::FOUND))
            .header(http::header::LOCATION, location)
            .header(ORIGIN_STATUS_HEADER, status::REDIRECTED)
            .body(Body::empty())
            .map_err(S3Error::internal),
    }
}

/// Answer from the origin: the fill's growing file, or a proxied body.
fn render_stream(read: &Read<'_>, stream: OriginStream) -> Result<Response, S3Error> {
    let OriginStream {
        head,
        range,
        body,
        served,
    } = stream;
    let length = match range {
        Some((first, last)) => Some(last - first + 1),
        None => head.size,
    };
    let sent = range
        .zip(head.size)
        .map(|((first, last), total)| (first, last, total));
    let body = match body {
        Some(body) if !read.head => Body::from_stream(body),
        _ => Body::empty(),
    };
    object_response(ReadAnswer {
        head: ObjectHead::from(&head),
        overrides: &read.params.overrides,
        send_checksums: false,
        length,
        range: sent,
        extra: vec![(ORIGIN_STATUS_HEADER, served.to_owned())],
        body,
    })
}

/// What the engine needs of a read that goes to the origin.
fn miss<'a>(ctx: &'a RequestContext, read: &Read<'a>, config: &'a OriginConfiguration) -> Miss<'a> {
    let headers = &ctx.parts.headers;
    let needs_local = [
        "if-match",
        "if-none-match",
        "if-modified-since",
        "if-unmodified-since",
    ]
    .iter()
    .any(|h| headers.contains_key(*h))
        || read.params.part_number.is_some()
        || !read.params.overrides.is_empty();
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    Miss {
        bucket: read.bucket,
        key: read.key,
        config,
        method: if read.head {
            http::Method::HEAD
        } else {
            http::Method::GET
        },
        range: ctx.header("range").and_then(parse_range),
        needs_local,
        query: ctx.parts.uri.query(),
        headers,
        https,
    }
}

/// Tag a response of an origin bucket with how it was served.
fn tag(mut response: Response, value: &'static str) -> Response {
    response
        .headers_mut()
        .insert(ORIGIN_STATUS_HEADER, HeaderValue::from_static(value));
    response
}
