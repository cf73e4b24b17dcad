//! The `[notify]` section: the targets bucket notifications may name, each referred to by
//! the ARN `arn:originstore:sqs::<id>:<kind>`, and how hard delivery tries.
//!
//! ```toml
//! [notify]
//! max_attempts = 100          # deliveries of one event before it becomes a dead letter
//! queue_max = 1000000         # events a target may have waiting before new ones are set aside
//! [[notify.targets]]
//! id = "hooks"                # arn:originstore:sqs::hooks:webhook
//! kind = "webhook"            # webhook | nats | redis | amqp
//! url = "http://127.0.0.1:8080/s3-events"
//! secret = "..."              # webhook: X-Originstore-Signature: sha256=<HMAC of the body>
//! token = "..."               # webhook: Authorization: Bearer <token>
//! [[notify.targets]]
//! id = "stream"
//! kind = "redis"              # XADD <stream> * event <record>
//! url = "redis://127.0.0.1:6379"
//! stream = "s3events"
//! # nats: subject = "s3.events", jetstream = true; amqp: exchange = "s3", routing_key = "events"
//! ```

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    Webhook,
    Nats,
    Redis,
    Amqp,
}

impl TargetKind {
    pub fn name(self) -> &'static str {
        match self {
            TargetKind::Webhook => "webhook",
            TargetKind::Nats => "nats",
            TargetKind::Redis => "redis",
            TargetKind::Amqp => "amqp",
        }
    }
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSettings {
    pub id: String,
    pub kind: TargetKind,
    pub url: String,
    /// Webhook: the key of the body's HMAC-SHA256 signature header.
    pub secret: Option<String>,
    /// Webhook: a bearer token.
    pub token: Option<String>,
    /// NATS: the subject events are published on.
    pub subject: Option<String>,
    /// NATS: publish through JetStream and wait for the stream's acknowledgement.
    #[serde(default)]
    pub jetstream: bool,
    /// Redis: the stream events are appended to.
    pub stream: Option<String>,
    /// AMQP: the exchange ("" is the default exchange) and the routing key.
    pub exchange: Option<String>,
    pub routing_key: Option<String>,
    /// This target's own bound on attempts (else `[notify] max_attempts`).
    pub max_attempts: Option<u32>,
}

impl std::fmt::Debug for TargetSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets and URLs with credentials stay out of logs.
        f.debug_struct("TargetSettings")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl TargetSettings {
    /// The ARN bucket configurations name this target by.
    pub fn arn(&self) -> String {
        format!("arn:originstore:sqs::{}:{}", self.id, self.kind.name())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifySettings {
    pub targets: Vec<TargetSettings>,
    pub max_attempts: u32,
    pub queue_max: u64,
}

impl Default for NotifySettings {
    fn default() -> Self {
        NotifySettings {
            targets: Vec::new(),
            max_attempts: 100,
            queue_max: 1_000_000,
        }
    }
}

impl NotifySettings {
    /// Refuse what could never deliver: a duplicate or malformed id, a URL of the wrong
    /// scheme, a missing subject, stream or routing key.
    pub fn validate(&self) -> anyhow::Result<()> {
        let mut seen = std::collections::HashSet::new();
        for t in &self.targets {
            let id_ok = !t.id.is_empty()
                && t.id.len() <= 64
                && t.id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            anyhow::ensure!(
                id_ok,
                "[[notify.targets]] id {:?}: 1 to 64 letters, digits, '-' or '_'",
                t.id
            );
            anyhow::ensure!(
                seen.insert(&t.id),
                "[[notify.targets]] id {:?} is used twice",
                t.id
            );
            let schemes: &[&str] = match t.kind {
                TargetKind::Webhook => &["http://", "https://"],
                TargetKind::Nats => &["nats://", "tls://"],
                TargetKind::Redis => &["redis://", "rediss://"],
                TargetKind::Amqp => &["amqp://", "amqps://"],
            };
            anyhow::ensure!(
                schemes.iter().any(|s| t.url.starts_with(s)),
                "[[notify.targets]] {}: a {} url starts with {}",
                t.id,
                t.kind.name(),
                schemes.join(" or ")
            );
            let needed = match t.kind {
                TargetKind::Nats => t.subject.is_some().then_some(()).ok_or("subject"),
                TargetKind::Redis => t.stream.is_some().then_some(()).ok_or("stream"),
                TargetKind::Amqp => t.routing_key.is_some().then_some(()).ok_or("routing_key"),
                TargetKind::Webhook => Ok(()),
            };
            if let Err(field) = needed {
                anyhow::bail!(
                    "[[notify.targets]] {}: {} needs {field}",
                    t.id,
                    t.kind.name()
                );
            }
            anyhow::ensure!(
                t.max_attempts.unwrap_or(self.max_attempts) > 0,
                "[[notify.targets]] {}: max_attempts must be at least 1",
                t.id
            );
        }
        Ok(())
    }
}
