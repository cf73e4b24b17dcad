//! The bulk phase: objects written straight through the storage API (this process opens the
//! data directory itself, so no HTTP request path bounds the rate), from many concurrent
//! tasks, while a sampler records this process's resident memory: the storage engine's
//! memory while writing, without the server's buffers around it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use storage::{Expect, ObjectAttrs, Store};

use crate::rss::{self, Rss};

/// What a bulk phase did.
pub struct Bulk {
    pub written: u64,
    pub wall: Duration,
    /// Peak and final resident memory of this process during the phase, KiB.
    pub rss: Rss,
}

/// The key of object `i`: spread over 100 prefixes so listings see a realistic tree, and
/// zero-padded so the order of `i` is not the order of keys.
pub fn key(i: u64) -> String {
    format!("p{:02}/obj-{:010}", i % 100, i)
}

/// Writes objects `from..to` (of `size` bytes) into `bucket` with `clients` tasks.
pub async fn write(
    store: &Store,
    bucket: &str,
    from: u64,
    to: u64,
    size: usize,
    clients: usize,
) -> Bulk {
    let body = Bytes::from(crate::pattern_source::pattern(size, 7));
    let next = Arc::new(AtomicU64::new(from));
    let started = Instant::now();
    rss::reset_peak(std::process::id());
    let progress = tokio::spawn({
        let next = next.clone();
        async move {
            let mut last = Instant::now();
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if last.elapsed() >= Duration::from_secs(10) {
                    last = Instant::now();
                    let done = next.load(Ordering::Relaxed).min(to);
                    let now = rss::of(std::process::id());
                    eprintln!(
                        "  bulk: {done} objects, {:.0} s, RSS {} MiB",
                        started.elapsed().as_secs_f64(),
                        now.current_kib / 1024
                    );
                }
            }
        }
    });
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (store, bucket, body, next) =
            (store.clone(), bucket.to_owned(), body.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= to {
                    break;
                }
                let chunk = futures::stream::once({
                    let body = body.clone();
                    async move { Ok::<_, std::io::Error>(body) }
                });
                store
                    .put_object(
                        &bucket,
                        &key(i),
                        ObjectAttrs::default(),
                        chunk,
                        &Expect::default(),
                    )
                    .await
                    .unwrap_or_else(|e| panic!("bulk put {i}: {e}"));
            }
        }));
    }
    for task in tasks {
        task.await.expect("bulk task");
    }
    progress.abort();
    Bulk {
        written: to - from,
        wall: started.elapsed(),
        rss: rss::of(std::process::id()),
    }
}
