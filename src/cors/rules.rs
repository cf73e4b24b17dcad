//! A bucket's validated CORS rules ([`Cors`]), which rule a browser's request matches
//! ([`CorsRequest`]), and the `Access-Control-*` and `Vary` headers the answer then carries.

use http::{HeaderMap, HeaderValue};

use super::wire::CorsConfiguration;

/// A validated CORS configuration: the document as sent (for GetBucketCors) and its rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors {
    pub document: CorsConfiguration,
    pub rules: Vec<CorsRule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsRule {
    /// Upper-case method names.
    pub methods: Vec<String>,
    pub origins: Vec<Pattern>,
    /// Matched case-insensitively.
    pub headers: Vec<Pattern>,
    pub expose_headers: Vec<String>,
    pub max_age_seconds: Option<u32>,
}

/// A string with at most one `*`, which stands for any run of characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    prefix: String,
    /// `Some`: there is a `*` and this follows it.
    suffix: Option<String>,
    case_insensitive: bool,
}

impl Pattern {
    /// `None` when `text` has more than one `*`.
    pub fn new(text: &str, case_insensitive: bool) -> Option<Pattern> {
        let text = if case_insensitive {
            text.to_ascii_lowercase()
        } else {
            text.to_owned()
        };
        let (prefix, suffix) = match text.split_once('*') {
            Some((_, after)) if after.contains('*') => return None,
            Some((before, after)) => (before.to_owned(), Some(after.to_owned())),
            None => (text, None),
        };
        Some(Pattern {
            prefix,
            suffix,
            case_insensitive,
        })
    }

    pub fn is_any(&self) -> bool {
        self.prefix.is_empty() && self.suffix.as_deref() == Some("")
    }

    pub fn matches(&self, value: &str) -> bool {
        let lowered;
        let value = if self.case_insensitive {
            lowered = value.to_ascii_lowercase();
            &lowered
        } else {
            value
        };
        match &self.suffix {
            None => value == self.prefix,
            Some(suffix) => {
                value.len() >= self.prefix.len() + suffix.len()
                    && value.starts_with(&self.prefix)
                    && value.ends_with(suffix.as_str())
            }
        }
    }
}

/// What a browser asks: its origin, the method of the actual request and, for a preflight,
/// the headers it means to send.
pub struct CorsRequest<'a> {
    pub origin: &'a str,
    pub method: &'a str,
    pub headers: Vec<&'a str>,
}

impl<'a> CorsRequest<'a> {
    /// The preflight an `OPTIONS` request's headers describe; `Err` names what is missing.
    pub fn preflight(headers: &'a HeaderMap) -> Result<CorsRequest<'a>, &'static str> {
        let origin = header(headers, "origin")
            .ok_or("Insufficient information. Origin request header needed.")?;
        let method = header(headers, "access-control-request-method")
            .ok_or("Invalid Access-Control-Request-Method: null")?;
        let requested = header(headers, "access-control-request-headers").unwrap_or("");
        Ok(CorsRequest {
            origin,
            method,
            headers: requested
                .split(',')
                .map(str::trim)
                .filter(|h| !h.is_empty())
                .collect(),
        })
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

impl Cors {
    /// The first rule that allows the request.
    pub fn find(&self, request: &CorsRequest<'_>) -> Option<&CorsRule> {
        self.rules.iter().find(|rule| rule.allows(request))
    }
}

impl CorsRule {
    fn allows(&self, request: &CorsRequest<'_>) -> bool {
        self.origins.iter().any(|o| o.matches(request.origin))
            && self.methods.iter().any(|m| m == request.method)
            && request
                .headers
                .iter()
                .all(|h| self.headers.iter().any(|p| p.matches(h)))
    }

    /// Add the `Access-Control-*` headers of this rule for `request` (`preflight`: also the
    /// allowed request headers) and `Vary`.
    pub fn apply(&self, request: &CorsRequest<'_>, preflight: bool, out: &mut HeaderMap) {
        // An origin allowed by `*` is answered `*`, without credentials, as AWS does.
        let any_origin = self.origins.iter().any(Pattern::is_any);
        let mut set = |name: &'static str, value: &str| {
            if let Ok(v) = HeaderValue::from_str(value) {
                out.insert(name, v);
            }
        };
        if any_origin {
            set("access-control-allow-origin", "*");
        } else {
            set("access-control-allow-origin", request.origin);
            set("access-control-allow-credentials", "true");
        }
        set("access-control-allow-methods", &self.methods.join(", "));
        if preflight && !request.headers.is_empty() {
            set("access-control-allow-headers", &request.headers.join(", "));
        }
        if !self.expose_headers.is_empty() {
            set(
                "access-control-expose-headers",
                &self.expose_headers.join(", "),
            );
        }
        if let Some(age) = self.max_age_seconds {
            set("access-control-max-age", &age.to_string());
        }
        add_vary(out);
    }
}

/// `Vary` for an answer that depends on the CORS configuration: caches must not serve one
/// origin's answer to another.
pub fn add_vary(out: &mut HeaderMap) {
    out.insert(
        http::header::VARY,
        HeaderValue::from_static(
            "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
        ),
    );
}
