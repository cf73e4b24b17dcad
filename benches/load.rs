//! Load benchmark: the release `originstore serve` binary as a child process, driven over
//! loopback by concurrent SigV4-signed HTTP clients (reqwest, `UNSIGNED-PAYLOAD`), plus an
//! in-process stub origin for the origin-pull workloads.
//!
//! One line per workload: ops, ops/s, MiB/s, p50 / p99 / max latency (request sent to body
//! fully read, client side), and the server child's peak RSS during that workload (`VmHWM`
//! from `/proc/<pid>/status`, reset before each workload by writing `5` to
//! `/proc/<pid>/clear_refs`). The server runs in its own process so its RSS is not mixed with
//! the clients' buffers; client and server still share the machine's cores.
//!
//! Every workload is bounded in count and time, and the run stops by itself:
//!
//! ```sh
//! cargo bench --bench load                       # all workloads, ~1 minute
//! cargo bench --bench load -- --secs 2 --clients 8 --only put4k,get4k
//! ```
//!
//! Flags (after `--`): `--secs S` time cap per workload (default 5), `--clients N`
//! concurrency of the small-object workloads (default 16), `--only a,b` run a subset of
//! `put4k get4k list put1m put64m get64m fill1m hit1m flight16m` (each needs the data of the ones
//! before it in that order, which are then run too), `--timeline` print each workload's
//! requests per second. `ORIGINSTORE_BIN=path` runs that server binary instead of this
//! build's (to compare a baseline in the same session). PUT 4 KiB stops at 100 000 objects
//! or the time cap. The server logs (stderr, default `info` level: one line per request, as
//! in production) go to a file in the temp directory.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, Method};

const ACCESS_KEY: &str = "BENCHACCESSKEY000001";
const SECRET_KEY: &str = "benchsecretkey/00000000000000000000001";
const REGION: &str = "us-east-1";
const MIB: f64 = 1024.0 * 1024.0;
/// Keys the listing workload walks (ListObjectsV2 pages of 1000).
const LIST_KEYS: u64 = 10_000;

// ---------------------------------------------------------------- options

/// `--timeline`: print each workload's requests per second as it runs.
static TIMELINE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

struct Options {
    secs: Duration,
    clients: usize,
    only: Option<Vec<String>>,
}

impl Options {
    fn parse() -> Options {
        let mut options = Options {
            secs: Duration::from_secs(5),
            clients: 16,
            only: None,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--secs" => {
                    let v: f64 = args
                        .next()
                        .and_then(|v| v.parse().ok())
                        .expect("--secs takes a number of seconds");
                    options.secs = Duration::from_secs_f64(v);
                }
                "--clients" => {
                    options.clients = args
                        .next()
                        .and_then(|v| v.parse().ok())
                        .expect("--clients takes a number");
                }
                "--timeline" => TIMELINE.store(true, Ordering::Relaxed),
                "--only" => {
                    let list = args.next().expect("--only takes a comma-separated list");
                    options.only = Some(list.split(',').map(str::to_owned).collect());
                }
                // `cargo bench` passes `--bench`; libtest-style filters are ignored too.
                _ => {}
            }
        }
        options
    }

    fn wants(&self, name: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|only| only.iter().any(|o| o == name))
    }
}

// ---------------------------------------------------------------- the server child

