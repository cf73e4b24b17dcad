//! The node's cache bound in cluster mode (`[backend] cache_bytes`). Every object a node
//! holds is clean — a write is kept only after the cluster acknowledged it — so any of them
//! may go; the cluster fills it again on the next read. A background pass (every second)
//! adds up what the node holds and, above the bound (the high watermark), drops the least
//! recently used objects until it is under `cache_low_percent` of it (the low watermark). "Used" is the
//! last read this process saw, else when the cluster last vouched for the copy. An object
//! replaced since the pass looked at it is not dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use storage::{DeleteCondition, ListQuery, Store};

/// The bound and what was read recently.
pub struct CacheBound {
    high: u64,
    low: u64,
    used: Mutex<HashMap<(String, String), SystemTime>>,
}

/// What one pass found and did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub bytes_before: u64,
    pub bytes_after: u64,
    pub evicted: u64,
}

impl CacheBound {
    /// A bound of `cache_bytes`, evicting down to `low_percent` of it.
    pub fn new(cache_bytes: u64, low_percent: u8) -> CacheBound {
        CacheBound {
            high: cache_bytes,
            low: cache_bytes / 100 * u64::from(low_percent)
                + cache_bytes % 100 * u64::from(low_percent) / 100,
            used: Mutex::new(HashMap::new()),
        }
    }

    /// A read of `key` in `bucket` was served.
    pub fn touch(&self, bucket: &str, key: &str) {
        self.used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert((bucket.to_owned(), key.to_owned()), SystemTime::now());
    }

    fn last_used(&self, bucket: &str, meta: &storage::ObjectMeta) -> SystemTime {
        let seen = self
            .used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&(bucket.to_owned(), meta.key.clone()))
            .copied();
        let vouched = meta
            .attrs
            .origin
            .as_ref()
            .filter(|s| s.validated_ns > 0)
            .map(|s| UNIX_EPOCH + Duration::from_nanos(s.validated_ns));
        seen.into_iter()
            .chain(vouched)
            .max()
            .unwrap_or(meta.last_modified)
    }

    /// Add up what `store` holds and, above the bound, drop the least recently used
    /// objects until under the low watermark.
    pub async fn pass(&self, store: &Store) -> Result<Pass, storage::Error> {
        let mut held = Vec::new();
        let mut total = 0u64;
        for bucket in store.list_buckets()? {
            let mut query = ListQuery {
                max_keys: 1000,
                ..Default::default()
            };
            loop {
                let page = store.list_objects(&bucket.name, &query)?;
                for meta in page.objects {
                    total += meta.size;
                    held.push((
                        self.last_used(&bucket.name, &meta),
                        bucket.name.clone(),
                        meta,
                    ));
                }
                match page.next_after {
                    Some(after) if page.is_truncated => query.after = Some(after),
                    _ => break,
                }
            }
        }
        let mut pass = Pass {
            bytes_before: total,
            bytes_after: total,
            evicted: 0,
        };
        if total <= self.high {
            return Ok(pass);
        }
        held.sort_by_key(|(used, _, _)| *used);
        for (_, bucket, meta) in held {
            if pass.bytes_after <= self.low {
                break;
            }
            let unchanged = DeleteCondition {
                exactly_modified: Some(meta.last_modified),
                ..Default::default()
            };
            match store
                .delete_if(&bucket, &meta.key, None, false, &unchanged)
                .await
            {
                Ok(_) => {
                    pass.bytes_after -= meta.size;
                    pass.evicted += 1;
                    self.used
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .remove(&(bucket, meta.key));
                }
                // Replaced or gone meanwhile: someone else decided.
                Err(storage::Error::PreconditionFailed | storage::Error::NoSuchKey) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(pass)
    }
}

/// What the pass reads of its owner: the store, the bound, and the metrics it reports to.
pub struct Scope<'a> {
    pub store: &'a Store,
    pub bound: &'a CacheBound,
    pub metrics: &'a crate::metrics::Metrics,
}

/// Run a pass every second for as long as `owner` lives.
pub fn spawn<S: Send + Sync + 'static>(
    owner: &Arc<S>,
    scope: for<'a> fn(&'a S) -> Option<Scope<'a>>,
) {
    let weak: Weak<S> = Arc::downgrade(owner);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(owner) = weak.upgrade() else { return };
            let Some(scope) = scope(&owner) else { return };
            match scope.bound.pass(scope.store).await {
                Ok(pass) => {
                    let held = i64::try_from(pass.bytes_after).unwrap_or(i64::MAX);
                    scope.metrics.cache_bytes.set(held);
                    scope.metrics.cache_evictions.inc_by(pass.evicted);
                    if pass.evicted > 0 {
                        tracing::info!(?pass, "cache bound pass");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cache bound pass failed"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn above_the_bound_the_least_recently_used_go_down_to_the_low_watermark() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), Default::default()).expect("store");
        store
            .create_bucket("bkt", "o", "us-east-1")
            .await
            .expect("bucket");
        for i in 0..10 {
            let body = futures::stream::iter([Ok(bytes::Bytes::from(vec![0u8; 1000]))]);
            store
                .put_object(
                    "bkt",
                    &format!("k{i}"),
                    Default::default(),
                    body,
                    &Default::default(),
                )
                .await
                .expect("put");
        }
        let bound = CacheBound::new(5000, 80);
        // k0 was read just now: it stays although it is the oldest write.
        bound.touch("bkt", "k0");
        let pass = bound.pass(&store).await.expect("pass");
        assert_eq!((pass.bytes_before, pass.bytes_after), (10_000, 4000));
        assert_eq!(pass.evicted, 6);
        let left: Vec<String> = store
            .list_objects(
                "bkt",
                &ListQuery {
                    max_keys: 1000,
                    ..Default::default()
                },
            )
            .expect("list")
            .objects
            .into_iter()
            .map(|m| m.key)
            .collect();
        assert!(left.contains(&"k0".to_owned()), "{left:?}");
        assert!(!left.contains(&"k1".to_owned()), "{left:?}");
        // Under the bound: nothing to do.
        assert_eq!(bound.pass(&store).await.expect("pass").evicted, 0);
    }
}
