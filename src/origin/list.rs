//! Listing an S3-compatible origin (a rule's `PrivateHost`): one signed ListObjectsV2 page at
//! a time, keys URL-encoded on the wire and decoded here. Used by list-through listings
//! ([`super::list_through`]), and its request and answer ([`query_string`], [`parse_page`])
//! by the cluster's own listings (`crate::backend`).

use std::time::SystemTime;

use http::Method;
use percent_encoding::{percent_decode_str, utf8_percent_encode};
use serde::Deserialize;

use crate::auth::sigv4;

use super::document::{OriginRule, Protocol};
use super::fetch::OriginClient;

/// One entry of an origin listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginEntry {
    Object {
        key: String,
        size: u64,
        /// Unquoted.
        etag: String,
        last_modified: SystemTime,
    },
    Prefix(String),
}

impl OriginEntry {
    pub fn name(&self) -> &str {
        match self {
            OriginEntry::Object { key, .. } => key,
            OriginEntry::Prefix(p) => p,
        }
    }
}

/// One page, entries in key order (objects and common prefixes merged).
#[derive(Debug, Default)]
pub struct OriginPage {
    pub entries: Vec<OriginEntry>,
    pub next_token: Option<String>,
}

/// What to list.
pub struct OriginListQuery<'a> {
    pub prefix: &'a str,
    pub delimiter: Option<&'a str>,
    pub start_after: Option<&'a str>,
    pub token: Option<&'a str>,
    pub max_keys: usize,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct ListBucketResult {
    #[serde(default)]
    is_truncated: bool,
    #[serde(default)]
    next_continuation_token: Option<String>,
    #[serde(default)]
    contents: Vec<Contents>,
    #[serde(default)]
    common_prefixes: Vec<CommonPrefix>,
    #[serde(default)]
    encoding_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Contents {
    key: String,
    #[serde(default)]
    last_modified: String,
    #[serde(rename = "ETag", default)]
    etag: String,
    #[serde(default)]
    size: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CommonPrefix {
    prefix: String,
}

/// List one page of `rule`'s origin (its first `PrivateHost`).
pub async fn list_page(
    client: &OriginClient,
    rule: &OriginRule,
    query: &OriginListQuery<'_>,
) -> Result<OriginPage, String> {
    let private = rule
        .hosts
        .iter()
        .find_map(|h| h.private_host.as_ref())
        .ok_or("the rule has no PrivateHost to list")?;
    let scheme = match rule.parameter.protocol {
        Protocol::Https => "https",
        Protocol::Http | Protocol::Follow => "http",
    };
    let url = format!(
        "{scheme}://{}/?{}",
        private.host.trim_end_matches('/'),
        query_string(query)
    );
    let response = client.get_signed(&Method::GET, &url, private).await?;
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|e| format!("{url}: reading the listing: {e}"))?;
    if !status.is_success() {
        return Err(format!("{url}: the origin answered {status} to a listing"));
    }
    parse_page(&body).map_err(|e| format!("{url}: {e}"))
}

/// The query string of a ListObjectsV2 request for `query` (URL-encoded keys asked for),
/// its parameters sorted as SigV4 signs them.
pub fn query_string(query: &OriginListQuery<'_>) -> String {
    let mut params = vec![
        ("list-type", "2".to_owned()),
        ("encoding-type", "url".to_owned()),
        ("max-keys", query.max_keys.clamp(1, 1000).to_string()),
        ("prefix", query.prefix.to_owned()),
    ];
    if let Some(d) = query.delimiter {
        params.push(("delimiter", d.to_owned()));
    }
    if let Some(s) = query.start_after {
        params.push(("start-after", s.to_owned()));
    }
    if let Some(t) = query.token {
        params.push(("continuation-token", t.to_owned()));
    }
    params.sort();
    params
        .iter()
        .map(|(n, v)| format!("{n}={}", utf8_percent_encode(v, sigv4::URI_ENCODE)))
        .collect::<Vec<_>>()
        .join("&")
}

/// One ListObjectsV2 answer's page: keys decoded, objects and common prefixes merged in key
/// order.
pub fn parse_page(body: &str) -> Result<OriginPage, String> {
    let doc: ListBucketResult =
        quick_xml::de::from_str(body).map_err(|e| format!("the listing does not parse: {e}"))?;
    let url_encoded = doc.encoding_type.as_deref() == Some("url");
    let decode = |s: String| {
        if url_encoded {
            percent_decode_str(&s).decode_utf8_lossy().into_owned()
        } else {
            s
        }
    };
    let mut entries: Vec<OriginEntry> = doc
        .contents
        .into_iter()
        .map(|c| OriginEntry::Object {
            key: decode(c.key),
            size: c.size,
            etag: c.etag.trim_matches('"').to_owned(),
            last_modified: parse_time(&c.last_modified),
        })
        .chain(
            doc.common_prefixes
                .into_iter()
                .map(|p| OriginEntry::Prefix(decode(p.prefix))),
        )
        .collect();
    entries.sort_by(|a, b| a.name().cmp(b.name()));
    Ok(OriginPage {
        entries,
        next_token: doc.next_continuation_token.filter(|_| doc.is_truncated),
    })
}

fn parse_time(text: &str) -> SystemTime {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(SystemTime::from)
        .unwrap_or(SystemTime::UNIX_EPOCH)
}
