//! S3 errors: the code enum with AWS's statuses, the `<Error>` XML body, and the single
//! exhaustive mapping from storage and auth errors.
//!
//! Clients never see internal error text: a 5xx carries a generic message and its source
//! is logged once, where the response is rendered.
//! Codes and statuses: <https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>

use http::StatusCode;

use crate::auth::AuthError;

macro_rules! codes {
    ($($name:ident => $status:expr,)*) => {
        /// An S3 error code and the HTTP status AWS answers it with.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum S3ErrorCode { $($name,)* }

        impl S3ErrorCode {
            pub fn as_str(self) -> &'static str {
                match self { $(S3ErrorCode::$name => stringify!($name),)* }
            }
            pub fn status(self) -> StatusCode {
                match self { $(S3ErrorCode::$name => $status,)* }
            }
            /// The code named `name` (an error another S3 server answered), if it is one.
            pub fn parse(name: &str) -> Option<S3ErrorCode> {
                match name { $(stringify!($name) => Some(S3ErrorCode::$name),)* _ => None }
            }
        }
    };
}

codes! {
    AccessDenied => StatusCode::FORBIDDEN,
    AccessControlListNotSupported => StatusCode::BAD_REQUEST,
    AccessForbidden => StatusCode::FORBIDDEN,
    AuthorizationHeaderMalformed => StatusCode::BAD_REQUEST,
    AuthorizationQueryParametersError => StatusCode::BAD_REQUEST,
    BadDigest => StatusCode::BAD_REQUEST,
    BadRequest => StatusCode::BAD_REQUEST,
    BucketAlreadyExists => StatusCode::CONFLICT,
    BucketAlreadyOwnedByYou => StatusCode::CONFLICT,
    BucketNotEmpty => StatusCode::CONFLICT,
    ConditionalRequestConflict => StatusCode::CONFLICT,
    EntityTooLarge => StatusCode::BAD_REQUEST,
    ExpiredToken => StatusCode::BAD_REQUEST,
    EntityTooSmall => StatusCode::BAD_REQUEST,
    IncompleteBody => StatusCode::BAD_REQUEST,
    InsufficientStorage => StatusCode::INSUFFICIENT_STORAGE,
    InternalError => StatusCode::INTERNAL_SERVER_ERROR,
    InvalidAccessKeyId => StatusCode::FORBIDDEN,
    InvalidArgument => StatusCode::BAD_REQUEST,
    InvalidBucketState => StatusCode::CONFLICT,
    InvalidBucketAclWithObjectOwnership => StatusCode::BAD_REQUEST,
    InvalidBucketName => StatusCode::BAD_REQUEST,
    InvalidDigest => StatusCode::BAD_REQUEST,
    InvalidPart => StatusCode::BAD_REQUEST,
    InvalidPolicyDocument => StatusCode::BAD_REQUEST,
    InvalidPartOrder => StatusCode::BAD_REQUEST,
    InvalidRange => StatusCode::RANGE_NOT_SATISFIABLE,
    InvalidRequest => StatusCode::BAD_REQUEST,
    InvalidStorageClass => StatusCode::BAD_REQUEST,
    InvalidToken => StatusCode::BAD_REQUEST,
    InvalidTag => StatusCode::BAD_REQUEST,
    InvalidURI => StatusCode::BAD_REQUEST,
    KeyTooLongError => StatusCode::BAD_REQUEST,
    MalformedPOSTRequest => StatusCode::BAD_REQUEST,
    MalformedPolicy => StatusCode::BAD_REQUEST,
    MalformedXML => StatusCode::BAD_REQUEST,
    MaxPostPreDataLengthExceededError => StatusCode::BAD_REQUEST,
    MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
    MissingContentLength => StatusCode::LENGTH_REQUIRED,
    MissingSecurityHeader => StatusCode::BAD_REQUEST,
    NoSuchBucket => StatusCode::NOT_FOUND,
    NoSuchBucketPolicy => StatusCode::NOT_FOUND,
    NoSuchBackfill => StatusCode::NOT_FOUND,
    NoSuchMigrationPass => StatusCode::NOT_FOUND,
    NoSuchCORSConfiguration => StatusCode::NOT_FOUND,
    NoSuchKey => StatusCode::NOT_FOUND,
    NoSuchLifecycleConfiguration => StatusCode::NOT_FOUND,
    NoSuchObjectLockConfiguration => StatusCode::NOT_FOUND,
    NoSuchOriginConfiguration => StatusCode::NOT_FOUND,
    NoSuchPublicAccessBlockConfiguration => StatusCode::NOT_FOUND,
    NoSuchTagSet => StatusCode::NOT_FOUND,
    NoSuchUpload => StatusCode::NOT_FOUND,
    NoSuchVersion => StatusCode::NOT_FOUND,
    NotImplemented => StatusCode::NOT_IMPLEMENTED,
    NotModified => StatusCode::NOT_MODIFIED,
    ObjectLockConfigurationNotFoundError => StatusCode::NOT_FOUND,
    OperationAborted => StatusCode::CONFLICT,
    OwnershipControlsNotFoundError => StatusCode::NOT_FOUND,
    PreconditionFailed => StatusCode::PRECONDITION_FAILED,
    QuotaExceeded => StatusCode::FORBIDDEN,
    RequestTimeTooSkewed => StatusCode::FORBIDDEN,
    RequestTimeout => StatusCode::BAD_REQUEST,
    ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
    SignatureDoesNotMatch => StatusCode::FORBIDDEN,
    SlowDown => StatusCode::SERVICE_UNAVAILABLE,
    UnresolvableGrantByEmailAddress => StatusCode::BAD_REQUEST,
    XAmzContentSHA256Mismatch => StatusCode::BAD_REQUEST,
}

