//! Load benchmark: concurrent SigV4-signed HTTP clients (reqwest, `UNSIGNED-PAYLOAD`) driving
//! the release `originstore serve` binary as a child process over loopback, plus an
//! in-process stub origin for the origin-pull workloads. With `--endpoint` the same clients
//! drive any S3 server already listening: `benches/compare/run` uses that to measure
//! originstore and its peers side by side.
//!
//! One line per workload: ops, ops/s, MiB/s, p50 / p99 / max latency (request sent to body
//! fully read, client side), and the server's peak RSS during that workload (`VmHWM` from
//! `/proc/<pid>/status`, reset before each workload by writing `5` to
//! `/proc/<pid>/clear_refs`). The server runs in its own process so its RSS is not mixed with
//! the clients' buffers; client and server still share the machine's cores.
//!
//! Every workload is bounded in count and time, and the run stops by itself:
//!
//! ```sh
//! cargo bench --bench load                       # all workloads, ~1.5 minutes
//! cargo bench --bench load -- --secs 2 --clients 8 --only put4k,get4k
//! cargo bench --bench load -- --help             # every flag
//! ```
//!
//! Workloads, in order (each needs the data of an earlier one, which is then run too):
//! `md5 put4k get4k list put1m get1m put64m get64m fill1m hit1m miss256m flight16m`. `md5`
//! is no request: it hashes 256 MiB on one core in the client process, the ceiling a
//! single large PUT is measured against.
//! `ORIGINSTORE_BIN=path` runs that server binary instead of this build's (a baseline in the
//! same session); the child inherits the environment (`ORIGINSTORE_CONFIG=file`). The
//! server's logs (stderr, default `info` level: one line per request, as in production) go
//! to a file in its temp directory.

mod client;
mod origin_workloads;
#[path = "../../tests/support/pattern.rs"]
mod pattern_source;
mod rss;
mod runner;
mod server;
mod stub_origin;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use clap::Parser;
use http::Method;

use client::{Credentials, S3};
use pattern_source::pattern;
use runner::{run, Measured, Reporter};
use server::Server;

/// Keys the listing workload walks (ListObjectsV2 pages of 1000).
const LIST_KEYS: u64 = 10_000;
const MIB: usize = 1024 * 1024;

const ORDER: &[&str] = &[
    "md5",
    "put4k",
    "get4k",
    "list",
    "put1m",
    "get1m",
    "put64m",
    "get64m",
    "fill1m",
    "hit1m",
    "miss256m",
    "flight16m",
];

/// Workloads that only an originstore server can run (they configure an origin).
const ORIGIN_WORKLOADS: &[&str] = &["fill1m", "hit1m", "miss256m", "flight16m"];

#[derive(Parser)]
#[command(about = "originstore load benchmark")]
struct Options {
    /// Time cap per workload, in seconds (the 64 MiB and origin workloads get 4x).
    #[arg(long, default_value_t = 5.0)]
    secs: f64,
    /// Concurrency of the small- and 1 MiB-object workloads.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Comma-separated subset of the workloads.
    #[arg(long, value_delimiter = ',')]
    only: Option<Vec<String>>,
    /// Print each workload's requests started per second as it runs.
    #[arg(long)]
    timeline: bool,
    /// Drive this S3 server (host:port) instead of spawning originstore.
    #[arg(long)]
    endpoint: Option<SocketAddr>,
    /// The external server's pid, to report its peak RSS.
    #[arg(long, requires = "endpoint")]
    pid: Option<u32>,
    /// The server's name in the JSON lines.
    #[arg(long, default_value = "originstore")]
    label: String,
    /// Append one JSON object per workload to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    #[arg(long, default_value = "us-east-1")]
    region: String,
    #[arg(long, default_value = "BENCHACCESSKEY000001")]
    access_key: String,
    #[arg(long, default_value = "benchsecretkey/00000000000000000000001")]
    secret_key: String,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

impl Options {
    fn secs(&self) -> Duration {
        Duration::from_secs_f64(self.secs)
    }

    fn wants(&self, name: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|only| only.iter().any(|o| o == name))
    }

    /// Widens `--only` to the workloads whose data the chosen ones read.
    fn add_needed(&mut self) {
        let Some(only) = &self.only else { return };
        let needs = |w: &str| -> &'static [&'static str] {
            match w {
                "get4k" | "list" => &["put4k"],
                "get1m" => &["put1m"],
                "get64m" => &["put64m"],
                "hit1m" => &["fill1m"],
                _ => &[],
            }
        };
        let mut wanted: Vec<String> = only.clone();
        for w in only {
            wanted.extend(needs(w).iter().map(|s| (*s).to_owned()));
        }
        for w in &wanted {
            assert!(ORDER.contains(&w.as_str()), "unknown workload {w}");
        }
        self.only = Some(wanted);
    }
}

