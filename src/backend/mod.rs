//! Cluster mode: a node in front of an existing S3 cluster (`[backend]`). The cluster is
//! the durable truth; the node's store is a cache in front of it. The same [`Backend`] is a
//! single node's old store under a `WriteThrough` origin rule ([`targets`]: writes of the
//! rule's keys reach it before they are acknowledged).
//!
//! - **Writes go through** ([`Backend::put_object`], [`Backend::delete_object`], buckets,
//!   multipart uploads one-to-one with the cluster's through [`Backend::forward`]):
//!   signed with SigV4 by the cluster's credentials, streamed, and acknowledged to the
//!   client only after the cluster acknowledged them; a refusal is answered with the
//!   cluster's S3 error, an unreachable cluster with `503` and `Retry-After`, and nothing
//!   changes locally.
//! - **Misses are filled from the cluster** by the origin engine, through a Mirror rule the
//!   node makes for every bucket ([`Backend::origin_config`]): the cluster is each bucket's
//!   private S3 origin, so single flight, live streaming, verification before commit and
//!   revalidation (`revalidate_after_secs`) are the origin machinery's. A key the cluster
//!   lacks falls through to the bucket's own rules, and what they pull is written through
//!   ([`tee`]).
//! - **Listings come through from the cluster** (the same rule says `ListThrough`), merged
//!   with what the node holds.
//! - **Buckets and their settings are every node's** ([`shared`]): kept at the cluster
//!   (bucket [`SETTINGS_BUCKET`]), published there before a node keeps a change, followed
//!   by every node; another node that meets a new bucket adopts it.
//! - **The node's store is a bounded cache** ([`cache`]): above `cache_bytes` the least
//!   recently used copies go (all are clean), to be filled again on the next read.
//! - Every answer names the node (`x-originstore-node`).
//!
//! Requests to the cluster obey the server's network policy (`[origin] deny_networks`).

pub mod cache;
mod headers;
mod key_locks;
mod reads;
mod settings;
pub mod shared;
pub mod targets;
pub mod tee;

use std::sync::{Arc, Mutex};

use http::{HeaderMap, HeaderValue, Method, StatusCode};

use crate::config::OriginSettings;
use crate::error::{S3Error, S3ErrorCode};
use crate::origin::document::{OriginRule, Protocol};
use crate::origin::sign::{sign_origin_request, SigningKeys};

pub use headers::{object_headers, relayed_headers};
pub use key_locks::KeyGuard;
pub use settings::{Addressing, BackendSettings};

/// The cluster bucket (after `bucket_prefix`) where nodes share what originstore knows of
/// each bucket.
pub const SETTINGS_BUCKET: &str = "originstore-settings";

/// Response header naming the node that answered.
pub const NODE_HEADER: &str = "x-originstore-node";

/// Response header of an object read in cluster mode: `hit`, `miss` or `revalidated`.
pub const CACHE_HEADER: &str = "x-originstore-cache";

/// The cache status of a read the origin engine served as `origin_status`
/// (`x-originstore-origin`): a local copy (`hit`, `stale`), one fetched now (`miss`), or
/// one checked with the cluster first (`revalidated`, kept or refreshed).
pub fn cache_status(origin_status: &str) -> Option<&'static str> {
    match origin_status {
        "hit" | "stale" => Some("hit"),
        "miss" | "miss-filled" | "miss-proxied" => Some("miss"),
        "revalidated" | "refreshed" => Some("revalidated"),
        _ => None,
    }
}

/// What the cluster answered to a write through.
#[derive(Debug, Clone, Default)]
pub struct Acknowledged {
    /// The cluster's ETag, unquoted (absent for deletes).
    pub etag: Option<String>,
    /// The answer's headers that a relayed answer passes on (ETag, checksums).
    pub relay: HeaderMap,
}

impl Acknowledged {
    /// The stamp of the node's copy of what the cluster acknowledged at `url`: it is the
    /// cluster's object as of now, revalidated against it like a fill once old (or after a
    /// restart).
    pub fn stamp(&self, url: String) -> storage::OriginStamp {
        crate::origin::stamp(
            self.relay
                .get(http::header::ETAG)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            None,
            url,
            &self.relay,
            std::time::SystemTime::now(),
        )
    }
}

