//! The server phase at one scale: an `originstore serve` child on the loaded data directory,
//! then (1) the cost of single PUT, GET, HEAD, DELETE and 1,000-key list requests from one
//! client (what a store's size must not change), (2) many clients writing new small objects
//! (the server's memory while writing), and (3) a full ListObjectsV2 walk (bounded memory,
//! steady page rate). The server's peak RSS covers the whole phase.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Method;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

use crate::bulk::key;
use crate::client::S3;
use crate::runner;
use crate::server::Server;

/// One operation's cost: median and mean latency from one sequential client.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cost {
    pub p50_us: f64,
    pub mean_us: f64,
}

impl Cost {
    fn of(mut samples: Vec<Duration>) -> Cost {
        samples.sort_unstable();
        let n = samples.len().max(1) as f64;
        let us = |d: &Duration| d.as_secs_f64() * 1e6;
        Cost {
            p50_us: samples.get(samples.len() / 2).map_or(0.0, us),
            mean_us: samples.iter().map(us).sum::<f64>() / n,
        }
    }
}

/// What the walk measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct Walk {
    pub keys: u64,
    pub pages: u64,
    pub pages_per_sec: f64,
    /// Page rate over the first and the last tenth of the walk (steady when close).
    pub first_tenth_pps: f64,
    pub last_tenth_pps: f64,
}

pub struct Probe {
    /// New objects written through the server (they count toward the store's size).
    pub written: u64,
    pub write_ops_per_sec: f64,
    /// Server RSS: peak over the whole phase, peak while writing, and at the end (KiB).
    pub peak_kib: u64,
    pub writing_peak_kib: u64,
    pub end_kib: u64,
    pub after_start_kib: u64,
    pub put: Cost,
    pub get: Cost,
    pub head: Cost,
    pub delete: Cost,
    pub list: Cost,
    pub walk: Option<Walk>,
}

pub struct Plan {
    /// Objects in the store before this phase (keys `0..held`).
    pub held: u64,
    pub size: usize,
    pub clients: usize,
    pub write_secs: f64,
    pub ops: usize,
    pub walk: bool,
}

pub async fn run(server: &Server, s3: &S3, plan: &Plan) -> Probe {
    server.reset_peak_rss();
    let after_start_kib = server.rss_kib().1;
    let body = Bytes::from(crate::pattern_source::pattern(plan.size, 9));

    // (1) One client, one request at a time.
    let c = s3.fresh();
    let mut rng = StdRng::seed_from_u64(plan.held);
    let time = |samples: &mut Vec<Duration>, t: Instant| samples.push(t.elapsed());
    let (mut put, mut get, mut head, mut delete, mut list) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for n in 0..plan.ops as u64 {
        let t = Instant::now();
        c.put(&format!("/scale/probe-{n}"), body.clone())
            .await
            .expect("probe PUT");
        time(&mut put, t);

        let path = format!("/scale/{}", key(rng.random_range(0..plan.held.max(1))));
        let t = Instant::now();
        let (len, _) = c.get(&path).await.expect("probe GET");
        time(&mut get, t);
        assert_eq!(len, plan.size as u64, "GET {path}");

        let path = format!("/scale/{}", key(rng.random_range(0..plan.held.max(1))));
        let t = Instant::now();
        let resp = c.request(Method::HEAD, &path).send().await.expect("HEAD");
        time(&mut head, t);
        assert!(resp.status().is_success(), "HEAD {path}: {}", resp.status());

        // A page that starts at a random key of the first 90 prefixes is always full.
        let mut start = rng.random_range(0..plan.held.max(1));
        start -= start % 100;
        start += rng.random_range(0..90);
        let path = format!(
            "/scale?list-type=2&max-keys=1000&start-after={}",
            key(start.min(plan.held.saturating_sub(1)))
        );
        let t = Instant::now();
        let text = list_page(&c, &path).await;
        time(&mut list, t);
        let keys = text.matches("<Key>").count();
        assert!(keys == 1000 || plan.held < 10_000, "{path}: {keys} keys");
    }
    for n in 0..plan.ops as u64 {
        let t = Instant::now();
        let resp = c
            .request(Method::DELETE, &format!("/scale/probe-{n}"))
            .send()
            .await
            .expect("DELETE");
        time(&mut delete, t);
        assert_eq!(resp.status().as_u16(), 204);
    }

    // (2) Many writers, then the store holds `held` objects.
    let next = Arc::new(AtomicU64::new(plan.held));
    let c = s3.fresh();
    let measured = runner::run(
        plan.clients,
        u64::MAX,
        Duration::from_secs_f64(plan.write_secs),
        {
            let (body, next) = (body.clone(), next.clone());
            move |_| {
                let (c, body) = (c.clone(), body.clone());
                let i = next.fetch_add(1, Ordering::Relaxed);
                async move {
                    c.put(&format!("/scale/{}", key(i)), body)
                        .await
                        .map(|n| (n, None))
                }
            }
        },
    )
    .await;
    let held = next.load(Ordering::Relaxed);
    let writing_peak_kib = server.rss_kib().0;

    // (3) The walk.
    let walk = if plan.walk {
        Some(walk(&s3.fresh(), held).await)
    } else {
        None
    };
    let (peak_kib, end_kib) = server.rss_kib();
    Probe {
        written: held - plan.held,
        write_ops_per_sec: measured.ops_per_sec(),
        peak_kib,
        writing_peak_kib,
        end_kib,
        after_start_kib,
        put: Cost::of(put),
        get: Cost::of(get),
        head: Cost::of(head),
        delete: Cost::of(delete),
        list: Cost::of(list),
        walk,
    }
}

async fn list_page(c: &S3, path: &str) -> String {
    let resp = c
        .request(Method::GET, path)
        .send()
        .await
        .expect("list request");
    let status = resp.status();
    let text = resp.text().await.expect("list body");
    assert!(status.is_success(), "{path}: {status}");
    text
}

/// Every key, in pages of 1,000 with continuation tokens.
async fn walk(c: &S3, expected: u64) -> Walk {
    let started = Instant::now();
    let mut page_times = Vec::new();
    let mut keys = 0u64;
    let mut token: Option<String> = None;
    loop {
        let mut path = "/scale?list-type=2&max-keys=1000".to_owned();
        if let Some(t) = &token {
            path.push_str("&continuation-token=");
            path.push_str(
                &percent_encoding::utf8_percent_encode(t, percent_encoding::NON_ALPHANUMERIC)
                    .to_string(),
            );
        }
        let t = Instant::now();
        let text = list_page(c, &path).await;
        page_times.push(t.elapsed());
        keys += text.matches("<Key>").count() as u64;
        token = between(&text, "<NextContinuationToken>", "</NextContinuationToken>");
        if token.is_none() {
            break;
        }
    }
    assert_eq!(keys, expected, "the walk saw every key once");
    let pages = page_times.len() as u64;
    let tenth = (page_times.len() / 10).max(1);
    let rate = |ts: &[Duration]| {
        ts.len() as f64 / ts.iter().map(Duration::as_secs_f64).sum::<f64>().max(1e-9)
    };
    Walk {
        keys,
        pages,
        pages_per_sec: pages as f64 / started.elapsed().as_secs_f64(),
        first_tenth_pps: rate(&page_times[..tenth.min(page_times.len())]),
        last_tenth_pps: rate(&page_times[page_times.len().saturating_sub(tenth)..]),
    }
}

fn between(text: &str, open: &str, close: &str) -> Option<String> {
    let start = text.find(open)? + open.len();
    let end = start + text[start..].find(close)?;
    Some(text[start..end].to_owned())
}
