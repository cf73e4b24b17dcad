//! Runs one workload from N concurrent client tasks, bounded in count and time, and reports
//! it: one text line per workload, and one JSON object per line to `--json FILE` (what the
//! peer comparison reads).

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const MIB: f64 = 1024.0 * 1024.0;

/// `--timeline`: print each workload's requests per second as it runs.
pub static TIMELINE: AtomicBool = AtomicBool::new(false);

/// What one workload measured.
pub struct Measured {
    pub ops: u64,
    pub bytes: u64,
    pub wall: Duration,
    latencies: Vec<Duration>,
    tags: HashMap<String, u64>,
}

/// Runs `op(i)` for i = 0, 1, 2, ... from `clients` concurrent tasks until `max_ops` were
/// started or `max_time` passed. `op` returns the payload bytes moved and, for origin
/// buckets, the `x-originstore-origin` tag. Any error aborts the benchmark.
pub async fn run<F, Fut>(clients: usize, max_ops: u64, max_time: Duration, op: F) -> Measured
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

impl Measured {
    /// One operation that moved `bytes` in `wall` (work timed outside [`run`]).
    pub fn single(bytes: u64, wall: Duration) -> Measured {
        Measured {
            ops: 1,
            bytes,
            wall,
            latencies: vec![wall],
            tags: HashMap::new(),
        }
    }

    pub fn ops_per_sec(&self) -> f64 {
        self.ops as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    pub fn mib_per_sec(&self) -> f64 {
        self.bytes as f64 / MIB / self.wall.as_secs_f64().max(1e-9)
    }

    fn percentile(&self, p: f64) -> Duration {
        let sorted = &self.latencies;
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }
}

/// Where workload lines go: stdout always, and a JSON-lines file when asked.
pub struct Reporter {
    /// Names the server in the JSON (`--label`), e.g. `originstore`, `garage`.
    label: String,
    json: Option<Mutex<std::fs::File>>,
}

impl Reporter {
    pub fn new(label: String, json: Option<&std::path::Path>) -> Reporter {
        let json = json.map(|path| {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
            Mutex::new(file)
        });
        Reporter { label, json }
    }

    /// Reports one workload. `rss` is (peak during the workload, now) in KiB; `extra` adds
    /// fields (origin request counts, ratios) to both outputs.
    pub fn workload(
        &self,
        name: &str,
        clients: usize,
        m: &Measured,
        rss: (u64, u64),
        extra: &[(&str, serde_json::Value)],
    ) {
        let mut tags: Vec<String> = m.tags.iter().map(|(t, n)| format!("{t}={n}")).collect();
        tags.sort();
        let tags = if tags.is_empty() {
            String::new()
        } else {
            format!(" tags[{}]", tags.join(","))
        };
        let extra_text: String = extra.iter().map(|(k, v)| format!(" {k}={v}")).collect();
        println!(
            "{name:<10} c={clients:<3} ops={:<6} {:>9.1} ops/s {:>8.1} MiB/s  p50={:<9} p99={:<9} max={:<9} wall={:.2}s  server_peak_rss={:.1}MiB rss_now={:.1}MiB{tags}{extra_text}",
            m.ops,
            m.ops_per_sec(),
            m.mib_per_sec(),
            ms(m.percentile(50.0)),
            ms(m.percentile(99.0)),
            ms(m.latencies.last().copied().unwrap_or_default()),
            m.wall.as_secs_f64(),
            rss.0 as f64 / 1024.0,
            rss.1 as f64 / 1024.0,
        );
        if let Some(json) = &self.json {
            let mut object = serde_json::json!({
                "server": self.label,
                "workload": name,
                "clients": clients,
                "ops": m.ops,
                "ops_per_s": m.ops_per_sec(),
                "mib_per_s": m.mib_per_sec(),
                "p50_ms": m.percentile(50.0).as_secs_f64() * 1000.0,
                "p99_ms": m.percentile(99.0).as_secs_f64() * 1000.0,
                "wall_s": m.wall.as_secs_f64(),
                "server_peak_rss_mib": rss.0 as f64 / 1024.0,
            });
            for (k, v) in extra {
                object[*k] = v.clone();
            }
            let mut file = json.lock().expect("json lock");
            writeln!(file, "{object}").expect("write json line");
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2}ms", d.as_secs_f64() * 1000.0)
}
