//! [`RequestContext`]: one request after routing and authentication — its head, the
//! verified caller, its body (taken once), its id and the client's address — as every handler
//! receives it.

use crate::access::{Principal, RequestInfo};
use crate::body::RequestBody;
use crate::error::{S3Error, S3ErrorCode};

/// One request after routing and authentication.
pub struct RequestContext {
    pub parts: http::request::Parts,
    /// The verified caller's identity; `None` for an anonymous request.
    pub user: Option<String>,
    /// Temporary credentials' session policy: the request must be allowed by it too.
    pub session_policy: Option<std::sync::Arc<crate::access::BucketPolicy>>,
    /// The request body; taken once by the handler that reads it. (A mutex so the context
    /// is `Sync` and handlers can hold `&RequestContext` across awaits: bodies are not.)
    pub body: std::sync::Mutex<Option<RequestBody>>,
    pub request_id: String,
    /// The client's address (bucket policies' `aws:SourceIp`).
    pub source_ip: Option<std::net::IpAddr>,
}

impl RequestContext {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// Take the request body (once).
    pub fn take_body(&mut self) -> Result<RequestBody, S3Error> {
        let slot = self
            .body
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        slot.take()
            .ok_or_else(|| S3Error::internal("request body taken twice"))
    }
    /// The authenticated user, or AccessDenied.
    pub fn user(&self) -> Result<&str, S3Error> {
        self.user.as_deref().ok_or_else(access_denied)
    }

    pub fn principal(&self) -> Principal<'_> {
        Principal::from_user(self.user.as_deref())
    }

    /// What the access decision reads of the request.
    pub fn request_info(&self) -> RequestInfo<'_> {
        RequestInfo {
            headers: &self.parts.headers,
            source_ip: self.source_ip,
            secure: self
                .parts
                .extensions
                .get::<crate::serve::SecureTransport>()
                .is_some(),
            session_policy: self.session_policy.as_deref(),
        }
    }
}

pub fn access_denied() -> S3Error {
    S3Error::new(S3ErrorCode::AccessDenied, "Access Denied")
}
