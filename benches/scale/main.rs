//! Scale benchmark: how memory, startup and per-request cost behave as a store grows to
//! millions of small objects (issue: "ten million objects in bounded memory and time").
//!
//! For each scale, ascending, on one data directory:
//! 1. **bulk**: objects are added straight through the storage API by a child process (this
//!    binary with `--bulk-only`, which opens the directory; `--clients` tasks; no HTTP path
//!    bounding the rate), its peak RSS reported: the engine's memory while writing;
//! 2. **start**: `originstore serve` (the release binary, `ORIGINSTORE_BIN` for another) on
//!    the directory; time to its "listening" line, and its RSS then;
//! 3. **cost**: one client, one request at a time: PUT (new key), GET and HEAD (random
//!    existing keys), a ListObjectsV2 page of 1,000 from a random key, DELETE (of the PUTs);
//!    median latency, and the ratio to the first scale of the run;
//! 4. **write**: `--clients` clients PUT new objects for `--write-secs` (server peak RSS);
//! 5. **walk**: a full ListObjectsV2 walk in pages of 1,000 (page rate overall, over its
//!    first and last tenth, server RSS);
//! 6. SIGTERM, and the next scale.
//!
//! ```sh
//! cargo bench --bench scale                                   # 10 k and 1 M, ~10 minutes
//! cargo bench --bench scale -- --scales 10000,1000000,10000000   # by hand: about an hour
//! cargo bench --bench scale -- --help
//! ```
//!
//! The server runs with `--inline-max` and `--meta-cache-mib` (written to a config file it
//! reads through `ORIGINSTORE_CONFIG`), the bulk loader with the same. Figures go to stdout
//! (a table) and, with `--json FILE`, one JSON object per scale.

mod bulk;
#[path = "../load/client.rs"]
#[allow(dead_code)]
mod client;
#[path = "../../tests/support/pattern.rs"]
mod pattern_source;
mod probe;
#[path = "../load/rss.rs"]
mod rss;
#[path = "../load/runner.rs"]
#[allow(dead_code)]
mod runner;
#[path = "../load/server.rs"]
#[allow(dead_code)]
mod server;

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use client::{Credentials, S3};
use probe::{Cost, Plan};
use server::Server;

/// The server's allocator, so the bulk loader measures the engine as the server runs it.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const ACCESS_KEY: &str = "scale-bench";
const SECRET_KEY: &str = "scale-bench-secret";

#[derive(Parser)]
#[command(about = "originstore scale benchmark")]
struct Options {
    /// Store sizes to measure at, ascending (objects).
    #[arg(long, value_delimiter = ',', default_value = "10000,1000000")]
    scales: Vec<u64>,
    /// Object size, bytes.
    #[arg(long, default_value_t = 1024)]
    size: usize,
    /// Concurrent writers of the bulk and write phases.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Length of the write phase through the server, seconds.
    #[arg(long, default_value_t = 10.0)]
    write_secs: f64,
    /// Requests of each kind in the cost phase.
    #[arg(long, default_value_t = 300)]
    ops: usize,
    /// Skip the full listing walk.
    #[arg(long)]
    no_walk: bool,
    /// Data directory (kept, and resumed: its object count is in `scale-count`); a
    /// temporary one by default.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The storage setting `inline_max_bytes` for the loader and the server.
    #[arg(long, default_value_t = storage::StoreOptions::default().inline_max)]
    inline_max: usize,
    /// The storage setting `meta_cache_bytes`, in MiB, for the loader and the server.
    #[arg(long, default_value_t = storage::StoreOptions::default().meta_cache_bytes >> 20)]
    meta_cache_mib: u64,
    /// Append one JSON object per scale to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Only load (for a later run with `--dir`, or to watch the engine alone).
    #[arg(long)]
    bulk_only: bool,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

struct Row {
    scale: u64,
    bulk: Option<bulk::Bulk>,
    startup: Duration,
    probe: probe::Probe,
    stop: Duration,
    disk: DiskUse,
}

/// Bytes of the metadata directory and of blob files, and the number of blob files.
#[derive(Default, Clone, Copy)]
struct DiskUse {
    meta_bytes: u64,
    blob_bytes: u64,
    blob_files: u64,
}

fn disk_use(data: &std::path::Path) -> DiskUse {
    fn walk(dir: &std::path::Path, bytes: &mut u64, files: &mut u64) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                walk(&entry.path(), bytes, files);
            } else {
                // Allocated blocks, not the apparent size: what the disk pays.
                *bytes += std::os::unix::fs::MetadataExt::blocks(&meta) * 512;
                *files += 1;
            }
        }
    }
    let mut d = DiskUse::default();
    let mut meta_files = 0;
    walk(&data.join("meta"), &mut d.meta_bytes, &mut meta_files);
    walk(&data.join("blobs"), &mut d.blob_bytes, &mut d.blob_files);
    d
}

