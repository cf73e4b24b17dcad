//! The origin-pull workloads, against the stub origin: 1 MiB misses filled from distinct
//! keys, then hits of the same keys; a cold miss of a 256 MiB object against a direct GET of
//! it from the origin; one cold miss of a slow 16 MiB key against 64 concurrent cold misses
//! of another (single flight: one origin request serves all 64).

use std::time::Duration;

use bytes::Bytes;
use serde_json::json;

use crate::runner::{run, Measured};
use crate::stub_origin::{StubOrigin, BIG, HUGE};
use crate::Bench;

/// Rounds of the 256 MiB comparison (direct GET, then cold miss, alternating); the medians
/// are reported.
const HUGE_ROUNDS: u64 = 3;

pub async fn run_all(bench: &Bench, secs: Duration, wants: impl Fn(&str) -> bool) {
    let origin = StubOrigin::start().await;
    bench.create_bucket("mirror").await;
    let xml = format!(
        "<OriginConfiguration><OriginRule><RulePriority>1</RulePriority><OriginType>Mirror</OriginType>\
         <OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix></Prefix></OriginCondition>\
         <OriginParameter><Protocol>HTTP</Protocol><CopyOriginData>true</CopyOriginData></OriginParameter>\
         <OriginInfo><HostInfo><HostName>{}</HostName></HostInfo></OriginInfo></OriginRule></OriginConfiguration>",
        origin.addr
    );
    bench
        .s3
        .put("/mirror?origin", Bytes::from(xml))
        .await
        .expect("put origin configuration");

    let fill_clients = 8;
    let mut filled = 0;
    if wants("fill1m") {
        let c = bench.s3.clone();
        let before = origin.total();
        bench.server.reset_peak_rss();
        let m = run(fill_clients, 500, secs, move |i| {
            let c = c.clone();
            async move { c.get(&format!("/mirror/obj/{i}")).await }
        })
        .await;
        filled = m.ops;
        let extra = [("origin_requests", json!(origin.total() - before))];
        bench
            .reporter
            .workload("fill1m", fill_clients, &m, bench.server.rss_kib(), &extra);
    }
    if wants("hit1m") {
        let c = bench.s3.clone();
        let before = origin.total();
        let keys = filled.max(1);
        bench.server.reset_peak_rss();
        let m = run(fill_clients, 100_000, secs, move |i| {
            let c = c.clone();
            async move { c.get(&format!("/mirror/obj/{}", i % keys)).await }
        })
        .await;
        let extra = [("origin_requests", json!(origin.total() - before))];
        bench
            .reporter
            .workload("hit1m", fill_clients, &m, bench.server.rss_kib(), &extra);
    }
    if wants("miss256m") {
        miss_vs_direct(bench, &origin).await;
    }
    if wants("flight16m") {
        flight(bench, &origin, secs).await;
    }
}

/// A cold miss of 256 MiB (fetched, streamed to the client and stored at once) against a
/// direct GET of the same bytes from the origin, alternating; reports both and the ratio of
/// the medians (target: the miss at 80% of the direct throughput or better). Run twice: an
/// origin at full loopback speed (faster than one core can MD5, which every fill must) and
/// one paced like a remote origin on a 1 Gbit/s link.
async fn miss_vs_direct(bench: &Bench, origin: &StubOrigin) {
    for (prefix, name) in [("huge", "256m"), ("wan", "256m-wan")] {
        let mut direct = Vec::new();
        let mut miss = Vec::new();
        bench.server.reset_peak_rss();
        for round in 0..HUGE_ROUNDS {
            let c = bench.s3.clone();
            let url = format!("http://{}/{prefix}/direct", origin.addr);
            direct.push(
                run(1, 1, Duration::from_secs(600), move |_| {
                    let (c, url) = (c.clone(), url.clone());
                    async move { check_len(c.get_url(&url).await, HUGE) }
                })
                .await,
            );
            let c = bench.s3.clone();
            let path = format!("/mirror/{prefix}/{round}");
            miss.push(
                run(1, 1, Duration::from_secs(600), move |_| {
                    let (c, path) = (c.clone(), path.clone());
                    async move { check_len(c.get(&path).await, HUGE) }
                })
                .await,
            );
        }
        let rss = bench.server.rss_kib();
        let (direct, miss) = (median(direct), median(miss));
        let ratio = miss.mib_per_sec() / direct.mib_per_sec();
        let requests = (0..HUGE_ROUNDS)
            .map(|r| origin.count(&format!("/{prefix}/{r}")))
            .sum::<u64>();
        bench.reporter.workload(
            &format!("direct{name}"),
            1,
            &direct,
            (0, 0),
            &[("median_of", json!(HUGE_ROUNDS))],
        );
        bench.reporter.workload(
            &format!("miss{name}"),
            1,
            &miss,
            rss,
            &[
                ("median_of", json!(HUGE_ROUNDS)),
                ("origin_requests", json!(requests)),
                ("vs_direct", json!(ratio)),
            ],
        );
    }
}

/// The run of median wall time.
fn median(mut runs: Vec<Measured>) -> Measured {
    runs.sort_by_key(|m| m.wall);
    runs.swap_remove(runs.len() / 2)
}

/// One cold miss of a slow 16 MiB key alone, then 64 concurrent cold misses of another:
/// single flight means one origin request and about the same time (target: at most 1.5x);
/// then 64 concurrent hits of the stored key, the time 1 GiB takes to reach 64 clients
/// without any origin (on 2 cores shared with the clients, the real floor).
async fn flight(bench: &Bench, origin: &StubOrigin, secs: Duration) {
    let c = bench.s3.clone();
    let alone = run(1, 1, secs * 4, move |_| {
        let c = c.clone();
        async move { check_len(c.get("/mirror/big/alone").await, BIG) }
    })
    .await;
    bench.reporter.workload(
        "miss16m",
        1,
        &alone,
        bench.server.rss_kib(),
        &[("origin_requests", json!(origin.count("/big/alone")))],
    );
    let c = bench.s3.clone();
    bench.server.reset_peak_rss();
    let crowd = run(64, 64, secs * 4, move |_| {
        let c = c.clone();
        async move { check_len(c.get("/mirror/big/crowd").await, BIG) }
    })
    .await;
    let ratio = crowd.wall.as_secs_f64() / alone.wall.as_secs_f64();
    bench.reporter.workload(
        "flight16m",
        64,
        &crowd,
        bench.server.rss_kib(),
        &[
            ("origin_requests", json!(origin.count("/big/crowd"))),
            ("time_vs_one", json!(ratio)),
        ],
    );
    // The floor: the same 64 GETs of the key once stored (1 GiB to the clients, no origin).
    let c = bench.s3.clone();
    bench.server.reset_peak_rss();
    let hits = run(64, 64, secs * 4, move |_| {
        let c = c.clone();
        async move { check_len(c.get("/mirror/big/crowd").await, BIG) }
    })
    .await;
    let ratio = crowd.wall.as_secs_f64() / hits.wall.as_secs_f64();
    bench.reporter.workload(
        "hits16m",
        64,
        &hits,
        bench.server.rss_kib(),
        &[("flight_time_vs_hits", json!(ratio))],
    );
}

/// Fails a GET that returned the wrong number of bytes.
fn check_len(
    got: Result<(u64, Option<String>), String>,
    want: usize,
) -> Result<(u64, Option<String>), String> {
    let (n, tag) = got?;
    if n != want as u64 {
        return Err(format!("GET returned {n} bytes, not {want}"));
    }
    Ok((n, tag))
}
