//! What an origin rule does with a key: which rule applies, which hosts to try and in which
//! order, the origin URL (scheme, host, rewritten and encoded path, forwarded query), the
//! headers forwarded to the origin, and when an origin answer means "try the next host".
//!
//! Pure functions over [`super::config`] types: no I/O, no clock, no randomness (the weighted
//! host choice hashes the key, so one key always starts at the same origin).

use http::header::{HeaderMap, HeaderName, HeaderValue, CONNECTION};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::config::{OriginConfiguration, OriginRule, PrivateHost, Protocol};

/// Bytes escaped in an origin path: everything but RFC 3986 unreserved characters and `/`,
/// which is S3's own canonical-URI encoding, so the same string serves the request line and
/// the SigV4 canonical request.
const PATH_ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

impl OriginConfiguration {
    /// The rule for `key`: rules in ascending `RulePriority`, the first whose condition prefix
    /// and suffix both match (an empty prefix / suffix matches every key).
    pub fn rule_for(&self, key: &str) -> Option<&OriginRule> {
        // `rules` is kept sorted by priority by `config::parse`; do not rely on it blindly for
        // hand-built configurations.
        let mut best: Option<&OriginRule> = None;
        for rule in &self.rules {
            if rule.matches(key) && best.is_none_or(|b| rule.priority < b.priority) {
                best = Some(rule);
            }
        }
        best
    }
}

/// One origin host to try, as produced by [`OriginRule::hosts_in_order`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostEntry<'a> {
    /// `host[:port]`, or `host[:port]/bucket` for a path-style private origin.
    pub host: &'a str,
    /// Set when requests to this host must be SigV4-signed (`PrivateHost`).
    pub private: Option<&'a PrivateHost>,
    /// Index of the `HostInfo` this entry comes from (document order).
    pub host_info: usize,
    /// `Some(N)` for `StandbyHostName_N`, `None` for the `HostInfo`'s own host.
    pub standby: Option<u8>,
}

impl OriginRule {
    /// True when the rule's condition selects `key`.
    pub fn matches(&self, key: &str) -> bool {
        key.starts_with(self.condition.prefix.as_str())
            && key.ends_with(self.condition.suffix.as_str())
    }

    /// The hosts to try for `key`, in failover order:
    ///
    /// 1. one `HostInfo` is chosen by weight (`Weight`, absent = 1): a stable hash of the key
    ///    picks a point in the total weight, so load splits by the weights across keys while
    ///    every request for one key starts at the same origin (and a fill never mixes
    ///    origins);
    /// 2. its host (`PrivateHost/Host` when present, else `HostName`), then its
    ///    `StandbyHostName_N` in N order;
    /// 3. then every other `HostInfo` in document order, each host followed by its standbys.
    ///
    /// A host already listed (same address, same signing) is not listed again.
    pub fn hosts_in_order(&self, key: &str) -> Vec<HostEntry<'_>> {
        let chosen = self.weighted_host_info(key);
        let mut order: Vec<usize> = vec![chosen];
        order.extend((0..self.hosts.len()).filter(|&i| i != chosen));

        fn push<'a>(entry: HostEntry<'a>, out: &mut Vec<HostEntry<'a>>) {
            let seen = out
                .iter()
                .any(|e| e.host == entry.host && e.private.is_some() == entry.private.is_some());
            if !seen {
                out.push(entry);
            }
        }
        let mut out: Vec<HostEntry<'_>> = Vec::new();
        for i in order {
            let Some(info) = self.hosts.get(i) else {
                continue;
            };
            let own_host = info
                .private_host
                .as_ref()
                .map(|p| p.host.as_str())
                .or(info.host_name.as_deref());
            if let Some(host) = own_host {
                push(
                    HostEntry {
                        host,
                        private: info.private_host.as_ref(),
                        host_info: i,
                        standby: None,
                    },
                    &mut out,
                );
            }
            for s in &info.standby {
                push(
                    HostEntry {
                        host: &s.host_name,
                        private: None,
                        host_info: i,
                        standby: Some(s.index),
                    },
                    &mut out,
                );
            }
        }
        out
    }

    fn weighted_host_info(&self, key: &str) -> usize {
        let weights: Vec<u64> = self
            .hosts
            .iter()
            .map(|h| u64::from(h.weight.unwrap_or(1)))
            .collect();
        let total: u64 = weights.iter().sum();
        if self.hosts.len() <= 1 || total == 0 {
            return 0;
        }
        let mut point = fnv1a64(key.as_bytes()) % total;
        for (i, w) in weights.iter().enumerate() {
            if point < *w {
                return i;
            }
            point -= w;
        }
        0
    }
}

