//! The bucket `origin` subresource document: COS's `OriginConfiguration` XML, parsed into typed
//! structs under a size cap, validated strictly, and serialised back (GET answers with secrets
//! redacted; the metadata store keeps the unredacted normalised XML and re-parses it on load).
//!
//! This file owns the schema and its validation. It does no I/O and knows nothing of HTTP
//! requests; what a rule *does* with a key lives in [`super::rules`].
//!
//! Parsing is two steps: quick-xml + serde read the body into `Wire*` structs whose leaves are
//! all `Option<String>` (so serde never produces a message we cannot control), then `validate`
//! turns them into the domain types, each rejection naming the element and the reason.
//! Serialisation goes the other way through the same `Wire*` structs.
//!
//! Schema and defaults: <https://cloud.tencent.com/document/product/436/34533> (PUT Bucket
//! Origin) and the COS Go SDK (`bucket_origin.go`), which sends `PrivateHost` and the
//! `StandbyHostName_N` elements that serde cannot name statically (hence the hand-written
//! (de)serialiser of `WireHostInfo`).

use std::fmt;

use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Largest accepted document, like S3's other bucket subresource documents.
pub const MAX_CONFIG_BYTES: usize = 64 * 1024;
/// What GET `?origin` shows in place of a `SecretKey`.
pub const REDACTED_SECRET: &str = "******";
/// COS: "at most 10 NewHttpHeaders".
pub const MAX_NEW_HTTP_HEADERS: usize = 10;
/// COS: `StandbyHostName_1` .. `StandbyHostName_10`.
pub const MAX_STANDBY_HOSTS: u8 = 10;
/// COS: Mirror mode takes at most 10 `HostInfo`; Proxy and Redirect take exactly one.
pub const MAX_HOST_INFOS: usize = 10;
/// The only signing algorithm a `CredentialProvider` may name.
pub const AWS4_HMAC_SHA256: &str = "AWS4-HMAC-SHA256";

// ---------------------------------------------------------------------------------------------
// Errors

/// Which S3 error code a rejected document maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigErrorCode {
    /// Not well-formed XML, wrong root, a required element missing, an element repeated that
    /// may appear once: the document does not match the schema.
    MalformedXML,
    /// The document has the right shape but a value (or a combination) is not allowed.
    InvalidArgument,
}

impl ConfigErrorCode {
    /// The S3 error code string.
    pub fn as_str(self) -> &'static str {
        match self {
            ConfigErrorCode::MalformedXML => "MalformedXML",
            ConfigErrorCode::InvalidArgument => "InvalidArgument",
        }
    }
}

/// A rejected `OriginConfiguration`. `message` names the element and the reason and is safe
/// to show to the client (it never contains a `SecretKey`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct ConfigError {
    pub code: ConfigErrorCode,
    pub message: String,
}

impl ConfigError {
    fn malformed(message: impl Into<String>) -> Self {
        ConfigError {
            code: ConfigErrorCode::MalformedXML,
            message: message.into(),
        }
    }

    fn invalid(message: impl Into<String>) -> Self {
        ConfigError {
            code: ConfigErrorCode::InvalidArgument,
            message: message.into(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Domain types

/// A bucket's origin configuration. `rules` are sorted by ascending `RulePriority` (unique).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginConfiguration {
    pub rules: Vec<OriginRule>,
}

/// One `OriginRule`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginRule {
    /// `RulePriority`: lower is tried first; positive and unique in the configuration.
    pub priority: u32,
    pub origin_type: OriginType,
    pub condition: OriginCondition,
    pub parameter: OriginParameter,
    /// `HTTPStandbyCode/StatusCode`: origin statuses (4xx/5xx) that fail over to the next
    /// host, on top of every 5xx.
    pub standby_status_codes: Vec<u16>,
    /// `OriginInfo/HostInfo`, in document order (at least one).
    pub hosts: Vec<HostInfo>,
    /// `OriginInfo/FileInfo`: how the key is rewritten toward the origin.
    pub file_info: FileInfo,
}

/// `OriginType`. COS's names: `Mirror` is the synchronous fill, `Proxy` the asynchronous one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginType {
    Mirror,
    Proxy,
    Redirect,
}

impl OriginType {
    pub fn as_str(self) -> &'static str {
        match self {
            OriginType::Mirror => "Mirror",
            OriginType::Proxy => "Proxy",
            OriginType::Redirect => "Redirect",
        }
    }
}

/// `OriginCondition`: which keys the rule applies to. Empty prefix / suffix match every key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginCondition {
    /// `HTTPStatusCode`: always 404 (the only trigger originstore has: a missing key).
    pub http_status_code: u16,
    pub prefix: String,
    pub suffix: String,
}

/// `Protocol`: the scheme of origin requests. `Follow` uses the client request's scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Http,
    Https,
    Follow,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Http => "HTTP",
            Protocol::Https => "HTTPS",
            Protocol::Follow => "FOLLOW",
        }
    }
}

/// `OriginParameter`, with COS's documented defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginParameter {
    /// Default `FOLLOW` (COS documents FOLLOW as the default).
    pub protocol: Protocol,
    /// Default false: when every origin fails, answer originstore's own error.
    pub transparent_error_code: bool,
    /// Default true (COS).
    pub follow_query_string: bool,
    pub http_header: HttpHeaderRules,
    /// Default true (COS): origin 3xx are followed, at most 10 hops.
    pub follow_redirection: bool,
    /// 301, 302 or 307; default 302 (COS).
    pub http_redirect_code: u16,
    /// Default true: keep the fetched object in the bucket.
    pub copy_origin_data: bool,
}

impl Default for OriginParameter {
    fn default() -> Self {
        OriginParameter {
            protocol: Protocol::Follow,
            transparent_error_code: false,
            follow_query_string: true,
            http_header: HttpHeaderRules::default(),
            follow_redirection: true,
            http_redirect_code: 302,
            copy_origin_data: true,
        }
    }
}

/// `OriginParameter/HttpHeader`. Header names keep the spelling of the document (so GET
/// echoes what was PUT); they are compared case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpHeaderRules {
    /// `FollowAllHeaders`, default false.
    pub follow_all_headers: bool,
    /// `FollowHttpHeaders/Header/Key`: forwarded when `follow_all_headers` is false.
    pub follow: Vec<String>,
    /// `ForbidFollowHttpHeaders` (or the older `ForbidFollowHeaders`) `/Header/Key`.
    pub forbid: Vec<String>,
    /// `NewHttpHeaders/Header`: set on every origin request, overriding client headers.
    pub new_headers: Vec<NewHttpHeader>,
}

/// One `NewHttpHeaders/Header`. An empty value adds nothing (COS: "if empty, not added").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHttpHeader {
    pub key: String,
    pub value: String,
}

/// One `OriginInfo/HostInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostInfo {
    /// `HostName`: host or IP with an optional `:port`. Required unless `PrivateHost` is
    /// given; when both are, the URL host is `PrivateHost/Host`.
    pub host_name: Option<String>,
    /// `Weight`, positive; absent counts as 1 when choosing between several `HostInfo`.
    pub weight: Option<u32>,
    /// `StandbyHostName_N`, sorted by N (gaps allowed).
    pub standby: Vec<StandbyHost>,
    pub private_host: Option<PrivateHost>,
}

/// One `StandbyHostName_N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandbyHost {
    /// N, 1..=10.
    pub index: u8,
    pub host_name: String,
}

/// `PrivateHost`: a private S3-compatible origin reached with SigV4-signed requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateHost {
    /// `Host`: `bucket.s3.example.com` (virtual-host style) or `s3.example.com/bucket`
    /// (path style), optional `:port`, no scheme. Stored without a trailing `/`.
    pub host: String,
    pub credentials: CredentialProvider,
}

/// `PrivateHost/CredentialProvider`. `AuthorizationAlgorithm` is always `AWS4-HMAC-SHA256`.
/// `Debug` does not print the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct CredentialProvider {
    pub region: String,
    /// `SecretId`: the access key id.
    pub secret_id: String,
    /// `SecretKey`: the secret access key. May be [`REDACTED_SECRET`] right after parsing a
    /// document that was read back from GET; see [`OriginConfiguration::restore_redacted_secrets`].
    pub secret_key: String,
}

impl fmt::Debug for CredentialProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialProvider")
            .field("region", &self.region)
            .field("secret_id", &self.secret_id)
            .field("secret_key", &REDACTED_SECRET)
            .finish()
    }
}

/// `OriginInfo/FileInfo`: the key rewrite toward the origin. At most one of
/// `fixed_file_path`, the modern prefix/suffix pair, or the legacy form is in effect
/// (validation rejects the combinations).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileInfo {
    pub prefix: Option<PrefixConfiguration>,
    pub suffix: Option<SuffixConfiguration>,
    /// `FixedFileConfiguration/FixedFilePath`: every key is fetched from this one path.
    pub fixed_file_path: Option<String>,
    /// The legacy `PrefixDirective` / `Prefix` / `Suffix` form.
    pub legacy: Option<LegacyFileInfo>,
}

/// `PrefixConfiguration`. With `replaced_with`, a key starting with `prefix` has that prefix
/// replaced; without it, `prefix` is prepended to every key (COS's older "add a prefix").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixConfiguration {
    pub prefix: String,
    pub replaced_with: Option<String>,
}

/// `SuffixConfiguration`: as [`PrefixConfiguration`], at the end of the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuffixConfiguration {
    pub suffix: String,
    pub replaced_with: Option<String>,
}

/// The legacy `FileInfo` form: origin path = `prefix` + key + `suffix` when `enabled`.
/// `PrefixDirective` absent counts as true (the Go SDK omits a false bool, so a document
/// carrying a Prefix but no directive means "use it"); an explicit `false` disables it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyFileInfo {
    pub enabled: bool,
    pub prefix: String,
    pub suffix: String,
}

// ---------------------------------------------------------------------------------------------
// Parse and serialise

