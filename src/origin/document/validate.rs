//! Validation: wire structs -> domain types. Every rejection names the element (and the
//! rule, by document order) and the reason; messages never contain a `SecretKey`.

use super::model::{
    ConfigError, CredentialProvider, FileInfo, Freshness, HostInfo, HttpHeaderRules,
    LegacyFileInfo, NewHttpHeader, OnOriginDelete, OriginCondition, OriginConfiguration,
    OriginParameter, OriginRule, OriginType, PrefixConfiguration, PrivateHost, Protocol,
    StandbyHost, SuffixConfiguration, Throttle, AWS4_HMAC_SHA256, HOP_BY_HOP, MAX_HOST_INFOS,
    MAX_NEW_HTTP_HEADERS, MAX_STANDBY_HOSTS,
};
use super::wire::*;
use std::fmt;

pub(super) fn validate(wire: WireConfiguration) -> Result<OriginConfiguration, ConfigError> {
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
    if parameter.list_through {
        if hosts.iter().any(|h| h.private_host.is_none()) {
            return Err(ctx.invalid(
                "ListThrough",
                "needs a PrivateHost (an S3-compatible origin to list) on every HostInfo",
            ));
        }
        // Listing maps origin keys back to local ones: only a prefix replacement that
        // covers every key of the rule can be undone in order.
        let prefix_swap = file_info.prefix.as_ref().is_some_and(|p| {
            p.replaced_with.is_some() && condition.prefix.starts_with(p.prefix.as_str())
        });
        let rewrites = FileInfo {
            prefix: None,
            ..file_info.clone()
        } != FileInfo::default();
        if rewrites || (file_info.prefix.is_some() && !prefix_swap) {
            return Err(ctx.invalid(
                "ListThrough",
                "works with key rewriting only as a PrefixConfiguration with a ReplacedWithPrefix whose Prefix starts the rule's OriginCondition Prefix",
            ));
        }
    }

    if parameter.write_through {
        let one_private = match hosts.as_slice() {
            [host] => host.private_host.is_some() && host.standby.is_empty(),
            _ => false,
        };
        if origin_type != OriginType::Mirror || !parameter.copy_origin_data {
            return Err(ctx.invalid(
                "WriteThrough",
                "works on Mirror rules that keep what they pull (CopyOriginData true)",
            ));
        }
        if !one_private {
            return Err(ctx.invalid(
                "WriteThrough",
                "needs exactly one HostInfo, a PrivateHost (the S3-compatible store writes go to) without standby hosts",
            ));
        }
        if file_info != FileInfo::default() {
            return Err(ctx.invalid(
                "WriteThrough",
                "keeps keys as they are: no FileInfo key rewriting",
            ));
        }
    }

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
        freshness: w
            .freshness
            .map(|f| validate_freshness(ctx, f))
            .transpose()?,
        list_through: parse_bool(ctx, "ListThrough", w.list_through, false)?,
        write_through: parse_bool(ctx, "WriteThrough", w.write_through, false)?,
        throttle: w
            .throttle
            .map(|t| validate_throttle(ctx, t))
            .transpose()?
            .unwrap_or_default(),
    })
}

fn validate_throttle(ctx: &Ctx, w: WireThrottle) -> Result<Throttle, ConfigError> {
    fn positive<T: std::str::FromStr + Default + PartialOrd>(
        ctx: &Ctx,
        element: &str,
        value: Option<String>,
    ) -> Result<Option<T>, ConfigError> {
        match value.as_deref().map(str::trim) {
            None => Ok(None),
            Some(text) => match text.parse::<T>() {
                Ok(n) if n > T::default() => Ok(Some(n)),
                _ => Err(ctx.invalid(
                    &format!("Throttle/{element}"),
                    format!("{text:?} is not a positive whole number"),
                )),
            },
        }
    }
    Ok(Throttle {
        requests_per_second: positive(ctx, "RequestsPerSecond", w.requests_per_second)?,
        concurrency: positive(ctx, "Concurrency", w.concurrency)?,
        bytes_per_second: positive(ctx, "BytesPerSecond", w.bytes_per_second)?,
    })
}

fn validate_freshness(ctx: &Ctx, w: WireFreshness) -> Result<Freshness, ConfigError> {
    let seconds = |element: &str, value: Option<String>| match value.as_deref().map(str::trim) {
        None => Ok(None),
        Some(text) => text.parse::<u64>().map(Some).map_err(|_| {
            ctx.invalid(
                &format!("Freshness/{element}"),
                format!("{text:?} is not a number of seconds"),
            )
        }),
    };
    let on_origin_delete = match w.on_origin_delete.as_deref().map(str::trim) {
        None | Some("Keep") => OnOriginDelete::Keep,
        Some("Delete") => OnOriginDelete::Delete,
        Some(other) => {
            return Err(ctx.invalid(
                "Freshness/OnOriginDelete",
                format!("{other:?} is not Keep or Delete"),
            ))
        }
    };
    let freshness = Freshness {
        max_age_secs: seconds("MaxAgeSeconds", w.max_age_seconds)?,
        use_origin_cache_control: parse_bool(
            ctx,
            "Freshness/UseOriginCacheControl",
            w.use_origin_cache_control,
            false,
        )?,
        stale_while_revalidate: parse_bool(
            ctx,
            "Freshness/StaleWhileRevalidate",
            w.stale_while_revalidate,
            false,
        )?,
        stale_if_error_secs: seconds("StaleIfErrorSeconds", w.stale_if_error_seconds)?,
        on_origin_delete,
    };
    if freshness.max_age_secs.is_none() && !freshness.use_origin_cache_control {
        return Err(ctx.invalid(
            "Freshness",
            "needs MaxAgeSeconds or UseOriginCacheControl true, or nothing would ever go stale",
        ));
    }
    Ok(freshness)
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
/// owns them (with the hop-by-hop ones, [`HOP_BY_HOP`]).
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
            || HOP_BY_HOP.contains(&lower.as_str())
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
