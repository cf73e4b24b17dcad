//! PostObject: a browser's form upload (`POST /{bucket}`, `multipart/form-data`).
//!
//! The fields before the file are read (at most [`MAX_PRE_DATA`] bytes in all); the form's
//! signature says who uploads ([`crate::auth::post_form`]), its policy is checked
//! ([`crate::post_policy`]), the uploader's write access is checked as for PutObject, and
//! only then the file part streams into a new blob, its size held to the policy's
//! `content-length-range` while it streams. Fields after the file are ignored, as AWS
//! ignores them. A refused or cut upload leaves the key as it was. In cluster mode the
//! verified file is then sent to the cluster, and kept only once the cluster has it.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html>

use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Body;
use axum::response::Response;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use storage::CommitCondition;

use super::checksums::ChecksumPlan;
use super::context::RequestContext;
use super::headers;
use super::new_acl::acl_for_new_object;
use super::receive::MAX_PUT_SIZE;
use super::tags::{self, Owner};
use super::through;
use crate::access::{self, Principal, RequestInfo};
use crate::auth::post_form::{self, FormSignature};
use crate::error::{S3Error, S3ErrorCode};
use crate::post_policy::PostPolicy;
use crate::router::{ObjectOperation, Operation};
use crate::state::AppState;
use crate::xml;

/// The fields before the file, together (AWS's limit is 20 KiB of policy and fields; this
/// leaves room for long metadata).
pub const MAX_PRE_DATA: usize = 64 * 1024;

/// The form fields that become object headers (as a PutObject's would be).
const HEADER_FIELDS: &[&str] = &[
    "cache-control",
    "content-type",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
    "content-md5",
    "x-amz-storage-class",
];

fn invalid_argument(message: &str) -> S3Error {
    S3Error::invalid_argument(message)
}

fn malformed(e: multer::Error) -> S3Error {
    S3Error::new(
        S3ErrorCode::MalformedPOSTRequest,
        format!("The body of your POST request is not well-formed multipart/form-data: {e}"),
    )
}