/// Parses and validates an `OriginConfiguration` body.
pub fn parse(xml: &[u8]) -> Result<OriginConfiguration, ConfigError> {
    if xml.len() > MAX_CONFIG_BYTES {
        return Err(ConfigError::invalid(format!(
            "OriginConfiguration: the document is {} bytes, over the {} byte limit",
            xml.len(),
            MAX_CONFIG_BYTES
        )));
    }
    let text = std::str::from_utf8(xml)
        .map_err(|_| ConfigError::malformed("OriginConfiguration: the document is not UTF-8"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    check_root(text)?;
    let wire: WireConfiguration = quick_xml::de::from_str(text).map_err(|e| {
        ConfigError::malformed(format!("OriginConfiguration: not a valid document: {e}"))
    })?;
    validate(wire)
}

/// quick-xml's deserializer does not look at the root's name; a body for another
/// subresource must not be taken for an empty origin configuration.
fn check_root(text: &str) -> Result<(), ConfigError> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                let local = e.local_name();
                let name: &str = local.into_inner();
                return if name == "OriginConfiguration" {
                    Ok(())
                } else {
                    Err(ConfigError::malformed(format!(
                        "OriginConfiguration: the root element is <{name}>, expected <OriginConfiguration>"
                    )))
                };
            }
            Ok(Event::Eof) => {
                return Err(ConfigError::malformed(
                    "OriginConfiguration: the document is empty",
                ))
            }
            Ok(_) => continue,
            Err(e) => {
                return Err(ConfigError::malformed(format!(
                    "OriginConfiguration: not well-formed XML: {e}"
                )))
            }
        }
    }
}

impl OriginConfiguration {
    /// The configuration as an `OriginConfiguration` document (with an XML declaration),
    /// normalised: rules in priority order, defaults written out, the modern
    /// `ForbidFollowHttpHeaders` spelling. With `redact_secrets`, every `SecretKey` is
    /// [`REDACTED_SECRET`] (for GET); without, the result is what the metadata store keeps.
    pub fn to_xml(&self, redact_secrets: bool) -> String {
        let wire = WireConfiguration::from_domain(self, redact_secrets);
        // Serialising plain structs of strings into a String cannot fail; fall back to an
        // empty document rather than panic should quick-xml ever disagree.
        let body = quick_xml::se::to_string_with_root("OriginConfiguration", &wire)
            .unwrap_or_else(|_| "<OriginConfiguration/>".to_string());
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>{body}")
    }

    /// True when some `SecretKey` is the redaction marker (a document read back from GET
    /// and PUT again).
    pub fn has_redacted_secrets(&self) -> bool {
        self.private_hosts()
            .any(|p| p.credentials.secret_key == REDACTED_SECRET)
    }

    /// Replaces each redacted `SecretKey` with the secret stored in `previous` for the same
    /// `PrivateHost/Host` and `SecretId`, so a GET-edit-PUT cycle keeps working secrets.
    /// Fails (naming `SecretKey`) when there is no such stored secret.
    pub fn restore_redacted_secrets(
        &mut self,
        previous: Option<&OriginConfiguration>,
    ) -> Result<(), ConfigError> {
        for rule in &mut self.rules {
            for host in &mut rule.hosts {
                let Some(private) = host.private_host.as_mut() else {
                    continue;
                };
                if private.credentials.secret_key != REDACTED_SECRET {
                    continue;
                }
                let stored = previous.and_then(|prev| {
                    prev.private_hosts().find(|p| {
                        p.host == private.host
                            && p.credentials.secret_id == private.credentials.secret_id
                            && p.credentials.secret_key != REDACTED_SECRET
                    })
                });
                match stored {
                    Some(p) => private.credentials.secret_key = p.credentials.secret_key.clone(),
                    None => {
                        return Err(ConfigError::invalid(format!(
                            "OriginRule {}: SecretKey is the redaction marker but no secret is stored for PrivateHost {} and this SecretId",
                            rule.priority, private.host
                        )))
                    }
                }
            }
        }
        Ok(())
    }

    fn private_hosts(&self) -> impl Iterator<Item = &PrivateHost> {
        self.rules
            .iter()
            .flat_map(|r| r.hosts.iter())
            .filter_map(|h| h.private_host.as_ref())
    }
}

// ---------------------------------------------------------------------------------------------
// Validation: wire -> domain

fn validate(wire: WireConfiguration) -> Result<OriginConfiguration, ConfigError> {
    if wire.rules.is_empty() {
        return Err(ConfigError::malformed(
            "OriginRule: at least one OriginRule is required",
        ));
    }
    let mut rules = Vec::with_capacity(wire.rules.len());
    for (i, w) in wire.rules.into_iter().enumerate() {
        rules.push(validate_rule(i + 1, w)?);
    }
    rules.sort_by_key(|r| r.priority);
    for pair in rules.windows(2) {
        if pair[0].priority == pair[1].priority {
            return Err(ConfigError::invalid(format!(
                "RulePriority: {} is used by more than one OriginRule; priorities must be unique",
                pair[0].priority
            )));
        }
    }
    Ok(OriginConfiguration { rules })
}

/// Context for messages: "OriginRule #2 (document order)".
struct Ctx(usize);

impl Ctx {
    fn malformed(&self, element: &str, reason: impl fmt::Display) -> ConfigError {
        ConfigError::malformed(format!("OriginRule #{}: {element}: {reason}", self.0))
    }
    fn invalid(&self, element: &str, reason: impl fmt::Display) -> ConfigError {
        ConfigError::invalid(format!("OriginRule #{}: {element}: {reason}", self.0))
    }
}

fn validate_rule(n: usize, w: WireRule) -> Result<OriginRule, ConfigError> {
    let ctx = Ctx(n);

    let priority_text = w
        .rule_priority
        .ok_or_else(|| ctx.malformed("RulePriority", "is required"))?;
    let priority = match priority_text.trim().parse::<u32>() {
        Ok(p) if p > 0 => p,
        _ => {
            return Err(ctx.invalid(
                "RulePriority",
                format!("{:?} is not a positive integer", priority_text.trim()),
            ))
        }
    };

    let type_text = w
        .origin_type
        .ok_or_else(|| ctx.malformed("OriginType", "is required"))?;
    let origin_type = match type_text.trim() {
        "Mirror" => OriginType::Mirror,
        "Proxy" => OriginType::Proxy,
        "Redirect" => OriginType::Redirect,
        other => {
            return Err(ctx.invalid(
                "OriginType",
                format!("{other:?} is not one of Mirror, Proxy, Redirect"),
            ))
        }
    };

    let condition = validate_condition(&ctx, w.origin_condition)?;
    let parameter = validate_parameter(&ctx, w.origin_parameter)?;

    let mut standby_status_codes = Vec::new();
    if let Some(codes) = w.http_standby_code {
        for c in codes.status_code {
            let code = parse_error_status(&c).ok_or_else(|| {
                ctx.invalid(
                    "HTTPStandbyCode/StatusCode",
                    format!("{:?} is not a 4xx or 5xx status code", c.trim()),
                )
            })?;
            if !standby_status_codes.contains(&code) {
                standby_status_codes.push(code);
            }
        }
    }

    let info = w
        .origin_info
        .ok_or_else(|| ctx.malformed("OriginInfo", "is required"))?;
    if info.host_info.is_empty() {
        return Err(ctx.malformed("HostInfo", "at least one HostInfo is required"));
    }
    if info.host_info.len() > MAX_HOST_INFOS {
        return Err(ctx.invalid(
            "HostInfo",
            format!("at most {MAX_HOST_INFOS} HostInfo are allowed"),
        ));
    }
    if origin_type != OriginType::Mirror && info.host_info.len() > 1 {
        return Err(ctx.invalid(
            "HostInfo",
            format!(
                "OriginType {} takes exactly one HostInfo (several are for Mirror)",
                origin_type.as_str()
            ),
        ));
    }
    let mut hosts = Vec::with_capacity(info.host_info.len());
    for h in info.host_info {
        hosts.push(validate_host_info(&ctx, h)?);
    }
    let file_info = validate_file_info(&ctx, info.file_info)?;

    Ok(OriginRule {
        priority,
        origin_type,
        condition,
        parameter,
        standby_status_codes,
        hosts,
        file_info,
    })
}

fn validate_condition(ctx: &Ctx, w: Option<WireCondition>) -> Result<OriginCondition, ConfigError> {
    let w = w.unwrap_or_default();
    let http_status_code = match w.http_status_code.as_deref().map(str::trim) {
        None | Some("404") => 404,
        Some(other) => {
            return Err(ctx.invalid(
                "HTTPStatusCode",
                format!("{other:?} is not supported; origin-pull is triggered by 404 only"),
            ))
        }
    };
    Ok(OriginCondition {
        http_status_code,
        prefix: w.prefix.unwrap_or_default(),
        suffix: w.suffix.unwrap_or_default(),
    })
}

fn validate_parameter(ctx: &Ctx, w: Option<WireParameter>) -> Result<OriginParameter, ConfigError> {
    let w = w.unwrap_or_default();
    let defaults = OriginParameter::default();
    let protocol = match w.protocol.as_deref().map(str::trim) {
        None => defaults.protocol,
        Some("HTTP") => Protocol::Http,
        Some("HTTPS") => Protocol::Https,
        Some("FOLLOW") => Protocol::Follow,
        Some(other) => {
            return Err(ctx.invalid(
                "Protocol",
                format!("{other:?} is not one of HTTP, HTTPS, FOLLOW"),
            ))
        }
    };
    let http_redirect_code = match w.http_redirect_code.as_deref().map(str::trim) {
        None => defaults.http_redirect_code,
        Some("301") => 301,
        Some("302") => 302,
        Some("307") => 307,
        Some(other) => {
            return Err(ctx.invalid(
                "HttpRedirectCode",
                format!("{other:?} is not one of 301, 302, 307"),
            ))
        }
    };
    Ok(OriginParameter {
        protocol,
        transparent_error_code: parse_bool(
            ctx,
            "TransparentErrorCode",
            w.transparent_error_code,
            defaults.transparent_error_code,
        )?,
        follow_query_string: parse_bool(
            ctx,
            "FollowQueryString",
            w.follow_query_string,
            defaults.follow_query_string,
        )?,
        http_header: validate_http_header(ctx, w.http_header)?,
        follow_redirection: parse_bool(
            ctx,
            "FollowRedirection",
            w.follow_redirection,
            defaults.follow_redirection,
        )?,
        http_redirect_code,
        copy_origin_data: parse_bool(
            ctx,
            "CopyOriginData",
            w.copy_origin_data,
            defaults.copy_origin_data,
        )?,
    })
}

