//! `GET /{bucket}?origin-status`: each rule's counters (hits, misses, fills, bytes), its last
//! fill and last failure, and its hosts' breaker state; the owner only; the same counters in
//! `/metrics`.

use super::{get, setup, Rule};
use crate::support::stub_origin::{Behavior, StubOrigin};

#[tokio::test]
async fn per_rule_counters_last_fill_and_failure() {
    let origin = StubOrigin::start().await;
    origin.ok("/img/a.png", "0123456789");
    origin.route("/img/broken.png", Behavior::Status(500));
    let rule = Rule {
        prefix: "img/",
        ..Rule::mirror(&origin.host())
    };
    let other = Rule {
        priority: 2,
        prefix: "doc/",
        ..Rule::mirror(&origin.host())
    };
    let s = setup(&origin, &[rule, other]).await;
    assert_eq!(get(&s, "/site/img/a.png").await.status(), 200);
    assert_eq!(get(&s, "/site/img/a.png").await.status(), 200);
    assert_eq!(get(&s, "/site/img/nothing.png").await.status(), 404);
    assert!(get(&s, "/site/img/broken.png")
        .await
        .status()
        .is_server_error());

    let resp = s
        .send_signed(http::Method::GET, "/site?origin-status")
        .await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.expect("body");
    let first = text.split("<Rule>").nth(1).expect("the first rule");
    for expected in [
        "<RulePriority>1</RulePriority><Prefix>img/</Prefix>",
        "<Hits>1</Hits><Misses>3</Misses><Filled>1</Filled><BytesPulled>10</BytesPulled>",
        "<LastFill><Key>img/a.png</Key><Time>",
        "<LastFailure><Key>img/broken.png</Key>",
        &format!(
            "<Host><Name>{}</Name><Breaker>closed</Breaker></Host>",
            origin.host()
        ),
    ] {
        assert!(first.contains(expected), "{expected} in {text}");
    }
    let second = text.split("<Rule>").nth(2).expect("the second rule");
    assert!(
        second.contains("<Hits>0</Hits><Misses>0</Misses><Filled>0</Filled>"),
        "{text}"
    );

    let metrics = s.metrics().await;
    assert!(
        metrics.contains("origin_rule_fills_total{bucket=\"site\",rule=\"1\"} 1"),
        "{metrics}"
    );
    let denied = crate::support::server::signed_request(
        &s.endpoint(),
        (
            crate::support::server::OTHER_ACCESS_KEY,
            crate::support::server::OTHER_SECRET_KEY,
        ),
        http::Method::GET,
        "/site?origin-status",
        http::HeaderMap::new(),
    )
    .send()
    .await
    .expect("sent");
    assert_eq!(denied.status(), 403);
}
