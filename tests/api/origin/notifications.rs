//! What originstore tells about its fills: Prometheus metrics per bucket and webhook
//! events.

use std::time::Duration;

use super::{get, setup, setup_with, Rule, STATUS};
use crate::support::server::{pattern, TestServer};
use crate::support::stub_origin::{Behavior, StubOrigin};

/// `GET /metrics` (unsigned, Prometheus text) counts origin activity per bucket.
#[tokio::test]
async fn metrics_count_origin_activity_per_bucket() {
    let data = pattern(200_000, 20);
    let origin = StubOrigin::serving(
        "/m.bin",
        Behavior::Slow {
            body: data.clone(),
            chunks: 4,
            delay: Duration::from_millis(50),
        },
    )
    .await;
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    let (a, b, c) = tokio::join!(
        get(&s, "/site/m.bin"),
        get(&s, "/site/m.bin"),
        get(&s, "/site/m.bin")
    );
    for resp in [a, b, c] {
        assert_eq!(resp.bytes().await.expect("body").len(), data.len());
    }
    assert_eq!(get(&s, "/site/m.bin").await.headers()[STATUS], "hit");
    let _ = s
        .client
        .get_object()
        .bucket("site")
        .key("absent")
        .send()
        .await;
    let text = s.metrics().await;
    let value = |name: &str| -> f64 {
        let prefix = format!("originstore_{name}{{bucket=\"site\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} missing in\n{text}"))
    };
    assert_eq!(value("origin_fills_total"), 1.0);
    assert_eq!(
        value("origin_misses_total"),
        4.0,
        "3 concurrent misses of m.bin and one of absent"
    );
    assert_eq!(value("origin_joined_waiters_total"), 2.0);
    assert_eq!(value("origin_hits_total"), 1.0);
    assert_eq!(value("origin_pulled_bytes_total"), data.len() as f64);
    assert_eq!(
        value("origin_requests_total"),
        2.0,
        "one fill of m.bin, one 404 for absent"
    );
    assert!(
        text.contains("originstore_origin_latency_seconds_count{bucket=\"site\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("originstore_requests_total{operation=\"GetObject\",status=\"200\"}"),
        "{text}"
    );
}

/// Fills that commit or fail are announced to the configured webhooks as S3 event
/// documents; a failing webhook is retried; queued events survive a restart.
#[tokio::test]
async fn fill_events_reach_webhooks_with_retries_and_survive_restarts() {
    use crate::support::stub_origin::StubWebhook;
    let origin = StubOrigin::start().await;
    origin.ok("/dir/ok%20file.txt", "filled bytes");
    origin.route("/broken.txt", Behavior::Status(500));
    let hook = StubWebhook::start(false).await;
    let flaky = StubWebhook::start(true).await;
    let urls = vec![hook.url.clone(), flaky.url.clone()];
    let mut s = setup_with(&origin, &[Rule::mirror(&origin.host())], |c| {
        c.origin.webhooks = urls.clone()
    })
    .await;

    assert_eq!(
        s.get_bytes("site", "dir/ok file.txt").await,
        b"filled bytes"
    );
    let resp = get(&s, "/site/broken.txt").await;
    assert_eq!(resp.status(), 503);
    let docs = hook.wait_for(2).await;
    let record = |doc: &serde_json::Value| doc["Records"][0].clone();
    let created = docs
        .iter()
        .map(record)
        .find(|r| r["eventName"] == "ObjectCreated:Origin")
        .expect("created event");
    assert_eq!(created["s3"]["bucket"]["name"], "site");
    assert_eq!(created["s3"]["object"]["key"], "dir/ok+file.txt");
    assert_eq!(created["s3"]["object"]["size"], 12);
    assert!(
        created["origin"]["url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/dir/ok%20file.txt")),
        "{created}"
    );
    let failed = docs
        .iter()
        .map(record)
        .find(|r| r["eventName"] == "OriginFailed")
        .expect("failed event");
    assert_eq!(failed["s3"]["object"]["key"], "broken.txt");
    assert!(
        failed["origin"]["error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{failed}"
    );

    // The failing webhook is retried; its events stay queued across a restart and are
    // delivered once it recovers.
    for _ in 0..100 {
        if flaky.attempts() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        flaky.attempts() >= 3,
        "retried: {} attempts",
        flaky.attempts()
    );
    assert!(flaky.received().is_empty());
    s.stop().await;
    flaky.set_failing(false);
    let data_dir = s.dir.path().join("data");
    let _s2 = TestServer::start_with(|c| {
        c.data_dir = data_dir;
        c.origin.webhooks = urls;
    })
    .await;
    let delivered = flaky.wait_for(2).await;
    let names: Vec<_> = delivered
        .iter()
        .map(|d| {
            d["Records"][0]["eventName"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert!(
        names.contains(&"ObjectCreated:Origin".to_owned())
            && names.contains(&"OriginFailed".to_owned()),
        "{names:?}"
    );
    assert_eq!(
        hook.received().len(),
        2,
        "delivered webhooks are not sent the events again"
    );
}
