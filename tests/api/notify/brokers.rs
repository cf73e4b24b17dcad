//! Real brokers, started from Debian's packages on loopback: NATS (core and JetStream),
//! Redis Streams and RabbitMQ each receive the events their configuration names, with the
//! right record; Redis stopped for 30 s during writes gets every event once it is back, in
//! the order of each key's writes.

use std::time::Duration;

use futures::StreamExt as _;
use serde_json::Value;

use super::{put_config, queue_config, target};
use crate::support::brokers::Broker;
use crate::support::server::TestServer;

fn name_and_key(r: &Value) -> (String, String) {
    (
        r["eventName"].as_str().unwrap_or_default().to_owned(),
        r["s3"]["object"]["key"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

/// A Redis stream's entries as XRANGE answers: each id with its field-value pairs.
type StreamEntries = Vec<(String, Vec<(String, Vec<u8>)>)>;

/// Every record of a Redis stream, in order.
async fn redis_records(url: &str, stream: &str) -> Vec<Value> {
    let client = redis::Client::open(url).expect("redis url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis connection");
    let entries: StreamEntries = redis::cmd("XRANGE")
        .arg(stream)
        .arg("-")
        .arg("+")
        .query_async(&mut conn)
        .await
        .unwrap_or_default();
    entries
        .into_iter()
        .filter_map(|(_, fields)| {
            fields
                .into_iter()
                .find(|(k, _)| k == "event")
                .map(|(_, v)| v)
        })
        .map(|v| serde_json::from_slice(&v).expect("json"))
        .collect()
}

async fn until<T>(what: &str, mut f: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..600 {
        if let Some(v) = f().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: not within 60 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_jetstream_redis_and_rabbitmq_each_receive_their_events() {
    let (nats, redis, rabbit) = tokio::join!(
        tokio::task::spawn_blocking(Broker::nats),
        tokio::task::spawn_blocking(Broker::redis),
        tokio::task::spawn_blocking(Broker::rabbitmq),
    );
    let (nats, redis, rabbit) = (
        nats.expect("nats"),
        redis.expect("redis"),
        rabbit.expect("rabbitmq"),
    );

    // What the tests read with: a NATS subscription, a JetStream stream, a RabbitMQ queue.
    let nc = async_nats::connect(nats.url()).await.expect("nats client");
    let mut core = nc.subscribe("s3.core").await.expect("subscribe");
    nc.flush().await.expect("flush");
    let js = async_nats::jetstream::new(nc.clone());
    let stream = js
        .create_stream(async_nats::jetstream::stream::Config {
            name: "S3".into(),
            subjects: vec!["s3.js".into()],
            ..Default::default()
        })
        .await
        .expect("a JetStream stream");
    let amqp = lapin::Connection::connect(&rabbit.url(), lapin::ConnectionProperties::default())
        .await
        .expect("amqp connection");
    let channel = amqp.create_channel().await.expect("channel");
    channel
        .queue_declare(
            "s3events".into(),
            lapin::options::QueueDeclareOptions::default(),
            Default::default(),
        )
        .await
        .expect("queue");

    let (n, r, a) = (nats.url(), redis.url(), rabbit.url());
    let s = TestServer::start_with(move |c| {
        c.notify.targets.push(target(&format!("id = \"core\"\nkind = \"nats\"\nurl = \"{n}\"\nsubject = \"s3.core\"")));
        c.notify.targets.push(target(&format!("id = \"js\"\nkind = \"nats\"\nurl = \"{n}\"\nsubject = \"s3.js\"\njetstream = true")));
        c.notify.targets.push(target(&format!("id = \"stream\"\nkind = \"redis\"\nurl = \"{r}\"\nstream = \"s3events\"")));
        c.notify.targets.push(target(&format!("id = \"rabbit\"\nkind = \"amqp\"\nurl = \"{a}\"\nexchange = \"\"\nrouting_key = \"s3events\"")));
    })
    .await;
    s.create_bucket("brokers").await;
    let all = ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"];
    let config = format!(
        "<NotificationConfiguration>{}{}{}{}</NotificationConfiguration>",
        queue_config("arn:originstore:sqs::core:nats", &all, "n/", ""),
        queue_config("arn:originstore:sqs::js:nats", &all, "j/", ""),
        queue_config("arn:originstore:sqs::stream:redis", &all, "r/", ".txt"),
        queue_config("arn:originstore:sqs::rabbit:amqp", &all, "a/", ""),
    );
    let (status, body) = put_config(&s, "brokers", &config).await;
    assert_eq!(status, 200, "{body}");
    for prefix in ["n", "j", "r", "a"] {
        s.put("brokers", &format!("{prefix}/one.txt"), "1").await;
        s.client
            .delete_object()
            .bucket("brokers")
            .key(format!("{prefix}/one.txt"))
            .send()
            .await
            .expect("delete");
    }
    s.put("brokers", "r/skipped.png", "not .txt").await;
    let want = |prefix: &str| {
        vec![
            ("ObjectCreated:Put".to_owned(), format!("{prefix}/one.txt")),
            (
                "ObjectRemoved:Delete".to_owned(),
                format!("{prefix}/one.txt"),
            ),
        ]
    };

    // NATS core: the test event first, then the two records.
    let mut core_got = Vec::new();
    while core_got.len() < 3 {
        let msg = tokio::time::timeout(Duration::from_secs(30), core.next())
            .await
            .expect("a NATS message")
            .expect("open");
        core_got.push(serde_json::from_slice::<Value>(&msg.payload).expect("json"));
    }
    assert_eq!(core_got[0]["Event"], "s3:TestEvent");
    let core_records: Vec<_> = core_got[1..]
        .iter()
        .map(|d| name_and_key(&d["Records"][0]))
        .collect();
    assert_eq!(core_records, want("n"));
    assert_eq!(core_got[1]["Records"][0]["s3"]["object"]["size"], 1);

    // JetStream: acknowledged into the stream.
    let mut stream = stream;
    until("three JetStream messages", async || {
        let info = stream.info().await.ok()?;
        (info.state.messages >= 3).then_some(())
    })
    .await;
    let mut js_got = Vec::new();
    for seq in 1..=3 {
        let m = stream.get_raw_message(seq).await.expect("a stored message");
        js_got.push(serde_json::from_slice::<Value>(&m.payload).expect("json"));
    }
    assert_eq!(js_got[0]["Event"], "s3:TestEvent");
    assert_eq!(
        js_got[1..]
            .iter()
            .map(|d| name_and_key(&d["Records"][0]))
            .collect::<Vec<_>>(),
        want("j")
    );

    // Redis Streams (the .png was filtered out by the suffix).
    let redis_got = until("three Redis entries", async || {
        let got = redis_records(&redis.url(), "s3events").await;
        (got.len() >= 3).then_some(got)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let redis_got_now = redis_records(&redis.url(), "s3events").await;
    assert_eq!(
        redis_got_now.len(),
        3,
        "no event for r/skipped.png: {redis_got_now:?}"
    );
    assert_eq!(
        redis_got[1..]
            .iter()
            .map(|d| name_and_key(&d["Records"][0]))
            .collect::<Vec<_>>(),
        want("r")
    );

    // RabbitMQ: persistent messages in the queue.
    let mut amqp_got = Vec::new();
    for _ in 0..300 {
        if amqp_got.len() >= 3 {
            break;
        }
        match channel
            .basic_get(
                "s3events".into(),
                lapin::options::BasicGetOptions { no_ack: true },
            )
            .await
            .expect("basic_get")
        {
            Some(message) => amqp_got
                .push(serde_json::from_slice::<Value>(&message.delivery.data).expect("json")),
            None => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    assert_eq!(amqp_got.len(), 3, "{amqp_got:?}");
    assert_eq!(
        amqp_got[1..]
            .iter()
            .map(|d| name_and_key(&d["Records"][0]))
            .collect::<Vec<_>>(),
        want("a")
    );
}

/// Redis is stopped for 30 s while five keys are written over and over; once it is back,
/// every event arrives, and each key's events are in the order of its writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_down_for_30_s_gets_every_event_in_order_per_key() {
    let mut redis = tokio::task::spawn_blocking(Broker::redis)
        .await
        .expect("redis");
    let url = redis.url();
    let s = TestServer::start_with(move |c| {
        c.notify.targets.push(target(&format!(
            "id = \"stream\"\nkind = \"redis\"\nurl = \"{url}\"\nstream = \"s3events\""
        )));
    })
    .await;
    s.create_bucket("outage").await;
    let config = format!(
        "<NotificationConfiguration>{}</NotificationConfiguration>",
        queue_config(
            "arn:originstore:sqs::stream:redis",
            &["s3:ObjectCreated:*"],
            "",
            ""
        )
    );
    assert_eq!(put_config(&s, "outage", &config).await.0, 200);
    until("the test event", async || {
        (!redis_records(&redis.url(), "s3events").await.is_empty()).then_some(())
    })
    .await;
    redis.stop();
    let mut written: std::collections::HashMap<String, Vec<String>> = Default::default();
    let started = std::time::Instant::now();
    let mut round = 0;
    while started.elapsed() < Duration::from_secs(30) {
        for k in 0..5 {
            let key = format!("key-{k}");
            let body = format!("round {round} of {key}");
            let put = s
                .client
                .put_object()
                .bucket("outage")
                .key(&key)
                .body(body.into_bytes().into())
                .send()
                .await
                .expect("a write while the broker is down");
            written
                .entry(key)
                .or_default()
                .push(put.e_tag().expect("etag").trim_matches('"').to_owned());
        }
        round += 1;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let total: usize = written.values().map(Vec::len).sum();
    let redis = tokio::task::spawn_blocking(move || redis.restart())
        .await
        .expect("redis again");
    // Redis kept nothing (no persistence): what arrives now is what waited on our disk.
    let got = until("every event after the outage", async || {
        let got = redis_records(&redis.url(), "s3events").await;
        (got.len() >= total).then_some(got)
    })
    .await;
    assert_eq!(got.len(), total, "each event once");
    let mut delivered: std::collections::HashMap<String, Vec<String>> = Default::default();
    for doc in &got {
        let r = &doc["Records"][0];
        delivered
            .entry(r["s3"]["object"]["key"].as_str().expect("key").to_owned())
            .or_default()
            .push(r["s3"]["object"]["eTag"].as_str().expect("etag").to_owned());
    }
    // Identical bodies per round differ per key; equal ETags within a key cannot happen.
    assert_eq!(
        delivered, written,
        "every write's event, in each key's order"
    );
}