fn parse_bool(
    ctx: &Ctx,
    element: &str,
    value: Option<String>,
    default: bool,
) -> Result<bool, ConfigError> {
    match value.as_deref().map(str::trim) {
        None => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => Err(ctx.invalid(element, format!("{other:?} is not true or false"))),
    }
}

/// A 3-digit 4xx or 5xx status code.
fn parse_error_status(text: &str) -> Option<u16> {
    let t = text.trim();
    if t.len() != 3 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let code: u16 = t.parse().ok()?;
    (400..=599).contains(&code).then_some(code)
}

/// Headers that make no sense to set on an origin request from configuration: the transport
/// owns them (with the hop-by-hop ones, [`super::rules::HOP_BY_HOP`]).
const NOT_CONFIGURABLE_HEADERS: &[&str] = &["host", "content-length"];

fn validate_http_header(
    ctx: &Ctx,
    w: Option<WireHttpHeader>,
) -> Result<HttpHeaderRules, ConfigError> {
    let Some(w) = w else {
        return Ok(HttpHeaderRules::default());
    };
    let follow_all_headers = parse_bool(
        ctx,
        "FollowAllHeaders",
        w.follow_all_headers,
        HttpHeaderRules::default().follow_all_headers,
    )?;
    let keys = |element: &str, list: Option<WireHeaderList>| -> Result<Vec<String>, ConfigError> {
        let mut out = Vec::new();
        for h in list.map(|l| l.header).unwrap_or_default() {
            out.push(header_key(ctx, element, h.key)?);
        }
        Ok(out)
    };
    let follow = keys("FollowHttpHeaders/Header/Key", w.follow_http_headers)?;
    let mut forbid = keys(
        "ForbidFollowHttpHeaders/Header/Key",
        w.forbid_follow_http_headers,
    )?;
    forbid.extend(keys(
        "ForbidFollowHeaders/Header/Key",
        w.forbid_follow_headers,
    )?);

    let new_list = w.new_http_headers.map(|l| l.header).unwrap_or_default();
    if new_list.len() > MAX_NEW_HTTP_HEADERS {
        return Err(ctx.invalid(
            "NewHttpHeaders",
            format!(
                "{} headers given, at most {MAX_NEW_HTTP_HEADERS} are allowed",
                new_list.len()
            ),
        ));
    }
    let mut new_headers = Vec::with_capacity(new_list.len());
    for h in new_list {
        let key = header_key(ctx, "NewHttpHeaders/Header/Key", h.key)?;
        let lower = key.to_ascii_lowercase();
        if NOT_CONFIGURABLE_HEADERS.contains(&lower.as_str())
            || super::rules::HOP_BY_HOP.contains(&lower.as_str())
        {
            return Err(ctx.invalid(
                "NewHttpHeaders/Header/Key",
                format!("{key:?} is set by the transport and cannot be configured"),
            ));
        }
        let value = h.value.unwrap_or_default().trim().to_string();
        if http::HeaderValue::from_str(&value).is_err() {
            return Err(ctx.invalid(
                "NewHttpHeaders/Header/Value",
                format!("the value of {key:?} is not a valid HTTP header value"),
            ));
        }
        new_headers.push(NewHttpHeader { key, value });
    }
    Ok(HttpHeaderRules {
        follow_all_headers,
        follow,
        forbid,
        new_headers,
    })
}

fn header_key(ctx: &Ctx, element: &str, key: Option<String>) -> Result<String, ConfigError> {
    let key = key.unwrap_or_default().trim().to_string();
    if key.is_empty() {
        return Err(ctx.invalid(element, "is empty"));
    }
    if http::HeaderName::from_bytes(key.as_bytes()).is_err() {
        return Err(ctx.invalid(
            element,
            format!("{key:?} is not a valid HTTP header name (an RFC 9110 token)"),
        ));
    }
    Ok(key)
}

fn validate_host_info(ctx: &Ctx, w: WireHostInfo) -> Result<HostInfo, ConfigError> {
    let host_name = match w.host_name {
        Some(h) => Some(validate_host(ctx, "HostName", &h, false)?),
        None => None,
    };
    let weight = match w.weight {
        None => None,
        Some(text) => match text.trim().parse::<u32>() {
            Ok(v) if v > 0 => Some(v),
            _ => {
                return Err(ctx.invalid(
                    "Weight",
                    format!("{:?} is not a positive integer", text.trim()),
                ))
            }
        },
    };
    let mut standby = Vec::with_capacity(w.standby.len());
    for (name, value) in w.standby {
        let index = name
            .strip_prefix("StandbyHostName_")
            .filter(|n| !n.starts_with('0'))
            .and_then(|n| n.parse::<u8>().ok())
            .filter(|n| (1..=MAX_STANDBY_HOSTS).contains(n))
            .ok_or_else(|| {
                ctx.invalid(
                    &name,
                    format!("standby hosts are StandbyHostName_1 .. StandbyHostName_{MAX_STANDBY_HOSTS}"),
                )
            })?;
        if standby.iter().any(|s: &StandbyHost| s.index == index) {
            return Err(ctx.malformed(&name, "appears more than once"));
        }
        let host_name = validate_host(ctx, &name, &value, false)?;
        standby.push(StandbyHost { index, host_name });
    }
    standby.sort_by_key(|s| s.index);
    let private_host = match w.private_host {
        Some(p) => Some(validate_private_host(ctx, p)?),
        None => None,
    };
    if host_name.is_none() && private_host.is_none() {
        return Err(ctx.malformed("HostName", "is required (or a PrivateHost)"));
    }
    Ok(HostInfo {
        host_name,
        weight,
        standby,
        private_host,
    })
}

fn validate_private_host(ctx: &Ctx, w: WirePrivateHost) -> Result<PrivateHost, ConfigError> {
    let host = w
        .host
        .ok_or_else(|| ctx.malformed("PrivateHost/Host", "is required"))?;
    let host = validate_host(ctx, "PrivateHost/Host", &host, true)?;
    let cp = w
        .credential_provider
        .ok_or_else(|| ctx.malformed("PrivateHost/CredentialProvider", "is required"))?;
    let required = |element: &str, v: Option<String>| -> Result<String, ConfigError> {
        let v = v.unwrap_or_default().trim().to_string();
        if v.is_empty() {
            return Err(ctx.malformed(element, "is required"));
        }
        if v.chars().any(|c| c.is_control() || c.is_whitespace()) {
            // Never echo the value: it may be a secret.
            return Err(ctx.invalid(element, "must not contain whitespace or control characters"));
        }
        Ok(v)
    };
    let algorithm = required(
        "CredentialProvider/AuthorizationAlgorithm",
        cp.authorization_algorithm,
    )?;
    if algorithm != AWS4_HMAC_SHA256 {
        return Err(ctx.invalid(
            "CredentialProvider/AuthorizationAlgorithm",
            format!("{algorithm:?} is not supported; only {AWS4_HMAC_SHA256}"),
        ));
    }
    let region = required("CredentialProvider/Region", cp.region)?;
    let secret_id = required("CredentialProvider/SecretId", cp.secret_id)?;
    let secret_key = required("CredentialProvider/SecretKey", cp.secret_key)?;
    Ok(PrivateHost {
        host,
        credentials: CredentialProvider {
            region,
            secret_id,
            secret_key,
        },
    })
}

/// A `host[:port]` (IPv6 in brackets). With `allow_bucket_path`, one trailing path segment is
/// allowed (`s3.example.com/bucket`, a path-style S3 endpoint). Returns the trimmed value.
fn validate_host(
    ctx: &Ctx,
    element: &str,
    raw: &str,
    allow_bucket_path: bool,
) -> Result<String, ConfigError> {
    let value = raw.trim();
    let bad = |reason: &str| ctx.invalid(element, format!("{value:?} {reason}"));
    if value.is_empty() {
        return Err(ctx.invalid(element, "is empty"));
    }
    if value.contains("://") {
        return Err(bad("must not carry a scheme (use Protocol)"));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("must not contain whitespace"));
    }
    if value.contains(['?', '#']) {
        return Err(bad("must not carry a query or fragment"));
    }
    if value.contains('@') {
        return Err(bad("must not carry user information"));
    }
    let (authority, path) = match value.split_once('/') {
        None => (value, None),
        Some((a, p)) => (a, Some(p.trim_end_matches('/'))),
    };
    if let Some(path) = path {
        if !allow_bucket_path {
            return Err(bad("must not carry a path"));
        }
        if path.is_empty() || path.contains('/') || path == "." || path == ".." {
            return Err(bad(
                "may carry only a bucket name after the host (host/bucket)",
            ));
        }
    }
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (v6, after) = rest
            .split_once(']')
            .ok_or_else(|| bad("has an unterminated IPv6 literal"))?;
        if v6.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(bad("is not a valid IPv6 literal"));
        }
        match after {
            "" => (authority, None),
            p => match p.strip_prefix(':') {
                Some(port) => (&authority[..authority.len() - p.len()], Some(port)),
                None => return Err(bad("has text after the IPv6 literal")),
            },
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if let Some(port) = port {
        match port.parse::<u16>() {
            Ok(p) if p > 0 && !port.starts_with('+') => {}
            _ => return Err(bad("has an invalid port")),
        }
    }
    if !host.starts_with('[') {
        let ok = !host.is_empty()
            && host.len() <= 253
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
            && !host.starts_with(['.', '-'])
            && !host.contains("..");
        if !ok {
            return Err(bad("is not a valid host name or IP address"));
        }
    }
    Ok(match path {
        Some(p) => format!("{authority}/{p}"),
        None => value.to_string(),
    })
}

