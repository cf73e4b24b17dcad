//! What an origin rule does with a key: which rule applies, which hosts to try and in which
//! order, the origin URL (scheme, host, rewritten and encoded path, forwarded query), the
//! headers forwarded to the origin, and when an origin answer means "try the next host".
//!
//! Pure functions over [`super::document`] types: no I/O, no clock, no randomness (the weighted
//! host choice hashes the key, so one key always starts at the same origin).

use http::header::{HeaderMap, HeaderName, HeaderValue, CONNECTION};
use percent_encoding::{percent_decode_str, utf8_percent_encode};

use super::document::{OriginConfiguration, OriginRule, PrivateHost, Protocol, HOP_BY_HOP};

impl OriginConfiguration {
    /// The rule for `key`: rules in ascending `RulePriority`, the first whose condition prefix
    /// and suffix both match (an empty prefix / suffix matches every key).
    pub fn rule_for(&self, key: &str) -> Option<&OriginRule> {
        // `rules` is kept sorted by priority by `document::parse`; do not rely on it blindly for
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
    // S3's own canonical-URI encoding: the same string serves the request line and the SigV4
    // canonical request.
    let path = utf8_percent_encode(&origin_path(rule, key), crate::auth::sigv4::URI_ENCODE_PATH)
        .to_string();
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
    "host",
    "authorization",
    "range",
    "accept-encoding",
    "content-length",
    "content-md5",
    "expect",
];

fn never_forwarded(name: &str, connection_listed: &[String]) -> bool {
    HOP_BY_HOP.contains(&name)
        || NEVER_FORWARDED.contains(&name)
        || name.starts_with("proxy-")
        || name.starts_with("if-")
        // SigV4 headers (x-amz-date, x-amz-content-sha256, x-amz-security-token), SSE-C keys
        // and every other S3 request option are for originstore, not the origin.
        || name.starts_with("x-amz-")
        || connection_listed.iter().any(|c| c == name)
}

/// The headers of the origin request: all client headers less the forbidden ones
/// (`FollowAllHeaders`), or only the `FollowHttpHeaders` ones; never the headers in
/// `NEVER_FORWARDED`, `proxy-*`, `if-*`, `x-amz-*` or those the client's `Connection`
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
        // Both were validated by document::parse; skip rather than panic on a hand-built rule.
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
/// 5xx, 429, and the codes listed in `HTTPStandbyCode`. (Connection errors and timeouts fail over
/// too; the caller knows those without a status.)
pub fn should_failover(rule: &OriginRule, status: u16) -> bool {
    // 429: the origin is throttling this server; it is not the key's answer.
    (500..=599).contains(&status) || status == 429 || rule.standby_status_codes.contains(&status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::origin::document::parse;

    fn rule_xml(priority: u32, extra: &str, info: &str) -> String {
        format!(
            "<OriginRule><RulePriority>{priority}</RulePriority><OriginType>Mirror</OriginType>\
             {extra}<OriginInfo>{info}</OriginInfo></OriginRule>"
        )
    }

    fn one_rule(extra: &str, info: &str) -> OriginRule {
        let xml = format!(
            "<OriginConfiguration>{}</OriginConfiguration>",
            rule_xml(1, extra, info)
        );
        parse(xml.as_bytes()).unwrap().rules.remove(0)
    }

    const HOST: &str = "<HostInfo><HostName>origin.example.com:8080</HostName></HostInfo>";

    fn primary(rule: &OriginRule) -> HostEntry<'_> {
        rule.hosts_in_order("k")[0]
    }

    fn url(rule: &OriginRule, key: &str, query: Option<&str>, https: bool) -> String {
        origin_url(rule, &primary(rule), key, query, https)
    }

    #[test]
    fn rule_for_takes_the_lowest_priority_whose_prefix_and_suffix_match() {
        let xml = format!(
            "<OriginConfiguration>{}{}{}</OriginConfiguration>",
            rule_xml(
                30,
                "<OriginCondition><Prefix></Prefix></OriginCondition>",
                HOST
            ),
            rule_xml(
                10,
                "<OriginCondition><Prefix>img/</Prefix><Suffix>.jpg</Suffix></OriginCondition>",
                HOST
            ),
            rule_xml(
                20,
                "<OriginCondition><Prefix>img/</Prefix></OriginCondition>",
                HOST
            ),
        );
        let c = parse(xml.as_bytes()).unwrap();
        let p = |key: &str| c.rule_for(key).map(|r| r.priority);
        assert_eq!(p("img/a.jpg"), Some(10));
        assert_eq!(p("img/a.png"), Some(20));
        assert_eq!(p("doc/a.jpg"), Some(30));

        let only_prefixed = parse(
            format!(
                "<OriginConfiguration>{}</OriginConfiguration>",
                rule_xml(
                    1,
                    "<OriginCondition><Prefix>img/</Prefix></OriginCondition>",
                    HOST
                )
            )
            .as_bytes(),
        )
        .unwrap();
        assert!(only_prefixed.rule_for("doc/a").is_none());
        assert!(only_prefixed.rule_for("img").is_none());
    }

    #[test]
    fn rule_for_does_not_depend_on_rule_order() {
        let mut c = parse(
            format!(
                "<OriginConfiguration>{}{}</OriginConfiguration>",
                rule_xml(1, "", HOST),
                rule_xml(2, "", HOST)
            )
            .as_bytes(),
        )
        .unwrap();
        c.rules.reverse();
        assert_eq!(c.rule_for("x").map(|r| r.priority), Some(1));
    }

    #[test]
    fn scheme_follows_protocol() {
        let proto = |p: &str| {
            one_rule(
                &format!("<OriginParameter><Protocol>{p}</Protocol></OriginParameter>"),
                HOST,
            )
        };
        assert_eq!(
            url(&proto("HTTP"), "a", None, true),
            "http://origin.example.com:8080/a"
        );
        assert_eq!(
            url(&proto("HTTPS"), "a", None, false),
            "https://origin.example.com:8080/a"
        );
        assert_eq!(
            url(&proto("FOLLOW"), "a", None, true),
            "https://origin.example.com:8080/a"
        );
        assert_eq!(
            url(&proto("FOLLOW"), "a", None, false),
            "http://origin.example.com:8080/a"
        );
    }

    #[test]
    fn path_is_percent_encoded_per_segment() {
        let r = one_rule("", HOST);
        assert_eq!(
            url(&r, "dir one/ü+x?#%.jpg", None, false),
            "http://origin.example.com:8080/dir%20one/%C3%BC%2Bx%3F%23%25.jpg"
        );
        assert_eq!(
            url(&r, "a//b~c-d_e", None, false),
            "http://origin.example.com:8080/a//b~c-d_e"
        );
    }

    #[test]
    fn file_info_prefix_and_suffix_replacement() {
        let r = one_rule(
            "",
            &format!(
                "{HOST}<FileInfo><PrefixConfiguration><Prefix>static/</Prefix><ReplacedWithPrefix>v2/</ReplacedWithPrefix></PrefixConfiguration>\
                 <SuffixConfiguration><Suffix>.jpg</Suffix><ReplacedWithSuffix>.jpeg</ReplacedWithSuffix></SuffixConfiguration></FileInfo>"
            ),
        );
        assert_eq!(origin_path(&r, "static/a/b.jpg"), "v2/a/b.jpeg");
        assert_eq!(origin_path(&r, "other/b.jpg"), "other/b.jpeg");
        assert_eq!(origin_path(&r, "static/b.png"), "v2/b.png");
        assert_eq!(origin_path(&r, "x/static/b.png"), "x/static/b.png");
    }

    #[test]
    fn file_info_prefix_and_suffix_without_replacement_are_added() {
        let r = one_rule(
            "",
            &format!(
                "{HOST}<FileInfo><PrefixConfiguration><Prefix>mirror/</Prefix></PrefixConfiguration>\
                 <SuffixConfiguration><Suffix>.orig</Suffix></SuffixConfiguration></FileInfo>"
            ),
        );
        assert_eq!(origin_path(&r, "a/b.jpg"), "mirror/a/b.jpg.orig");
    }

    #[test]
    fn file_info_fixed_file_and_legacy_form() {
        let fixed = one_rule(
            "",
            &format!("{HOST}<FileInfo><FixedFileConfiguration><FixedFilePath>/fall back.png</FixedFilePath></FixedFileConfiguration></FileInfo>"),
        );
        assert_eq!(
            url(&fixed, "any/key", Some("a=1"), false),
            "http://origin.example.com:8080/fall%20back.png?a=1"
        );
        let legacy = one_rule(
            "",
            &format!("{HOST}<FileInfo><PrefixDirective>true</PrefixDirective><Prefix>pre/</Prefix><Suffix>.bak</Suffix></FileInfo>"),
        );
        assert_eq!(origin_path(&legacy, "k/x"), "pre/k/x.bak");
        let disabled = one_rule(
            "",
            &format!("{HOST}<FileInfo><PrefixDirective>false</PrefixDirective><Prefix>pre/</Prefix></FileInfo>"),
        );
        assert_eq!(origin_path(&disabled, "k/x"), "k/x");
    }

    #[test]
    fn query_string_is_forwarded_without_signing_parameters() {
        let r = one_rule("", HOST);
        assert_eq!(
            url(
                &r,
                "k",
                Some("a=1&X-Amz-Signature=s&x-amz-date=d&response-content-type=x&b=%2F&x-id=GetObject&flag"),
                false
            ),
            "http://origin.example.com:8080/k?a=1&b=%2F&flag"
        );
        assert_eq!(
            url(&r, "k", Some("X-Amz-Credential=c"), false),
            "http://origin.example.com:8080/k"
        );
        assert_eq!(
            url(&r, "k", Some(""), false),
            "http://origin.example.com:8080/k"
        );
        // SigV2 presigned parameters go only when the request is SigV2-presigned.
        assert_eq!(
            forwarded_query("AWSAccessKeyId=AK&Expires=1&Signature=s&v=2").as_deref(),
            Some("v=2")
        );
        assert_eq!(
            forwarded_query("Expires=1&v=2").as_deref(),
            Some("Expires=1&v=2")
        );

        let no_query = one_rule(
            "<OriginParameter><FollowQueryString>false</FollowQueryString></OriginParameter>",
            HOST,
        );
        assert_eq!(
            url(&no_query, "k", Some("a=1"), false),
            "http://origin.example.com:8080/k"
        );
    }

    #[test]
    fn private_host_is_the_url_host_in_both_styles() {
        let private = |host: &str| {
            one_rule(
                "<OriginParameter><Protocol>HTTPS</Protocol></OriginParameter>",
                &format!(
                    "<HostInfo><HostName>public.example.com</HostName><PrivateHost><Host>{host}</Host>\
                     <CredentialProvider><AuthorizationAlgorithm>AWS4-HMAC-SHA256</AuthorizationAlgorithm>\
                     <Region>r</Region><SecretId>id</SecretId><SecretKey>k</SecretKey></CredentialProvider>\
                     </PrivateHost><StandbyHostName_1>b.example.com</StandbyHostName_1></HostInfo>"
                ),
            )
        };
        let vhost = private("bucket.s3.example.com");
        let hosts = vhost.hosts_in_order("a b");
        assert!(hosts[0].private.is_some());
        assert_eq!(
            origin_url(&vhost, &hosts[0], "a b", None, false),
            "https://bucket.s3.example.com/a%20b"
        );
        // The standby is a plain host: not signed.
        assert_eq!(hosts[1].host, "b.example.com");
        assert!(hosts[1].private.is_none());

        let path_style = private("s3.example.com:9000/bucket/");
        assert_eq!(
            url(&path_style, "dir/a", None, false),
            "https://s3.example.com:9000/bucket/dir/a"
        );
    }

    #[test]
    fn hosts_in_order_primary_then_standbys_by_index() {
        let r = one_rule(
            "",
            "<HostInfo><HostName>a.example.com</HostName>\
             <StandbyHostName_5>e.example.com</StandbyHostName_5>\
             <StandbyHostName_2>b.example.com</StandbyHostName_2>\
             <StandbyHostName_3>a.example.com</StandbyHostName_3></HostInfo>",
        );
        let hosts = r.hosts_in_order("key");
        let names: Vec<(&str, Option<u8>)> = hosts.iter().map(|h| (h.host, h.standby)).collect();
        // The standby repeating the primary is not tried twice.
        assert_eq!(
            names,
            vec![
                ("a.example.com", None),
                ("b.example.com", Some(2)),
                ("e.example.com", Some(5))
            ]
        );
    }

    #[test]
    fn weighted_host_infos_split_keys_by_weight_and_stay_stable_per_key() {
        let r = one_rule(
            "",
            "<HostInfo><HostName>heavy.example.com</HostName><Weight>8</Weight>\
             <StandbyHostName_1>heavy-b.example.com</StandbyHostName_1></HostInfo>\
             <HostInfo><HostName>light.example.com</HostName><Weight>2</Weight></HostInfo>",
        );
        let mut heavy = 0;
        for i in 0..1000 {
            let key = format!("objects/{i}.bin");
            let hosts = r.hosts_in_order(&key);
            assert_eq!(hosts, r.hosts_in_order(&key), "stable for one key");
            assert_eq!(hosts.len(), 3, "every host is a fallback");
            if hosts[0].host == "heavy.example.com" {
                assert_eq!(hosts[1].host, "heavy-b.example.com");
                assert_eq!(hosts[2].host, "light.example.com");
                heavy += 1;
            } else {
                assert_eq!(hosts[1].host, "heavy.example.com");
            }
        }
        assert!(
            (720..=880).contains(&heavy),
            "{heavy} of 1000 keys on the weight-8 host"
        );
    }

    #[test]
    fn headers_follow_only_the_listed_ones_by_default() {
        let r = one_rule(
            "<OriginParameter><HttpHeader><FollowAllHeaders>false</FollowAllHeaders>\
             <FollowHttpHeaders><Header><Key>X-Trace-Id</Key></Header><Header><Key>range</Key></Header></FollowHttpHeaders>\
             <NewHttpHeaders><Header><Key>x-from</Key><Value>originstore</Value></Header>\
             <Header><Key>x-empty</Key><Value></Value></Header></NewHttpHeaders></HttpHeader></OriginParameter>",
            HOST,
        );
        let mut client = HeaderMap::new();
        client.insert("x-trace-id", HeaderValue::from_static("t1"));
        client.insert("x-other", HeaderValue::from_static("o"));
        client.insert("range", HeaderValue::from_static("bytes=0-1"));
        client.insert("x-from", HeaderValue::from_static("client"));
        let out = origin_request_headers(&r, &client);
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(out["x-trace-id"], "t1");
        assert_eq!(out["x-from"], "originstore");
        assert!(
            out.get("range").is_none(),
            "range is never forwarded, even when listed"
        );
        assert!(out.get("x-empty").is_none());
    }

    #[test]
    fn headers_follow_all_less_forbidden_hop_by_hop_auth_range_and_conditionals() {
        let r = one_rule(
            "<OriginParameter><HttpHeader><FollowAllHeaders>true</FollowAllHeaders>\
             <ForbidFollowHttpHeaders><Header><Key>Cookie</Key></Header></ForbidFollowHttpHeaders>\
             <NewHttpHeaders><Header><Key>X-From</Key><Value>originstore</Value></Header></NewHttpHeaders>\
             </HttpHeader></OriginParameter>",
            HOST,
        );
        let mut client = HeaderMap::new();
        for (name, value) in [
            ("accept", "*/*"),
            ("user-agent", "aws-cli"),
            ("x-custom", "c"),
            ("x-hop", "h"),
            ("cookie", "session=1"),
            ("connection", "keep-alive, X-Hop"),
            ("keep-alive", "timeout=5"),
            ("proxy-authorization", "Basic x"),
            ("te", "trailers"),
            ("trailer", "x"),
            ("transfer-encoding", "chunked"),
            ("upgrade", "h2c"),
            ("host", "bucket.originstore.local"),
            ("authorization", "AWS4-HMAC-SHA256 Credential=..."),
            ("range", "bytes=0-9"),
            ("if-none-match", "\"etag\""),
            ("if-modified-since", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ("content-length", "0"),
            ("accept-encoding", "gzip"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
            ("x-amz-server-side-encryption-customer-key", "secret"),
        ] {
            client.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        let out = origin_request_headers(&r, &client);
        let mut names: Vec<&str> = out.keys().map(HeaderName::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, vec!["accept", "user-agent", "x-custom", "x-from"]);
        assert_eq!(out["x-from"], "originstore");
    }

    #[test]
    fn cookie_is_forwarded_unless_forbidden() {
        let r = one_rule(
            "<OriginParameter><HttpHeader><FollowAllHeaders>true</FollowAllHeaders></HttpHeader></OriginParameter>",
            HOST,
        );
        let mut client = HeaderMap::new();
        client.insert("cookie", HeaderValue::from_static("a=1"));
        client.append("x-multi", HeaderValue::from_static("1"));
        client.append("x-multi", HeaderValue::from_static("2"));
        let out = origin_request_headers(&r, &client);
        assert_eq!(out["cookie"], "a=1");
        assert_eq!(out.get_all("x-multi").iter().count(), 2);
    }

    #[test]
    fn failover_on_5xx_and_listed_standby_codes_only() {
        let plain = one_rule("", HOST);
        assert!(should_failover(&plain, 500));
        assert!(should_failover(&plain, 503));
        assert!(!should_failover(&plain, 404));
        assert!(!should_failover(&plain, 403));
        assert!(!should_failover(&plain, 200));
        assert!(!should_failover(&plain, 302));
        let listed = one_rule(
            "<HTTPStandbyCode><StatusCode>403</StatusCode><StatusCode>429</StatusCode></HTTPStandbyCode>",
            HOST,
        );
        assert!(should_failover(&listed, 403));
        assert!(should_failover(&listed, 429));
        assert!(!should_failover(&listed, 404));
    }

    #[test]
    fn dot_segment_keys_are_not_pullable() {
        for ok in ["a", "a/b.c", "..a", "a/.b/c", "a..b"] {
            assert!(is_pullable_key(ok), "{ok}");
        }
        for bad in ["", ".", "..", "a/../b", "./a", "a/.", "a/b/.."] {
            assert!(!is_pullable_key(bad), "{bad}");
        }
    }
}
