//! Per-key serialisation of conditional writes on the node that owns a key: the balancer
//! sends every request for a key to one node, so a lock here makes `If-None-Match: *` and
//! `If-Match` hold even on a cluster that does not enforce them (Garage). The lock of a key
//! lives while someone holds or waits for it, and is then forgotten.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OwnedMutexGuard;

/// A key of a bucket: `(bucket, key)`.
type BucketKey = (String, String);

#[derive(Default)]
pub struct KeyLocks {
    locks: Mutex<HashMap<BucketKey, Arc<tokio::sync::Mutex<()>>>>,
}

/// A held key lock; dropping it releases the key.
pub struct KeyGuard {
    _guard: OwnedMutexGuard<()>,
    locks: Arc<KeyLocks>,
    key: BucketKey,
}

impl KeyLocks {
    /// Wait for, then hold, the lock of `key` in `bucket`.
    pub async fn lock(self: &Arc<Self>, bucket: &str, key: &str) -> KeyGuard {
        let id = (bucket.to_owned(), key.to_owned());
        let lock = self
            .locks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(id.clone())
            .or_default()
            .clone();
        KeyGuard {
            _guard: lock.lock_owned().await,
            locks: self.clone(),
            key: id,
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.locks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }
}

impl Drop for KeyGuard {
    fn drop(&mut self) {
        let mut locks = self
            .locks
            .locks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Forgotten once nobody else holds a reference (the map's own, and this guard's
        // mutex is released right after).
        if locks
            .get(&self.key)
            .is_some_and(|l| Arc::strong_count(l) <= 2)
        {
            locks.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_holder_at_a_time_per_key_and_forgotten_after() {
        let locks = Arc::new(KeyLocks::default());
        let held = locks.lock("b", "k").await;
        let other_key = locks.lock("b", "other").await;
        let waiting = tokio::spawn({
            let locks = locks.clone();
            async move {
                let _g = locks.lock("b", "k").await;
            }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "the same key waits");
        drop(held);
        waiting.await.expect("then proceeds");
        drop(other_key);
        assert_eq!(locks.len(), 0);
    }
}
