//! Sending one message to one target, with the field's clients: reqwest (webhooks, with an
//! optional HMAC-SHA256 signature header and bearer token), async-nats (core, flushed; or
//! JetStream, acknowledged by the stream), redis (`XADD` to a stream) and lapin (AMQP 0-9-1,
//! published persistent with publisher confirms). A connection is made on first use and
//! dropped on any failure, so the next attempt connects again; TLS follows the URL's
//! scheme (`https`, `tls`, `rediss`, `amqps`). An `Ok` is the target's acknowledgement.

use std::time::Duration;

use std::future::IntoFuture as _;
use tokio::sync::Mutex;

use super::settings::{TargetKind, TargetSettings};

/// The header a webhook's signature is in: `sha256=<hex HMAC-SHA256 of the body>`.
pub const SIGNATURE_HEADER: &str = "x-originstore-signature";

enum Connection {
    None,
    Nats(async_nats::Client),
    Redis(redis::aio::MultiplexedConnection),
    Amqp(lapin::Connection, lapin::Channel),
}

pub struct Target {
    pub settings: TargetSettings,
    http: reqwest::Client,
    connection: Mutex<Connection>,
}

const TIMEOUT: Duration = Duration::from_secs(10);

async fn timed<T, E: std::fmt::Display>(
    what: &str,
    f: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(TIMEOUT, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("{what}: {e}")),
        Err(_) => Err(format!("{what}: no answer in {} s", TIMEOUT.as_secs())),
    }
}

impl Target {
    pub fn new(settings: TargetSettings) -> anyhow::Result<Target> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(TIMEOUT)
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Target {
            settings,
            http,
            connection: Mutex::new(Connection::None),
        })
    }

    /// Deliver `body` (one message); `Err` says why it was not acknowledged.
    pub async fn send(&self, body: &[u8]) -> Result<(), String> {
        let s = &self.settings;
        if s.kind == TargetKind::Webhook {
            return self.webhook(body).await;
        }
        let mut conn = self.connection.lock().await;
        if matches!(*conn, Connection::None) {
            *conn = self.connect().await?;
        }
        let sent = match &mut *conn {
            Connection::Nats(client) => {
                let subject = s.subject.clone().unwrap_or_default();
                if s.jetstream {
                    let js = async_nats::jetstream::new(client.clone());
                    match timed(
                        "jetstream publish",
                        js.publish(subject, body.to_vec().into()),
                    )
                    .await
                    {
                        Ok(ack) => timed("jetstream acknowledgement", ack.into_future())
                            .await
                            .map(drop),
                        Err(e) => Err(e),
                    }
                } else {
                    match timed(
                        "nats publish",
                        client.publish(subject, body.to_vec().into()),
                    )
                    .await
                    {
                        Ok(()) => timed("nats flush", client.flush()).await,
                        Err(e) => Err(e),
                    }
                }
            }
            Connection::Redis(redis) => {
                let stream = s.stream.clone().unwrap_or_default();
                let added: Result<String, String> = timed(
                    "redis XADD",
                    redis::cmd("XADD")
                        .arg(&stream)
                        .arg("*")
                        .arg("event")
                        .arg(body)
                        .query_async(redis),
                )
                .await;
                added.map(drop)
            }
            Connection::Amqp(_, channel) => {
                let properties = lapin::BasicProperties::default()
                    .with_content_type("application/json".into())
                    .with_delivery_mode(2);
                let published = timed(
                    "amqp publish",
                    channel.basic_publish(
                        s.exchange.as_deref().unwrap_or_default().into(),
                        s.routing_key.as_deref().unwrap_or_default().into(),
                        lapin::options::BasicPublishOptions::default(),
                        body,
                        properties,
                    ),
                )
                .await;
                match published {
                    Ok(confirm) => match timed("amqp confirm", confirm).await {
                        Ok(c) if c.is_ack() => Ok(()),
                        Ok(_) => Err("the broker refused the message (nack)".to_owned()),
                        Err(e) => Err(e),
                    },
                    Err(e) => Err(e),
                }
            }
            Connection::None => Err("not connected".to_owned()),
        };
        if sent.is_err() {
            if let Connection::Amqp(connection, _) = std::mem::replace(&mut *conn, Connection::None)
            {
                let _ = connection.close(0, "reconnecting".into()).await;
            }
        }
        sent
    }

    async fn connect(&self) -> Result<Connection, String> {
        let s = &self.settings;
        match s.kind {
            TargetKind::Nats => {
                let options = async_nats::ConnectOptions::new()
                    .connection_timeout(TIMEOUT)
                    .retry_on_initial_connect();
                let client = timed("nats connect", options.connect(s.url.as_str())).await?;
                Ok(Connection::Nats(client))
            }
            TargetKind::Redis => {
                let client =
                    redis::Client::open(s.url.as_str()).map_err(|e| format!("redis url: {e}"))?;
                let conn =
                    timed("redis connect", client.get_multiplexed_async_connection()).await?;
                Ok(Connection::Redis(conn))
            }
            TargetKind::Amqp => {
                let connection = timed(
                    "amqp connect",
                    lapin::Connection::connect(&s.url, lapin::ConnectionProperties::default()),
                )
                .await?;
                let channel = timed("amqp channel", connection.create_channel()).await?;
                timed(
                    "amqp confirm mode",
                    channel.confirm_select(lapin::options::ConfirmSelectOptions::default()),
                )
                .await?;
                Ok(Connection::Amqp(connection, channel))
            }
            TargetKind::Webhook => Ok(Connection::None),
        }
    }

    async fn webhook(&self, body: &[u8]) -> Result<(), String> {
        let s = &self.settings;
        let mut request = self
            .http
            .post(&s.url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(body.to_vec());
        if let Some(secret) = &s.secret {
            let signature = hex::encode(crate::auth::sigv4::hmac_sha256(secret.as_bytes(), body));
            request = request.header(SIGNATURE_HEADER, format!("sha256={signature}"));
        }
        if let Some(token) = &s.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| format!("webhook: {e}"))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("webhook answered {}", response.status()))
        }
    }
}