/// What the S3 server behind a [`Backend`] is to the node.
enum Role {
    /// The cluster: each bucket is the cluster bucket of its name (after `bucket_prefix`).
    Cluster,
    /// The old store one origin rule writes through to (a single node's reversible
    /// migration): every key of the bucket is `key` in the store's bucket `bucket`, at
    /// `base/key`.
    Store { base: String, bucket: String },
}

/// The cluster (or, for one origin rule of a single node, the old store), as a node
/// reaches it.
pub struct Backend {
    settings: BackendSettings,
    role: Role,
    http: reqwest::Client,
    deny: Vec<ipnet::IpNet>,
    locks: Arc<key_locks::KeyLocks>,
    /// Each bucket's read configuration, with the stored one it was made from.
    read_configs: reads::ReadConfigs,
    /// The node's cache bound (`cache_bytes`).
    pub cache: cache::CacheBound,
}

impl Backend {
    pub fn new(settings: BackendSettings, origin: &OriginSettings) -> anyhow::Result<Backend> {
        settings.validate()?;
        let http = crate::origin::fetch::policy_client(origin, None)?;
        Ok(Backend {
            cache: cache::CacheBound::new(settings.cache_bytes, settings.cache_low_percent),
            settings,
            role: Role::Cluster,
            http,
            deny: origin.deny_networks.clone(),
            locks: Arc::default(),
            read_configs: Mutex::default(),
        })
    }

    /// The old store `rule` (a `WriteThrough` rule: one `PrivateHost`) writes through to.
    pub fn for_store(rule: &OriginRule, origin: &OriginSettings) -> Result<Backend, S3Error> {
        let private = rule
            .hosts
            .first()
            .and_then(|h| h.private_host.as_ref())
            .ok_or_else(|| S3Error::internal("a WriteThrough rule without a PrivateHost"))?;
        let scheme = match rule.parameter.protocol {
            Protocol::Https => "https",
            Protocol::Http | Protocol::Follow => "http",
        };
        let host = private.host.trim_end_matches('/');
        let (authority, bucket) = match host.split_once('/') {
            Some((authority, bucket)) => (authority, bucket.to_owned()),
            None => (host, host.split('.').next().unwrap_or_default().to_owned()),
        };
        let settings = BackendSettings {
            endpoint: format!("{scheme}://{authority}"),
            region: private.credentials.region.clone(),
            access_key: private.credentials.secret_id.clone(),
            secret_key: private.credentials.secret_key.clone(),
            ..BackendSettings::for_endpoint("http://localhost")
        };
        let mut backend = Backend::new(settings, origin).map_err(S3Error::internal)?;
        backend.role = Role::Store {
            base: format!("{scheme}://{host}"),
            bucket,
        };
        Ok(backend)
    }

    pub fn settings(&self) -> &BackendSettings {
        &self.settings
    }

    /// The URL of `key` in `bucket` (`key` empty: the bucket) at the cluster or store.
    pub fn url(&self, bucket: &str, key: &str) -> String {
        match &self.role {
            Role::Cluster => self.settings.url(bucket, key),
            Role::Store { base, .. } => format!("{base}/{}", settings::encode_key(key)),
        }
    }

    /// `x-amz-copy-source` naming `key` of `bucket` as the cluster or store names it.
    pub fn copy_source(&self, bucket: &str, key: &str) -> String {
        let key = percent_encoding::utf8_percent_encode(key, crate::auth::sigv4::URI_ENCODE_PATH);
        match &self.role {
            Role::Cluster => format!("/{}/{key}", self.settings.cluster_bucket(bucket)),
            Role::Store { bucket, .. } => format!("/{bucket}/{key}"),
        }
    }

    /// The node's name, when configured.
    pub fn node(&self) -> Option<&str> {
        self.settings.node.as_deref()
    }

