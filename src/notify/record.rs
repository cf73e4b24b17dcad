//! What happened to an object ([`Event`]), and the record a target receives: AWS's event
//! message structure, version 2.1 (`{"Records": [...]}` with `eventTime`, the URL-encoded
//! key, `size`, `eTag`, `versionId`, `sequencer`, `userIdentity`,
//! `requestParameters.sourceIPAddress`), and the `s3:TestEvent` sent when a configuration
//! is set.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html>

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use serde_json::{json, Value};

/// One change to one object.
#[derive(Debug, Clone)]
pub struct Event {
    pub bucket: String,
    pub key: String,
    /// AWS's event type, `s3:` included: `s3:ObjectCreated:Put`, ...
    pub name: &'static str,
    pub size: Option<u64>,
    /// Unquoted.
    pub etag: Option<String>,
    pub version_id: Option<String>,
    /// Who did it (`None`: anonymous, or the server itself — lifecycle, origin fills).
    pub principal: Option<String>,
    pub source_ip: Option<IpAddr>,
    pub request_id: String,
    /// Origin fills: where from (`url`) or why it failed (`error`), as the record's `origin`.
    pub origin: Option<Value>,
}

impl Event {
    pub fn new(bucket: &str, key: &str, name: &'static str) -> Event {
        Event {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            name,
            size: None,
            etag: None,
            version_id: None,
            principal: None,
            source_ip: None,
            request_id: String::new(),
            origin: None,
        }
    }
}

/// Sequencers grow for as long as the server runs and from one start to the next (they
/// start from the clock): for one key, a later event has a greater sequencer, compared as
/// hex strings of equal length, as S3 documents it.
pub struct Sequencer(AtomicU64);

impl Default for Sequencer {
    fn default() -> Self {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        Sequencer(AtomicU64::new(now))
    }
}

impl Sequencer {
    pub fn next(&self) -> String {
        format!("{:016X}", self.0.fetch_add(1, Ordering::Relaxed))
    }
}

/// Keys in event records are URL-encoded as a form value (space as `+`), as S3 sends them.
pub fn url_encode_key(key: &str) -> String {
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

/// The record of `event` for the configuration `configuration_id`, as one message.
pub fn message(
    event: &Event,
    configuration_id: &str,
    region: &str,
    sequencer: &str,
    at: SystemTime,
) -> Value {
    let mut object = json!({
        "key": url_encode_key(&event.key),
        "sequencer": sequencer,
    });
    if let Some(size) = event.size {
        object["size"] = json!(size);
    }
    if let Some(etag) = &event.etag {
        object["eTag"] = json!(etag);
    }
    if let Some(v) = &event.version_id {
        object["versionId"] = json!(v);
    }
    let mut message = json!({
        "Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": region,
            "eventTime": crate::xml::timestamp(at),
            "eventName": event
                .name
                .strip_prefix("s3:")
                .or_else(|| event.name.strip_prefix("originstore:"))
                .unwrap_or(event.name),
            "userIdentity": { "principalId": event.principal.as_deref().unwrap_or("anonymous") },
            "requestParameters": {
                "sourceIPAddress": event.source_ip.map(|ip| ip.to_string()).unwrap_or_default()
            },
            "responseElements": {
                "x-amz-request-id": event.request_id,
                "x-amz-id-2": event.request_id,
            },
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": configuration_id,
                "bucket": {
                    "name": event.bucket,
                    "ownerIdentity": { "principalId": "" },
                    "arn": format!("arn:aws:s3:::{}", event.bucket),
                },
                "object": object,
            },
        }]
    });
    if let Some(origin) = &event.origin {
        message["Records"][0]["origin"] = origin.clone();
    }
    message
}

/// The message S3 sends to each destination when a configuration is set.
pub fn test_event(bucket: &str, request_id: &str, at: SystemTime) -> Value {
    json!({
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": crate::xml::timestamp(at),
        "Bucket": bucket,
        "RequestId": request_id,
        "HostId": request_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_follow_the_s3_event_structure() {
        let mut event = Event::new("site", "img/a b+c.jpg", "s3:ObjectCreated:Put");
        event.size = Some(12);
        event.etag = Some("abc".into());
        event.version_id = Some("v1".into());
        event.principal = Some("alice".into());
        event.source_ip = Some("127.0.0.1".parse().expect("ip"));
        let doc = message(
            &event,
            "c1",
            "us-east-1",
            "00000000000000FF",
            SystemTime::UNIX_EPOCH,
        );
        let r = &doc["Records"][0];
        assert_eq!(r["eventVersion"], "2.1");
        assert_eq!(r["eventName"], "ObjectCreated:Put");
        assert_eq!(r["eventTime"], "1970-01-01T00:00:00.000Z");
        assert_eq!(r["s3"]["object"]["key"], "img/a+b%2Bc.jpg");
        assert_eq!(r["s3"]["object"]["size"], 12);
        assert_eq!(r["s3"]["object"]["versionId"], "v1");
        assert_eq!(r["s3"]["configurationId"], "c1");
        assert_eq!(r["userIdentity"]["principalId"], "alice");
        assert_eq!(r["requestParameters"]["sourceIPAddress"], "127.0.0.1");
    }

    #[test]
    fn sequencers_grow_and_compare_as_strings() {
        let s = Sequencer::default();
        let (a, b) = (s.next(), s.next());
        assert!(a < b && a.len() == b.len());
    }
}