/// An error as the client will see it.
#[derive(Debug)]
pub struct S3Error {
    pub code: S3ErrorCode,
    pub message: String,
    /// Overrides the code's status (origin `TransparentErrorCode`).
    pub status: Option<StatusCode>,
    /// Extra response headers (e.g. `Retry-After`).
    pub headers: Vec<(&'static str, String)>,
    /// For 5xx: the internal cause, logged, never sent.
    pub source: Option<String>,
}

impl S3Error {
    pub fn new(code: S3ErrorCode, message: impl Into<String>) -> S3Error {
        S3Error {
            code,
            message: message.into(),
            status: None,
            headers: Vec::new(),
            source: None,
        }
    }

    /// An internal error: the client gets a generic message, the log gets `source`.
    pub fn internal(source: impl std::fmt::Display) -> S3Error {
        S3Error {
            source: Some(source.to_string()),
            ..S3Error::new(
                S3ErrorCode::InternalError,
                "We encountered an internal error. Please try again.",
            )
        }
    }

    pub fn not_implemented(operation: &str) -> S3Error {
        S3Error::new(
            S3ErrorCode::NotImplemented,
            format!("{operation} is not implemented by originstore"),
        )
    }

    pub fn malformed_xml(detail: impl std::fmt::Display) -> S3Error {
        S3Error::new(
            S3ErrorCode::MalformedXML,
            format!("The XML you provided was not well-formed or did not validate against our published schema: {detail}"),
        )
    }

    pub fn invalid_argument(message: impl Into<String>) -> S3Error {
        S3Error::new(S3ErrorCode::InvalidArgument, message)
    }