    /// Send one signed request to the cluster. `headers` are signed too.
    async fn send(
        &self,
        method: Method,
        url: &str,
        mut headers: HeaderMap,
        body: Option<reqwest::Body>,
    ) -> Result<reqwest::Response, S3Error> {
        let parsed = reqwest::Url::parse(url).map_err(S3Error::internal)?;
        if let Some(ip) = crate::origin::fetch::forbidden_address(&self.deny, &parsed) {
            return Err(unreachable(format!(
                "the backend address {ip} is forbidden by the server's network policy"
            )));
        }
        let s = &self.settings;
        sign_origin_request(
            &method,
            url,
            &mut headers,
            &SigningKeys {
                region: &s.region,
                access_key: &s.access_key,
                secret_key: &s.secret_key,
            },
            time::OffsetDateTime::now_utc(),
        )
        .map_err(S3Error::internal)?;
        let mut request = self.http.request(method, parsed).headers(headers);
        if let Some(body) = body {
            request = request.body(body);
        }
        request
            .send()
            .await
            .map_err(|e| unreachable(format!("the backend did not answer: {e}")))
    }

    /// A conditional write of `key` (`If-None-Match: *` or `If-Match`) holds the key while
    /// its condition is checked at the cluster and the write is made, so that the condition
    /// holds on this node (which owns the key) even where the cluster does not enforce it.
    /// Returns the held key, or the condition's failure.
    pub async fn hold_condition(
        &self,
        bucket: &str,
        key: &str,
        headers: &HeaderMap,
    ) -> Result<Option<KeyGuard>, S3Error> {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        let (none_match, if_match) = (text("if-none-match"), text("if-match"));
        if none_match.is_none() && if_match.is_none() {
            return Ok(None);
        }
        let guard = self.locks.lock(bucket, key).await;
        let response = self
            .send(Method::HEAD, &self.url(bucket, key), HeaderMap::new(), None)
            .await?;
        let current = match response.status() {
            s if s.is_success() => Some(
                response
                    .headers()
                    .get(http::header::ETAG)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .trim_matches('"')
                    .to_owned(),
            ),
            StatusCode::NOT_FOUND => None,
            status => return Err(cluster_error(status, "")),
        };
        let failed = || {
            S3Error::new(
                S3ErrorCode::PreconditionFailed,
                "At least one of the pre-conditions you specified did not hold",
            )
        };
        if none_match == Some("*") && current.is_some() {
            return Err(failed());
        }
        if let Some(wanted) = if_match {
            match &current {
                None => {
                    return Err(S3Error::new(
                        S3ErrorCode::NoSuchKey,
                        "The specified key does not exist.",
                    ))
                }
                Some(etag) => {
                    let any = wanted == "*";
                    let listed = wanted
                        .split(',')
                        .any(|w| w.trim().trim_matches('"') == etag);
                    if !any && !listed {
                        return Err(failed());
                    }
                }
            }
        }
        Ok(Some(guard))
    }

