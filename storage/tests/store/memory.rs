//! Bounded memory: write then read back a large object, generated on the fly and streamed,
//! and check that the process RSS grows by less than 64 MiB. The object is 1 GiB in release
//! builds and 256 MiB in debug builds (where hashing 1 GiB would take most of a minute); the
//! bound is the same, and no buffer in the path depends on the object size. The test runs in
//! a re-executed child process so that other tests of this binary do not disturb the RSS.

use std::process::Command;

use bytes::{Bytes, BytesMut};
use futures::StreamExt as _;
use storage::{Expect, ObjectAttrs, Store, StoreOptions};

use super::rt;

const ENV: &str = "STORAGE_MEMORY_CHILD_DIR";
const MIB: u64 = 1024 * 1024;
const LIMIT: u64 = 64 * MIB;

fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

fn chunk(i: u64) -> Bytes {
    let mut b = BytesMut::zeroed(MIB as usize);
    for (j, word) in b.chunks_mut(8).enumerate() {
        word.copy_from_slice(&(i * 131_071 + j as u64).to_le_bytes());
    }
    b.freeze()
}

#[test]
fn bounded_memory_child() {
    let Ok(dir) = std::env::var(ENV) else { return };
    let size_mib: u64 = if cfg!(debug_assertions) { 256 } else { 1024 };
    rt().block_on(async {
        let store = Store::open(&dir, StoreOptions::default()).unwrap();
        store.create_bucket("bkt", "me", "r").await.unwrap();
        let base = rss();
        let mut peak = base;
        let body = futures::stream::iter(0..size_mib).map(|i| Ok(chunk(i)));
        let meta = store
            .put_object(
                "bkt",
                "big",
                ObjectAttrs::default(),
                body,
                &Expect {
                    size: Some(size_mib * MIB),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        peak = peak.max(rss());
        let (_, mut reader) = store.get_object("bkt", "big", None).unwrap();
        let mut md5 = <md5::Md5 as md5::Digest>::new();
        let mut read = 0u64;
        let mut n = 0u64;
        while let Some(c) = reader.next().await {
            let c = c.unwrap();
            read += c.len() as u64;
            md5::Digest::update(&mut md5, &c);
            n += 1;
            if n % 16 == 0 {
                peak = peak.max(rss());
            }
        }
        peak = peak.max(rss());
        assert_eq!(read, size_mib * MIB);
        assert_eq!(hex::encode(md5::Digest::finalize(md5)), meta.etag);
        let growth = peak.saturating_sub(base);
        eprintln!(
            "bounded memory: {size_mib} MiB object, RSS growth {} KiB",
            growth / 1024
        );
        assert!(growth < LIMIT, "RSS grew by {} MiB", growth / MIB);
    });
}

#[test]
fn bounded_memory() {
    if std::env::var(ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "memory::bounded_memory_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ENV, dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "child failed:\n{}\n{stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        stderr.contains("RSS growth"),
        "the child did not run the test:\n{stderr}"
    );
}