    pub fn with_status(mut self, status: StatusCode) -> S3Error {
        self.status = Some(status);
        self
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> S3Error {
        self.headers.push((name, value.into()));
        self
    }

    /// Whether this answers a read of a delete marker (not a plain missing key: a versioned
    /// origin bucket must not pull a key whose current version is a delete marker).
    pub fn is_delete_marker(&self) -> bool {
        self.headers.iter().any(|(n, _)| *n == DELETE_MARKER_HEADER)
    }

    /// Attach an internal cause: logged for 5xx, never sent.
    pub fn with_source(mut self, source: impl Into<String>) -> S3Error {
        self.source = Some(source.into());
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status.unwrap_or_else(|| self.code.status())
    }
}

impl std::fmt::Display for S3Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

/// The one mapping from storage errors; no wildcard arm, so a new storage error cannot be
/// forgotten here.
impl From<storage::Error> for S3Error {
    fn from(e: storage::Error) -> S3Error {
        S3Error::from(&e)
    }
}

/// The same mapping for an error shared by several answers (an origin fill's, told to
/// every client of its flight).
impl From<&storage::Error> for S3Error {
    fn from(e: &storage::Error) -> S3Error {
        use storage::Error as E;
        use S3ErrorCode as C;
        match e {
            E::NoSuchBucket => S3Error::new(C::NoSuchBucket, "The specified bucket does not exist"),
            E::BucketAlreadyExists => S3Error::new(
                C::BucketAlreadyExists,
                "The requested bucket name is not available. Please select a different name and try again.",
            ),
            E::BucketAlreadyOwnedByYou => S3Error::new(
                C::BucketAlreadyOwnedByYou,
                "Your previous request to create the named bucket succeeded and you already own it.",
            ),
            E::BucketNotEmpty => S3Error::new(C::BucketNotEmpty, "The bucket you tried to delete is not empty"),
            E::InvalidBucketName(why) => S3Error::new(C::InvalidBucketName, format!("The specified bucket is not valid: {why}")),
            E::NoSuchKey => S3Error::new(C::NoSuchKey, "The specified key does not exist."),
            E::NoSuchVersion => S3Error::new(C::NoSuchVersion, "The specified version does not exist."),
            E::InvalidVersionId => S3Error::invalid_argument("Invalid version id specified"),
            // <https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeleteMarker.html>: a
            // current delete marker reads as a missing key, an addressed one as 405.
            E::DeleteMarker { version_id, last_modified, addressed: false } => {
                let _ = last_modified; // sent only when the marker is addressed
                S3Error::new(C::NoSuchKey, "The specified key does not exist.")
                    .with_header(DELETE_MARKER_HEADER, "true")
                    .with_header("x-amz-version-id", version_id)
            }
            E::DeleteMarker { version_id, last_modified, addressed: true } => S3Error::new(
                C::MethodNotAllowed,
                "The specified method is not allowed against this resource.",
            )
            .with_header(DELETE_MARKER_HEADER, "true")
            .with_header("x-amz-version-id", version_id)
            .with_header("last-modified", httpdate::fmt_http_date(*last_modified))
            .with_header("allow", "DELETE"),
            E::PreconditionFailed => S3Error::new(
                C::PreconditionFailed,
                "At least one of the pre-conditions you specified did not hold",
            ),
            E::ConditionalRequestConflict => S3Error::new(
                C::ConditionalRequestConflict,
                "The conditional request cannot succeed due to a conflicting operation against this resource.",
            ),
            E::KeyTooLong => S3Error::new(C::KeyTooLongError, "Your key is too long"),
            E::InvalidKey(why) => S3Error::new(C::InvalidArgument, format!("Invalid object key: {why}")),
            E::InvalidRange { size } => S3Error::new(C::InvalidRange, "The requested range is not satisfiable")
                .with_header("content-range", format!("bytes */{size}")),
            E::BadDigest => S3Error::new(C::BadDigest, "The Content-MD5 you specified did not match what we received."),
            E::ChecksumMismatch { algorithm } => S3Error::new(
                C::BadDigest,
                format!("The {} you specified did not match the calculated checksum.", algorithm.as_str()),
            ),
            E::IncompleteBody { expected, got } => S3Error::new(
                C::IncompleteBody,
                format!("You did not provide the number of bytes specified by the Content-Length HTTP header ({got} of {expected})"),
            ),
            E::NoSuchUpload => S3Error::new(
                C::NoSuchUpload,
                "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
            ),
            E::InvalidPart(why) => S3Error::new(
                C::InvalidPart,
                format!("One or more of the specified parts could not be found or did not match: {why}"),
            ),
            E::InvalidPartOrder => S3Error::new(C::InvalidPartOrder, "The list of parts was not in ascending order."),
            E::EntityTooSmall { part_number } => S3Error::new(
                C::EntityTooSmall,
                format!("Your proposed upload is smaller than the minimum allowed object size (part {part_number})."),
            ),
            E::InvalidArgument(why) => S3Error::new(C::InvalidArgument, why),
            // AWS has no quotas; MinIO answers 403 too (XMinioAdminBucketQuotaExceeded).
            E::QuotaExceeded => S3Error::new(
                C::QuotaExceeded,
                "The bucket's quota does not allow this write: delete objects or raise the quota.",
            ),
            // AWS's answer to a delete, overwrite or retention change that a lock forbids.
            E::ObjectLocked => S3Error::new(
                C::AccessDenied,
                "Access Denied because object protected by object lock.",
            ),
            E::Poisoned => S3Error {
                source: Some("storage poisoned after a failed fsync".into()),
                ..S3Error::new(C::ServiceUnavailable, "The server cannot accept writes right now.")
            },
            // A full disk (or quota) is the operator's to fix, not a retryable fault: 507,
            // which SDKs do not retry. Nothing was written; writes work again once space is
            // freed.
            E::Io(e) if is_disk_full(e) => S3Error {
                source: Some(e.to_string()),
                ..S3Error::new(C::InsufficientStorage, "The server has no space left to store this object.")
            },
            e @ (E::Meta(_) | E::Corrupt(_) | E::Io(_)) => S3Error::internal(e),
        }
    }
}

/// ENOSPC or EDQUOT.
fn is_disk_full(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::StorageFull
        || e.kind() == std::io::ErrorKind::QuotaExceeded
        || matches!(e.raw_os_error(), Some(28 | 122))
}

/// Set on answers about a delete marker.
pub const DELETE_MARKER_HEADER: &str = "x-amz-delete-marker";

/// A request document that does not parse: MalformedXML, naming what is wrong.
impl From<crate::xml::XmlError> for S3Error {
    fn from(e: crate::xml::XmlError) -> S3Error {
        S3Error::malformed_xml(e)
    }
}

impl From<AuthError> for S3Error {
    fn from(e: AuthError) -> S3Error {
        use S3ErrorCode as C;
        match e {
            AuthError::AccessDenied(why) => S3Error::new(C::AccessDenied, why),
            AuthError::InvalidAccessKeyId => S3Error::new(
                C::InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records.",
            ),
            AuthError::SignatureDoesNotMatch => S3Error::new(
                C::SignatureDoesNotMatch,
                "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
            ),
            AuthError::AuthorizationHeaderMalformed(why) => S3Error::new(C::AuthorizationHeaderMalformed, why),
            AuthError::AuthorizationQueryParametersError(why) => S3Error::new(C::AuthorizationQueryParametersError, why),
            AuthError::RequestTimeTooSkewed => S3Error::new(
                C::RequestTimeTooSkewed,
                "The difference between the request time and the server's time is too large.",
            ),
            AuthError::XAmzContentSHA256Mismatch => S3Error::new(
                C::XAmzContentSHA256Mismatch,
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            ),
            AuthError::InvalidDigest(why) => S3Error::new(C::InvalidDigest, why),
            AuthError::IncompleteBody => S3Error::new(
                C::IncompleteBody,
                "You did not provide the number of bytes specified by the Content-Length HTTP header",
            ),
            AuthError::InvalidChunk(why) => S3Error::new(C::IncompleteBody, format!("Malformed aws-chunked body: {why}")),
            AuthError::InvalidRequest(why) => S3Error::new(C::InvalidRequest, why),
            AuthError::MissingContentLength => {
                S3Error::new(C::MissingContentLength, "You must provide the Content-Length HTTP header.")
            }
            AuthError::Io(why) => S3Error::new(C::IncompleteBody, format!("The request body could not be read: {why}")),
            AuthError::RequestTimeout => S3Error::new(
                C::RequestTimeout,
                "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.",
            ),
        }
    }
}

/// The `<Error>` document; `resource` is the request path.
pub fn error_xml(err: &S3Error, resource: &str, request_id: &str) -> String {
    let body = crate::xml::ErrorBody {
        code: err.code.as_str(),
        message: &err.message,
        resource,
        request_id,
    };
    crate::xml::to_xml_without_namespace(&body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_match_aws() {
        assert_eq!(S3ErrorCode::NoSuchKey.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            S3ErrorCode::InvalidRange.status(),
            StatusCode::RANGE_NOT_SATISFIABLE
        );
        assert_eq!(
            S3ErrorCode::SignatureDoesNotMatch.status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(S3ErrorCode::BucketNotEmpty.status(), StatusCode::CONFLICT);
        assert_eq!(
            S3ErrorCode::MissingContentLength.status(),
            StatusCode::LENGTH_REQUIRED
        );
        assert_eq!(S3ErrorCode::NotImplemented.as_str(), "NotImplemented");
    }

    #[test]
    fn xml_errors_are_malformed_xml() {
        let err = crate::xml::from_xml::<crate::xml::CompleteMultipartUpload>(
            b"<CompleteMultipartUpload><Part>",
        )
        .err()
        .expect("fails");
        let err = S3Error::from(err);
        assert_eq!(err.code, S3ErrorCode::MalformedXML);
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let e: S3Error = storage::Error::Meta("sled exploded at /secret/path".into()).into();
        assert_eq!(e.code, S3ErrorCode::InternalError);
        assert!(!e.message.contains("secret"));
        assert!(e.source.as_deref().is_some_and(|s| s.contains("sled")));
    }

    #[test]
    fn error_document_is_exact() {
        let e = S3Error::new(S3ErrorCode::NoSuchKey, "The specified key does not exist.");
        assert_eq!(
            error_xml(&e, "/b/k&<>", "REQ1"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Resource>/b/k&amp;&lt;&gt;</Resource><RequestId>REQ1</RequestId></Error>"
        );
    }
}