pub async fn handle_post_object(
    state: &Arc<AppState>,
    ctx: &mut RequestContext,
    bucket: &str,
) -> Result<Response, S3Error> {
    let boundary = ctx
        .header("content-type")
        .and_then(|ct| multer::parse_boundary(ct).ok())
        .ok_or_else(|| {
            S3Error::new(
                S3ErrorCode::PreconditionFailed,
                "Bucket POST must be of the enclosure-type multipart/form-data",
            )
        })?;
    let body = ctx.take_body()?;
    let stream = futures::stream::unfold(body, |mut body| async move {
        match body.next_chunk().await {
            Ok(Some(chunk)) => Some((Ok(chunk), body)),
            Ok(None) => None,
            Err(e) => Some((Err(e), body)),
        }
    });
    let mut form = multer::Multipart::new(stream, boundary);

    // The fields before the file.
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut pre_data = 0;
    let mut file = loop {
        let Some(mut field) = form.next_field().await.map_err(malformed)? else {
            return Err(invalid_argument(
                "POST requires exactly one file upload per request.",
            ));
        };
        let name = field.name().unwrap_or_default().to_ascii_lowercase();
        if name == "file" {
            break field;
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(malformed)? {
            pre_data += chunk.len();
            if pre_data > MAX_PRE_DATA {
                return Err(S3Error::new(
                    S3ErrorCode::MaxPostPreDataLengthExceededError,
                    "Your POST request fields preceding the upload file were too large.",
                ));
            }
            value.extend_from_slice(&chunk);
        }
        let value = String::from_utf8(value)
            .map_err(|_| invalid_argument("a form field is not valid UTF-8"))?;
        pre_data += name.len();
        fields.push((name, value));
    };
    let field = |name: &str| form_field(&fields, name);

    let key = field("key").ok_or_else(|| {
        invalid_argument("Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.")
    })?;
    let key = key.replace("${filename}", file.file_name().unwrap_or_default());
    if key.is_empty() {
        return Err(invalid_argument(
            "User key must have a length greater than 0.",
        ));
    }

    let user = signer(state, &fields)?;
    let policy = match field("policy") {
        Some(text) => Some(PostPolicy::parse(text)?),
        None => None,
    };
    if let Some(policy) = &policy {
        policy.check(bucket, &key, &fields, SystemTime::now())?;
    }
    let target = Operation::Object {
        bucket: bucket.to_owned(),
        key: key.clone(),
        op: ObjectOperation::PutObject,
    };
    let headers = form_headers(&fields)?;
    let request = RequestInfo {
        headers: &headers,
        ..ctx.request_info()
    };
    access::authorize(
        &state.access,
        &target,
        Principal::from_user(user.as_deref()),
        &request,
    )?;

    if state.backend.is_some() && through::asks_for_an_object_acl(&headers) {
        return Err(through::object_acl_refused("PostObject"));
    }
    let mut attrs = headers::object_attrs(&headers)?;
    attrs.acl = acl_for_new_object(state, bucket, user.as_deref(), &headers).await?;
    attrs.lock = crate::object_lock::request::for_new_version(
        state,
        bucket,
        &key,
        Principal::from_user(user.as_deref()),
        &request,
        crate::object_lock::request::Write::Body,
    )?;
    if let Some(tagging) = field("tagging") {
        attrs.tags = tags::parse_tagging(tagging.as_bytes(), Owner::Object)?;
    }
    let mut plan = ChecksumPlan::from_headers(&headers, None)?;
    // The form's checksum algorithm: the object is stored with a checksum of it, whether or
    // not its value was sent (as PutObject's x-amz-sdk-checksum-algorithm).
    if let Some(name) = field("x-amz-checksum-algorithm") {
        let algorithm = storage::ChecksumAlgorithm::parse(name.trim()).ok_or_else(|| {
            S3Error::new(
                S3ErrorCode::InvalidRequest,
                format!("Unsupported checksum algorithm: {name}"),
            )
        })?;
        if plan.expect.checksums.iter().any(|(a, _)| *a != algorithm) {
            return Err(S3Error::new(
                S3ErrorCode::InvalidRequest,
                format!(
                    "The x-amz-checksum-algorithm {name} does not match the checksum field sent."
                ),
            ));
        }
        plan.add(algorithm);
    }
    let (min, max) = policy
        .as_ref()
        .and_then(PostPolicy::length_range)
        .unwrap_or((0, MAX_PUT_SIZE));
    let max = max.min(MAX_PUT_SIZE);
    let mut writer = state.store.object_writer(&plan.algorithms)?;
    while let Some(chunk) = file.chunk().await.map_err(malformed)? {
        writer.write(&chunk).await?;
        if writer.written() > max {
            return Err(S3Error::new(
                S3ErrorCode::EntityTooLarge,
                "Your proposed upload exceeds the maximum allowed size",
            ));
        }
    }
    if writer.written() < min {
        return Err(S3Error::new(
            S3ErrorCode::EntityTooSmall,
            "Your proposed upload is smaller than the minimum allowed size",
        ));
    }
    let blob = writer.finish(&plan.expect).await?;
    if let Some(backend) = state.write_target(bucket, &key)? {
        // Cluster mode: the verified file goes to the cluster (its length known now) before
        // the node keeps it.
        let mut forwarded = crate::backend::object_headers(&headers);
        if !attrs.tags.is_empty() {
            let tagging =
                HeaderValue::from_str(&tags::to_header(&attrs.tags)).map_err(S3Error::internal)?;
            forwarded.insert("x-amz-tagging", tagging);
        }
        let body = reqwest::Body::wrap_stream(blob.read_back(1024 * 1024));
        let acknowledged = backend
            .put_object(bucket, &key, forwarded, Some(blob.size()), body)
            .await?;
        attrs.origin = Some(acknowledged.stamp(backend.url(bucket, &key)));
    }
    let meta = state
        .store
        .commit_object(bucket, &key, attrs, blob, CommitCondition::Always)
        .await?
        .ok_or_else(|| S3Error::internal("a client's commit reported a lost fill race"))?;

    let location = format!(
        "http://{}/{bucket}/{}",
        ctx.header("host").unwrap_or("localhost"),
        percent_encoding::utf8_percent_encode(&key, crate::auth::sigv4::URI_ENCODE_PATH)
    );
    let etag = headers::quoted_etag(&meta.etag);
    let redirect = field("success_action_redirect").or_else(|| field("redirect"));
    let response = match redirect.filter(|r| r.starts_with("http://") || r.starts_with("https://"))
    {
        Some(url) => {
            let separator = if url.contains('?') { '&' } else { '?' };
            let enc = |s: &str| {
                percent_encoding::utf8_percent_encode(s, crate::auth::sigv4::URI_ENCODE).to_string()
            };
            Response::builder()
                .status(StatusCode::SEE_OTHER)
                .header(
                    http::header::LOCATION,
                    format!(
                        "{url}{separator}bucket={}&key={}&etag={}",
                        enc(bucket),
                        enc(&key),
                        enc(&etag)
                    ),
                )
                .body(Body::empty())
        }
        None => match field("success_action_status") {
            Some("200") => Response::builder()
                .status(StatusCode::OK)
                .body(Body::empty()),
            Some("201") => {
                let doc = xml::PostResponse {
                    location: location.clone(),
                    bucket: bucket.to_owned(),
                    key: key.clone(),
                    etag: etag.clone(),
                };
                Response::builder()
                    .status(StatusCode::CREATED)
                    .header(http::header::CONTENT_TYPE, "application/xml")
                    .body(Body::from(xml::to_xml_without_namespace(&doc)))
            }
            _ => Response::builder()
                .status(StatusCode::NO_CONTENT)
                .body(Body::empty()),
        },
    };
    let mut response = response.map_err(S3Error::internal)?;
    let out = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        out.insert(http::header::ETAG, v);
    }
    if redirect.is_none() {
        if let Ok(v) = HeaderValue::from_str(&location) {
            out.insert(http::header::LOCATION, v);
        }
    }
    // The key is the form's: the bucket's events need it.
    response
        .extensions_mut()
        .insert(super::events::PostedKey(meta.key.clone()));
    headers::with_version(state, bucket, meta.version_id.as_deref(), response)
}

