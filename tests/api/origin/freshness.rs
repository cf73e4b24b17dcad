//! Freshness of origin copies (an originstore extension in `OriginParameter`): a stale copy
//! is revalidated with one conditional request carrying the ETag kept at fill (304: served
//! again; 200: replaced, streamed; 404: kept or deleted by `OnOriginDelete`; failure: served
//! within `StaleIfErrorSeconds`), or served at once and refreshed behind
//! (`StaleWhileRevalidate`); a local write is never revalidated.

use std::time::Duration;

use super::{get, setup, Rule, STATUS};
use crate::support::stub_origin::{Behavior, StubOrigin};

/// Copies go stale after one second.
const STALE_AFTER: Duration = Duration::from_millis(1100);

fn freshness(extra: &str) -> String {
    format!(
        "<Protocol>HTTP</Protocol><Freshness><MaxAgeSeconds>1</MaxAgeSeconds>{extra}</Freshness>"
    )
}

fn versioned(origin: &StubOrigin, path: &str, body: &str, etag: &str) {
    origin.route(
        path,
        Behavior::Ok {
            body: body.as_bytes().to_vec(),
            headers: vec![
                ("etag", format!("\"{etag}\"")),
                ("last-modified", "Sun, 29 Nov 2026 10:00:00 GMT".to_owned()),
            ],
        },
    );
}

async fn read(s: &crate::support::server::TestServer, path: &str) -> (u16, String, String) {
    let resp = get(s, path).await;
    let status = resp.status().as_u16();
    let tag = resp
        .headers()
        .get(STATUS)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, tag, resp.text().await.expect("body"))
}

