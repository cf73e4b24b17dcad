//! One fetch per key: concurrent misses share one origin request, every client (joiners,
//! late joiners, Range requests) streams live from it, and conditional or ranged misses are
//! answered after the fill.

use std::time::Duration;

use super::{get, read_at_least, setup, Rule, STATUS};
use crate::common::pattern;
use crate::stub_origin::{Behavior, StubOrigin};

#[tokio::test]
async fn concurrent_misses_share_one_origin_request() {
    let origin = StubOrigin::start().await;
    let data = pattern(512 * 1024, 12);
    origin.route(
        "/slow.bin",
        Behavior::Slow {
            body: data.clone(),
            chunks: 8,
            delay: Duration::from_millis(60),
        },
    );
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let req = s.signed(http::Method::GET, "/site/slow.bin");
        let _ = &client;
        tasks.push(tokio::spawn(async move {
            let resp = req.send().await.expect("sent");
            let status = resp.status();
            let tag = resp
                .headers()
                .get(STATUS)
                .map(|v| v.to_str().unwrap_or("").to_owned());
            (status, tag, resp.bytes().await.expect("body"))
        }));
    }
    for task in tasks {
        let (status, tag, body) = task.await.expect("task");
        assert_eq!(status, 200);
        assert_eq!(tag.as_deref(), Some("miss-filled"));
        assert_eq!(body.as_ref(), data.as_slice());
    }
    assert_eq!(
        origin.count("/slow.bin"),
        1,
        "32 concurrent misses, one origin request"
    );
}

/// Every client of one fetch is streamed live: the first one, one that joins while the
/// origin is still sending, and a Range request, all get their bytes while the origin is
/// held back half way; one origin request in all.
#[tokio::test]
async fn joined_and_ranged_clients_stream_live_from_the_one_fetch() {
    let origin = StubOrigin::start().await;
    let data = pattern(2 * 1024 * 1024, 18);
    let half = data.len() / 2;
    let gate = std::sync::Arc::new(tokio::sync::Notify::new());
    origin.route(
        "/big.bin",
        Behavior::Gated {
            body: data.clone(),
            first: half,
            gate: gate.clone(),
        },
    );
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;

    let mut first = get(&s, "/site/big.bin").await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()[STATUS], "miss-filled");
    assert_eq!(first.headers()["content-length"], data.len().to_string());
    let first_bytes = read_at_least(&mut first, half).await;
    assert_eq!(&first_bytes[..], &data[..first_bytes.len()]);

    // A late joiner starts from byte 0 while the origin is still blocked.
    let mut joiner = get(&s, "/site/big.bin").await;
    assert_eq!(joiner.status(), 200);
    let joined_bytes = read_at_least(&mut joiner, half).await;
    assert_eq!(&joined_bytes[..], &data[..joined_bytes.len()]);

    // A Range inside what has arrived is answered 206 at once.
    let mut ranged = s
        .signed(http::Method::GET, "/site/big.bin")
        .header("range", "bytes=1000-1999")
        .send()
        .await
        .expect("sent");
    assert_eq!(ranged.status(), 206);
    assert_eq!(
        ranged.headers()["content-range"],
        format!("bytes 1000-1999/{}", data.len())
    );
    let ranged_bytes = read_at_least(&mut ranged, 1000).await;
    assert_eq!(&ranged_bytes[..], &data[1000..2000]);

    assert_eq!(
        origin.count("/big.bin"),
        1,
        "one origin request for all of them"
    );
    gate.notify_one();
    let rest = first.bytes().await.expect("rest");
    assert_eq!([first_bytes, rest.to_vec()].concat(), data);
    let rest = joiner.bytes().await.expect("rest");
    assert_eq!([joined_bytes, rest.to_vec()].concat(), data);
    let resp = get(&s, "/site/big.bin").await;
    assert_eq!(resp.headers()[STATUS], "hit");
    assert_eq!(origin.count("/big.bin"), 1);
}

#[tokio::test]
async fn range_and_conditional_misses_are_served_after_the_fill() {
    let origin = StubOrigin::start().await;
    let data = pattern(100_000, 15);
    origin.route(
        "/r.bin",
        Behavior::Ok {
            body: data.clone(),
            headers: vec![],
        },
    );
    let s = setup(&origin, &[Rule::mirror(&origin.host())]).await;
    let got = s
        .client
        .get_object()
        .bucket("site")
        .key("r.bin")
        .range("bytes=1000-1999")
        .send()
        .await
        .expect("range");
    assert_eq!(got.content_range(), Some("bytes 1000-1999/100000"));
    assert_eq!(
        crate::common::body_of(got).await.as_slice(),
        &data[1000..2000]
    );
    assert_eq!(origin.count("/r.bin"), 1);
    let head = s
        .client
        .head_object()
        .bucket("site")
        .key("r.bin")
        .send()
        .await
        .expect("stored whole");
    assert_eq!(head.content_length(), Some(100_000));
}
