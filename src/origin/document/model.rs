//! The typed origin configuration: its limits, its errors ([`ConfigError`]) and its domain
//! types, from [`OriginConfiguration`] down to a host's credentials; and what can be done
//! with secrets without serialising (detecting and restoring redacted ones).

use std::fmt;

/// The priority of the rule a cluster node makes for the cluster; a stored rule's is at
/// least 1 (validation refuses 0), so the cluster is always asked first.
pub const CLUSTER_PRIORITY: u32 = 0;

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

/// Hop-by-hop headers (RFC 9110 section 7.6.1): never forwarded to an origin, and never
/// settable by configuration.
pub const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

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
    pub(super) fn malformed(message: impl Into<String>) -> Self {
        ConfigError {
            code: ConfigErrorCode::MalformedXML,
            message: message.into(),
        }
    }

    pub(super) fn invalid(message: impl Into<String>) -> Self {
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
    /// originstore extension: when a filled copy goes stale and what then. `None`: never
    /// (COS behaviour).
    pub freshness: Option<Freshness>,
    /// originstore extension `ListThrough`: listings of the bucket merge in the origin's
    /// keys under this rule. Only on rules whose hosts are all `PrivateHost` (S3-compatible
    /// origins) and whose key rewrite, if any, is a prefix replacement covering the rule's
    /// keys (so origin keys map back to local ones in order).
    pub list_through: bool,
    /// originstore extension `WriteThrough`: the bucket's writes and deletes of the rule's
    /// keys reach the origin before they are acknowledged, so that a migration can be
    /// rolled back to the origin at any time. Only on Mirror rules with one `HostInfo`
    /// that is a `PrivateHost` (no standby hosts), without key rewriting.
    pub write_through: bool,
    /// originstore extension `Throttle`: limits on what the rule asks of its origin —
    /// misses, revalidations, backfills, delta passes and verifications alike.
    pub throttle: Throttle,
}

/// `OriginParameter/Throttle` (an originstore extension); `None`: no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Throttle {
    pub requests_per_second: Option<u32>,
    pub concurrency: Option<u32>,
    pub bytes_per_second: Option<u64>,
}

/// `OriginParameter/Freshness` (an originstore extension): revalidation of filled copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Freshness {
    /// A filled copy older than this is revalidated; `None`: only the origin's
    /// Cache-Control decides (with `use_origin_cache_control`), or never.
    pub max_age_secs: Option<u64>,
    /// The origin's `Cache-Control` (`max-age`, `s-maxage`, `no-cache`) and `Expires`
    /// decide instead of `max_age_secs` when the origin sent them.
    pub use_origin_cache_control: bool,
    /// Serve a stale copy at once and refresh it in the background.
    pub stale_while_revalidate: bool,
    /// The origin failing (down, 5xx): keep serving a stale copy this long past stale.
    pub stale_if_error_secs: Option<u64>,
    pub on_origin_delete: OnOriginDelete,
}

/// What an origin 404 at revalidation does to the local copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnOriginDelete {
    /// Keep serving it.
    Keep,
    /// Delete it (the next GET is a miss).
    Delete,
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
            freshness: None,
            list_through: false,
            write_through: false,
            throttle: Throttle::default(),
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

impl OriginConfiguration {
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
