//! Origin notifications: when a fill commits or fails, an S3 event-notification document
//! (`eventName` `ObjectCreated:Origin` or `OriginFailed`) is POSTed to every webhook named in
//! the server configuration (`[origin] webhooks`).
//!
//! Each (event, webhook) pair is first written to storage's durable event queue, so nothing
//! is lost on a restart; a background task delivers the queue with retries and exponential
//! backoff, and removes a record once its webhook answered 2xx (or after
//! `webhook_max_attempts`). Delivery is at least once.
//! Document shape: <https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html>

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};
use storage::Store;
use tokio::sync::Notify;

use crate::config::OriginSettings;

/// What happened to one fill.
pub struct OriginEvent<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub outcome: EventOutcome<'a>,
    /// The origin URL the object was (or was to be) fetched from.
    pub url: Option<&'a str>,
}

pub enum EventOutcome<'a> {
    Filled { size: u64, etag: Option<&'a str> },
    Failed { reason: &'a str },
}

/// A queued delivery: one event document for one webhook.
#[derive(Serialize, Deserialize)]
struct Record {
    webhook: String,
    document: serde_json::Value,
}

pub struct Notifier {
    store: Store,
    webhooks: Vec<String>,
    region: String,
    wake: Arc<Notify>,
}

impl Notifier {
    /// `None` when no webhook is configured. The delivery task stops once the notifier is
    /// dropped.
    pub fn start(
        store: Store,
        settings: &OriginSettings,
        region: &str,
    ) -> anyhow::Result<Option<Arc<Notifier>>> {
        if settings.webhooks.is_empty() {
            return Ok(None);
        }
        let notifier = Arc::new(Notifier {
            store,
            webhooks: settings.webhooks.clone(),
            region: region.to_owned(),
            wake: Arc::new(Notify::new()),
        });
        let http = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(settings.connect_timeout_secs))
            .timeout(Duration::from_secs(30))
            .build()?;
        tokio::spawn(deliver(
            Arc::downgrade(&notifier),
            notifier.wake.clone(),
            http,
            settings.webhook_max_attempts,
        ));
        Ok(Some(notifier))
    }

    /// Queue the event for every webhook (durably), then wake the delivery task.
    pub async fn emit(&self, event: OriginEvent<'_>) {
        let document = document(&event, &self.region);
        for webhook in &self.webhooks {
            let record = Record {
                webhook: webhook.clone(),
                document: document.clone(),
            };
            let queued = match serde_json::to_vec(&record) {
                Ok(raw) => self
                    .store
                    .enqueue_event(&raw)
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            if let Err(e) = queued {
                tracing::error!(bucket = event.bucket, key = event.key, error = %e, "could not queue an origin notification");
            }
        }
        self.wake.notify_one();
    }
}

/// The S3 event-notification document for one event.
fn document(event: &OriginEvent<'_>, region: &str) -> serde_json::Value {
    let now = SystemTime::now();
    let sequencer = format!(
        "{:016X}",
        now.duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    );
    // Keys in S3 event documents are URL-encoded (space as '+').
    let key: String = url_encode_key(event.key);
    let (name, object, origin) = match &event.outcome {
        EventOutcome::Filled { size, etag } => (
            "ObjectCreated:Origin",
            serde_json::json!({ "key": key, "size": size, "eTag": etag, "sequencer": sequencer }),
            serde_json::json!({ "url": event.url }),
        ),
        EventOutcome::Failed { reason } => (
            "OriginFailed",
            serde_json::json!({ "key": key, "sequencer": sequencer }),
            serde_json::json!({ "url": event.url, "error": reason }),
        ),
    };
    serde_json::json!({
        "Records": [{
            "eventVersion": "2.1",
            "eventSource": "originstore:s3",
            "awsRegion": region,
            "eventTime": crate::xml::timestamp(now),
            "eventName": name,
            "userIdentity": { "principalId": "originstore" },
            "requestParameters": {},
            "responseElements": {},
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "originstore-origin",
                "bucket": { "name": event.bucket, "arn": format!("arn:aws:s3:::{}", event.bucket) },
                "object": object,
            },
            "origin": origin,
        }]
    })
}

