//! The one mapping from a pull's [`Failure`] to the client's [`S3Error`]: TransparentErrorCode,
//! the server's failure status and `Retry-After`, an origin redirect not followed, and a
//! store that could not keep the fill (through the crate's one storage-error mapping, so a
//! full disk is 507 here as for a PUT).

use http::StatusCode;

use super::document::OriginRule;
use super::fetch::FetchError;
use super::flight::Failure;
use super::outcome::{status, ORIGIN_STATUS_HEADER};
use crate::config::OriginSettings;
use crate::error::{S3Error, S3ErrorCode};

pub(super) fn no_such_key() -> S3Error {
    S3Error::new(S3ErrorCode::NoSuchKey, "The specified key does not exist.")
        .with_header(ORIGIN_STATUS_HEADER, status::MISS)
}

/// The client's error for a failed pull, honouring the rule's TransparentErrorCode and the
/// server's failure status.
pub(super) fn failure_error(f: &Failure, rule: &OriginRule, settings: &OriginSettings) -> S3Error {
    match f {
        Failure::NotFound => no_such_key(),
        Failure::Redirect { status, location } => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::FOUND);
            S3Error::new(
                S3ErrorCode::NoSuchKey,
                "The object is at another location on the origin.",
            )
            .with_status(status)
            .with_header("location", location.clone())
            .with_header(ORIGIN_STATUS_HEADER, status::REDIRECTED)
        }
        Failure::Fetch(FetchError::NotFound { status })
            if rule.parameter.transparent_error_code =>
        {
            transparent(*status, "The origin refused the request.")
        }
        Failure::Fetch(FetchError::NotFound { .. }) => no_such_key(),
        Failure::Fetch(FetchError::Unavailable {
            status: Some(s), ..
        }) if rule.parameter.transparent_error_code => {
            transparent(*s, "The origin answered with an error.")
        }
        Failure::Fetch(FetchError::Forbidden { reason }) => S3Error::new(
            S3ErrorCode::AccessDenied,
            "The origin address is forbidden by the server's network policy.",
        )
        .with_header(ORIGIN_STATUS_HEADER, status::MISS)
        .with_source(reason),
        Failure::Fetch(FetchError::Unavailable { reason, .. }) => {
            unavailable(settings).with_source(reason)
        }
        Failure::Body(reason) => unavailable(settings).with_source(reason),
        Failure::Abandoned => unavailable(settings).with_source("the fill was abandoned"),
        Failure::Store(e) => {
            S3Error::from(e.as_ref()).with_header(ORIGIN_STATUS_HEADER, status::MISS)
        }
    }
}

fn transparent(status: u16, message: &str) -> S3Error {
    let code = match status {
        403 => S3ErrorCode::AccessDenied,
        404 => S3ErrorCode::NoSuchKey,
        s if s >= 500 => S3ErrorCode::ServiceUnavailable,
        _ => S3ErrorCode::InvalidRequest,
    };
    S3Error::new(code, format!("{message} (origin status {status})"))
        .with_status(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY))
        .with_header(ORIGIN_STATUS_HEADER, status::MISS)
}

/// Every origin host failed: a retryable error clients back off from (`SlowDown`).
fn unavailable(settings: &OriginSettings) -> S3Error {
    S3Error::new(
        S3ErrorCode::SlowDown,
        "The origin is unavailable; please retry.",
    )
    .with_status(
        StatusCode::from_u16(settings.failure_status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
    )
    .with_header("retry-after", settings.retry_after_secs.to_string())
    .with_header(ORIGIN_STATUS_HEADER, status::MISS)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn rule() -> OriginRule {
        let doc = br#"<OriginConfiguration><OriginRule><RulePriority>1</RulePriority><OriginType>Mirror</OriginType><OriginCondition><HTTPStatusCode>404</HTTPStatusCode></OriginCondition><OriginInfo><HostInfo><HostName>origin.example.com</HostName></HostInfo></OriginInfo></OriginRule></OriginConfiguration>"#;
        let config = crate::origin::document::parse(doc).expect("parses");
        config.rules[0].clone()
    }

    #[test]
    fn a_store_that_cannot_keep_a_fill_answers_as_for_a_put() {
        let settings = OriginSettings::default();
        let full = std::io::Error::from_raw_os_error(28);
        let answer = |f: Failure| failure_error(&f, &rule(), &settings);
        let e = answer(Failure::of_store(storage::Error::Io(full)));
        assert_eq!(
            (e.code, e.status().as_u16()),
            (S3ErrorCode::InsufficientStorage, 507)
        );
        let e = answer(Failure::of_store(storage::Error::Poisoned));
        assert_eq!(e.code, S3ErrorCode::ServiceUnavailable);
        // A body that does not check out is the origin's fault: retry later.
        let e = answer(Failure::of_store(storage::Error::BadDigest));
        assert_eq!(e.code, S3ErrorCode::SlowDown);
        let e = answer(Failure::Store(Arc::new(storage::Error::NoSuchBucket)));
        assert_eq!(e.code, S3ErrorCode::NoSuchBucket);
    }
}
