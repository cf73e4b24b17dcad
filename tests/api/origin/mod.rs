//! Origin-pull: the `?origin` subresource and the three modes in the read path, against a
//! stub origin that counts requests. One file per theme; the helpers every theme uses (a
//! rule builder, a server with an origin bucket, signed requests) are here.

use std::time::Duration;

use crate::support::server::TestServer;
use crate::support::stub_origin::StubOrigin;

mod backfill;
mod configuration;
mod crash;
mod failures;
mod faults;
mod freshness;
mod list_through;
mod modes;
mod notifications;
mod passes;
mod private;
mod purge;
mod status;
mod throttle;
mod versioning;
mod write_through;

pub(super) const STATUS: &str = "x-originstore-origin";

/// One `OriginRule` with the given pieces (XML fragments).
pub(super) struct Rule<'a> {
    pub(super) priority: u32,
    pub(super) kind: &'a str,
    pub(super) prefix: &'a str,
    pub(super) suffix: &'a str,
    pub(super) parameter: &'a str,
    pub(super) host_info: String,
    pub(super) file_info: &'a str,
    pub(super) standby_codes: &'a str,
}

impl<'a> Rule<'a> {
    pub(super) fn mirror(host: &str) -> Rule<'a> {
        Rule {
            priority: 1,
            kind: "Mirror",
            prefix: "",
            suffix: "",
            parameter: "<Protocol>HTTP</Protocol>",
            host_info: format!("<HostName>{host}</HostName>"),
            file_info: "",
            standby_codes: "",
        }
    }

    pub(super) fn xml(&self) -> String {
        format!(
            "<OriginRule><RulePriority>{}</RulePriority><OriginType>{}</OriginType>\
             <OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix>{}</Prefix><Suffix>{}</Suffix></OriginCondition>\
             <OriginParameter>{}</OriginParameter>{}\
             <OriginInfo><HostInfo>{}</HostInfo>{}</OriginInfo></OriginRule>",
            self.priority, self.kind, self.prefix, self.suffix, self.parameter, self.standby_codes, self.host_info, self.file_info
        )
    }
}

/// A `PrivateHost` (path style) naming `bucket` of `upstream`, signed with the first test
/// user's access key and `secret`.
pub(crate) fn private_host(upstream: &TestServer, bucket: &str, secret: &str) -> String {
    private_host_at(
        upstream.addr,
        bucket,
        (crate::support::server::ACCESS_KEY, secret),
    )
}

/// A `PrivateHost` (path style) naming `bucket` at `host`, signed with `keys`.
pub(crate) fn private_host_at(
    host: impl std::fmt::Display,
    bucket: &str,
    (id, secret): (&str, &str),
) -> String {
    format!(
        "<PrivateHost><Host>{host}/{bucket}</Host><CredentialProvider>\
         <AuthorizationAlgorithm>AWS4-HMAC-SHA256</AuthorizationAlgorithm>\
         <Region>us-east-1</Region><SecretId>{id}</SecretId><SecretKey>{secret}</SecretKey>\
         </CredentialProvider></PrivateHost>"
    )
}

pub(super) fn document(rules: &[Rule<'_>]) -> String {
    let rules: String = rules.iter().map(Rule::xml).collect();
    format!("<OriginConfiguration>{rules}</OriginConfiguration>")
}

pub(crate) async fn put_origin(s: &TestServer, bucket: &str, xml: &str) -> reqwest::Response {
    s.signed(http::Method::PUT, &format!("/{bucket}?origin"))
        .body(xml.to_owned())
        .send()
        .await
        .expect("sent")
}

/// A server with bucket `site` pulling from `origin` with `rules`.
pub(super) async fn setup(origin: &StubOrigin, rules: &[Rule<'_>]) -> TestServer {
    setup_with(origin, rules, |_| {}).await
}

pub(super) async fn setup_with(
    _origin: &StubOrigin,
    rules: &[Rule<'_>],
    tweak: impl FnOnce(&mut originstore::config::Config),
) -> TestServer {
    let s = TestServer::start_with(tweak).await;
    s.create_bucket("site").await;
    let resp = put_origin(&s, "site", &document(rules)).await;
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    s
}

pub(super) async fn get(s: &TestServer, path: &str) -> reqwest::Response {
    s.signed(http::Method::GET, path)
        .send()
        .await
        .expect("sent")
}

/// Read from `resp` until at least `n` bytes arrived.
pub(super) async fn read_at_least(resp: &mut reqwest::Response, n: usize) -> Vec<u8> {
    let mut got = Vec::new();
    while got.len() < n {
        match tokio::time::timeout(Duration::from_secs(10), resp.chunk()).await {
            Ok(Ok(Some(chunk))) => got.extend_from_slice(&chunk),
            other => panic!(
                "stream ended or stalled after {} bytes: {other:?}",
                got.len()
            ),
        }
    }
    got
}

/// A request to a spawned server, signed with the CLI test user's keys.
pub(super) fn signed_to(
    endpoint: &str,
    method: http::Method,
    path: &str,
) -> reqwest::RequestBuilder {
    use crate::support::process::{AK, SK};
    crate::support::server::signed_request(endpoint, (AK, SK), method, path, http::HeaderMap::new())
}