/// FNV-1a, 64 bit: tiny, and stable across Rust releases and platforms (unlike
/// `DefaultHasher`), so the host a key maps to does not change on upgrade.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The key as the origin knows it, after the rule's `FileInfo` rewrite, not yet encoded and
/// without a leading `/`:
///
/// - `FixedFileConfiguration`: the fixed path, whatever the key;
/// - `PrefixConfiguration`: with `ReplacedWithPrefix`, a leading `Prefix` is replaced (keys
///   without it are unchanged); without, `Prefix` is prepended;
/// - `SuffixConfiguration`: likewise at the end, applied after the prefix rewrite;
/// - legacy form (`PrefixDirective` not false): `Prefix` + key + `Suffix`.
pub fn origin_path(rule: &OriginRule, key: &str) -> String {
    let f = &rule.file_info;
    if let Some(fixed) = &f.fixed_file_path {
        return fixed.trim_start_matches('/').to_string();
    }
    let mut path = key.to_string();
    if let Some(p) = &f.prefix {
        path = match &p.replaced_with {
            Some(with) => match path.strip_prefix(p.prefix.as_str()) {
                Some(rest) => format!("{with}{rest}"),
                None => path,
            },
            None => format!("{}{path}", p.prefix),
        };
    }
    if let Some(s) = &f.suffix {
        path = match &s.replaced_with {
            Some(with) => match path.strip_suffix(s.suffix.as_str()) {
                Some(rest) => format!("{rest}{with}"),
                None => path,
            },
            None => format!("{path}{}", s.suffix),
        };
    }
    if let Some(l) = f.legacy.as_ref().filter(|l| l.enabled) {
        path = format!("{}{path}{}", l.prefix, l.suffix);
    }
    path
}

/// True when `key` can be fetched from an origin without the URL meaning something else:
/// HTTP clients (WHATWG URL parsing, RFC 3986 §5.2.4) collapse `.` and `..` path segments, so
/// `a/../b` would fetch `b`. The GET path should not pull such keys (answer `NoSuchKey`).
pub fn is_pullable_key(key: &str) -> bool {
    !key.is_empty() && !key.split('/').any(|seg| seg == "." || seg == "..")
}

/// The origin URL for `key` on `host`:
///
/// - scheme from `Protocol` (`FOLLOW`: the client request's scheme);
/// - host from the entry (`HostName`, a standby, or `PrivateHost/Host`; a path-style private
///   host `s3.example.com/bucket` puts the bucket first in the path);
/// - path: [`origin_path`], percent-encoded per segment with `/` kept;
/// - query: with `FollowQueryString`, the client's query less signing and response-override
///   parameters ([`forwarded_query`]).
pub fn origin_url(
    rule: &OriginRule,
    host: &HostEntry<'_>,
    key: &str,
    client_query: Option<&str>,
    client_scheme_is_https: bool,
) -> String {
    let scheme = match rule.parameter.protocol {
        Protocol::Http => "http",
        Protocol::Https => "https",
        Protocol::Follow if client_scheme_is_https => "https",
        Protocol::Follow => "http",
    };
    let path = utf8_percent_encode(&origin_path(rule, key), PATH_ESCAPE).to_string();
    let mut url = format!("{scheme}://{}/{path}", host.host.trim_end_matches('/'));
    if rule.parameter.follow_query_string {
        if let Some(q) = client_query.and_then(forwarded_query) {
            url.push('?');
            url.push_str(&q);
        }
    }
    url
}