fn validate_file_info(ctx: &Ctx, w: Option<WireFileInfo>) -> Result<FileInfo, ConfigError> {
    let Some(w) = w else {
        return Ok(FileInfo::default());
    };
    // An empty Prefix/Suffix with no replacement rewrites nothing: COS templates send
    // `<PrefixConfiguration><Prefix></Prefix></PrefixConfiguration>`; treat it as absent.
    let prefix = w.prefix_configuration.and_then(|p| {
        let prefix = p.prefix.unwrap_or_default();
        let replaced_with = p.replaced_with_prefix;
        (!prefix.is_empty() || replaced_with.as_deref().is_some_and(|r| !r.is_empty())).then_some(
            PrefixConfiguration {
                prefix,
                replaced_with,
            },
        )
    });
    let suffix = w.suffix_configuration.and_then(|s| {
        let suffix = s.suffix.unwrap_or_default();
        let replaced_with = s.replaced_with_suffix;
        (!suffix.is_empty() || replaced_with.as_deref().is_some_and(|r| !r.is_empty())).then_some(
            SuffixConfiguration {
                suffix,
                replaced_with,
            },
        )
    });
    let fixed_file_path = match w.fixed_file_configuration {
        None => None,
        Some(f) => match f.fixed_file_path {
            None => None,
            Some(p) if p.trim().is_empty() => None,
            Some(p) => {
                if p.chars().any(char::is_control) {
                    return Err(ctx.invalid(
                        "FixedFileConfiguration/FixedFilePath",
                        "must not contain control characters",
                    ));
                }
                if p.contains(['?', '#']) {
                    return Err(ctx.invalid(
                        "FixedFileConfiguration/FixedFilePath",
                        format!("{p:?} must be a path, without query or fragment"),
                    ));
                }
                Some(p)
            }
        },
    };
    let legacy_given = w.prefix_directive.is_some()
        || w.prefix.as_deref().is_some_and(|p| !p.is_empty())
        || w.suffix.as_deref().is_some_and(|s| !s.is_empty());
    let legacy = if legacy_given {
        let enabled = parse_bool(ctx, "FileInfo/PrefixDirective", w.prefix_directive, true)?;
        Some(LegacyFileInfo {
            enabled,
            prefix: w.prefix.unwrap_or_default(),
            suffix: w.suffix.unwrap_or_default(),
        })
    } else {
        None
    };
    let legacy_rewrites = legacy
        .as_ref()
        .is_some_and(|l| l.enabled && (!l.prefix.is_empty() || !l.suffix.is_empty()));

    if fixed_file_path.is_some() && (prefix.is_some() || suffix.is_some() || legacy_rewrites) {
        return Err(ctx.invalid(
            "FixedFileConfiguration",
            "cannot be combined with prefix or suffix rewriting (PrefixConfiguration, SuffixConfiguration or the legacy Prefix/Suffix)",
        ));
    }
    if legacy_rewrites && (prefix.is_some() || suffix.is_some()) {
        return Err(ctx.invalid(
            "FileInfo/PrefixDirective",
            "the legacy Prefix/Suffix form cannot be combined with PrefixConfiguration or SuffixConfiguration",
        ));
    }
    Ok(FileInfo {
        prefix,
        suffix,
        fixed_file_path,
        legacy,
    })
}

// ---------------------------------------------------------------------------------------------
// Wire structs: the document as quick-xml sees it. Every leaf is a string; validation above
// decides what it means. Unknown elements are ignored (serde's default), so documents from
// newer COS tools still parse.

