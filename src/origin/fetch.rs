//! Requests to origins: one reqwest client with the server's network policy built into its
//! resolver, host failover in the rule's order, a circuit breaker per host, redirects
//! followed by hand (hop limit, policy check per hop, signing only toward the private host).
//!
//! It returns the origin's response head and body stream; what to do with the bytes (stream,
//! store, both) is decided by the engine (`engine.rs`, `fill.rs`).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::{HeaderMap, Method, StatusCode};

use super::document::OriginRule;
use super::rules::{self, HostEntry};
use crate::config::OriginSettings;

/// At most this many origin redirects are followed (then the miss fails as a fetch error).
const MAX_REDIRECTS: usize = 10;

/// What a pull needs to know to fetch one key.
pub struct FetchRequest<'a> {
    pub method: Method,
    pub rule: &'a OriginRule,
    pub key: &'a str,
    pub client_query: Option<&'a str>,
    pub client_headers: &'a HeaderMap,
    pub client_https: bool,
    /// A revalidation: `If-None-Match` and `If-Modified-Since` for the origin.
    pub if_none_match: Option<&'a str>,
    pub if_modified_since: Option<&'a str>,
    /// A job's request (backfill, delta pass, verification), which leaves a share of the
    /// rule's throttle to client misses.
    pub background: bool,
}

/// Why no usable origin response was obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// The origin answered 404 (or another 4xx that is not a failover code).
    NotFound { status: u16 },
    /// Every host failed: connection errors, timeouts, 5xx or HTTPStandbyCode statuses.
    /// `status` is the last origin status seen, if any answered; `retry_after`, what the
    /// origin asked for with it (429 or 503 with `Retry-After`).
    Unavailable {
        status: Option<u16>,
        reason: String,
        retry_after: Option<Duration>,
    },
    /// The server's network policy refused every host.
    Forbidden { reason: String },
}

/// The origin's answer: a 2xx (or an unfollowed 3xx) with its head and body.
pub struct Fetched {
    pub url: String,
    pub response: reqwest::Response,
    /// Whether the answering host is a private S3-compatible origin (its single-part ETag is
    /// an MD5 worth verifying).
    pub private: bool,
    /// The rule's throttle's admission of this request, held while its body is read.
    pub admission: Option<super::throttle::Admission>,
}

/// Idle connections kept open to one origin host for reuse.
pub const IDLE_CONNECTIONS_PER_HOST: usize = 16;

/// The origin HTTP client shared by every bucket.
pub struct OriginClient {
    http: reqwest::Client,
    deny: Arc<Vec<ipnet::IpNet>>,
    breaker: Mutex<HashMap<String, HostHealth>>,
    settings: OriginSettings,
}

#[derive(Default)]
struct HostHealth {
    consecutive_failures: u32,
    open_until: Option<Instant>,
}

/// Resolves origin host names and drops every address in a denied network, so a name that
/// points at (or is re-pointed at) a metadata service cannot be reached.
struct PolicyResolver {
    deny: Arc<Vec<ipnet::IpNet>>,
}

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let deny = self.deny.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| !denied(&deny, a.ip()))
                .collect();
            if allowed.is_empty() {
                let err: Box<dyn std::error::Error + Send + Sync> =
                    format!("{host}: every address is in a network the server forbids").into();
                return Err(err);
            }
            let iter: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(iter)
        })
    }
}

/// The address a URL names literally, when it is in a forbidden network (names are
/// checked by the resolver instead).
pub fn forbidden_address(deny: &[ipnet::IpNet], url: &reqwest::Url) -> Option<IpAddr> {
    url.host_str()
        .and_then(|h| h.trim_matches(['[', ']']).parse::<IpAddr>().ok())
        .filter(|ip| denied(deny, *ip))
}

/// Whether `ip` is in one of the networks the server forbids (IPv4-mapped IPv6 as IPv4).
pub fn denied(deny: &[ipnet::IpNet], ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    deny.iter().any(|net| net.contains(&ip))
}

/// The HTTP client of origin (and backend) requests: no redirects followed by itself, no
/// proxy from the environment, the server's timeouts, and a resolver that drops every
/// address of a network the server forbids. `read_timeout` overrides the origin one.
pub fn policy_client(
    settings: &OriginSettings,
    read_timeout: Option<Duration>,
) -> anyhow::Result<reqwest::Client> {
    let deny = Arc::new(settings.deny_networks.clone());
    Ok(reqwest::Client::builder()
        // Redirects are followed by hand: hop limit, policy check and signing per hop.
        .redirect(reqwest::redirect::Policy::none())
        // The origin is named by the bucket's configuration, never by HTTP_PROXY.
        .no_proxy()
        .connect_timeout(Duration::from_secs(settings.connect_timeout_secs))
        .read_timeout(read_timeout.unwrap_or(Duration::from_secs(settings.read_timeout_secs)))
        .dns_resolver(Arc::new(PolicyResolver { deny }))
        .user_agent(concat!("originstore/", env!("CARGO_PKG_VERSION")))
        // Idle keep-alive connections to an origin are reused, within bounds.
        .pool_max_idle_per_host(IDLE_CONNECTIONS_PER_HOST)
        .pool_idle_timeout(Duration::from_secs(30))
        .build()?)
}

