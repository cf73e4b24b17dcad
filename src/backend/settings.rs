//! The `[backend]` section: the S3 cluster a node writes through to and fills its misses
//! from (cluster mode). Without it a node is the single node it always was.
//!
//! ```toml
//! [backend]
//! endpoint = "http://10.0.0.5:3900"   # the cluster's S3 endpoint
//! region = "garage"
//! access_key = "GK..."                # the credentials the nodes sign with
//! secret_key = "..."
//! cache_bytes = 10737418240           # this node's cache bound (the high watermark)
//! cache_low_percent = 90              # an eviction pass stops under this share of it
//! node = "edge-a"                     # sent as x-originstore-node on every answer
//! addressing = "path"                 # or "virtual" (bucket.host)
//! bucket_prefix = ""                  # cluster bucket = prefix + bucket name
//! revalidate_after_secs = 60          # a cached copy older than this is revalidated
//! settings_refresh_secs = 2           # how often the node follows the shared bucket settings
//! ```

use std::fmt;

use anyhow::{bail, Context as _};
use serde::Deserialize;

/// How the cluster's buckets are addressed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Addressing {
    /// `http://host/bucket/key`.
    #[default]
    Path,
    /// `http://bucket.host/key`.
    Virtual,
}

/// The `[backend]` TOML section, validated.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendSettings {
    pub endpoint: String,
    #[serde(default = "default_region")]
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    #[serde(default = "default_cache_bytes")]
    pub cache_bytes: u64,
    /// The low watermark, in percent of `cache_bytes`: above the bound, eviction goes on
    /// until the node holds less than this.
    #[serde(default = "default_cache_low_percent")]
    pub cache_low_percent: u8,
    #[serde(default)]
    pub node: Option<String>,
    #[serde(default)]
    pub addressing: Addressing,
    #[serde(default)]
    pub bucket_prefix: String,
    #[serde(default = "default_revalidate")]
    pub revalidate_after_secs: u64,
    /// How often the node lists the bucket settings every node shares (the longest a
    /// change made through another node takes to reach this one, plus the listing's time).
    #[serde(default = "default_settings_refresh")]
    pub settings_refresh_secs: u64,
}

fn default_settings_refresh() -> u64 {
    2
}

fn default_region() -> String {
    "us-east-1".to_owned()
}

fn default_cache_bytes() -> u64 {
    10 * 1024 * 1024 * 1024
}

fn default_cache_low_percent() -> u8 {
    90
}

fn default_revalidate() -> u64 {
    60
}

impl fmt::Debug for BackendSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackendSettings")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key", &self.access_key)
            .field("secret_key", &"(redacted)")
            .field("cache_bytes", &self.cache_bytes)
            .field("cache_low_percent", &self.cache_low_percent)
            .field("node", &self.node)
            .field("addressing", &self.addressing)
            .field("bucket_prefix", &self.bucket_prefix)
            .field("revalidate_after_secs", &self.revalidate_after_secs)
            .field("settings_refresh_secs", &self.settings_refresh_secs)
            .finish()
    }
}

