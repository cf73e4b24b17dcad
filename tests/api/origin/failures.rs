//! What a failing origin does to clients and to storage: 404s (negatively cached), cut and
//! corrupt bodies (nothing stored), failover to standby hosts, and every host failing.

use std::time::Duration;

use super::{get, setup, setup_with, Rule};
use crate::support::server::{pattern, xml_code};
use crate::support::stub_origin::{Behavior, StubOrigin};

#[tokio::test]
async fn origin_404_is_no_such_key_and_negatively_cached() {
    let origin = StubOrigin::start().await;
    let s = setup_with(&origin, &[Rule::mirror(&origin.host())], |c| {
        c.origin.negative_cache_secs = 1
    })
    .await;
    assert_eq!(s.get_error("site", "nope").await, "NoSuchKey", "404");
    assert_eq!(s.get_error("site", "nope").await, "NoSuchKey", "404");
    assert_eq!(
        origin.count("/nope"),
        1,
        "the second miss is answered from the negative cache"
    );
    origin.ok("/nope", "now here");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(s.get_bytes("site", "nope").await, b"now here");
}

#[tokio::test]
async fn truncated_origin_body_is_an_error_and_stores_nothing() {
    let data = pattern(400_000, 13);
    let origin = StubOrigin::serving(
        "/cut.bin",
        Behavior::Truncated {
            body: data.clone(),
            sent: 150_000,
        },
    )
    .await;
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    let resp = get(&s, "/site/cut.bin").await;
    assert_eq!(
        resp.status(),
        200,
        "the head was already sent when the origin cut the body"
    );
    let result = resp.bytes().await;
    assert!(
        result.is_err(),
        "the client must see an error, not a short 200: got {:?}",
        result.map(|b| b.len())
    );
    // Give the fill task a moment to clean up, then: nothing stored.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(s.key_count("site").await, Some(0));
}

/// A body whose Content-MD5 does not match is never delivered whole: every client's
/// response ends with an error, nothing is stored.
#[tokio::test]
async fn corrupt_origin_body_is_an_error_for_every_client() {
    let data = pattern(300_000, 19);
    let origin = StubOrigin::serving(
        "/bad.bin",
        Behavior::Ok {
            body: data.clone(),
            headers: vec![("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==".into())],
        },
    )
    .await;
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    let (a, b) = tokio::join!(get(&s, "/site/bad.bin"), get(&s, "/site/bad.bin"));
    for resp in [a, b] {
        if resp.status() == 200 {
            let body = resp.bytes().await;
            assert!(
                body.is_err(),
                "a corrupt body must not arrive whole: {:?}",
                body.map(|b| b.len())
            );
        } else {
            assert!(resp.status().is_server_error(), "{}", resp.status());
        }
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(s.key_count("site").await, Some(0), "nothing stored");
}

#[tokio::test]
async fn failover_to_standby_hosts() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead_host = dead.local_addr().expect("addr").to_string();
    drop(dead); // connection refused from now on
    let failing = StubOrigin::start().await;
    failing.route("/f.txt", Behavior::Status(503));
    let standby = StubOrigin::start().await;
    standby.ok("/f.txt", "from standby");
    let mut rule = Rule::mirror(&dead_host);
    rule.host_info = format!(
        "<HostName>{dead_host}</HostName><StandbyHostName_1>{}</StandbyHostName_1><StandbyHostName_3>{}</StandbyHostName_3>",
        failing.host(),
        standby.host()
    );
    let s = setup(&standby, &[rule]).await;
    assert_eq!(s.get_bytes("site", "f.txt").await, b"from standby");
    assert_eq!(failing.count("/f.txt"), 1);

    // HTTPStandbyCode makes a 403 fail over too.
    let forbidden = StubOrigin::start().await;
    forbidden.route("/g.txt", Behavior::Status(403));
    standby.ok("/g.txt", "g from standby");
    let mut rule = Rule::mirror(&forbidden.host());
    rule.host_info = format!(
        "<HostName>{}</HostName><StandbyHostName_1>{}</StandbyHostName_1>",
        forbidden.host(),
        standby.host()
    );
    rule.standby_codes = "<HTTPStandbyCode><StatusCode>403</StatusCode></HTTPStandbyCode>";
    let s = setup(&standby, &[rule]).await;
    assert_eq!(s.get_bytes("site", "g.txt").await, b"g from standby");
}

#[tokio::test]
async fn all_hosts_failing_is_a_retryable_error_or_transparent() {
    let failing = StubOrigin::start().await;
    failing.route("/x", Behavior::Status(500));
    let s = setup(&failing, &[Rule::mirror(&failing.host())]).await;
    let resp = get(&s, "/site/x").await;
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().contains_key("retry-after"));
    assert_eq!(xml_code(&resp.text().await.expect("body")), "SlowDown");

    let mut rule = Rule::mirror(&failing.host());
    rule.parameter = "<Protocol>HTTP</Protocol><TransparentErrorCode>true</TransparentErrorCode>";
    let s = setup(&failing, &[rule]).await;
    let resp = get(&s, "/site/x").await;
    assert_eq!(
        resp.status(),
        500,
        "TransparentErrorCode passes the origin's status"
    );
}
