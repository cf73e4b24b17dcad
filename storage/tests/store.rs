//! Integration tests of the storage crate, one binary: behaviour (`basic`), a model-based
//! property test across reopens plus list paging (`model`), versioning with its own model
//! test and the upgrade of a previous release's data directory (`versions`), a kill -9 crash
//! test of plain writes (`crash`) and of versioned writes and deletes (`crash_versions`),
//! small objects kept inline in their metadata (`inline`) or appended to pack files, with
//! compaction and torn packs (`packs`), Object Lock's refusals (`lock`), usage and quotas (`quota`),
//! and a bounded-memory test (`memory`). The crash and memory tests re-execute this binary
//! as a child running one test, selected by an environment variable.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "store/basic.rs"]
mod basic;
#[path = "store/crash.rs"]
mod crash;
#[path = "store/crash_versions.rs"]
mod crash_versions;
#[path = "store/etag.rs"]
mod etag;
#[path = "store/inline.rs"]
mod inline;
#[path = "store/lock.rs"]
mod lock;
#[path = "store/memory.rs"]
mod memory;
#[path = "store/model.rs"]
mod model;
#[path = "store/packs.rs"]
mod packs;
#[path = "store/quota.rs"]
mod quota;
#[path = "store/resume.rs"]
mod resume;
#[path = "store/versions.rs"]
mod versions;

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::StreamExt as _;
use storage::{Expect, ObjectAttrs, ObjectReader, Store, StoreOptions};

/// Small buffers and no inline or packed objects: every object is a blob file (the tests
/// that count blob files rely on it; `inline.rs`, `packs.rs`, the model and the crash tests
/// turn inlining or packing on).
pub fn small_options() -> StoreOptions {
    StoreOptions {
        min_part_size: 1024,
        read_chunk: 4096,
        write_buffer: 8192,
        inline_max: 0,
        pack_max: 0,
        meta_cache_bytes: 8 * 1024 * 1024,
        ..Default::default()
    }
}

pub fn open(dir: &Path) -> Store {
    Store::open(dir, small_options()).unwrap()
}

pub fn body(data: &[u8]) -> impl futures::Stream<Item = std::io::Result<Bytes>> + Send {
    // Several chunks, to exercise the writer's buffering.
    let chunks: Vec<std::io::Result<Bytes>> = data
        .chunks(3000)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    futures::stream::iter(chunks)
}

pub async fn put(store: &Store, bucket: &str, key: &str, data: &[u8]) -> storage::ObjectMeta {
    store
        .put_object(
            bucket,
            key,
            ObjectAttrs::default(),
            body(data),
            &Expect::default(),
        )
        .await
        .unwrap()
}

pub async fn read_all(mut reader: ObjectReader) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(chunk) = reader.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

pub async fn get(store: &Store, bucket: &str, key: &str) -> Option<Vec<u8>> {
    match store.get_object(bucket, key, None) {
        Ok((_, reader)) => Some(read_all(reader).await),
        Err(storage::Error::NoSuchKey) => None,
        Err(e) => panic!("get {bucket}/{key}: {e}"),
    }
}

/// Every file under `<dir>/blobs`.
pub fn blob_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for fan in std::fs::read_dir(dir.join("blobs")).unwrap() {
        for f in std::fs::read_dir(fan.unwrap().path()).unwrap() {
            out.push(f.unwrap().path());
        }
    }
    out
}

/// Copy a directory tree (a fixture, a data directory), leaving out `README.md` files.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else if entry.file_name() != "README.md" {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

pub fn temp_files(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("tmp")).unwrap().count()
}

/// Deterministic pseudo-random bytes (xorshift), so content can be regenerated to check.
pub fn content(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}