/// A key as a URL path, its segments encoded as SigV4 encodes them.
pub fn encode_key(key: &str) -> String {
    key.split('/')
        .map(|segment| {
            percent_encoding::utf8_percent_encode(segment, crate::auth::sigv4::URI_ENCODE)
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("/")
}

impl BackendSettings {
    /// Settings of `endpoint` with every other key at its default (credentials empty).
    pub fn for_endpoint(endpoint: &str) -> BackendSettings {
        BackendSettings {
            endpoint: endpoint.to_owned(),
            region: default_region(),
            access_key: String::new(),
            secret_key: String::new(),
            cache_bytes: default_cache_bytes(),
            cache_low_percent: default_cache_low_percent(),
            node: None,
            addressing: Addressing::Path,
            bucket_prefix: String::new(),
            revalidate_after_secs: default_revalidate(),
            settings_refresh_secs: default_settings_refresh(),
        }
    }

    /// Refuse what cannot work: an endpoint that is not an http(s) URL without a path, empty
    /// credentials, a node name that is not a header value.
    pub fn validate(&self) -> anyhow::Result<()> {
        let url = reqwest::Url::parse(&self.endpoint)
            .with_context(|| format!("backend.endpoint {} is not a URL", self.endpoint))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            bail!("backend.endpoint must be an http:// or https:// URL with a host");
        }
        if url.path() != "/" || url.query().is_some() {
            bail!("backend.endpoint must name the server only (no path, no query)");
        }
        if self.access_key.is_empty() || self.secret_key.is_empty() {
            bail!("backend.access_key and backend.secret_key must not be empty");
        }
        if let Some(node) = &self.node {
            if node.is_empty() || http::HeaderValue::from_str(node).is_err() {
                bail!("backend.node must be a non-empty printable ASCII name");
            }
        }
        if self.cache_bytes == 0 {
            bail!("backend.cache_bytes must be at least 1");
        }
        if !(1..=100).contains(&self.cache_low_percent) {
            bail!("backend.cache_low_percent must be between 1 and 100");
        }
        Ok(())
    }

    /// `scheme://host[:port]`, without a trailing slash.
    pub fn base(&self) -> &str {
        self.endpoint.trim_end_matches('/')
    }

    /// The endpoint's `host[:port]`.
    pub fn authority(&self) -> &str {
        let base = self.base();
        base.split_once("://").map_or(base, |(_, rest)| rest)
    }

    pub fn https(&self) -> bool {
        self.endpoint.starts_with("https://")
    }

    /// The cluster's name for `bucket`.
    pub fn cluster_bucket(&self, bucket: &str) -> String {
        format!("{}{bucket}", self.bucket_prefix)
    }

    /// The URL of `key` in `bucket` (`key` empty: the bucket), its path segments encoded as
    /// SigV4 encodes them.
    pub fn url(&self, bucket: &str, key: &str) -> String {
        self.url_of_cluster_bucket(&self.cluster_bucket(bucket), key)
    }

    /// [`BackendSettings::url`] of a bucket named as the cluster names it.
    pub fn url_of_cluster_bucket(&self, bucket: &str, key: &str) -> String {
        let key = encode_key(key);
        let scheme = if self.https() { "https" } else { "http" };
        match self.addressing {
            Addressing::Path => format!("{}/{bucket}/{key}", self.base()),
            Addressing::Virtual => format!("{scheme}://{bucket}.{}/{key}", self.authority()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(toml_text: &str) -> anyhow::Result<BackendSettings> {
        let s: BackendSettings = toml::from_str(toml_text)?;
        s.validate()?;
        Ok(s)
    }

    #[test]
    fn the_documented_keys_parse_with_defaults() {
        let s = settings(
            "endpoint = \"http://10.0.0.5:3900\"\naccess_key = \"GK1\"\nsecret_key = \"s\"\n",
        )
        .expect("valid");
        assert_eq!(s.region, "us-east-1");
        assert_eq!(s.addressing, Addressing::Path);
        assert_eq!(s.url("b", "a b/c"), "http://10.0.0.5:3900/b/a%20b/c");
        assert!(!format!("{s:?}").contains("\"s\""), "no secret in Debug");
        let s = settings(
            "endpoint = \"https://s3.example.com\"\naccess_key = \"GK1\"\nsecret_key = \"s\"\n\
             addressing = \"virtual\"\nbucket_prefix = \"edge-\"\nnode = \"edge-a\"\n",
        )
        .expect("valid");
        assert_eq!(s.url("b", "k"), "https://edge-b.s3.example.com/k");
        for bad in [
            "endpoint = \"ftp://x\"\naccess_key = \"a\"\nsecret_key = \"s\"\n",
            "endpoint = \"http://x/path\"\naccess_key = \"a\"\nsecret_key = \"s\"\n",
            "endpoint = \"http://x\"\naccess_key = \"\"\nsecret_key = \"s\"\n",
            "endpoint = \"http://x\"\naccess_key = \"a\"\nsecret_key = \"s\"\nnode = \"\"\n",
            "endpoint = \"http://x\"\naccess_key = \"a\"\nsecret_key = \"s\"\nunknown = 1\n",
        ] {
            assert!(settings(bad).is_err(), "{bad}");
        }
    }
}