/// What every workload needs: the server, a client for it, where to report.
pub struct Bench {
    pub server: Server,
    pub s3: S3,
    pub reporter: Reporter,
}

impl Bench {
    /// Measures one workload: resets the server's peak RSS, runs, reports.
    async fn workload<F, Fut>(
        &self,
        name: &str,
        clients: usize,
        max_ops: u64,
        max_time: Duration,
        op: F,
    ) -> Measured
    where
        F: Fn(u64) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(u64, Option<String>), String>> + Send,
    {
        self.server.reset_peak_rss();
        let m = run(clients, max_ops, max_time, op).await;
        self.reporter
            .workload(name, clients, &m, self.server.rss_kib(), &[]);
        m
    }

    /// Creates a bucket; one that exists already (an external server reused) is fine.
    pub async fn create_bucket(&self, bucket: &str) {
        let resp = self
            .s3
            .request(Method::PUT, &format!("/{bucket}"))
            .send()
            .await
            .expect("create bucket");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        assert!(
            status.is_success() || text.contains("BucketAlreadyOwnedByYou"),
            "create bucket {bucket}: {status} {text}"
        );
    }
}

fn main() {
    let mut options = Options::parse();
    options.add_needed();
    runner::TIMELINE.store(options.timeline, Ordering::Relaxed);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(bench(options));
}