struct ServerProcess {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl ServerProcess {
    /// `originstore serve` on 127.0.0.1:0 with a fresh data directory; waits for the
    /// "listening on" line on its stdout.
    fn spawn() -> ServerProcess {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log file");
        // ORIGINSTORE_BIN runs another build (a baseline) under the same clients.
        let bin = std::env::var_os("ORIGINSTORE_BIN")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_originstore").into());
        let mut child = Command::new(bin)
            .arg("serve")
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(["--listen", "127.0.0.1:0"])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("spawn originstore serve");
        let stdout = child.stdout.take().expect("child stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the server's first line");
        let addr = line
            .trim()
            .strip_prefix("originstore listening on http://")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line from the server: {line:?}"));
        ServerProcess {
            child,
            addr,
            _dir: dir,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resets the kernel's peak-RSS counter of the server (`VmHWM`); false if not allowed.
    fn reset_peak_rss(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5").is_ok()
    }

    /// `VmHWM` (peak) and `VmRSS` (now) of the server, in KiB.
    fn rss_kib(&self) -> (u64, u64) {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        (field("VmHWM:"), field("VmRSS:"))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // SIGTERM would be kinder, but std has no portable way to send it and the data
        // directory is thrown away anyway.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------- the client

#[derive(Clone)]
struct S3 {
    http: reqwest::Client,
    base: String,
}

impl S3 {
    fn new(addr: SocketAddr) -> S3 {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .tcp_nodelay(true)
            // A wedged server fails the run instead of hanging it.
            .timeout(Duration::from_secs(60))
            .build()
            .expect("http client");
        S3 {
            http,
            base: format!("http://{addr}"),
        }
    }

    fn request(&self, method: Method, path_and_query: &str) -> reqwest::RequestBuilder {
        let url = format!("{}{path_and_query}", self.base);
        let mut headers = HeaderMap::new();
        originstore::origin::sign::sign_origin_request(
            &method,
            &url,
            &mut headers,
            &originstore::origin::sign::SigningKeys {
                region: REGION,
                access_key: ACCESS_KEY,
                secret_key: SECRET_KEY,
            },
            time::OffsetDateTime::now_utc(),
        )
        .expect("sign request");
        self.http.request(method, url).headers(headers)
    }

    async fn put(&self, path: &str, body: Bytes) -> Result<u64, String> {
        let len = body.len() as u64;
        let resp = self
            .request(Method::PUT, path)
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("PUT {path}: {status} {text}"));
        }
        Ok(len)
    }

    /// GET, reading the body as it streams (never buffered whole); returns its length and the
    /// `x-originstore-origin` header.
    async fn get(&self, path: &str) -> Result<(u64, Option<String>), String> {
        let mut resp = self
            .request(Method::GET, path)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = resp.status();
        let tag = resp
            .headers()
            .get("x-originstore-origin")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut len = 0u64;
        while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
            len += chunk.len() as u64;
        }
        if !status.is_success() {
            return Err(format!("GET {path}: {status}"));
        }
        Ok((len, tag))
    }
}

// ---------------------------------------------------------------- the stub origin

/// An HTTP origin on 127.0.0.1:0 serving `/obj/<n>` (1 MiB, at once) and `/big` (16 MiB in
/// 1 MiB pieces 10 ms apart, so 32 concurrent misses really do overlap), counting requests.
struct StubOrigin {
    addr: SocketAddr,
    counts: Arc<Mutex<HashMap<String, u64>>>,
    task: tokio::task::JoinHandle<()>,
}

impl StubOrigin {
    async fn start() -> StubOrigin {
        let small = Bytes::from(pattern(1024 * 1024, 7));
        let big = Bytes::from(pattern(16 * 1024 * 1024, 9));
        let counts: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind stub origin");
        let addr = listener.local_addr().expect("stub origin address");
        let seen = counts.clone();
        let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
            let (small, big, seen) = (small.clone(), big.clone(), seen.clone());
            async move {
                let path = req.uri().path().to_owned();
                *seen
                    .lock()
                    .expect("count lock")
                    .entry(path.clone())
                    .or_default() += 1;
                let response = http::Response::builder();
                if path.starts_with("/obj/") {
                    response
                        .header("content-length", small.len())
                        .body(axum::body::Body::from(small))
                        .expect("response")
                } else if path == "/big" {
                    let pieces: Vec<Bytes> = (0..16)
                        .map(|i| big.slice(i * 1024 * 1024..(i + 1) * 1024 * 1024))
                        .collect();
                    let stream = futures::StreamExt::then(
                        futures::stream::iter(pieces),
                        |piece| async move {
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            Ok::<_, std::io::Error>(piece)
                        },
                    );
                    response
                        .header("content-length", big.len())
                        .body(axum::body::Body::from_stream(stream))
                        .expect("response")
                } else {
                    response
                        .status(404)
                        .body(axum::body::Body::empty())
                        .expect("response")
                }
            }
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        StubOrigin { addr, counts, task }
    }

