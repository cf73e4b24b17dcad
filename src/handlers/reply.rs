//! What handlers answer with, shared by every family: an XML document, an empty answer with
//! a status; and how they read a small request document (whole, under a cap, its
//! Content-MD5 checked).

use axum::body::Body;
use axum::response::Response;
use http::StatusCode;

use super::checksums::ChecksumPlan;
use super::context::RequestContext;
use crate::error::{S3Error, S3ErrorCode};

/// Small request documents (bucket configuration, ACLs) are read whole, under this cap.
pub const MAX_XML_BODY: usize = 64 * 1024;

/// A response carrying an XML document.
pub fn xml_response<T: serde::Serialize>(status: StatusCode, doc: &T) -> Result<Response, S3Error> {
    xml_text_response(status, crate::xml::to_xml(doc))
}

/// A response carrying an already serialised XML document.
pub fn xml_text_response(status: StatusCode, xml: String) -> Result<Response, S3Error> {
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/xml")
        .body(Body::from(xml))
        .map_err(S3Error::internal)
}

/// An empty response with `status`.
pub fn empty_response(status: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r
}

/// Read a small request document whole (under `limit`), verifying Content-MD5 and any
/// `x-amz-checksum-*` header, which describe this body.
pub async fn read_small_body(
    ctx: &mut RequestContext,
    limit: usize,
) -> Result<bytes::Bytes, S3Error> {
    let plan = ChecksumPlan::from_headers(&ctx.parts.headers, None)?;
    let body = read_md5_checked_body(ctx, limit).await?;
    for (algorithm, expected) in &plan.expect.checksums {
        if storage::Checksummer::digest(*algorithm, &body) != *expected {
            return Err(S3Error::new(
                S3ErrorCode::BadDigest,
                format!(
                    "The {} you specified did not match the calculated checksum.",
                    algorithm.header_name()
                ),
            ));
        }
    }
    Ok(body)
}

/// Read a request document whole (under `limit`), verifying Content-MD5 only: for
/// CompleteMultipartUpload, whose `x-amz-checksum-*` headers are the object's checksum
/// (possibly in the composite `<base64>-<parts>` form), not the body's.
pub async fn read_md5_checked_body(
    ctx: &mut RequestContext,
    limit: usize,
) -> Result<bytes::Bytes, S3Error> {
    let md5 = match ctx.header("content-md5") {
        Some(value) => Some(super::checksums::decode_md5(value)?),
        None => None,
    };
    let body = ctx.take_body()?.collect(limit).await?;
    if let Some(expected) = md5 {
        use md5::Digest as _;
        if md5::Md5::digest(&body).as_slice() != expected.as_slice() {
            return Err(S3Error::new(
                S3ErrorCode::BadDigest,
                "The Content-MD5 you specified did not match what we received.",
            ));
        }
    }
    Ok(body)
}