#[derive(Debug, Default, Deserialize, Serialize)]
struct WireConfiguration {
    #[serde(rename = "OriginRule", default)]
    rules: Vec<WireRule>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct WireRule {
    #[serde(rename = "RulePriority", skip_serializing_if = "Option::is_none")]
    rule_priority: Option<String>,
    #[serde(rename = "OriginType", skip_serializing_if = "Option::is_none")]
    origin_type: Option<String>,
    #[serde(rename = "OriginCondition", skip_serializing_if = "Option::is_none")]
    origin_condition: Option<WireCondition>,
    #[serde(rename = "OriginParameter", skip_serializing_if = "Option::is_none")]
    origin_parameter: Option<WireParameter>,
    #[serde(rename = "HTTPStandbyCode", skip_serializing_if = "Option::is_none")]
    http_standby_code: Option<WireStandbyCode>,
    #[serde(rename = "OriginInfo", skip_serializing_if = "Option::is_none")]
    origin_info: Option<WireOriginInfo>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct WireCondition {
    #[serde(rename = "HTTPStatusCode", skip_serializing_if = "Option::is_none")]
    http_status_code: Option<String>,
    #[serde(rename = "Prefix", skip_serializing_if = "Option::is_none")]
    prefix: Option<String>,
    #[serde(rename = "Suffix", skip_serializing_if = "Option::is_none")]
    suffix: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct WireParameter {
    #[serde(rename = "Protocol", skip_serializing_if = "Option::is_none")]
    protocol: Option<String>,
    #[serde(
        rename = "TransparentErrorCode",
        skip_serializing_if = "Option::is_none"
    )]
    transparent_error_code: Option<String>,
    #[serde(rename = "FollowQueryString", skip_serializing_if = "Option::is_none")]
    follow_query_string: Option<String>,
    #[serde(rename = "HttpHeader", skip_serializing_if = "Option::is_none")]
    http_header: Option<WireHttpHeader>,
    #[serde(rename = "FollowRedirection", skip_serializing_if = "Option::is_none")]
    follow_redirection: Option<String>,
    #[serde(rename = "HttpRedirectCode", skip_serializing_if = "Option::is_none")]
    http_redirect_code: Option<String>,
    #[serde(rename = "CopyOriginData", skip_serializing_if = "Option::is_none")]
    copy_origin_data: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct WireHttpHeader {
    #[serde(rename = "FollowAllHeaders", skip_serializing_if = "Option::is_none")]
    follow_all_headers: Option<String>,
    #[serde(rename = "FollowHttpHeaders", skip_serializing_if = "Option::is_none")]
    follow_http_headers: Option<WireHeaderList>,
    #[serde(
        rename = "ForbidFollowHttpHeaders",
        skip_serializing_if = "Option::is_none"
    )]
    forbid_follow_http_headers: Option<WireHeaderList>,
    /// The older spelling; accepted, never written.
    #[serde(rename = "ForbidFollowHeaders", skip_serializing)]
    forbid_follow_headers: Option<WireHeaderList>,
    #[serde(rename = "NewHttpHeaders", skip_serializing_if = "Option::is_none")]
    new_http_headers: Option<WireHeaderList>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct WireHeaderList {
    #[serde(rename = "Header", default)]
    header: Vec<WireHeader>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct WireHeader {
    #[serde(rename = "Key", skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    #[serde(rename = "Value", skip_serializing_if = "Option::is_none")]
    value: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct WireStandbyCode {
    #[serde(rename = "StatusCode", default)]
    status_code: Vec<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct WireOriginInfo {
    #[serde(rename = "HostInfo", default)]
    host_info: Vec<WireHostInfo>,
    #[serde(rename = "FileInfo", skip_serializing_if = "Option::is_none")]
    file_info: Option<WireFileInfo>,
}

/// `HostInfo` has element names serde cannot list statically (`StandbyHostName_N`), so it is
/// read and written as a map of child elements.
#[derive(Debug, Default)]
struct WireHostInfo {
    host_name: Option<String>,
    weight: Option<String>,
    private_host: Option<WirePrivateHost>,
    /// (element name, value) for every child whose name starts with `StandbyHostName_`.
    standby: Vec<(String, String)>,
}

impl<'de> Deserialize<'de> for WireHostInfo {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HostInfoVisitor;
        impl<'de> Visitor<'de> for HostInfoVisitor {
            type Value = WireHostInfo;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a HostInfo element")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<WireHostInfo, M::Error> {
                use serde::de::Error;
                let mut out = WireHostInfo::default();
                while let Some(name) = map.next_key::<String>()? {
                    match name.as_str() {
                        "HostName" if out.host_name.is_some() => {
                            return Err(M::Error::duplicate_field("HostName"))
                        }
                        "HostName" => out.host_name = Some(map.next_value()?),
                        "Weight" if out.weight.is_some() => {
                            return Err(M::Error::duplicate_field("Weight"))
                        }
                        "Weight" => out.weight = Some(map.next_value()?),
                        "PrivateHost" if out.private_host.is_some() => {
                            return Err(M::Error::duplicate_field("PrivateHost"))
                        }
                        "PrivateHost" => out.private_host = Some(map.next_value()?),
                        n if n.starts_with("StandbyHostName_") => {
                            let value: String = map.next_value()?;
                            out.standby.push((name, value));
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(out)
            }
        }
        deserializer.deserialize_map(HostInfoVisitor)
    }
}

impl Serialize for WireHostInfo {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Element order as the COS Go SDK writes it.
        let mut map = serializer.serialize_map(None)?;
        if let Some(h) = &self.host_name {
            map.serialize_entry("HostName", h)?;
        }
        if let Some(w) = &self.weight {
            map.serialize_entry("Weight", w)?;
        }
        if let Some(p) = &self.private_host {
            map.serialize_entry("PrivateHost", p)?;
        }
        for (name, value) in &self.standby {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct WirePrivateHost {
    #[serde(rename = "Host", skip_serializing_if = "Option::is_none")]
    host: Option<String>,
    #[serde(rename = "CredentialProvider", skip_serializing_if = "Option::is_none")]
    credential_provider: Option<WireCredentialProvider>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct WireCredentialProvider {
    #[serde(
        rename = "AuthorizationAlgorithm",
        skip_serializing_if = "Option::is_none"
    )]
    authorization_algorithm: Option<String>,
    #[serde(rename = "Region", skip_serializing_if = "Option::is_none")]
    region: Option<String>,
    #[serde(rename = "SecretId", skip_serializing_if = "Option::is_none")]
    secret_id: Option<String>,
    #[serde(rename = "SecretKey", skip_serializing_if = "Option::is_none")]
    secret_key: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct WireFileInfo {
    #[serde(rename = "PrefixDirective", skip_serializing_if = "Option::is_none")]
    prefix_directive: Option<String>,
    #[serde(rename = "Prefix", skip_serializing_if = "Option::is_none")]
    prefix: Option<String>,
    #[serde(rename = "Suffix", skip_serializing_if = "Option::is_none")]
    suffix: Option<String>,
    #[serde(
        rename = "PrefixConfiguration",
        skip_serializing_if = "Option::is_none"
    )]
    prefix_configuration: Option<WirePrefixConfiguration>,
    #[serde(
        rename = "SuffixConfiguration",
        skip_serializing_if = "Option::is_none"
    )]
    suffix_configuration: Option<WireSuffixConfiguration>,
    #[serde(
        rename = "FixedFileConfiguration",
        skip_serializing_if = "Option::is_none"
    )]
    fixed_file_configuration: Option<WireFixedFileConfiguration>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct WirePrefixConfiguration {
    #[serde(rename = "Prefix", skip_serializing_if = "Option::is_none")]
    prefix: Option<String>,
    #[serde(rename = "ReplacedWithPrefix", skip_serializing_if = "Option::is_none")]
    replaced_with_prefix: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct WireSuffixConfiguration {
    #[serde(rename = "Suffix", skip_serializing_if = "Option::is_none")]
    suffix: Option<String>,
    #[serde(rename = "ReplacedWithSuffix", skip_serializing_if = "Option::is_none")]
    replaced_with_suffix: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct WireFixedFileConfiguration {
    #[serde(rename = "FixedFilePath", skip_serializing_if = "Option::is_none")]
    fixed_file_path: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Domain -> wire

fn bool_text(b: bool) -> Option<String> {
    Some(if b { "true" } else { "false" }.to_string())
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

impl WireConfiguration {
    fn from_domain(c: &OriginConfiguration, redact: bool) -> Self {
        WireConfiguration {
            rules: c
                .rules
                .iter()
                .map(|r| WireRule::from_domain(r, redact))
                .collect(),
        }
    }
}

impl WireRule {
    fn from_domain(r: &OriginRule, redact: bool) -> Self {
        let p = &r.parameter;
        let h = &p.http_header;
        let key_list = |keys: &[String]| {
            (!keys.is_empty()).then(|| WireHeaderList {
                header: keys
                    .iter()
                    .map(|k| WireHeader {
                        key: Some(k.clone()),
                        value: None,
                    })
                    .collect(),
            })
        };
        WireRule {
            rule_priority: Some(r.priority.to_string()),
            origin_type: Some(r.origin_type.as_str().to_string()),
            origin_condition: Some(WireCondition {
                http_status_code: Some(r.condition.http_status_code.to_string()),
                prefix: non_empty(&r.condition.prefix),
                suffix: non_empty(&r.condition.suffix),
            }),
            origin_parameter: Some(WireParameter {
                protocol: Some(p.protocol.as_str().to_string()),
                transparent_error_code: bool_text(p.transparent_error_code),
                follow_query_string: bool_text(p.follow_query_string),
                http_header: Some(WireHttpHeader {
                    follow_all_headers: bool_text(h.follow_all_headers),
                    follow_http_headers: key_list(&h.follow),
                    forbid_follow_http_headers: key_list(&h.forbid),
                    forbid_follow_headers: None,
                    new_http_headers: (!h.new_headers.is_empty()).then(|| WireHeaderList {
                        header: h
                            .new_headers
                            .iter()
                            .map(|n| WireHeader {
                                key: Some(n.key.clone()),
                                value: Some(n.value.clone()),
                            })
                            .collect(),
                    }),
                }),
                follow_redirection: bool_text(p.follow_redirection),
                http_redirect_code: Some(p.http_redirect_code.to_string()),
                copy_origin_data: bool_text(p.copy_origin_data),
            }),
            http_standby_code: (!r.standby_status_codes.is_empty()).then(|| WireStandbyCode {
                status_code: r.standby_status_codes.iter().map(u16::to_string).collect(),
            }),
            origin_info: Some(WireOriginInfo {
                host_info: r
                    .hosts
                    .iter()
                    .map(|h| WireHostInfo::from_domain(h, redact))
                    .collect(),
                file_info: WireFileInfo::from_domain(&r.file_info),
            }),
        }
    }
}

impl WireHostInfo {
    fn from_domain(h: &HostInfo, redact: bool) -> Self {
        WireHostInfo {
            host_name: h.host_name.clone(),
            weight: h.weight.map(|w| w.to_string()),
            private_host: h.private_host.as_ref().map(|p| WirePrivateHost {
                host: Some(p.host.clone()),
                credential_provider: Some(WireCredentialProvider {
                    authorization_algorithm: Some(AWS4_HMAC_SHA256.to_string()),
                    region: Some(p.credentials.region.clone()),
                    secret_id: Some(p.credentials.secret_id.clone()),
                    secret_key: Some(if redact {
                        REDACTED_SECRET.to_string()
                    } else {
                        p.credentials.secret_key.clone()
                    }),
                }),
            }),
            standby: h
                .standby
                .iter()
                .map(|s| (format!("StandbyHostName_{}", s.index), s.host_name.clone()))
                .collect(),
        }
    }
}

impl WireFileInfo {
    fn from_domain(f: &FileInfo) -> Option<Self> {
        if f == &FileInfo::default() {
            return None;
        }
        Some(WireFileInfo {
            prefix_directive: f.legacy.as_ref().and_then(|l| bool_text(l.enabled)),
            prefix: f.legacy.as_ref().and_then(|l| non_empty(&l.prefix)),
            suffix: f.legacy.as_ref().and_then(|l| non_empty(&l.suffix)),
            prefix_configuration: f.prefix.as_ref().map(|p| WirePrefixConfiguration {
                prefix: Some(p.prefix.clone()),
                replaced_with_prefix: p.replaced_with.clone(),
            }),
            suffix_configuration: f.suffix.as_ref().map(|s| WireSuffixConfiguration {
                suffix: Some(s.suffix.clone()),
                replaced_with_suffix: s.replaced_with.clone(),
            }),
            fixed_file_configuration: f.fixed_file_path.as_ref().map(|p| {
                WireFixedFileConfiguration {
                    fixed_file_path: Some(p.clone()),
                }
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every element of the schema, shaped as the COS Go SDK writes it (PrivateHost before
    /// the standbys), plus an element from a newer COS (`FilterHost`) that must be ignored.
    const FULL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<OriginConfiguration>
  <OriginRule>
    <RulePriority>2</RulePriority>
    <OriginType>Mirror</OriginType>
    <OriginCondition>
      <HTTPStatusCode>404</HTTPStatusCode>
      <Prefix>images/</Prefix>
      <Suffix>.jpg</Suffix>
      <FilterHost><ForbidHost><DomainList><Domain>a.example.com</Domain></DomainList></ForbidHost></FilterHost>
    </OriginCondition>
    <OriginParameter>
      <Protocol>HTTPS</Protocol>
      <TransparentErrorCode>true</TransparentErrorCode>
      <FollowQueryString>false</FollowQueryString>
      <HttpHeader>
        <FollowAllHeaders>false</FollowAllHeaders>
        <NewHttpHeaders>
          <Header><Key>x-from</Key><Value>originstore</Value></Header>
          <Header><Key>X-Empty</Key><Value></Value></Header>
        </NewHttpHeaders>
        <FollowHttpHeaders><Header><Key>x-trace-id</Key></Header><Header><Key>Accept-Language</Key></Header></FollowHttpHeaders>
        <ForbidFollowHttpHeaders><Header><Key>cookie</Key></Header></ForbidFollowHttpHeaders>
      </HttpHeader>
      <FollowRedirection>false</FollowRedirection>
      <HttpRedirectCode>307</HttpRedirectCode>
      <CopyOriginData>false</CopyOriginData>
    </OriginParameter>
    <HTTPStandbyCode><StatusCode>403</StatusCode><StatusCode>404</StatusCode></HTTPStandbyCode>
    <OriginInfo>
      <HostInfo>
        <HostName>origin.example.com:8080</HostName>
        <Weight>3</Weight>
        <PrivateHost>
          <Host>origin-bucket.s3.example.com</Host>
          <CredentialProvider>
            <AuthorizationAlgorithm>AWS4-HMAC-SHA256</AuthorizationAlgorithm>
            <Region>us-east-1</Region>
            <SecretId>AKIDEXAMPLE</SecretId>
            <SecretKey>s3cr3t/key+value</SecretKey>
          </CredentialProvider>
        </PrivateHost>
        <StandbyHostName_3>backup3.example.com</StandbyHostName_3>
        <StandbyHostName_1>backup1.example.com</StandbyHostName_1>
      </HostInfo>
      <HostInfo>
        <HostName>[2001:db8::1]:9000</HostName>
        <Weight>1</Weight>
      </HostInfo>
      <FileInfo>
        <PrefixConfiguration><Prefix>images/</Prefix><ReplacedWithPrefix>v2/</ReplacedWithPrefix></PrefixConfiguration>
        <SuffixConfiguration><Suffix>.jpg</Suffix><ReplacedWithSuffix>.jpeg</ReplacedWithSuffix></SuffixConfiguration>
      </FileInfo>
    </OriginInfo>
  </OriginRule>
  <OriginRule>
    <RulePriority>1</RulePriority>
    <OriginType>Redirect</OriginType>
    <OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix></Prefix></OriginCondition>
    <OriginParameter>
      <HttpHeader>
        <FollowAllHeaders>true</FollowAllHeaders>
        <ForbidFollowHeaders><Header><Key>x-secret</Key></Header></ForbidFollowHeaders>
      </HttpHeader>
    </OriginParameter>
    <OriginInfo>
      <HostInfo><HostName>10.0.0.5</HostName></HostInfo>
      <FileInfo><FixedFileConfiguration><FixedFilePath>/fallback.png</FixedFilePath></FixedFileConfiguration></FileInfo>
    </OriginInfo>
  </OriginRule>
</OriginConfiguration>"#;

    /// `to_xml(false)` of [`FULL`]: rules in priority order, defaults written out.
    const FULL_NORMALISED: &str = concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?><OriginConfiguration>"#,
        "<OriginRule><RulePriority>1</RulePriority><OriginType>Redirect</OriginType>",
        "<OriginCondition><HTTPStatusCode>404</HTTPStatusCode></OriginCondition>",
        "<OriginParameter><Protocol>FOLLOW</Protocol><TransparentErrorCode>false</TransparentErrorCode>",
        "<FollowQueryString>true</FollowQueryString><HttpHeader><FollowAllHeaders>true</FollowAllHeaders>",
        "<ForbidFollowHttpHeaders><Header><Key>x-secret</Key></Header></ForbidFollowHttpHeaders></HttpHeader>",
        "<FollowRedirection>true</FollowRedirection><HttpRedirectCode>302</HttpRedirectCode>",
        "<CopyOriginData>true</CopyOriginData></OriginParameter>",
        "<OriginInfo><HostInfo><HostName>10.0.0.5</HostName></HostInfo>",
        "<FileInfo><FixedFileConfiguration><FixedFilePath>/fallback.png</FixedFilePath></FixedFileConfiguration></FileInfo>",
        "</OriginInfo></OriginRule>",
        "<OriginRule><RulePriority>2</RulePriority><OriginType>Mirror</OriginType>",
        "<OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix>images/</Prefix><Suffix>.jpg</Suffix></OriginCondition>",
        "<OriginParameter><Protocol>HTTPS</Protocol><TransparentErrorCode>true</TransparentErrorCode>",
        "<FollowQueryString>false</FollowQueryString><HttpHeader><FollowAllHeaders>false</FollowAllHeaders>",
        "<FollowHttpHeaders><Header><Key>x-trace-id</Key></Header><Header><Key>Accept-Language</Key></Header></FollowHttpHeaders>",
        "<ForbidFollowHttpHeaders><Header><Key>cookie</Key></Header></ForbidFollowHttpHeaders>",
        "<NewHttpHeaders><Header><Key>x-from</Key><Value>originstore</Value></Header>",
        "<Header><Key>X-Empty</Key><Value/></Header></NewHttpHeaders></HttpHeader>",
        "<FollowRedirection>false</FollowRedirection><HttpRedirectCode>307</HttpRedirectCode>",
        "<CopyOriginData>false</CopyOriginData></OriginParameter>",
        "<HTTPStandbyCode><StatusCode>403</StatusCode><StatusCode>404</StatusCode></HTTPStandbyCode>",
        "<OriginInfo><HostInfo><HostName>origin.example.com:8080</HostName><Weight>3</Weight>",
        "<PrivateHost><Host>origin-bucket.s3.example.com</Host><CredentialProvider>",
        "<AuthorizationAlgorithm>AWS4-HMAC-SHA256</AuthorizationAlgorithm><Region>us-east-1</Region>",
        "<SecretId>AKIDEXAMPLE</SecretId><SecretKey>s3cr3t/key+value</SecretKey></CredentialProvider></PrivateHost>",
        "<StandbyHostName_1>backup1.example.com</StandbyHostName_1><StandbyHostName_3>backup3.example.com</StandbyHostName_3>",
        "</HostInfo><HostInfo><HostName>[2001:db8::1]:9000</HostName><Weight>1</Weight></HostInfo>",
        "<FileInfo><PrefixConfiguration><Prefix>images/</Prefix><ReplacedWithPrefix>v2/</ReplacedWithPrefix></PrefixConfiguration>",
        "<SuffixConfiguration><Suffix>.jpg</Suffix><ReplacedWithSuffix>.jpeg</ReplacedWithSuffix></SuffixConfiguration></FileInfo>",
        "</OriginInfo></OriginRule></OriginConfiguration>",
    );

    /// A minimal valid rule; tests splice one element in or replace one.
    const MINIMAL_RULE: &str = "<RulePriority>1</RulePriority><OriginType>Mirror</OriginType>\
        <OriginInfo><HostInfo><HostName>origin.example.com</HostName></HostInfo></OriginInfo>";

    fn doc(rule_body: &str) -> String {
        format!("<OriginConfiguration><OriginRule>{rule_body}</OriginRule></OriginConfiguration>")
    }

    fn with_parameter(inner: &str) -> String {
        doc(&format!(
            "{MINIMAL_RULE}<OriginParameter>{inner}</OriginParameter>"
        ))
    }

    fn with_host_info(inner: &str) -> String {
        doc(&format!(
            "<RulePriority>1</RulePriority><OriginType>Mirror</OriginType>\
             <OriginInfo><HostInfo>{inner}</HostInfo></OriginInfo>"
        ))
    }

    fn with_file_info(inner: &str) -> String {
        doc(&format!(
            "<RulePriority>1</RulePriority><OriginType>Mirror</OriginType>\
             <OriginInfo><HostInfo><HostName>o.example.com</HostName></HostInfo>\
             <FileInfo>{inner}</FileInfo></OriginInfo>"
        ))
    }

    #[track_caller]
    fn rejects(xml: &str, code: ConfigErrorCode, element: &str) -> ConfigError {
        let err = parse(xml.as_bytes()).expect_err("document must be rejected");
        assert_eq!(err.code, code, "{err:?}");
        assert!(
            err.message.contains(element),
            "message {:?} must name {element}",
            err.message
        );
        err
    }

    #[test]
    fn full_cos_document_parses() {
        let c = parse(FULL.as_bytes()).unwrap();
        assert_eq!(c.rules.len(), 2);
        let (redirect, mirror) = (&c.rules[0], &c.rules[1]);
        assert_eq!(redirect.priority, 1);
        assert_eq!(redirect.origin_type, OriginType::Redirect);
        assert_eq!(redirect.parameter, {
            let mut p = OriginParameter::default();
            p.http_header.follow_all_headers = true;
            p.http_header.forbid = vec!["x-secret".into()];
            p
        });
        assert_eq!(
            redirect.file_info.fixed_file_path.as_deref(),
            Some("/fallback.png")
        );

        assert_eq!(mirror.priority, 2);
        assert_eq!(mirror.origin_type, OriginType::Mirror);
        assert_eq!(
            mirror.condition,
            OriginCondition {
                http_status_code: 404,
                prefix: "images/".into(),
                suffix: ".jpg".into()
            }
        );
        let p = &mirror.parameter;
        assert_eq!(p.protocol, Protocol::Https);
        assert!(p.transparent_error_code);
        assert!(!p.follow_query_string);
        assert!(!p.follow_redirection);
        assert_eq!(p.http_redirect_code, 307);
        assert!(!p.copy_origin_data);
        assert_eq!(p.http_header.follow, vec!["x-trace-id", "Accept-Language"]);
        assert_eq!(p.http_header.forbid, vec!["cookie"]);
        assert_eq!(
            p.http_header.new_headers,
            vec![
                NewHttpHeader {
                    key: "x-from".into(),
                    value: "originstore".into()
                },
                NewHttpHeader {
                    key: "X-Empty".into(),
                    value: String::new()
                },
            ]
        );
        assert_eq!(mirror.standby_status_codes, vec![403, 404]);
        let h = &mirror.hosts[0];
        assert_eq!(h.host_name.as_deref(), Some("origin.example.com:8080"));
        assert_eq!(h.weight, Some(3));
        assert_eq!(
            h.standby,
            vec![
                StandbyHost {
                    index: 1,
                    host_name: "backup1.example.com".into()
                },
                StandbyHost {
                    index: 3,
                    host_name: "backup3.example.com".into()
                },
            ]
        );
        let private = h.private_host.as_ref().unwrap();
        assert_eq!(private.host, "origin-bucket.s3.example.com");
        assert_eq!(private.credentials.region, "us-east-1");
        assert_eq!(private.credentials.secret_id, "AKIDEXAMPLE");
        assert_eq!(private.credentials.secret_key, "s3cr3t/key+value");
        assert_eq!(
            mirror.hosts[1].host_name.as_deref(),
            Some("[2001:db8::1]:9000")
        );
        assert_eq!(
            mirror.file_info.prefix,
            Some(PrefixConfiguration {
                prefix: "images/".into(),
                replaced_with: Some("v2/".into())
            })
        );
        assert_eq!(
            mirror.file_info.suffix,
            Some(SuffixConfiguration {
                suffix: ".jpg".into(),
                replaced_with: Some(".jpeg".into())
            })
        );
    }

    #[test]
    fn full_document_serialises_to_the_golden_string_and_round_trips() {
        let c = parse(FULL.as_bytes()).unwrap();
        let stored = c.to_xml(false);
        assert_eq!(stored, FULL_NORMALISED);
        assert_eq!(parse(stored.as_bytes()).unwrap(), c);
    }

    #[test]
    fn get_redacts_secret_keys_and_debug_never_shows_them() {
        let c = parse(FULL.as_bytes()).unwrap();
        let shown = c.to_xml(true);
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("<SecretKey>******</SecretKey>"), "{shown}");
        assert!(shown.contains("<SecretId>AKIDEXAMPLE</SecretId>"));
        assert!(!format!("{c:?}").contains("s3cr3t"));
    }

    #[test]
    fn a_redacted_document_put_back_keeps_the_stored_secret() {
        let stored = parse(FULL.as_bytes()).unwrap();
        let mut edited = parse(stored.to_xml(true).as_bytes()).unwrap();
        assert!(edited.has_redacted_secrets());
        edited.restore_redacted_secrets(Some(&stored)).unwrap();
        assert!(!edited.has_redacted_secrets());
        assert_eq!(edited, stored);

        let mut orphan = parse(stored.to_xml(true).as_bytes()).unwrap();
        let err = orphan.restore_redacted_secrets(None).unwrap_err();
        assert_eq!(err.code, ConfigErrorCode::InvalidArgument);
        assert!(err.message.contains("SecretKey"));
    }

    #[test]
    fn defaults_follow_the_cos_documentation() {
        let c = parse(doc(MINIMAL_RULE).as_bytes()).unwrap();
        let r = &c.rules[0];
        assert_eq!(r.condition.http_status_code, 404);
        assert_eq!(r.condition.prefix, "");
        let p = &r.parameter;
        assert_eq!(p.protocol, Protocol::Follow);
        assert!(!p.transparent_error_code);
        assert!(p.follow_query_string);
        assert!(p.follow_redirection);
        assert_eq!(p.http_redirect_code, 302);
        assert!(p.copy_origin_data);
        assert!(!p.http_header.follow_all_headers);
        assert_eq!(r.file_info, FileInfo::default());
        assert!(r.standby_status_codes.is_empty());
    }

    #[test]
    fn cos_documented_mirror_example_parses() {
        // Case 1 of the PUT Bucket Origin page.
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<OriginConfiguration><OriginRule><RulePriority>1</RulePriority><OriginType>Mirror</OriginType>
<OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix></Prefix></OriginCondition>
<OriginParameter><Protocol>HTTP</Protocol><FollowQueryString>true</FollowQueryString>
<HttpHeader><FollowAllHeaders>false</FollowAllHeaders>
<NewHttpHeaders><Header><Key>x-cos</Key><Value>exampleHeader</Value></Header></NewHttpHeaders>
<FollowHttpHeaders><Header><Key>exampleHeaderKey</Key></Header></FollowHttpHeaders></HttpHeader>
<FollowRedirection>true</FollowRedirection><HttpRedirectCode>302</HttpRedirectCode></OriginParameter>
<OriginInfo><HostInfo><HostName>examplebucket-1250000000.cos.ap-shanghai.myqcloud.com</HostName></HostInfo></OriginInfo>
</OriginRule></OriginConfiguration>"#;
        let c = parse(xml.as_bytes()).unwrap();
        assert_eq!(c.rules[0].parameter.protocol, Protocol::Http);
        assert_eq!(
            c.rules[0].parameter.http_header.follow,
            vec!["exampleHeaderKey"]
        );
    }

    #[test]
    fn older_forbid_spelling_is_accepted_and_written_in_the_modern_one() {
        let xml = with_parameter(
            "<HttpHeader><FollowAllHeaders>true</FollowAllHeaders>\
             <ForbidFollowHeaders><Header><Key>x-a</Key></Header></ForbidFollowHeaders>\
             <ForbidFollowHttpHeaders><Header><Key>x-b</Key></Header></ForbidFollowHttpHeaders>\
             </HttpHeader>",
        );
        let c = parse(xml.as_bytes()).unwrap();
        assert_eq!(c.rules[0].parameter.http_header.forbid, vec!["x-b", "x-a"]);
        let out = c.to_xml(false);
        assert!(!out.contains("<ForbidFollowHeaders>"));
        assert!(out.contains("<ForbidFollowHttpHeaders>"));
    }

    #[test]
    fn legacy_file_info_form_is_accepted_and_round_trips() {
        let xml = with_file_info(
            "<PrefixDirective>true</PrefixDirective><Prefix>mirror/</Prefix><Suffix>.bin</Suffix>",
        );
        let c = parse(xml.as_bytes()).unwrap();
        assert_eq!(
            c.rules[0].file_info.legacy,
            Some(LegacyFileInfo {
                enabled: true,
                prefix: "mirror/".into(),
                suffix: ".bin".into()
            })
        );
        assert_eq!(parse(c.to_xml(false).as_bytes()).unwrap(), c);

        // The Go SDK omits a false PrefixDirective: a Prefix alone means "use it".
        let c = parse(with_file_info("<Prefix>p/</Prefix>").as_bytes()).unwrap();
        assert!(c.rules[0].file_info.legacy.as_ref().unwrap().enabled);
        let c = parse(
            with_file_info("<PrefixDirective>false</PrefixDirective><Prefix>p/</Prefix>")
                .as_bytes(),
        )
        .unwrap();
        assert!(!c.rules[0].file_info.legacy.as_ref().unwrap().enabled);
    }

    #[test]
    fn empty_cos_template_elements_mean_no_rewrite() {
        let xml = with_file_info(
            "<FixedFileConfiguration><FixedFilePath>/x</FixedFilePath></FixedFileConfiguration>\
             <PrefixConfiguration><Prefix></Prefix></PrefixConfiguration>\
             <SuffixConfiguration><Suffix/></SuffixConfiguration>",
        );
        let c = parse(xml.as_bytes()).unwrap();
        assert_eq!(c.rules[0].file_info.prefix, None);
        assert_eq!(c.rules[0].file_info.suffix, None);
        assert_eq!(c.rules[0].file_info.fixed_file_path.as_deref(), Some("/x"));
    }

    #[test]
    fn unknown_elements_are_ignored() {
        let xml = doc(&format!(
            "<Future>1</Future>{MINIMAL_RULE}<OriginParameter><FollowRedirectionConfiguration>\
             <FollowOriginHeaders>true</FollowOriginHeaders></FollowRedirectionConfiguration>\
             </OriginParameter>"
        ))
        .replace(
            "<HostName>",
            "<PrivateStandbyHost_1><Host>h</Host></PrivateStandbyHost_1><HostName>",
        );
        assert!(parse(xml.as_bytes()).is_ok());
    }

    #[test]
    fn standby_hosts_keep_numeric_order_with_gaps() {
        let xml = with_host_info(
            "<HostName>a.example.com</HostName><StandbyHostName_10>j.example.com</StandbyHostName_10>\
             <StandbyHostName_2>b.example.com</StandbyHostName_2>",
        );
        let c = parse(xml.as_bytes()).unwrap();
        let idx: Vec<u8> = c.rules[0].hosts[0]
            .standby
            .iter()
            .map(|s| s.index)
            .collect();
        assert_eq!(idx, vec![2, 10]);
    }

    #[test]
    fn host_forms_that_are_accepted() {
        for host in [
            "example.com",
            "example.com:8080",
            "10.1.2.3",
            "10.1.2.3:80",
            "[::1]",
            "[::1]:9000",
            "my_host.internal",
        ] {
            let xml = with_host_info(&format!("<HostName>{host}</HostName>"));
            assert!(parse(xml.as_bytes()).is_ok(), "{host}");
        }
        let xml = with_host_info(
            "<PrivateHost><Host>s3.example.com:9000/bucket</Host><CredentialProvider>\
             <AuthorizationAlgorithm>AWS4-HMAC-SHA256</AuthorizationAlgorithm><Region>r</Region>\
             <SecretId>id</SecretId><SecretKey>k</SecretKey></CredentialProvider></PrivateHost>",
        );
        let c = parse(xml.as_bytes()).unwrap();
        assert_eq!(c.rules[0].hosts[0].host_name, None);
        assert_eq!(
            c.rules[0].hosts[0].private_host.as_ref().unwrap().host,
            "s3.example.com:9000/bucket"
        );
    }

    // --- every rejection names its element ---------------------------------------------------

    #[test]
    fn rejects_a_body_over_64_kib() {
        let mut xml = doc(MINIMAL_RULE);
        xml.push_str(&" ".repeat(MAX_CONFIG_BYTES));
        rejects(
            &xml,
            ConfigErrorCode::InvalidArgument,
            "OriginConfiguration",
        );
    }

    #[test]
    fn rejects_malformed_xml() {
        rejects(
            "<OriginConfiguration><OriginRule></OriginConfiguration>",
            ConfigErrorCode::MalformedXML,
            "OriginConfiguration",
        );
        rejects("", ConfigErrorCode::MalformedXML, "OriginConfiguration");
        rejects(
            "<OriginConfiguration><OriginRule><RulePriority>&xxe;</RulePriority></OriginRule></OriginConfiguration>",
            ConfigErrorCode::MalformedXML,
            "OriginConfiguration",
        );
        let mut not_utf8 = doc(MINIMAL_RULE).into_bytes();
        not_utf8.push(0xff);
        let err = parse(&not_utf8).unwrap_err();
        assert_eq!(err.code, ConfigErrorCode::MalformedXML);
    }

    #[test]
    fn rejects_another_root_element() {
        rejects(
            "<CORSConfiguration><CORSRule/></CORSConfiguration>",
            ConfigErrorCode::MalformedXML,
            "CORSConfiguration",
        );
    }

    #[test]
    fn rejects_a_configuration_without_rules() {
        rejects(
            "<OriginConfiguration></OriginConfiguration>",
            ConfigErrorCode::MalformedXML,
            "OriginRule",
        );
    }

    #[test]
    fn rejects_bad_rule_priorities() {
        for bad in ["0", "-1", "one", "1.5", ""] {
            let xml = doc(&MINIMAL_RULE.replace(
                "<RulePriority>1</RulePriority>",
                &format!("<RulePriority>{bad}</RulePriority>"),
            ));
            rejects(&xml, ConfigErrorCode::InvalidArgument, "RulePriority");
        }
        let missing = doc(&MINIMAL_RULE.replace("<RulePriority>1</RulePriority>", ""));
        rejects(&missing, ConfigErrorCode::MalformedXML, "RulePriority");
    }

    #[test]
    fn rejects_duplicate_rule_priority() {
        let xml = format!(
            "<OriginConfiguration><OriginRule>{MINIMAL_RULE}</OriginRule>\
             <OriginRule>{MINIMAL_RULE}</OriginRule></OriginConfiguration>"
        );
        rejects(&xml, ConfigErrorCode::InvalidArgument, "RulePriority");
    }

    #[test]
    fn rejects_unknown_origin_type_and_other_casings() {
        for bad in ["Mirrorr", "mirror", "PROXY", ""] {
            let xml = doc(&MINIMAL_RULE.replace(
                "<OriginType>Mirror</OriginType>",
                &format!("<OriginType>{bad}</OriginType>"),
            ));
            rejects(&xml, ConfigErrorCode::InvalidArgument, "OriginType");
        }
        let missing = doc(&MINIMAL_RULE.replace("<OriginType>Mirror</OriginType>", ""));
        rejects(&missing, ConfigErrorCode::MalformedXML, "OriginType");
    }

    #[test]
    fn rejects_bad_protocol() {
        for bad in ["http", "FTP", ""] {
            rejects(
                &with_parameter(&format!("<Protocol>{bad}</Protocol>")),
                ConfigErrorCode::InvalidArgument,
                "Protocol",
            );
        }
    }

    #[test]
    fn rejects_host_names_with_scheme_path_query_or_space() {
        for bad in [
            "http://origin.example.com",
            "origin.example.com/path",
            "origin.example.com?x=1",
            "origin.example.com#f",
            "origin example.com",
            "user@origin.example.com",
            "origin.example.com:99999",
            "origin.example.com:",
            "[::1",
            "[nothex]:80",
            "-bad.example.com",
            "a..b",
            "",
        ] {
            let xml = with_host_info(&format!("<HostName>{bad}</HostName>"));
            rejects(&xml, ConfigErrorCode::InvalidArgument, "HostName");
        }
    }

    #[test]
    fn rejects_a_rule_without_host_info() {
        let xml = doc("<RulePriority>1</RulePriority><OriginType>Mirror</OriginType><OriginInfo></OriginInfo>");
        rejects(&xml, ConfigErrorCode::MalformedXML, "HostInfo");
        let xml = doc("<RulePriority>1</RulePriority><OriginType>Mirror</OriginType>");
        rejects(&xml, ConfigErrorCode::MalformedXML, "OriginInfo");
        let xml = with_host_info("<Weight>1</Weight>");
        rejects(&xml, ConfigErrorCode::MalformedXML, "HostName");
    }

    #[test]
    fn rejects_several_host_infos_outside_mirror() {
        let xml = doc(
            "<RulePriority>1</RulePriority><OriginType>Proxy</OriginType><OriginInfo>\
             <HostInfo><HostName>a.example.com</HostName></HostInfo>\
             <HostInfo><HostName>b.example.com</HostName></HostInfo></OriginInfo>",
        );
        rejects(&xml, ConfigErrorCode::InvalidArgument, "HostInfo");
    }

    #[test]
    fn rejects_bad_standby_hosts() {
        for name in [
            "StandbyHostName_0",
            "StandbyHostName_11",
            "StandbyHostName_01",
            "StandbyHostName_x",
        ] {
            let xml = with_host_info(&format!(
                "<HostName>a.example.com</HostName><{name}>b.example.com</{name}>"
            ));
            rejects(&xml, ConfigErrorCode::InvalidArgument, name);
        }
        let xml = with_host_info(
            "<HostName>a.example.com</HostName><StandbyHostName_1>http://b</StandbyHostName_1>",
        );
        rejects(&xml, ConfigErrorCode::InvalidArgument, "StandbyHostName_1");
        let xml = with_host_info(
            "<HostName>a.example.com</HostName><StandbyHostName_1>b.example.com</StandbyHostName_1>\
             <StandbyHostName_1>c.example.com</StandbyHostName_1>",
        );
        rejects(&xml, ConfigErrorCode::MalformedXML, "StandbyHostName_1");
    }

    #[test]
    fn rejects_non_positive_weight() {
        for bad in ["0", "-3", "heavy"] {
            let xml = with_host_info(&format!(
                "<HostName>a.example.com</HostName><Weight>{bad}</Weight>"
            ));
            rejects(&xml, ConfigErrorCode::InvalidArgument, "Weight");
        }
    }

    #[test]
    fn rejects_status_codes_other_than_404_in_the_condition() {
        for bad in ["403", "500", "abc"] {
            let xml = doc(&format!(
                "{MINIMAL_RULE}<OriginCondition><HTTPStatusCode>{bad}</HTTPStatusCode></OriginCondition>"
            ));
            rejects(&xml, ConfigErrorCode::InvalidArgument, "HTTPStatusCode");
        }
    }

    #[test]
    fn rejects_standby_codes_that_are_not_4xx_or_5xx() {
        for bad in ["200", "302", "600", "4040", "40", "4x4"] {
            let xml = doc(&format!(
                "{MINIMAL_RULE}<HTTPStandbyCode><StatusCode>{bad}</StatusCode></HTTPStandbyCode>"
            ));
            rejects(&xml, ConfigErrorCode::InvalidArgument, "StatusCode");
        }
    }

    #[test]
    fn rejects_more_than_ten_new_headers() {
        let headers: String = (0..11)
            .map(|i| format!("<Header><Key>x-h{i}</Key><Value>v</Value></Header>"))
            .collect();
        let xml = with_parameter(&format!(
            "<HttpHeader><NewHttpHeaders>{headers}</NewHttpHeaders></HttpHeader>"
        ));
        rejects(&xml, ConfigErrorCode::InvalidArgument, "NewHttpHeaders");
    }

    #[test]
    fn rejects_invalid_header_names_and_values() {
        for (list, element) in [
            ("FollowHttpHeaders", "FollowHttpHeaders"),
            ("ForbidFollowHttpHeaders", "ForbidFollowHttpHeaders"),
            ("ForbidFollowHeaders", "ForbidFollowHeaders"),
            ("NewHttpHeaders", "NewHttpHeaders"),
        ] {
            for bad in ["bad key", "x:y", ""] {
                let xml = with_parameter(&format!(
                    "<HttpHeader><{list}><Header><Key>{bad}</Key><Value>v</Value></Header></{list}></HttpHeader>"
                ));
                rejects(&xml, ConfigErrorCode::InvalidArgument, element);
            }
        }
        let xml = with_parameter(
            "<HttpHeader><NewHttpHeaders><Header><Key>x-a</Key><Value>a&#10;b</Value></Header></NewHttpHeaders></HttpHeader>",
        );
        rejects(
            &xml,
            ConfigErrorCode::InvalidArgument,
            "NewHttpHeaders/Header/Value",
        );
        let xml = with_parameter(
            "<HttpHeader><NewHttpHeaders><Header><Key>Host</Key><Value>evil</Value></Header></NewHttpHeaders></HttpHeader>",
        );
        rejects(
            &xml,
            ConfigErrorCode::InvalidArgument,
            "NewHttpHeaders/Header/Key",
        );
    }

    #[test]
    fn rejects_redirect_codes_outside_301_302_307() {
        for bad in ["300", "303", "308", "abc"] {
            rejects(
                &with_parameter(&format!("<HttpRedirectCode>{bad}</HttpRedirectCode>")),
                ConfigErrorCode::InvalidArgument,
                "HttpRedirectCode",
            );
        }
    }

    #[test]
    fn rejects_booleans_other_than_true_and_false() {
        for element in [
            "TransparentErrorCode",
            "FollowQueryString",
            "FollowRedirection",
            "CopyOriginData",
        ] {
            for bad in ["TRUE", "1", "yes"] {
                rejects(
                    &with_parameter(&format!("<{element}>{bad}</{element}>")),
                    ConfigErrorCode::InvalidArgument,
                    element,
                );
            }
        }
        rejects(
            &with_parameter("<HttpHeader><FollowAllHeaders>no</FollowAllHeaders></HttpHeader>"),
            ConfigErrorCode::InvalidArgument,
            "FollowAllHeaders",
        );
        rejects(
            &with_file_info("<PrefixDirective>maybe</PrefixDirective>"),
            ConfigErrorCode::InvalidArgument,
            "PrefixDirective",
        );
    }

    #[test]
    fn rejects_fixed_file_combined_with_prefix_or_suffix_rewriting() {
        let fixed =
            "<FixedFileConfiguration><FixedFilePath>/f.png</FixedFilePath></FixedFileConfiguration>";
        for rewrite in [
            "<PrefixConfiguration><Prefix>a/</Prefix></PrefixConfiguration>",
            "<SuffixConfiguration><Suffix>.x</Suffix><ReplacedWithSuffix>.y</ReplacedWithSuffix></SuffixConfiguration>",
            "<PrefixDirective>true</PrefixDirective><Prefix>a/</Prefix>",
        ] {
            rejects(
                &with_file_info(&format!("{fixed}{rewrite}")),
                ConfigErrorCode::InvalidArgument,
                "FixedFileConfiguration",
            );
        }
    }

    #[test]
    fn rejects_legacy_form_combined_with_modern_rewriting() {
        rejects(
            &with_file_info(
                "<PrefixDirective>true</PrefixDirective><Prefix>a/</Prefix>\
                 <PrefixConfiguration><Prefix>b/</Prefix></PrefixConfiguration>",
            ),
            ConfigErrorCode::InvalidArgument,
            "PrefixDirective",
        );
    }

    #[test]
    fn rejects_fixed_file_paths_with_a_query() {
        rejects(
            &with_file_info(
                "<FixedFileConfiguration><FixedFilePath>/f.png?x=1</FixedFilePath></FixedFileConfiguration>",
            ),
            ConfigErrorCode::InvalidArgument,
            "FixedFilePath",
        );
    }

    #[test]
    fn rejects_incomplete_or_unsupported_private_host() {
        let full = "<Host>b.s3.example.com</Host><CredentialProvider>\
            <AuthorizationAlgorithm>AWS4-HMAC-SHA256</AuthorizationAlgorithm><Region>r</Region>\
            <SecretId>id</SecretId><SecretKey>key</SecretKey></CredentialProvider>";
        let private = |inner: &str| {
            with_host_info(&format!(
                "<HostName>a.example.com</HostName><PrivateHost>{inner}</PrivateHost>"
            ))
        };
        assert!(parse(private(full).as_bytes()).is_ok());
        for (drop, element) in [
            ("<Host>b.s3.example.com</Host>", "PrivateHost/Host"),
            (
                "<AuthorizationAlgorithm>AWS4-HMAC-SHA256</AuthorizationAlgorithm>",
                "AuthorizationAlgorithm",
            ),
            ("<Region>r</Region>", "Region"),
            ("<SecretId>id</SecretId>", "SecretId"),
            ("<SecretKey>key</SecretKey>", "SecretKey"),
        ] {
            rejects(
                &private(&full.replace(drop, "")),
                ConfigErrorCode::MalformedXML,
                element,
            );
        }
        let no_provider = "<Host>b.s3.example.com</Host>";
        rejects(
            &private(no_provider),
            ConfigErrorCode::MalformedXML,
            "CredentialProvider",
        );
        rejects(
            &private(&full.replace("AWS4-HMAC-SHA256", "HMAC-SHA1")),
            ConfigErrorCode::InvalidArgument,
            "AuthorizationAlgorithm",
        );
        rejects(
            &private(&full.replace("b.s3.example.com", "https://b.s3.example.com")),
            ConfigErrorCode::InvalidArgument,
            "PrivateHost/Host",
        );
        rejects(
            &private(&full.replace("b.s3.example.com", "s3.example.com/a/b")),
            ConfigErrorCode::InvalidArgument,
            "PrivateHost/Host",
        );
        // A bad secret is reported without echoing it.
        let err = rejects(
            &private(&full.replace(
                "<SecretKey>key</SecretKey>",
                "<SecretKey>se cret</SecretKey>",
            )),
            ConfigErrorCode::InvalidArgument,
            "SecretKey",
        );
        assert!(!err.message.contains("se cret"));
    }

    #[test]
    fn rejects_a_repeated_single_element_as_malformed() {
        let xml = doc(&format!("{MINIMAL_RULE}<OriginType>Proxy</OriginType>"));
        rejects(&xml, ConfigErrorCode::MalformedXML, "OriginType");
        let xml =
            with_host_info("<HostName>a.example.com</HostName><HostName>b.example.com</HostName>");
        rejects(&xml, ConfigErrorCode::MalformedXML, "HostName");
    }
}
