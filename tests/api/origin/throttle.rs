//! What a rule may ask of its origin: an origin that answers 503 with `Retry-After` is left
//! alone until then (the next miss waits for it instead of asking at once), and a rule's
//! `Throttle` keeps its requests to their rate; both show in `?origin-status`.

use std::time::Duration;

use super::{get, setup, Rule};
use crate::support::stub_origin::{Behavior, StubOrigin};

#[tokio::test]
async fn an_origin_that_asks_to_retry_later_is_left_alone_until_then() {
    let origin = StubOrigin::start().await;
    origin.route(
        "/a.txt",
        Behavior::Busy {
            retry_after: 2,
            then: Box::new(Behavior::Ok {
                body: b"later".to_vec(),
                headers: vec![],
            }),
        },
    );
    let server = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    let busy = get(&server, "/site/a.txt").await;
    assert_eq!(busy.status(), 503);
    let status = server
        .send_signed(http::Method::GET, "/site?origin-status")
        .await
        .text()
        .await
        .expect("status");
    assert!(status.contains("<BackedOffUntil>"), "{status}");
    // Asked again at once: the miss waits for the origin's time, then gets the object.
    let again = get(&server, "/site/a.txt").await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.text().await.expect("body"), "later");
    let times: Vec<_> = origin.requests().iter().map(|r| r.at).collect();
    assert_eq!(times.len(), 2, "one request, then one after the back-off");
    assert!(
        times[1].duration_since(times[0]) >= Duration::from_millis(1900),
        "the origin was asked again {:?} after its Retry-After of 2 s",
        times[1].duration_since(times[0])
    );
}

#[tokio::test]
async fn a_rule_keeps_to_its_request_rate() {
    const RATE: usize = 10;
    let origin = StubOrigin::start().await;
    for i in 0..40 {
        origin.ok(&format!("/k{i}"), format!("body {i}"));
    }
    let mut rule = Rule::mirror(&origin.host());
    rule.parameter = "<Protocol>HTTP</Protocol><Throttle><RequestsPerSecond>10</RequestsPerSecond>\
        <Concurrency>2</Concurrency></Throttle>";
    let server = setup(&origin, &[rule]).await;
    let shown = server
        .send_signed(http::Method::GET, "/site?origin")
        .await
        .text()
        .await
        .expect("configuration");
    assert!(
        shown.contains("<Throttle><RequestsPerSecond>10</RequestsPerSecond><Concurrency>2</Concurrency></Throttle>"),
        "{shown}"
    );
    let reads = (0..40).map(|i| {
        let server = &server;
        async move { get(server, &format!("/site/k{i}")).await.status() }
    });
    for status in futures::future::join_all(reads).await {
        assert_eq!(status, 200);
    }
    // Over any second, no more than the rate plus the one second's burst.
    let times: Vec<_> = origin.requests().iter().map(|r| r.at).collect();
    for (i, start) in times.iter().enumerate() {
        let within = times[i..]
            .iter()
            .filter(|t| t.duration_since(*start) < Duration::from_secs(1))
            .count();
        assert!(within <= 2 * RATE, "{within} requests within a second");
    }
    let status = server
        .send_signed(http::Method::GET, "/site?origin-status")
        .await
        .text()
        .await
        .expect("status");
    assert!(
        status.contains("<RequestsPerSecond>10</RequestsPerSecond>"),
        "{status}"
    );
    let waits: u64 = status
        .split("<Waits>")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .and_then(|n| n.parse().ok())
        .expect("waits");
    assert!(waits >= 20, "{waits} requests waited: {status}");
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("originstore_origin_rule_throttled_total{bucket=\"site\",rule=\"1\"}"),
        "{metrics}"
    );
}