/// Who signed the form: `None` for an anonymous upload (no policy, no signature).
fn signer(state: &AppState, fields: &[(String, String)]) -> Result<Option<String>, S3Error> {
    let field = |name: &str| form_field(fields, name);
    let must_have = |name: &'static str| {
        field(name).ok_or_else(|| {
            invalid_argument(&format!(
                "Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the fields."
            ))
        })
    };
    let signature = if field("x-amz-signature").is_some() {
        FormSignature::V4 {
            algorithm: must_have("x-amz-algorithm")?,
            credential: must_have("x-amz-credential")?,
            date: must_have("x-amz-date")?,
            signature: must_have("x-amz-signature")?,
        }
    } else if field("signature").is_some() || field("awsaccesskeyid").is_some() {
        FormSignature::V2 {
            access_key: must_have("awsaccesskeyid")?,
            signature: must_have("signature")?,
        }
    } else if field("policy").is_some() {
        return Err(invalid_argument(
            "Bucket POST must contain a field named 'x-amz-signature'.  If it is specified, please check the order of the fields.",
        ));
    } else {
        return Ok(None);
    };
    let policy = must_have("policy")?;
    let secret_for = |ak: &str| state.secret_for(ak);
    let access_key = post_form::verify(policy, &signature, &secret_for)?;
    Ok(Some(state.identity_of(&access_key)))
}

/// A field's value by its lower-cased name.
fn form_field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The fields that stand for request headers (`x-amz-meta-*`, checksums, Content-Type, ...)
/// as a header map, so the PutObject code reads them.
fn form_headers(fields: &[(String, String)]) -> Result<HeaderMap, S3Error> {
    let mut map = HeaderMap::new();
    for (name, value) in fields {
        let is_header = HEADER_FIELDS.contains(&name.as_str())
            || name == "acl"
            || name.starts_with("x-amz-meta-")
            || name.starts_with("x-amz-checksum-")
            || name.starts_with("x-amz-grant-")
            || name.starts_with("x-amz-object-lock-");
        if !is_header {
            continue;
        }
        // The form's `acl` field is the `x-amz-acl` of a PutObject.
        let name = if name == "acl" {
            "x-amz-acl"
        } else {
            name.as_str()
        };
        let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            return Err(invalid_argument(&format!(
                "the form field {name} is not a valid header"
            )));
        };
        map.insert(n, v);
    }
    Ok(map)
}