fn main() {
    let options = Options::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let temp = tempfile::tempdir().expect("temp dir");
    let root = options
        .dir
        .clone()
        .unwrap_or_else(|| temp.path().to_owned());
    let data = root.join("data");
    let count_file = root.join("scale-count");
    let mut held: u64 = std::fs::read_to_string(&count_file)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    let config = root.join("scale.toml");
    std::fs::create_dir_all(&root).expect("data root");
    std::fs::write(
        &config,
        format!(
            "inline_max_bytes = {}\nmeta_cache_bytes = {}\n",
            options.inline_max,
            options.meta_cache_mib << 20
        ),
    )
    .expect("config file");
    std::env::set_var("ORIGINSTORE_CONFIG", &config);
    let store_options = storage::StoreOptions {
        inline_max: options.inline_max,
        meta_cache_bytes: options.meta_cache_mib << 20,
        ..Default::default()
    };
    println!(
        "scale benchmark: {} B objects, inline_max {} B, meta cache {} MiB, {} clients",
        options.size, options.inline_max, options.meta_cache_mib, options.clients
    );
    let mut rows: Vec<Row> = Vec::new();
    for &scale in &options.scales {
        if options.bulk_only {
            // The child of `bulk_in_child`: load, report on the last line, and go.
            if held < scale {
                let b = runtime.block_on(load(&data, &store_options, held, scale, &options));
                println!(
                    "BULK {} {} {}",
                    b.written,
                    b.wall.as_secs_f64(),
                    b.rss.peak_kib
                );
                held += b.written;
                std::fs::write(&count_file, held.to_string()).expect("count file");
            }
            continue;
        }
        let bulk = (held < scale).then(|| bulk_in_child(&root, scale, &options));
        if let Some(b) = &bulk {
            held += b.written;
        }
        let server = Server::spawn_on(Some(&data), ACCESS_KEY, SECRET_KEY);
        let startup = server.startup;
        let s3 = S3::new(
            server.addr,
            Credentials {
                region: "us-east-1".into(),
                access_key: ACCESS_KEY.into(),
                secret_key: SECRET_KEY.into(),
            },
        );
        let plan = Plan {
            held,
            size: options.size,
            clients: options.clients,
            write_secs: options.write_secs,
            ops: options.ops,
            walk: !options.no_walk,
        };
        let probe = runtime.block_on(probe::run(&server, &s3, &plan));
        held += probe.written;
        std::fs::write(&count_file, held.to_string()).expect("count file");
        let stop = server.stop();
        let row = Row {
            scale,
            bulk,
            startup,
            probe,
            stop,
            disk: disk_use(&data),
        };
        print_row(&row, rows.first(), held);
        if let Some(path) = &options.json {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .expect("json file");
            writeln!(file, "{}", json(&row, &options, held)).expect("json line");
        }
        rows.push(row);
    }
}

/// Adds objects `held..scale` through the storage API.
async fn load(
    data: &std::path::Path,
    store_options: &storage::StoreOptions,
    held: u64,
    scale: u64,
    options: &Options,
) -> bulk::Bulk {
    let store = storage::Store::open(data, store_options.clone()).expect("open the store");
    if store.head_bucket("scale").is_err() {
        store
            .create_bucket("scale", ACCESS_KEY, "us-east-1")
            .await
            .expect("bucket");
    }
    let done = bulk::write(&store, "scale", held, scale, options.size, options.clients).await;
    store.flush().await.expect("flush");
    done
}

/// The bulk phase in a child process (this binary with `--bulk-only`), so its RSS is the
/// storage engine's alone, not mixed with this process's HTTP clients and their history.
fn bulk_in_child(root: &std::path::Path, scale: u64, options: &Options) -> bulk::Bulk {
    let output = std::process::Command::new(std::env::current_exe().expect("own path"))
        .arg("--bulk-only")
        .arg("--dir")
        .arg(root)
        .arg(format!("--scales={scale}"))
        .arg(format!("--size={}", options.size))
        .arg(format!("--clients={}", options.clients))
        .arg(format!("--inline-max={}", options.inline_max))
        .arg(format!("--meta-cache-mib={}", options.meta_cache_mib))
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("run the bulk loader");
    assert!(output.status.success(), "bulk loader failed");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("BULK "))
        .expect("the bulk loader's report");
    let fields: Vec<&str> = line.split_whitespace().collect();
    let number = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .expect("bulk field")
    };
    bulk::Bulk {
        written: number(0) as u64,
        wall: Duration::from_secs_f64(number(1)),
        rss: rss::Rss {
            peak_kib: number(2) as u64,
            current_kib: 0,
        },
    }
}

