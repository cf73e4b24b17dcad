//! A real 3-node Garage cluster on loopback (`.ci/garage-cluster`), for the cluster tests:
//! the binary `.ci/install-test-tools` builds and caches, three daemons on free ports, one
//! layout, one key allowed to create buckets. A missing binary fails the test (it never
//! skips). The daemons are killed when the cluster is dropped.

use std::path::PathBuf;
use std::process::Command;

pub const GARAGE_VERSION: &str = "2.5.0";
pub const KEY_ID: &str = "GK00112233445566778899aabb";
pub const SECRET: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
pub const REGION: &str = "garage";

pub struct Garage {
    dir: tempfile::TempDir,
    /// The three nodes' S3 endpoints (`http://127.0.0.1:port`).
    pub endpoints: Vec<String>,
}

fn binary() -> PathBuf {
    let cache = std::env::var_os("ORIGINSTORE_CI_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/originstore-ci")
        });
    let garage = cache.join(format!("garage-{GARAGE_VERSION}/bin/garage"));
    assert!(
        garage.exists(),
        "{} is missing: run .ci/install-test-tools (it builds Garage {GARAGE_VERSION})",
        garage.display()
    );
    garage
}

/// A base port with the 40 after it free (each node takes base + 10n + {0, 1, 3}): below
/// the kernel's ephemeral range (where the tests' own servers get their ports), and a
/// different slot for each cluster this process starts, so that clusters started at once
/// by parallel tests never pick the same range.
fn free_base() -> u16 {
    static NEXT: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
    const SLOTS: u16 = 120;
    let first = rand_u16() % SLOTS;
    for _ in 0..SLOTS {
        let slot = (first + NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) % SLOTS;
        let base = 20_000 + slot * 100;
        let all_free =
            (0..40).all(|i| std::net::TcpListener::bind(("127.0.0.1", base + i)).is_ok());
        if all_free {
            return base;
        }
    }
    panic!("no free range of 40 loopback ports between 20000 and 32000");
}

fn rand_u16() -> u16 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    (nanos ^ std::process::id()) as u16
}

impl Garage {
    pub fn start() -> Garage {
        let garage = binary();
        let dir = tempfile::tempdir().expect("tempdir");
        let script = format!("{}/.ci/garage-cluster", env!("CARGO_MANIFEST_DIR"));
        let out = Command::new("bash")
            .arg(script)
            .arg(&garage)
            .arg(dir.path())
            .arg(free_base().to_string())
            .arg(KEY_ID)
            .arg(SECRET)
            .output()
            .expect("bash runs .ci/garage-cluster");
        let cluster = Garage {
            endpoints: String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(str::to_owned)
                .collect(),
            dir,
        };
        assert!(
            out.status.success() && cluster.endpoints.len() == 3,
            "the Garage cluster did not start:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        cluster
    }

    /// aws-sdk-s3 on node `n` (0..3) with the cluster's key.
    pub fn client(&self, n: usize) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new(REGION))
            .endpoint_url(&self.endpoints[n])
            .force_path_style(true)
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                KEY_ID, SECRET, None, None, "garage",
            ))
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }
}

impl Garage {
    /// Wait (up to 10 s) until every Garage node knows `bucket`.
    pub async fn await_bucket(&self, bucket: &str) {
        for n in 0..self.endpoints.len() {
            let started = std::time::Instant::now();
            while self
                .client(n)
                .head_bucket()
                .bucket(bucket)
                .send()
                .await
                .is_err()
            {
                assert!(
                    started.elapsed() < std::time::Duration::from_secs(10),
                    "Garage node {n} never learned the bucket {bucket}"
                );
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

impl Drop for Garage {
    fn drop(&mut self) {
        let pids = std::fs::read_to_string(self.dir.path().join("pids")).unwrap_or_default();
        for pid in pids.split_whitespace() {
            let _ = Command::new("kill").arg("-9").arg(pid).status();
        }
    }
}