/// The client's query string as forwarded to the origin, or `None` when nothing is left.
/// Parameters are kept verbatim (no re-encoding) except these, which belong to the request to
/// originstore and not to the origin: `X-Amz-*` (SigV4 presigning), `response-*` (S3 response
/// header overrides), `x-id` (added by AWS SDKs), and the SigV2 presign trio
/// `AWSAccessKeyId` / `Signature` / `Expires` when `AWSAccessKeyId` is present.
pub fn forwarded_query(client_query: &str) -> Option<String> {
    let q = client_query.strip_prefix('?').unwrap_or(client_query);
    let name_of = |pair: &str| -> String {
        let raw = pair.split_once('=').map_or(pair, |(n, _)| n);
        percent_decode_str(raw)
            .decode_utf8_lossy()
            .to_ascii_lowercase()
    };
    let sigv2 = q.split('&').any(|p| name_of(p) == "awsaccesskeyid");
    let kept: Vec<&str> = q
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let name = name_of(p);
            let signing = name.starts_with("x-amz-")
                || name.starts_with("response-")
                || name == "x-id"
                || (sigv2 && matches!(name.as_str(), "awsaccesskeyid" | "signature" | "expires"));
            !signing
        })
        .collect();
    (!kept.is_empty()).then(|| kept.join("&"))
}

/// Client headers never forwarded to an origin, whatever the rule says:
/// - hop-by-hop headers (RFC 9110 §7.6.1) belong to the client's connection;
/// - `host`, `authorization`: the client's credentials and target are for originstore;
/// - `range` and the `if-*` conditionals: a fill must fetch the whole current object (the
///   client's range / conditions are applied by originstore to what it serves);
/// - `accept-encoding`: the stored copy must be the identity representation, which every
///   later client can be served;
/// - `content-length`, `content-md5`, `expect`: request-body headers, and origin requests
///   have no body.
const NEVER_FORWARDED: &[&str] = &[
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "authorization",
    "range",
    "accept-encoding",
    "content-length",
    "content-md5",
    "expect",
];

fn never_forwarded(name: &str, connection_listed: &[String]) -> bool {
    NEVER_FORWARDED.contains(&name)
        || name.starts_with("proxy-")
        || name.starts_with("if-")
        // SigV4 headers (x-amz-date, x-amz-content-sha256, x-amz-security-token), SSE-C keys
        // and every other S3 request option are for originstore, not the origin.
        || name.starts_with("x-amz-")
        || connection_listed.iter().any(|c| c == name)
}

/// The headers of the origin request: all client headers less the forbidden ones
/// (`FollowAllHeaders`), or only the `FollowHttpHeaders` ones; never the headers in
/// [`NEVER_FORWARDED`], `proxy-*`, `if-*`, `x-amz-*` or those the client's `Connection`
/// header names; then every non-empty `NewHttpHeaders` entry, replacing a forwarded header of
/// the same name.
pub fn origin_request_headers(rule: &OriginRule, client_headers: &HeaderMap) -> HeaderMap {
    let rules = &rule.parameter.http_header;
    let connection_listed: Vec<String> = client_headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    let listed = |list: &[String], name: &str| list.iter().any(|k| k.eq_ignore_ascii_case(name));

    let mut out = HeaderMap::new();
    for (name, value) in client_headers {
        let n = name.as_str();
        if never_forwarded(n, &connection_listed) {
            continue;
        }
        let wanted = if rules.follow_all_headers {
            !listed(&rules.forbid, n)
        } else {
            listed(&rules.follow, n) && !listed(&rules.forbid, n)
        };
        if wanted {
            out.append(name.clone(), value.clone());
        }
    }
    for h in &rules.new_headers {
        if h.value.is_empty() {
            continue;
        }
        // Both were validated by config::parse; skip rather than panic on a hand-built rule.
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(h.key.as_bytes()),
            HeaderValue::from_str(&h.value),
        ) {
            out.insert(name, value);
        }
    }
    out
}

/// True when an origin answer with `status` should make the caller try the next host: every
/// 5xx, and the codes listed in `HTTPStandbyCode`. (Connection errors and timeouts fail over
/// too; the caller knows those without a status.)
pub fn should_failover(rule: &OriginRule, status: u16) -> bool {
    (500..=599).contains(&status) || rule.standby_status_codes.contains(&status)
}