    fn count(&self, path: &str) -> u64 {
        self.counts
            .lock()
            .expect("count lock")
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    fn total(&self) -> u64 {
        self.counts.lock().expect("count lock").values().sum()
    }
}

impl Drop for StubOrigin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Deterministic pseudo-random bytes (xorshift), so bodies do not compress or dedupe.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    let mut x: u32 = 0x9E37_79B9 ^ u32::from(seed);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

// ---------------------------------------------------------------- the runner

/// What one workload measured.
struct Measured {
    ops: u64,
    bytes: u64,
    wall: Duration,
    latencies: Vec<Duration>,
    tags: HashMap<String, u64>,
}

/// Runs `op(i)` for i = 0, 1, 2, ... from `clients` concurrent tasks until `max_ops` were
/// started or `max_time` passed. `op` returns the payload bytes moved and, for origin
/// buckets, the `x-originstore-origin` tag. Any error aborts the benchmark.
async fn run<F, Fut>(clients: usize, max_ops: u64, max_time: Duration, op: F) -> Measured
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(u64, Option<String>), String>> + Send,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + max_time;
    let mut tasks = Vec::new();
    if TIMELINE.load(Ordering::Relaxed) {
        // Requests started in each second: shows warm-up and drift a total hides.
        let next = next.clone();
        tokio::spawn(async move {
            let mut last = 0;
            for second in 1..=max_time.as_secs() {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let now = next.load(Ordering::Relaxed).min(max_ops);
                eprintln!("  second {second}: {} requests started", now - last);
                last = now;
            }
        });
    }
    for _ in 0..clients {
        let (op, next) = (op.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut bytes = 0u64;
            let mut tags: HashMap<String, u64> = HashMap::new();
            loop {
                if Instant::now() >= deadline {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= max_ops {
                    break;
                }
                let t = Instant::now();
                match op(i).await {
                    Ok((n, tag)) => {
                        latencies.push(t.elapsed());
                        bytes += n;
                        if let Some(tag) = tag {
                            *tags.entry(tag).or_default() += 1;
                        }
                    }
                    Err(e) => panic!("request {i} failed: {e}"),
                }
            }
            (latencies, bytes, tags)
        }));
    }
    let mut measured = Measured {
        ops: 0,
        bytes: 0,
        wall: Duration::ZERO,
        latencies: Vec::new(),
        tags: HashMap::new(),
    };
    for task in tasks {
        let (latencies, bytes, tags) = task.await.expect("client task");
        measured.latencies.extend(latencies);
        measured.bytes += bytes;
        for (tag, n) in tags {
            *measured.tags.entry(tag).or_default() += n;
        }
    }
    measured.wall = started.elapsed();
    measured.ops = measured.latencies.len() as u64;
    measured.latencies.sort_unstable();
    measured
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2}ms", d.as_secs_f64() * 1000.0)
}

/// Prints the workload's line. `rss` is (peak during the workload, now) in KiB.
fn report(name: &str, clients: usize, m: &Measured, rss: (u64, u64), extra: &str) {
    let secs = m.wall.as_secs_f64().max(1e-9);
    let mut tags: Vec<String> = m.tags.iter().map(|(t, n)| format!("{t}={n}")).collect();
    tags.sort();
    let tags = if tags.is_empty() {
        String::new()
    } else {
        format!(" tags[{}]", tags.join(","))
    };
    println!(
        "{name:<10} c={clients:<3} ops={:<6} {:>9.1} ops/s {:>8.1} MiB/s  p50={:<9} p99={:<9} max={:<9} wall={:.2}s  server_peak_rss={:.1}MiB rss_now={:.1}MiB{tags}{extra}",
        m.ops,
        m.ops as f64 / secs,
        m.bytes as f64 / MIB / secs,
        ms(percentile(&m.latencies, 50.0)),
        ms(percentile(&m.latencies, 99.0)),
        ms(m.latencies.last().copied().unwrap_or_default()),
        secs,
        rss.0 as f64 / 1024.0,
        rss.1 as f64 / 1024.0,
    );
}