fn mib(kib: u64) -> u64 {
    kib / 1024
}

fn print_row(row: &Row, first: Option<&Row>, held: u64) {
    let p = &row.probe;
    println!(
        "\n== {} objects (then {held} after the write phase)",
        row.scale
    );
    if let Some(b) = &row.bulk {
        println!(
            "bulk   {} objects in {:.1} s ({:.0}/s), loader RSS peak {} MiB",
            b.written,
            b.wall.as_secs_f64(),
            b.written as f64 / b.wall.as_secs_f64().max(1e-9),
            mib(b.rss.peak_kib)
        );
    }
    println!(
        "start  {:.2} s to listening, RSS {} MiB; stop (SIGTERM) {:.2} s",
        row.startup.as_secs_f64(),
        mib(p.after_start_kib),
        row.stop.as_secs_f64()
    );
    let ratio = |cost: &Cost, base: Option<Cost>| match base {
        Some(b) if b.p50_us > 0.0 => format!("{:.2}x", cost.p50_us / b.p50_us),
        _ => "-".to_owned(),
    };
    let base = first.map(|f| &f.probe);
    for (name, cost, base) in [
        ("PUT", &p.put, base.map(|b| b.put)),
        ("GET", &p.get, base.map(|b| b.get)),
        ("HEAD", &p.head, base.map(|b| b.head)),
        ("DELETE", &p.delete, base.map(|b| b.delete)),
        ("LIST1000", &p.list, base.map(|b| b.list)),
    ] {
        println!(
            "cost   {name:<8} p50 {:>8.0} us  mean {:>8.0} us  vs first scale {}",
            cost.p50_us,
            cost.mean_us,
            ratio(cost, base)
        );
    }
    println!(
        "write  {} objects at {:.0}/s, server RSS peak while writing {} MiB",
        p.written,
        p.write_ops_per_sec,
        mib(p.writing_peak_kib)
    );
    if let Some(w) = &p.walk {
        println!(
            "walk   {} keys in {} pages, {:.0} pages/s (first tenth {:.0}, last tenth {:.0})",
            w.keys, w.pages, w.pages_per_sec, w.first_tenth_pps, w.last_tenth_pps
        );
    }
    let objects = held.max(1);
    println!(
        "server RSS peak {} MiB, at the end {} MiB; disk: metadata {} MiB ({:.0} B/object), \
         blob files {} ({} MiB)",
        mib(p.peak_kib),
        mib(p.end_kib),
        row.disk.meta_bytes >> 20,
        row.disk.meta_bytes as f64 / objects as f64,
        row.disk.blob_files,
        row.disk.blob_bytes >> 20
    );
}

fn json(row: &Row, options: &Options, held: u64) -> serde_json::Value {
    let p = &row.probe;
    let cost = |c: &Cost| serde_json::json!({ "p50_us": c.p50_us, "mean_us": c.mean_us });
    serde_json::json!({
        "scale": row.scale,
        "objects_after": held,
        "object_size": options.size,
        "inline_max": options.inline_max,
        "meta_cache_mib": options.meta_cache_mib,
        "bulk_objects_per_sec": row.bulk.as_ref().map(|b| b.written as f64 / b.wall.as_secs_f64().max(1e-9)),
        "bulk_loader_peak_rss_mib": row.bulk.as_ref().map(|b| mib(b.rss.peak_kib)),
        "startup_secs": row.startup.as_secs_f64(),
        "stop_secs": row.stop.as_secs_f64(),
        "rss_after_start_mib": mib(p.after_start_kib),
        "rss_peak_mib": mib(p.peak_kib),
        "rss_writing_peak_mib": mib(p.writing_peak_kib),
        "rss_end_mib": mib(p.end_kib),
        "write_ops_per_sec": p.write_ops_per_sec,
        "put": cost(&p.put), "get": cost(&p.get), "head": cost(&p.head),
        "delete": cost(&p.delete), "list1000": cost(&p.list),
        "walk": p.walk.map(|w| serde_json::json!({
            "keys": w.keys, "pages": w.pages, "pages_per_sec": w.pages_per_sec,
            "first_tenth_pps": w.first_tenth_pps, "last_tenth_pps": w.last_tenth_pps,
        })),
        "meta_bytes": row.disk.meta_bytes,
        "blob_files": row.disk.blob_files,
        "blob_bytes": row.disk.blob_bytes,
    })
}