impl OriginClient {
    pub fn new(settings: &OriginSettings) -> anyhow::Result<OriginClient> {
        let deny = Arc::new(settings.deny_networks.clone());
        let http = policy_client(settings, None)?;
        Ok(OriginClient {
            http,
            deny,
            breaker: Mutex::new(HashMap::new()),
            settings: settings.clone(),
        })
    }

    /// Fetch `req.key` from the rule's hosts in failover order.
    pub async fn fetch(&self, req: &FetchRequest<'_>) -> Result<Fetched, FetchError> {
        let hosts = req.rule.hosts_in_order(req.key);
        let mut last_status = None;
        let mut retry_after = None;
        let mut reasons = Vec::new();
        let mut refused = 0;
        for host in &hosts {
            if self.breaker_open(host.host) {
                reasons.push(format!("{}: circuit open", host.host));
                continue;
            }
            let url =
                rules::origin_url(req.rule, host, req.key, req.client_query, req.client_https);
            match self.fetch_one(req, host, url).await {
                Ok(fetched) => {
                    let status = fetched.response.status();
                    if status.is_success() || status.is_redirection() {
                        self.record(host.host, true);
                        return Ok(fetched);
                    }
                    last_status = Some(status.as_u16());
                    if matches!(status.as_u16(), 429 | 503) {
                        retry_after = fetched
                            .response
                            .headers()
                            .get(http::header::RETRY_AFTER)
                            .and_then(|v| v.to_str().ok())
                            .and_then(super::throttle::retry_after)
                            .or(retry_after);
                    }
                    if rules::should_failover(req.rule, status.as_u16()) {
                        self.record(host.host, !status.is_server_error());
                        reasons.push(format!("{}: status {status}", host.host));
                        continue;
                    }
                    self.record(host.host, true);
                    return Err(FetchError::NotFound {
                        status: status.as_u16(),
                    });
                }
                Err(HostError::Refused(reason)) => {
                    refused += 1;
                    reasons.push(reason);
                }
                Err(HostError::Failed(reason)) => {
                    self.record(host.host, false);
                    reasons.push(reason);
                }
            }
        }
        let reason = reasons.join("; ");
        if refused > 0 && refused == hosts.len() {
            return Err(FetchError::Forbidden { reason });
        }
        Err(FetchError::Unavailable {
            status: last_status,
            reason,
            retry_after,
        })
    }

    async fn fetch_one(
        &self,
        req: &FetchRequest<'_>,
        host: &HostEntry<'_>,
        mut url: String,
    ) -> Result<Fetched, HostError> {
        let mut base_headers = rules::origin_request_headers(req.rule, req.client_headers);
        for (name, value) in [
            (http::header::IF_NONE_MATCH, req.if_none_match),
            (http::header::IF_MODIFIED_SINCE, req.if_modified_since),
        ] {
            if let Some(v) = value.and_then(|v| http::HeaderValue::from_str(v).ok()) {
                base_headers.insert(name, v);
            }
        }
        let private_origin = host.private.map(|p| (url_authority(&url), p));
        for _hop in 0..=MAX_REDIRECTS {
            let parsed =
                reqwest::Url::parse(&url).map_err(|e| HostError::Failed(format!("{url}: {e}")))?;
            if let Some(ip) = parsed
                .host_str()
                .and_then(|h| h.trim_matches(['[', ']']).parse::<IpAddr>().ok())
            {
                if denied(&self.deny, ip) {
                    return Err(HostError::Refused(format!(
                        "{url}: address {ip} is forbidden by the server's network policy"
                    )));
                }
            }
            let mut headers = base_headers.clone();
            // Sign only requests to the private origin itself, never a redirect target
            // elsewhere (that would hand our signature to a third party).
            let private = match &private_origin {
                Some((authority, p)) if *authority == url_authority(&url) => {
                    let c = &p.credentials;
                    super::sign::sign_origin_request(
                        &req.method,
                        &url,
                        &mut headers,
                        &super::sign::SigningKeys {
                            region: &c.region,
                            access_key: &c.secret_id,
                            secret_key: &c.secret_key,
                        },
                        time::OffsetDateTime::now_utc(),
                    )
                    .map_err(|e| HostError::Failed(format!("signing {url}: {e}")))?;
                    true
                }
                _ => false,
            };
            let response = self
                .http
                .request(req.method.clone(), parsed)
                .headers(headers)
                .send()
                .await
                .map_err(|e| classify(&url, &e))?;
            let status = response.status();
            let follow = req.rule.parameter.follow_redirection
                && matches!(
                    status,
                    StatusCode::MOVED_PERMANENTLY
                        | StatusCode::FOUND
                        | StatusCode::SEE_OTHER
                        | StatusCode::TEMPORARY_REDIRECT
                        | StatusCode::PERMANENT_REDIRECT
                );
            if !follow {
                return Ok(Fetched {
                    url,
                    response,
                    private,
                    admission: None,
                });
            }
            let location = response
                .headers()
                .get(http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| HostError::Failed(format!("{url}: {status} without Location")))?;
            let next = response
                .url()
                .join(location)
                .map_err(|e| HostError::Failed(format!("{url}: bad Location: {e}")))?;
            if !matches!(next.scheme(), "http" | "https") {
                return Err(HostError::Failed(format!(
                    "{url}: redirect to a non-HTTP URL"
                )));
            }
            url = next.to_string();
        }
        Err(HostError::Failed(format!(
            "more than {MAX_REDIRECTS} redirects"
        )))
    }

