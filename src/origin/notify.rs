//! What a fill tells bucket notifications ([`crate::notify`]): `s3:ObjectCreated:Origin`
//! with the object's size and the origin's ETag when it committed, and (to `[origin]
//! webhooks` only, which always heard of them) a failed fill. The server is the actor:
//! no user identity or source address.

use crate::notify::{Event, ORIGIN_FAILED};

pub fn filled(bucket: &str, key: &str, size: u64, etag: Option<&str>, url: &str) -> Event {
    let mut event = Event::new(bucket, key, "s3:ObjectCreated:Origin");
    event.origin = Some(serde_json::json!({ "url": url }));
    event.size = Some(size);
    event.etag = etag.map(|e| e.trim_matches('"').to_owned());
    event.principal = Some("originstore".to_owned());
    event
}

pub fn failed(bucket: &str, key: &str, reason: &str) -> Event {
    let mut event = Event::new(bucket, key, ORIGIN_FAILED);
    event.origin = Some(serde_json::json!({ "error": reason }));
    event.principal = Some("originstore".to_owned());
    event
}
