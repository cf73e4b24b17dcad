//! A durable queue of opaque records: origin notifications waiting for delivery. A record is
//! on disk (flushed) before [`Store::enqueue_event`] returns, so none is lost on a restart;
//! delivery is at least once (a record removed just before a crash may be delivered again).

use crate::{Result, Store};

impl Store {
    /// Append a record and make it durable; returns its id (ids grow monotonically).
    pub async fn enqueue_event(&self, record: &[u8]) -> Result<u64> {
        self.shared.check_writable()?;
        let id = self.shared.meta.push_event(record)?;
        self.flush().await?;
        Ok(id)
    }

    /// Up to `limit` queued records, oldest first.
    pub fn queued_events(&self, limit: usize) -> Result<Vec<(u64, Vec<u8>)>> {
        self.shared.meta.events(limit)
    }

    /// Remove a delivered (or abandoned) record. Not flushed at once: a crash right after
    /// can only cause a second delivery.
    pub fn dequeue_event(&self, id: u64) -> Result<()> {
        self.shared.meta.remove_event(id)
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use crate::{Store, StoreOptions};

    #[tokio::test]
    async fn events_survive_reopen_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ids = {
            let store = Store::open(dir.path(), StoreOptions::default()).expect("open");
            let a = store.enqueue_event(b"first").await.expect("enqueue");
            let b = store.enqueue_event(b"second").await.expect("enqueue");
            let c = store.enqueue_event(b"third").await.expect("enqueue");
            store.dequeue_event(b).expect("dequeue");
            store.flush().await.expect("flush");
            assert!(a < b && b < c);
            (a, c)
        };
        let store = Store::open(dir.path(), StoreOptions::default()).expect("reopen");
        let queued = store.queued_events(10).expect("list");
        assert_eq!(
            queued,
            vec![(ids.0, b"first".to_vec()), (ids.1, b"third".to_vec())]
        );
        let next = store.enqueue_event(b"fourth").await.expect("enqueue");
        assert!(next > ids.1, "ids keep growing across restarts");
    }
}