/// Measures one workload: resets the server's peak RSS, runs, prints.
async fn workload<F, Fut>(
    server: &ServerProcess,
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
    server.reset_peak_rss();
    let m = run(clients, max_ops, max_time, op).await;
    report(name, clients, &m, server.rss_kib(), "");
    m
}

// ---------------------------------------------------------------- the workloads

const ORDER: &[&str] = &[
    "put4k",
    "get4k",
    "list",
    "put1m",
    "put64m",
    "get64m",
    "fill1m",
    "hit1m",
    "flight16m",
];

fn main() {
    let mut options = Options::parse();
    // A workload needs the data of the earlier ones of its group: widen `--only` to them.
    if let Some(only) = &options.only {
        let needs = |w: &str| -> &'static [&'static str] {
            match w {
                "get4k" | "list" => &["put4k"],
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
        options.only = Some(wanted);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(bench(options));
}

async fn bench(options: Options) {
    let server = ServerProcess::spawn();
    let s3 = S3::new(server.addr);
    let peak_reset = server.reset_peak_rss();
    println!(
        "originstore load benchmark: server pid {} on {} ({} CPUs shared by clients and server); \
         time cap {:.1}s per workload; peak RSS {}",
        server.pid(),
        server.addr,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        options.secs.as_secs_f64(),
        if peak_reset {
            "reset before each workload"
        } else {
            "CUMULATIVE (clear_refs not writable)"
        },
    );
    let (hwm, rss) = server.rss_kib();
    println!(
        "idle server: peak_rss={:.1}MiB rss={:.1}MiB",
        hwm as f64 / 1024.0,
        rss as f64 / 1024.0
    );
    for bucket in ["bench", "big"] {
        s3.put(&format!("/{bucket}"), Bytes::new())
            .await
            .expect("create bucket");
    }
    let secs = options.secs;
    let clients = options.clients;

    // Small objects: PUT, then GET of what was written, then LIST over them.
    let mut written = 0;
    if options.wants("put4k") {
        let body = Bytes::from(pattern(4096, 1));
        let c = s3.clone();
        let m = workload(&server, "put4k", clients, 100_000, secs, move |i| {
            let (c, body) = (c.clone(), body.clone());
            async move { Ok((c.put(&format!("/bench/k{i:06}"), body).await?, None)) }
        })
        .await;
        written = m.ops;
    }
    if options.wants("get4k") {
        let c = s3.clone();
        let keys = written.max(1);
        workload(&server, "get4k", clients, 100_000, secs, move |i| {
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
            let c = s3.clone();
            let from = written;
            run(
                clients,
                LIST_KEYS - from,
                Duration::from_secs(600),
                move |i| {
                    let (c, body) = (c.clone(), body.clone());
                    async move {
                        Ok((
                            c.put(&format!("/bench/k{:06}", from + i), body).await?,
                            None,
                        ))
                    }
                },
            )
            .await;
        }
        let c = s3.clone();
        // One op = one page of 1000; op i reads page i % 10 of the first 10k keys, resuming
        // with `start-after` (what a continuation token encodes), so concurrent clients need
        // no shared paging state and every page does the same work.
        workload(&server, "list", 4, 5_000, secs, move |i| {
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

    // Large objects: PUT 64 MiB (sequential, 5 times), then GET them (20 times).
    if options.wants("put1m") {
        let body = Bytes::from(pattern(1024 * 1024, 5));
        let c = s3.clone();
        workload(&server, "put1m", clients, 2_000, secs, move |i| {
            let (c, body) = (c.clone(), body.clone());
            async move { Ok((c.put(&format!("/big/m{i:05}"), body).await?, None)) }
        })
        .await;
    }
    if options.wants("put64m") {
        let body = Bytes::from(pattern(64 * 1024 * 1024, 3));
        let c = s3.clone();
        workload(&server, "put64m", 1, 5, secs * 4, move |i| {
            let (c, body) = (c.clone(), body.clone());
            async move { Ok((c.put(&format!("/big/o{i}"), body).await?, None)) }
        })
        .await;
    }
    if options.wants("get64m") {
        let c = s3.clone();
        workload(&server, "get64m", 1, 20, secs * 4, move |i| {
            let c = c.clone();
            async move {
                let (n, _) = c.get(&format!("/big/o{}", i % 5)).await?;
                if n != 64 * 1024 * 1024 {
                    return Err(format!("GET 64 MiB returned {n} bytes"));
                }
                Ok((n, None))
            }
        })
        .await;
    }

    // Origin-pull: misses filled from the stub origin, then hits of the same keys, then one
    // slow 16 MiB key missed by 32 clients at once (single flight: one origin request).
    if options.wants("fill1m") || options.wants("hit1m") || options.wants("flight16m") {
        let origin = StubOrigin::start().await;
        s3.put("/mirror", Bytes::new())
            .await
            .expect("create origin bucket");
        let xml = format!(
            "<OriginConfiguration><OriginRule><RulePriority>1</RulePriority><OriginType>Mirror</OriginType>\
             <OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix></Prefix></OriginCondition>\
             <OriginParameter><Protocol>HTTP</Protocol><CopyOriginData>true</CopyOriginData></OriginParameter>\
             <OriginInfo><HostInfo><HostName>{}</HostName></HostInfo></OriginInfo></OriginRule></OriginConfiguration>",
            origin.addr
        );
        s3.put("/mirror?origin", Bytes::from(xml))
            .await
            .expect("put origin configuration");

        let fill_clients = 8;
        let mut filled = 0;
        if options.wants("fill1m") {
            let c = s3.clone();
            let before = origin.total();
            server.reset_peak_rss();
            let m = run(fill_clients, 500, secs, move |i| {
                let c = c.clone();
                async move { c.get(&format!("/mirror/obj/{i}")).await }
            })
            .await;
            filled = m.ops;
            let extra = format!(" origin_requests={}", origin.total() - before);
            report("fill1m", fill_clients, &m, server.rss_kib(), &extra);
        }
        if options.wants("hit1m") {
            let c = s3.clone();
            let before = origin.total();
            let keys = filled.max(1);
            server.reset_peak_rss();
            let m = run(fill_clients, 100_000, secs, move |i| {
                let c = c.clone();
                async move { c.get(&format!("/mirror/obj/{}", i % keys)).await }
            })
            .await;
            let extra = format!(" origin_requests={}", origin.total() - before);
            report("hit1m", fill_clients, &m, server.rss_kib(), &extra);
        }
        if options.wants("flight16m") {
            let c = s3.clone();
            server.reset_peak_rss();
            let m = run(32, 32, secs * 4, move |_| {
                let c = c.clone();
                async move {
                    let (n, tag) = c.get("/mirror/big").await?;
                    if n != 16 * 1024 * 1024 {
                        return Err(format!("GET of the 16 MiB miss returned {n} bytes"));
                    }
                    Ok((n, tag))
                }
            })
            .await;
            let extra = format!(" origin_requests={}", origin.count("/big"));
            report("flight16m", 32, &m, server.rss_kib(), &extra);
        }
    }
    let (hwm, rss) = server.rss_kib();
    println!(
        "done: server rss={:.1}MiB (peak since last reset {:.1}MiB)",
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
}