fn url_encode_key(key: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~')
        .remove(b'/')
        .remove(b' ');
    percent_encoding::utf8_percent_encode(key, KEEP)
        .to_string()
        .replace(' ', "+")
}

/// The delivery loop: holds the notifier only weakly, so it ends with the server.
async fn deliver(
    notifier: Weak<Notifier>,
    wake: Arc<Notify>,
    http: reqwest::Client,
    max_attempts: u32,
) {
    // In memory: a restart simply retries everything still queued at once.
    let mut retries: HashMap<u64, (u32, Instant)> = HashMap::new();
    loop {
        let Some(store) = notifier.upgrade().map(|n| n.store.clone()) else {
            return;
        };
        let batch = match store.queued_events(256) {
            Ok(batch) => batch,
            Err(e) => {
                tracing::warn!(error = %e, "reading the notification queue");
                Vec::new()
            }
        };
        let now = Instant::now();
        let mut next_due: Option<Instant> = None;
        for (id, raw) in batch {
            if let Some((_, due)) = retries.get(&id) {
                if *due > now {
                    next_due = Some(next_due.map_or(*due, |n| n.min(*due)));
                    continue;
                }
            }
            let Ok(record) = serde_json::from_slice::<Record>(&raw) else {
                tracing::warn!(id, "dropping an unreadable notification record");
                let _ = store.dequeue_event(id);
                continue;
            };
            let delivered = http
                .post(&record.webhook)
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(record.document.to_string())
                .send()
                .await
                .map(|r| r.status().is_success())
                .unwrap_or(false);
            let attempts = retries.get(&id).map_or(0, |(n, _)| *n) + 1;
            if delivered || attempts >= max_attempts {
                if !delivered {
                    tracing::warn!(id, webhook = %record.webhook, attempts, "giving up on an origin notification");
                }
                retries.remove(&id);
                if let Err(e) = store.dequeue_event(id) {
                    tracing::warn!(id, error = %e, "removing a delivered notification");
                }
            } else {
                // 0.2 s, 0.4 s, ... capped at one minute.
                let backoff = Duration::from_millis(200u64.saturating_mul(1 << attempts.min(9)))
                    .min(Duration::from_secs(60));
                let due = Instant::now() + backoff;
                next_due = Some(next_due.map_or(due, |n| n.min(due)));
                retries.insert(id, (attempts, due));
            }
        }
        drop(store);
        let pause = next_due.map_or(Duration::from_secs(1), |due| {
            due.saturating_duration_since(Instant::now())
        });
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(pause.min(Duration::from_secs(1))) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_follow_the_s3_event_shape() {
        let event = OriginEvent {
            bucket: "site",
            key: "img/a b+c.jpg",
            outcome: EventOutcome::Filled {
                size: 12,
                etag: Some("abc"),
            },
            url: Some("http://origin/img/a%20b%2Bc.jpg"),
        };
        let doc = document(&event, "us-east-1");
        let record = &doc["Records"][0];
        assert_eq!(record["eventName"], "ObjectCreated:Origin");
        assert_eq!(record["s3"]["bucket"]["name"], "site");
        assert_eq!(record["s3"]["object"]["key"], "img/a+b%2Bc.jpg");
        assert_eq!(record["s3"]["object"]["size"], 12);
        assert_eq!(record["awsRegion"], "us-east-1");
        let failed = document(
            &OriginEvent {
                bucket: "site",
                key: "k",
                outcome: EventOutcome::Failed { reason: "timeout" },
                url: None,
            },
            "us-east-1",
        );
        assert_eq!(failed["Records"][0]["eventName"], "OriginFailed");
        assert_eq!(failed["Records"][0]["origin"]["error"], "timeout");
    }
}
