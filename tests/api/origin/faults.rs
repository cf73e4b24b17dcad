//! Faulty origins against the real server process: an origin that refuses connections, one
//! that accepts and never answers, one that stalls mid-body, and many slow misses at once.
//! Every client gets a clear error within the configured timeouts, nothing partial is
//! stored, and the server's open file descriptors and memory come back to their baseline.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{document, signed_to, Rule};
use crate::support::process::ServeProcess;
use crate::support::stub_origin::{Behavior, StubOrigin};

/// A TCP server that accepts connections and never answers.
async fn black_hole() -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    (addr, task)
}

#[tokio::test]
async fn faulty_origins_fail_cleanly_and_release_their_resources() {
    let stalled = Arc::new(tokio::sync::Notify::new());
    let origin = StubOrigin::start().await;
    origin.route(
        "/stall/a",
        Behavior::Gated {
            body: vec![5u8; 100_000],
            first: 1000,
            gate: stalled.clone(),
        },
    );
    for i in 0..20 {
        origin.route(
            &format!("/slow/{i}"),
            Behavior::Slow {
                body: vec![i as u8; 50_000],
                chunks: 5,
                delay: Duration::from_millis(100),
            },
        );
    }
    let (hole, _hole_task) = black_hole().await;
    let refused = {
        // A port nobody listens on (bound, then released).
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };

    let tmp = tempfile::tempdir().expect("tempdir");
    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        "[origin]\nconnect_timeout_secs = 1\nread_timeout_secs = 1\nnegative_cache_secs = 0\n",
    )
    .expect("config");
    let server = ServeProcess::start_with_config(&tmp.path().join("data"), Some(&config));
    let ep = server.endpoint.clone();
    let request = |method: http::Method, path: &str| signed_to(&ep, method, path);
    assert_eq!(
        request(http::Method::PUT, "/faults")
            .send()
            .await
            .expect("sent")
            .status(),
        200
    );
    let rule = |priority, prefix, host: String| Rule {
        priority,
        prefix,
        ..Rule::mirror(&host)
    };
    let doc = document(&[
        rule(1, "refused/", refused.to_string()),
        rule(2, "hole/", hole.to_string()),
        rule(3, "stall/", origin.host()),
        rule(4, "slow/", origin.host()),
    ]);
    let resp = request(http::Method::PUT, "/faults?origin")
        .body(doc)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
    // Warm up (connections, buffers), then take the baseline.
    let _ = request(http::Method::GET, "/faults/slow/0")
        .send()
        .await
        .expect("sent")
        .bytes()
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let baseline = server.open_fds();
    let rss_before = server.rss_kib();

    // Ten rounds of the three faults at once: a leak per failure would show.
    for _ in 0..10 {
        let started = Instant::now();
        let faults = ["/faults/refused/a", "/faults/hole/a", "/faults/stall/a"].map(|path| {
            let req = request(http::Method::GET, path);
            async move {
                let resp = req.send().await.expect("sent");
                let status = resp.status();
                let body = resp.bytes().await;
                (path, status, body.map(|b| b.len()).unwrap_or(0))
            }
        });
        for (path, status, len) in futures::future::join_all(faults).await {
            if path.contains("stall") {
                // Streamed from the fill, then cut when the origin stalls: never whole.
                assert!(len < 100_000, "{path}: {len} bytes");
            } else {
                assert!(status.is_server_error(), "{path}: {status}");
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
    }
    // Many slow misses at once all complete.
    let slow = (0..20).map(|i| {
        let path = format!("/faults/slow/{i}");
        let req = request(http::Method::GET, &path);
        async move {
            req.send()
                .await
                .expect("sent")
                .bytes()
                .await
                .expect("body")
                .len()
        }
    });
    for len in futures::future::join_all(slow).await {
        assert_eq!(len, 50_000);
    }

    // Nothing partial was stored.
    for key in ["refused/a", "hole/a", "stall/a"] {
        let resp = request(http::Method::HEAD, &format!("/faults/{key}?versionId=null"))
            .send()
            .await
            .expect("sent");
        assert!(!resp.status().is_success(), "{key} was stored");
    }
    let listing = request(http::Method::GET, "/faults?list-type=2&prefix=stall/")
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("body");
    assert!(listing.contains("<KeyCount>0</KeyCount>"), "{listing}");

    // File descriptors come back, but for the idle connections the origin client keeps
    // for reuse.
    let allowed = baseline + originstore::origin::fetch::IDLE_CONNECTIONS_PER_HOST + 4;
    let started = Instant::now();
    loop {
        let now = server.open_fds();
        if now <= allowed {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "open fds {now}, baseline {baseline}, allowed {allowed}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // And memory: what the faults held is given back (jemalloc returns freed pages).
    let rss_after = server.rss_kib();
    assert!(
        rss_after <= rss_before + 32 * 1024,
        "server RSS {rss_before} KiB before the faults, {rss_after} KiB after"
    );
    stalled.notify_waiters();
}

/// An origin that redirects into a denied network (cloud metadata) is refused, and one that
/// sends more bytes than its Content-Length is framed by it: the object is the declared
/// bytes, never the extra ones.
#[tokio::test]
async fn redirects_into_denied_networks_and_overlong_bodies() {
    let origin = StubOrigin::start().await;
    origin.route(
        "/meta",
        Behavior::Redirect {
            status: 302,
            location: "http://169.254.169.254/latest/meta-data/".into(),
        },
    );
    // A raw origin whose body runs past its Content-Length.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let raw = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf).await;
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nfive!AND MORE THAT IS NOT THE BODY")
                .await;
        }
    });
    let rule = |priority, prefix, host: String| Rule {
        priority,
        prefix,
        ..Rule::mirror(&host)
    };
    let s = super::setup(
        &origin,
        &[
            rule(1, "meta", origin.host()),
            rule(2, "long", raw.to_string()),
        ],
    )
    .await;
    let resp = super::get(&s, "/site/meta").await;
    assert!(
        resp.status().is_client_error() || resp.status().is_server_error(),
        "{}",
        resp.status()
    );
    let listed = s
        .client
        .list_objects_v2()
        .bucket("site")
        .prefix("meta")
        .send()
        .await
        .expect("list");
    assert_eq!(listed.key_count(), Some(0), "nothing stored");
    assert_eq!(s.get_bytes("site", "long").await, b"five!");
}
