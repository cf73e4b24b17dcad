//! Bucket notifications: the configuration as AWS validates it, every event kind with its
//! record at a webhook (signed, with a bearer token), filters, the live stream, dead
//! letters; real brokers (NATS core and JetStream, Redis Streams, RabbitMQ); a broker down
//! for 30 s during writes; kill -9 of the server during writes.

mod brokers;
mod crash;
mod webhook;

use std::sync::{Arc, Mutex};

use originstore::notify::settings::TargetSettings;
use serde_json::Value;

/// A target from its TOML (as `[[notify.targets]]` holds it).
pub(crate) fn target(toml: &str) -> TargetSettings {
    toml::from_str(toml).expect("a target")
}

/// Set `bucket`'s notification configuration (signed as the first user); its status and
/// body.
pub(crate) async fn put_config(
    s: &crate::support::server::TestServer,
    bucket: &str,
    xml: &str,
) -> (u16, String) {
    let keys = (
        crate::support::server::ACCESS_KEY,
        crate::support::server::SECRET_KEY,
    );
    put_config_as(s, keys, bucket, xml).await
}

/// [`put_config`] signed with `keys`.
pub(crate) async fn put_config_as(
    s: &crate::support::server::TestServer,
    keys: (&str, &str),
    bucket: &str,
    xml: &str,
) -> (u16, String) {
    let resp = crate::support::server::signed_request(
        &s.endpoint(),
        keys,
        http::Method::PUT,
        &format!("/{bucket}?notification"),
        http::HeaderMap::new(),
    )
    .body(xml.to_owned())
    .send()
    .await
    .expect("sent");
    (
        resp.status().as_u16(),
        resp.text().await.unwrap_or_default(),
    )
}

/// One configuration element sending `events` under `prefix` to `arn`.
pub(crate) fn queue_config(arn: &str, events: &[&str], prefix: &str, suffix: &str) -> String {
    let events: String = events
        .iter()
        .map(|e| format!("<Event>{e}</Event>"))
        .collect();
    format!(
        "<QueueConfiguration><Queue>{arn}</Queue>{events}<Filter><S3Key>\
         <FilterRule><Name>prefix</Name><Value>{prefix}</Value></FilterRule>\
         <FilterRule><Name>suffix</Name><Value>{suffix}</Value></FilterRule>\
         </S3Key></Filter></QueueConfiguration>"
    )
}

/// A webhook receiver that keeps every request's headers and JSON body.
pub(crate) struct Receiver {
    pub url: String,
    /// Each request's headers, JSON body and raw bytes.
    pub got: Arc<Mutex<Vec<(http::HeaderMap, Value, bytes::Bytes)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/events", listener.local_addr().expect("addr"));
        let got = Arc::new(Mutex::new(Vec::new()));
        let keep = got.clone();
        let app =
            axum::Router::new().fallback(move |headers: http::HeaderMap, body: bytes::Bytes| {
                let keep = keep.clone();
                async move {
                    let doc: Value = serde_json::from_slice(&body).expect("a JSON body");
                    keep.lock().expect("lock").push((headers, doc, body));
                    http::StatusCode::OK
                }
            });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { url, got, task }
    }

    /// The bodies received so far.
    pub fn bodies(&self) -> Vec<Value> {
        self.got
            .lock()
            .expect("lock")
            .iter()
            .map(|(_, b, _)| b.clone())
            .collect()
    }

    /// Wait (up to 30 s) for `n` bodies.
    pub async fn wait_for(&self, n: usize) -> Vec<Value> {
        for _ in 0..600 {
            let got = self.bodies();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("expected {n} deliveries, got {:#?}", self.bodies());
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The `eventName` and URL-encoded key of each record in `bodies` (test events skipped).
pub(crate) fn names_and_keys(bodies: &[Value]) -> Vec<(String, String)> {
    bodies
        .iter()
        .filter_map(|b| b["Records"].get(0))
        .map(|r| {
            (
                r["eventName"].as_str().unwrap_or_default().to_owned(),
                r["s3"]["object"]["key"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect()
}