    /// A SigV4-signed request to a private origin (a listing), under the same network policy
    /// as fills; redirects are not followed.
    pub async fn get_signed(
        &self,
        method: &Method,
        url: &str,
        private: &super::document::PrivateHost,
    ) -> Result<reqwest::Response, String> {
        self.signed_with(method, url, private, HeaderMap::new())
            .await
    }

    /// [`OriginClient::get_signed`] with `headers` (signed too).
    pub async fn signed_with(
        &self,
        method: &Method,
        url: &str,
        private: &super::document::PrivateHost,
        mut headers: HeaderMap,
    ) -> Result<reqwest::Response, String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
        if let Some(ip) = forbidden_address(&self.deny, &parsed) {
            return Err(format!(
                "{url}: address {ip} is forbidden by the server's network policy"
            ));
        }
        let c = &private.credentials;
        super::sign::sign_origin_request(
            method,
            url,
            &mut headers,
            &super::sign::SigningKeys {
                region: &c.region,
                access_key: &c.secret_id,
                secret_key: &c.secret_key,
            },
            time::OffsetDateTime::now_utc(),
        )
        .map_err(|e| format!("signing {url}: {e}"))?;
        self.http
            .request(method.clone(), parsed)
            .headers(headers)
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))
    }

    /// `open` while the breaker skips the host, else `closed`.
    pub fn host_state(&self, host: &str) -> &'static str {
        let map = self
            .breaker
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match map.get(host).and_then(|h| h.open_until) {
            Some(until) if Instant::now() < until => "open",
            _ => "closed",
        }
    }

    fn breaker_open(&self, host: &str) -> bool {
        let mut map = self
            .breaker
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match map.get_mut(host) {
            Some(h) => match h.open_until {
                Some(until) if Instant::now() < until => true,
                Some(_) => {
                    // Half-open: let one request through; a failure re-opens at once.
                    h.open_until = None;
                    h.consecutive_failures = self.settings.breaker_threshold.saturating_sub(1);
                    false
                }
                None => false,
            },
            None => false,
        }
    }

    fn record(&self, host: &str, ok: bool) {
        let mut map = self
            .breaker
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if ok {
            map.remove(host);
            return;
        }
        let h = map.entry(host.to_owned()).or_default();
        h.consecutive_failures += 1;
        if self.settings.breaker_threshold > 0
            && h.consecutive_failures >= self.settings.breaker_threshold
        {
            tracing::warn!(
                host,
                failures = h.consecutive_failures,
                "origin host failing; circuit opened"
            );
            h.open_until =
                Some(Instant::now() + Duration::from_secs(self.settings.breaker_cooldown_secs));
        }
    }
}

enum HostError {
    /// The network policy refused the address.
    Refused(String),
    /// Connection error, timeout, bad redirect.
    Failed(String),
}

fn classify(url: &str, e: &reqwest::Error) -> HostError {
    // The policy resolver's refusal surfaces as a connect error whose source chain carries
    // our message.
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        if s.to_string().contains("forbids") {
            return HostError::Refused(format!("{url}: {s}"));
        }
        source = s.source();
    }
    HostError::Failed(format!("{url}: {e}"))
}

fn url_authority(url: &str) -> String {
    reqwest::Url::parse(url)
        .map(|u| {
            format!(
                "{}:{}",
                u.host_str().unwrap_or(""),
                u.port_or_known_default().unwrap_or(0)
            )
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_denies_metadata_and_link_local_only() {
        let s = OriginSettings::default();
        for ip in [
            "169.254.169.254",
            "100.100.100.200",
            "fe80::1",
            "::ffff:169.254.169.254",
            "0.0.0.0",
        ] {
            assert!(denied(&s.deny_networks, ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["127.0.0.1", "10.0.0.1", "192.168.1.1", "8.8.8.8", "::1"] {
            assert!(!denied(&s.deny_networks, ip.parse().expect("ip")), "{ip}");
        }
    }
}