    /// PutObject at the cluster: `headers` are the client's object headers to forward,
    /// `body` streams the bytes (the caller holds back its end until the local copy has
    /// been verified; `length`, when known, makes a cut body incomplete for the cluster).
    pub async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        mut headers: HeaderMap,
        length: Option<u64>,
        body: reqwest::Body,
    ) -> Result<Acknowledged, S3Error> {
        if let Some(length) = length {
            headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(length));
        }
        let response = self
            .send(Method::PUT, &self.url(bucket, key), headers, Some(body))
            .await?;
        let response = success(response).await?;
        let etag = response
            .headers()
            .get(http::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim_matches('"').to_owned());
        Ok(Acknowledged {
            etag,
            relay: relayed_headers(response.headers()),
        })
    }

    /// Any request on `key` of `bucket` (empty: the bucket) at the cluster, with the
    /// client's `query` minus its own authentication parameters: a 2xx answer to relay, or
    /// the cluster's error. For the operations that map one-to-one to the cluster's
    /// (multipart uploads).
    pub async fn forward(
        &self,
        method: Method,
        bucket: &str,
        key: &str,
        query: &str,
        mut headers: HeaderMap,
        body: Option<(reqwest::Body, Option<u64>)>,
    ) -> Result<reqwest::Response, S3Error> {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .filter(|p| {
                let name = p
                    .split_once('=')
                    .map_or(*p, |(n, _)| n)
                    .to_ascii_lowercase();
                !name.starts_with("x-amz-") && !name.starts_with("q-")
            })
            .collect();
        let mut url = self.url(bucket, key);
        if !kept.is_empty() {
            url = format!("{url}?{}", kept.join("&"));
        }
        let body = body.map(|(body, length)| {
            if let Some(length) = length {
                headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(length));
            }
            body
        });
        let response = self.send(method, &url, headers, body).await?;
        success(response).await
    }

    /// DeleteObject at the cluster (a key it does not have is deleted too), of one version
    /// when `version` names it; the answer's delete-marker and version headers to relay.
    pub async fn delete_object(
        &self,
        bucket: &str,
        key: &str,
        version: Option<&str>,
    ) -> Result<Acknowledged, S3Error> {
        let mut url = self.url(bucket, key);
        if let Some(version) = version {
            let version =
                percent_encoding::utf8_percent_encode(version, crate::auth::sigv4::URI_ENCODE);
            url = format!("{url}?versionId={version}");
        }
        let response = self
            .send(Method::DELETE, &url, HeaderMap::new(), None)
            .await?;
        match success(response).await {
            Ok(response) => Ok(Acknowledged {
                etag: None,
                relay: relayed_headers(response.headers()),
            }),
            Err(e) if e.code == S3ErrorCode::NoSuchKey => Ok(Acknowledged::default()),
            Err(e) => Err(e),
        }
    }

    /// Whether the cluster has `bucket` (HeadBucket).
    pub async fn has_bucket(&self, bucket: &str) -> Result<bool, S3Error> {
        let response = self
            .send(Method::HEAD, &self.url(bucket, ""), HeaderMap::new(), None)
            .await?;
        match response.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            status => Err(cluster_error(status, "")),
        }
    }

    /// CreateBucket at the cluster; one the nodes' credentials already own is fine.
    pub async fn create_bucket(&self, bucket: &str) -> Result<(), S3Error> {
        let url = self.url(bucket, "");
        self.bodiless(Method::PUT, &url, S3ErrorCode::BucketAlreadyOwnedByYou)
            .await
    }

    /// DeleteBucket at the cluster; one it does not have is deleted too.
    pub async fn delete_bucket(&self, bucket: &str) -> Result<(), S3Error> {
        let url = self.url(bucket, "");
        self.bodiless(Method::DELETE, &url, S3ErrorCode::NoSuchBucket)
            .await
    }

    /// A request without a body whose error `done` means it is done already.
    async fn bodiless(&self, method: Method, url: &str, done: S3ErrorCode) -> Result<(), S3Error> {
        let response = self.send(method, url, HeaderMap::new(), None).await?;
        match success(response).await {
            Ok(_) => Ok(()),
            Err(e) if e.code == done => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// The cluster cannot be reached: 503 with `Retry-After`, so clients retry.
fn unreachable(why: String) -> S3Error {
    S3Error::new(
        S3ErrorCode::ServiceUnavailable,
        "The storage cluster behind this node is unreachable; please retry.",
    )
    .with_header("retry-after", "1")
    .with_source(why)
}

/// A 2xx answer, or the cluster's S3 error as the client's.
async fn success(response: reqwest::Response) -> Result<reqwest::Response, S3Error> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    // Error bodies are small; one that is not is cut short.
    let text = response.text().await.unwrap_or_default();
    let text: String = text.chars().take(64 * 1024).collect();
    Err(cluster_error(status, &text))
}

/// A `200` answer that is an `<Error>` document (S3 sends those for a completion or a
/// copy that failed after it started): the error it holds.
pub fn error_document(body: &[u8]) -> Option<S3Error> {
    crate::xml::ErrorDocument::parse(body)
        .map(|doc| cluster_error_of(StatusCode::INTERNAL_SERVER_ERROR, Some(doc), body))
}

/// The cluster's `<Error>`, as originstore answers it: its code and message when the code
/// is one S3 defines, at the cluster's status.
fn cluster_error(status: StatusCode, body: &str) -> S3Error {
    let doc = crate::xml::ErrorDocument::parse(body.as_bytes());
    cluster_error_of(status, doc, body.as_bytes())
}

fn cluster_error_of(
    status: StatusCode,
    doc: Option<crate::xml::ErrorDocument>,
    body: &[u8],
) -> S3Error {
    let doc = doc.unwrap_or_default();
    let message = if doc.message.is_empty() {
        format!("The storage cluster answered {status}")
    } else {
        doc.message
    };
    match S3ErrorCode::parse(doc.code.trim()) {
        Some(code) => S3Error::new(code, message).with_status(status),
        None if status.is_server_error() => unreachable(format!(
            "the backend answered {status}: {}",
            String::from_utf8_lossy(body)
        )),
        None => S3Error::new(S3ErrorCode::InvalidRequest, message).with_status(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clusters_errors_are_answered_as_its_own() {
        let e = cluster_error(
            StatusCode::PRECONDITION_FAILED,
            "<?xml version=\"1.0\"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>",
        );
        assert_eq!(e.code, S3ErrorCode::PreconditionFailed);
        assert_eq!(e.status, Some(StatusCode::PRECONDITION_FAILED));
        let e = cluster_error(StatusCode::BAD_GATEWAY, "<html>bad gateway</html>");
        assert_eq!(e.code, S3ErrorCode::ServiceUnavailable);
        assert!(e.headers.iter().any(|(n, _)| *n == "retry-after"));
    }

    #[test]
    fn every_bucket_gets_the_cluster_as_its_origin() {
        let settings: BackendSettings = toml::from_str(
            "endpoint = \"http://127.0.0.1:3900\"\naccess_key = \"GK1\"\nsecret_key = \"s<&\"\n",
        )
        .expect("settings");
        let backend = Backend::new(settings, &OriginSettings::default()).expect("backend");
        let config = backend.origin_config("photos", None).expect("a valid rule");
        let rule = config.rule_for("any/key").expect("every key");
        let private = rule.hosts[0].private_host.as_ref().expect("private host");
        assert_eq!(private.host, "127.0.0.1:3900/photos");
        assert_eq!(private.credentials.secret_key, "s<&");
    }

    #[test]
    fn an_old_store_takes_every_key_of_the_bucket_as_it_is() {
        let rule = |host: &str| {
            let xml = format!(
                "<OriginConfiguration><OriginRule><RulePriority>1</RulePriority>\
                 <OriginType>Mirror</OriginType><OriginParameter><Protocol>HTTPS</Protocol>\
                 <WriteThrough>true</WriteThrough></OriginParameter><OriginInfo><HostInfo>\
                 <PrivateHost><Host>{host}</Host><CredentialProvider>\
                 <AuthorizationAlgorithm>AWS4-HMAC-SHA256</AuthorizationAlgorithm>\
                 <Region>eu-west-1</Region><SecretId>AK</SecretId><SecretKey>SK</SecretKey>\
                 </CredentialProvider></PrivateHost></HostInfo></OriginInfo></OriginRule>\
                 </OriginConfiguration>"
            );
            crate::origin::document::parse(xml.as_bytes())
                .expect("valid")
                .rules[0]
                .clone()
        };
        let origin = OriginSettings::default();
        let path = Backend::for_store(&rule("s3.example.com:9000/legacy"), &origin).expect("store");
        assert_eq!(
            path.url("any-local-bucket", "a b/c"),
            "https://s3.example.com:9000/legacy/a%20b/c"
        );
        assert_eq!(path.copy_source("any", "a b/c"), "/legacy/a%20b/c");
        assert_eq!(path.settings().region, "eu-west-1");
        let virtual_host =
            Backend::for_store(&rule("legacy.s3.example.com"), &origin).expect("store");
        assert_eq!(
            virtual_host.url("b", "k"),
            "https://legacy.s3.example.com/k"
        );
        assert_eq!(virtual_host.copy_source("b", "k"), "/legacy/k");
    }
}
