//! STS `AssumeRole` on the S3 endpoint (`POST /` with `Action=AssumeRole`, the form the AWS
//! SDKs and the aws CLI send, SigV4 with service `sts`): temporary credentials acting as
//! the caller, for `DurationSeconds` (900 s to 12 h, 1 h by default), narrowed by an
//! optional session `Policy` (IAM JSON: it can only take rights away). Without roles, a
//! user assumes itself, as MinIO does: `RoleArn` is accepted and not used. Temporary
//! credentials cannot assume again, nor administer.
//!
//! <https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use http::StatusCode;

use crate::state::AppState;
use crate::users::sessions::{DEFAULT_DURATION, MAX_DURATION, MIN_DURATION};
use crate::users::DirectoryError;

/// The largest AssumeRole body read.
pub const MAX_BODY: usize = 64 * 1024;
const NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// Is this an STS query-API call: `POST /` with a form body?
pub fn is_sts_request(parts: &http::request::Parts) -> bool {
    parts.method == http::Method::POST
        && parts.uri.path() == "/"
        && parts
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"))
}

/// The form's fields, decoded.
fn fields(body: &[u8]) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(pair), String::new()),
        })
        .collect()
}

fn escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

fn xml(status: StatusCode, body: String) -> Response {
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "text/xml")
        .body(Body::from(body))
        .unwrap_or_else(|_| {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            r
        })
}

/// STS's error document (the query protocol's, which the SDKs parse).
fn error(status: StatusCode, code: &str, message: &str, request_id: &str) -> Response {
    let kind = if status.is_server_error() {
        "Receiver"
    } else {
        "Sender"
    };
    xml(
        status,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"{NS}\"><Error><Type>{kind}</Type><Code>{code}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
            escape(message)
        ),
    )
}

pub async fn handle(
    state: &Arc<AppState>,
    caller: Option<&str>,
    body: &[u8],
    request_id: &str,
) -> Response {
    let fields = fields(body);
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    match field("Action") {
        Some("AssumeRole") => {}
        Some(other) => {
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidAction",
                &format!("Could not find operation {other} (only AssumeRole is offered)"),
                request_id,
            )
        }
        None => {
            return error(
                StatusCode::BAD_REQUEST,
                "MissingAction",
                "Action is missing",
                request_id,
            )
        }
    }
    let Some(identity) = caller else {
        return error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "AssumeRole needs a user's long-term credentials, signed for the sts service",
            request_id,
        );
    };
    let duration = match field("DurationSeconds").map(str::parse::<u64>) {
        None => DEFAULT_DURATION,
        Some(Ok(d)) if (MIN_DURATION..=MAX_DURATION).contains(&d) => d,
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "ValidationError",
                &format!(
                    "1 validation error detected: Value at 'durationSeconds' failed to satisfy constraint: Member must be between {MIN_DURATION} and {MAX_DURATION}"
                ),
                request_id,
            )
        }
    };
    let session_name = field("RoleSessionName").unwrap_or("session").to_owned();
    let issued = match state
        .directory
        .assume(identity, duration, field("Policy"))
        .await
    {
        Ok(issued) => issued,
        Err(DirectoryError::InvalidPolicy(why)) => {
            return error(
                StatusCode::BAD_REQUEST,
                "MalformedPolicyDocument",
                &why,
                request_id,
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "AssumeRole failed");
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalFailure",
                "the credentials could not be stored",
                request_id,
            );
        }
    };
    tracing::info!(target: "originstore::audit", user = identity, session = %session_name, expires = issued.expires, "temporary credentials issued");
    let expiration = crate::xml::timestamp(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(issued.expires),
    );
    let account = crate::identity::account_id(identity);
    xml(
        StatusCode::OK,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<AssumeRoleResponse xmlns=\"{NS}\"><AssumeRoleResult><Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey><SessionToken>{}</SessionToken><Expiration>{expiration}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>{}:{}</AssumedRoleId><Arn>arn:aws:sts::{account}:assumed-role/{}/{}</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></AssumeRoleResponse>",
            issued.access_key,
            issued.secret_key,
            issued.token,
            escape(identity),
            escape(&session_name),
            escape(identity),
            escape(&session_name),
        ),
    )
}