async fn bench(options: Options) {
    let credentials = Credentials {
        region: options.region.clone(),
        access_key: options.access_key.clone(),
        secret_key: options.secret_key.clone(),
    };
    let server = match options.endpoint {
        Some(addr) => Server::external(addr, options.pid),
        None => Server::spawn(&credentials.access_key, &credentials.secret_key),
    };
    let s3 = S3::new(server.addr, credentials);
    let bench = Bench {
        reporter: Reporter::new(options.label.clone(), options.json.as_deref()),
        server,
        s3,
    };
    let peak_reset = bench.server.reset_peak_rss();
    println!(
        "load benchmark: {} (pid {:?}) on {} ({} CPUs shared by clients and server); \
         time cap {:.1}s per workload; peak RSS {}",
        options.label,
        bench.server.pid(),
        bench.server.addr,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        options.secs,
        if peak_reset {
            "reset before each workload"
        } else {
            "CUMULATIVE or unknown (clear_refs not writable, or no pid)"
        },
    );
    let (hwm, rss) = bench.server.rss_kib();
    println!(
        "idle server: peak_rss={:.1}MiB rss={:.1}MiB",
        hwm as f64 / 1024.0,
        rss as f64 / 1024.0
    );
    if options.wants("md5") {
        md5_ceiling(&bench);
    }
    for bucket in ["bench", "big"] {
        bench.create_bucket(bucket).await;
    }
    small_objects(&bench, &options).await;
    large_objects(&bench, &options).await;
    if ORIGIN_WORKLOADS.iter().any(|w| options.wants(w)) {
        assert!(
            options.endpoint.is_none() || options.only.is_some(),
            "the origin workloads need an originstore server: pass --only with --endpoint"
        );
        origin_workloads::run_all(&bench, options.secs(), |w| options.wants(w)).await;
    }
    let (hwm, rss) = bench.server.rss_kib();
    println!(
        "done: server rss={:.1}MiB (peak since last reset {:.1}MiB)",
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
}

/// Single-core MD5 throughput (the md-5 crate, as the server uses), over 256 MiB in 1 MiB
/// updates.
fn md5_ceiling(bench: &Bench) {
    use md5::Digest as _;
    let buf = pattern(MIB, 11);
    let mut hasher = md5::Md5::new();
    let started = std::time::Instant::now();
    for _ in 0..256 {
        hasher.update(&buf);
    }
    std::hint::black_box(hasher.finalize());
    let m = Measured::single(256 * MIB as u64, started.elapsed());
    bench.reporter.workload("md5", 1, &m, (0, 0), &[]);
}

/// PUT 4 KiB objects, GET them back, LIST over them.
async fn small_objects(bench: &Bench, options: &Options) {
    let (secs, clients) = (options.secs(), options.clients);
    let mut written = 0;
    if options.wants("put4k") {
        let body = Bytes::from(pattern(4096, 1));
        let c = bench.s3.clone();
        let m = bench
            .workload("put4k", clients, 100_000, secs, move |i| {
                let (c, body) = (c.clone(), body.clone());
                async move {
                    Ok((
                        c.put_unique(&format!("/bench/k{i:06}"), body, i).await?,
                        None,
                    ))
                }
            })
            .await;
        written = m.ops;
    }
    if options.wants("get4k") {
        let c = bench.s3.clone();
        let keys = written.max(1);
        bench
            .workload("get4k", clients, 1_000_000, secs, move |i| {
                let c = c.clone();
                async move {
                    let (n, _) = c.get(&format!("/bench/k{:06}", i % keys)).await?;
                    Ok((n, None))
                }
            })
            .await;
    }
    if options.wants("list") {
        // Top up to LIST_KEYS keys (not timed: the PUT figure is above).
        if written < LIST_KEYS {
            let body = Bytes::from(pattern(4096, 2));
            let c = bench.s3.clone();
            let from = written;
            run(
                clients,
                LIST_KEYS - from,
                Duration::from_secs(600),
                move |i| {
                    let (c, body) = (c.clone(), body.clone());
                    async move {
                        let key = format!("/bench/k{:06}", from + i);
                        Ok((c.put(&key, body).await?, None))
                    }
                },
            )
            .await;
        }
        let c = bench.s3.clone();
        // One op = one page of 1000; op i reads page i % 10 of the first 10k keys, resuming
        // with `start-after` (what a continuation token encodes), so concurrent clients need
        // no shared paging state and every page does the same work.
        bench
            .workload("list", 4, 5_000, secs, move |i| {
                let c = c.clone();
                async move {
                    let page = i % (LIST_KEYS / 1000);
                    let mut path = "/bench?list-type=2&max-keys=1000".to_owned();
                    if page > 0 {
                        path.push_str(&format!("&start-after=k{:06}", page * 1000 - 1));
                    }
                    let resp = c
                        .request(Method::GET, &path)
                        .send()
                        .await
                        .map_err(|e| e.to_string())?;
                    let status = resp.status();
                    let text = resp.text().await.map_err(|e| e.to_string())?;
                    let keys = text.matches("<Key>").count();
                    if !status.is_success() || keys != 1000 {
                        return Err(format!("list page {page}: {status}, {keys} keys"));
                    }
                    Ok((text.len() as u64, None))
                }
            })
            .await;
    }
}

/// PUT and GET 1 MiB objects (many clients), then 64 MiB objects (one client).
async fn large_objects(bench: &Bench, options: &Options) {
    let (secs, clients) = (options.secs(), options.clients);
    let mut written_1m = 0;
    if options.wants("put1m") {
        let body = Bytes::from(pattern(MIB, 5));
        let c = bench.s3.clone();
        let m = bench
            .workload("put1m", clients, 2_000, secs, move |i| {
                let (c, body) = (c.clone(), body.clone());
                async move { Ok((c.put_unique(&format!("/big/m{i:05}"), body, i).await?, None)) }
            })
            .await;
        written_1m = m.ops;
    }
    if options.wants("get1m") {
        let c = bench.s3.clone();
        let keys = written_1m.max(1);
        bench
            .workload("get1m", clients, 100_000, secs, move |i| {
                let c = c.clone();
                async move {
                    let (n, _) = c.get(&format!("/big/m{:05}", i % keys)).await?;
                    if n != MIB as u64 {
                        return Err(format!("GET 1 MiB returned {n} bytes"));
                    }
                    Ok((n, None))
                }
            })
            .await;
    }
    let mut written_64m = 0;
    if options.wants("put64m") {
        let body = Bytes::from(pattern(64 * MIB, 3));
        let c = bench.s3.fresh();
        written_64m = bench
            .workload("put64m", 1, 5, secs * 4, move |i| {
                let (c, body) = (c.clone(), body.clone());
                async move { Ok((c.put_unique(&format!("/big/o{i}"), body, i).await?, None)) }
            })
            .await
            .ops;
    }
    if options.wants("get64m") {
        let c = bench.s3.clone();
        let keys = written_64m.max(1);
        bench
            .workload("get64m", 1, 20, secs * 4, move |i| {
                let c = c.clone();
                async move {
                    let (n, _) = c.get(&format!("/big/o{}", i % keys)).await?;
                    if n != 64 * MIB as u64 {
                        return Err(format!("GET 64 MiB returned {n} bytes"));
                    }
                    Ok((n, None))
                }
            })
            .await;
    }
}