#[tokio::test]
async fn stale_copies_are_revalidated_or_refreshed_and_local_writes_never() {
    let origin = StubOrigin::start().await;
    versioned(&origin, "/a", "v1", "e1");
    let parameter = freshness("");
    let rule = Rule {
        parameter: &parameter,
        ..Rule::mirror(&origin.host())
    };
    let s = setup(&origin, &[rule]).await;
    assert_eq!(
        read(&s, "/site/a").await,
        (200, "miss-filled".into(), "v1".into())
    );
    assert_eq!(read(&s, "/site/a").await.1, "hit");
    s.put("site", "local", "written here").await;

    // Unchanged at the origin: one conditional request with the kept ETag, then fresh again.
    tokio::time::sleep(STALE_AFTER).await;
    assert_eq!(
        read(&s, "/site/a").await,
        (200, "revalidated".into(), "v1".into())
    );
    let requests = origin.requests();
    let last = requests.last().expect("a request");
    assert_eq!(
        last.headers
            .get("if-none-match")
            .and_then(|v| v.to_str().ok()),
        Some("\"e1\"")
    );
    assert_eq!(
        last.headers
            .get("if-modified-since")
            .and_then(|v| v.to_str().ok()),
        Some("Sun, 29 Nov 2026 10:00:00 GMT")
    );
    assert_eq!(origin.count("/a"), 2);
    assert_eq!(read(&s, "/site/a").await.1, "hit");

    // Changed at the origin: the new body replaces the copy, streamed to the reader.
    versioned(&origin, "/a", "version two", "e2");
    tokio::time::sleep(STALE_AFTER).await;
    assert_eq!(
        read(&s, "/site/a").await,
        (200, "refreshed".into(), "version two".into())
    );
    assert_eq!(
        read(&s, "/site/a").await,
        (200, "hit".into(), "version two".into())
    );

    // A local write is never revalidated.
    assert_eq!(
        read(&s, "/site/local").await,
        (200, "hit".into(), "written here".into())
    );
    assert_eq!(origin.count("/local"), 0);

    let metrics = s.metrics().await;
    assert!(
        metrics.contains("origin_rule_revalidated_total{bucket=\"site\",rule=\"1\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("origin_rule_refreshed_total{bucket=\"site\",rule=\"1\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn concurrent_readers_of_a_refresh_see_one_whole_object() {
    let origin = StubOrigin::start().await;
    versioned(&origin, "/big", &"a".repeat(200_000), "old");
    let parameter = freshness("");
    let rule = Rule {
        parameter: &parameter,
        ..Rule::mirror(&origin.host())
    };
    let s = setup(&origin, &[rule]).await;
    assert_eq!(read(&s, "/site/big").await.0, 200);
    versioned(&origin, "/big", &"b".repeat(300_000), "new");
    tokio::time::sleep(STALE_AFTER).await;
    let reads = (0..8).map(|_| read(&s, "/site/big"));
    let before = origin.count("/big");
    for (status, _, body) in futures::future::join_all(reads).await {
        assert_eq!(status, 200);
        let whole_old = body.len() == 200_000 && body.bytes().all(|b| b == b'a');
        let whole_new = body.len() == 300_000 && body.bytes().all(|b| b == b'b');
        assert!(whole_old || whole_new, "a mix of {} bytes", body.len());
    }
    assert_eq!(origin.count("/big"), before + 1, "one conditional request");
}

#[tokio::test]
async fn failures_and_deletions_at_the_origin() {
    let origin = StubOrigin::start().await;
    for path in ["/sie/a", "/strict/a", "/keep/a", "/drop/a", "/swr/a"] {
        versioned(&origin, path, "v1", "e1");
    }
    let sie = freshness("<StaleIfErrorSeconds>60</StaleIfErrorSeconds>");
    let strict = freshness("");
    let keep = freshness("<OnOriginDelete>Keep</OnOriginDelete>");
    let drop = freshness("<OnOriginDelete>Delete</OnOriginDelete>");
    let swr = freshness("<StaleWhileRevalidate>true</StaleWhileRevalidate>");
    let rule = |priority, prefix, parameter| Rule {
        priority,
        prefix,
        parameter,
        ..Rule::mirror(&origin.host())
    };
    let s = setup(
        &origin,
        &[
            rule(1, "sie/", &sie),
            rule(2, "strict/", &strict),
            rule(3, "keep/", &keep),
            rule(4, "drop/", &drop),
            rule(5, "swr/", &swr),
        ],
    )
    .await;
    for path in [
        "/site/sie/a",
        "/site/strict/a",
        "/site/keep/a",
        "/site/drop/a",
        "/site/swr/a",
    ] {
        assert_eq!(read(&s, path).await.0, 200, "{path}");
    }
    origin.route("/sie/a", Behavior::Status(500));
    origin.route("/strict/a", Behavior::Status(500));
    origin.route("/keep/a", Behavior::Status(404));
    origin.route("/drop/a", Behavior::Status(404));
    versioned(&origin, "/swr/a", "v2", "e2");
    tokio::time::sleep(STALE_AFTER).await;

    assert_eq!(
        read(&s, "/site/sie/a").await,
        (200, "stale".into(), "v1".into())
    );
    let (status, _, _) = read(&s, "/site/strict/a").await;
    assert_eq!(status, 503, "no stale-if-error: the usual origin failure");
    assert_eq!(
        read(&s, "/site/keep/a").await,
        (200, "stale".into(), "v1".into())
    );
    assert_eq!(read(&s, "/site/drop/a").await.0, 404);
    let gone = s
        .client
        .head_object()
        .bucket("site")
        .key("drop/a")
        .send()
        .await;
    assert!(gone.is_err(), "the copy was deleted");

    // Stale-while-revalidate: the stale copy at once, the new one soon after.
    assert_eq!(
        read(&s, "/site/swr/a").await,
        (200, "stale".into(), "v1".into())
    );
    let mut refreshed = false;
    for _ in 0..50 {
        if read(&s, "/site/swr/a").await.2 == "v2" {
            refreshed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(refreshed, "refreshed in the background");
}

/// `UseOriginCacheControl`: the origin's `Cache-Control: max-age` decides instead of the
/// rule's `MaxAgeSeconds`.
#[tokio::test]
async fn the_origins_cache_control_decides_when_asked_to() {
    let origin = StubOrigin::start().await;
    let short = |path: &str, body: &str| {
        origin.route(
            path,
            Behavior::Ok {
                body: body.as_bytes().to_vec(),
                headers: vec![
                    ("etag", "\"e1\"".to_owned()),
                    ("cache-control", "public, max-age=1".to_owned()),
                ],
            },
        )
    };
    short("/cc/a", "v1");
    short("/rule/a", "v1");
    let follow = "<Protocol>HTTP</Protocol><Freshness><MaxAgeSeconds>3600</MaxAgeSeconds>\
                  <UseOriginCacheControl>true</UseOriginCacheControl></Freshness>";
    let ignore =
        "<Protocol>HTTP</Protocol><Freshness><MaxAgeSeconds>3600</MaxAgeSeconds></Freshness>";
    let rule = |priority, prefix, parameter| Rule {
        priority,
        prefix,
        parameter,
        ..Rule::mirror(&origin.host())
    };
    let s = setup(&origin, &[rule(1, "cc/", follow), rule(2, "rule/", ignore)]).await;
    assert_eq!(read(&s, "/site/cc/a").await.1, "miss-filled");
    assert_eq!(read(&s, "/site/rule/a").await.1, "miss-filled");
    tokio::time::sleep(STALE_AFTER).await;
    assert_eq!(
        read(&s, "/site/cc/a").await.1,
        "revalidated",
        "max-age=1 has passed"
    );
    assert_eq!(
        read(&s, "/site/rule/a").await.1,
        "hit",
        "the rule's hour has not"
    );
}
