//! Durable queues of opaque records: the legacy queue of origin notifications, and named
//! queues (bucket notifications per target, and their dead letters). A record is on disk
//! (flushed, with concurrent writers' records in one fsync) before [`Store::enqueue_event`]
//! or [`Store::enqueue`] returns, so none is lost on a restart; delivery is at least once (a
//! record removed just before a crash may be delivered again).

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

    /// Append each `(queue, record)` (all or none) and make them durable before returning.
    pub async fn enqueue(&self, items: &[(&str, &[u8])]) -> Result<()> {
        self.shared.check_writable()?;
        self.shared.meta.push_queued(items)?;
        self.flush().await
    }

    /// Up to `limit` records of queue `name`, oldest first.
    pub fn queued(&self, name: &str, limit: usize) -> Result<Vec<(u64, Vec<u8>)>> {
        self.shared.meta.queued(name, limit)
    }

    /// How many records queue `name` holds (walks them).
    pub fn queue_len(&self, name: &str) -> Result<u64> {
        self.shared.meta.queue_len(name)
    }

    /// Remove a record of queue `name` (delivered). Not flushed at once, like
    /// [`Store::dequeue_event`].
    pub fn dequeue(&self, name: &str, id: u64) -> Result<()> {
        self.shared.meta.remove_queued(name, id)
    }

    /// Move a record to the end of another queue (a dead letter), durably.
    pub async fn requeue(&self, from: &str, id: u64, to: &str) -> Result<()> {
        self.shared.meta.move_queued(from, id, to)?;
        self.flush().await
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

    #[tokio::test]
    async fn named_queues_keep_order_apart_and_survive_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let store = Store::open(dir.path(), StoreOptions::default()).expect("open");
            store
                .enqueue(&[("a", b"1"), ("b", b"x"), ("a", b"2")])
                .await
                .expect("enqueue");
            store.enqueue(&[("a", b"3")]).await.expect("enqueue");
            let first = store.queued("a", 1).expect("peek")[0].0;
            store
                .requeue("a", first, "dead/a")
                .await
                .expect("dead letter");
        }
        let store = Store::open(dir.path(), StoreOptions::default()).expect("reopen");
        let a: Vec<Vec<u8>> = store
            .queued("a", 10)
            .expect("list")
            .into_iter()
            .map(|(_, r)| r)
            .collect();
        assert_eq!(
            a,
            [b"2".to_vec(), b"3".to_vec()],
            "in order, the first moved away"
        );
        assert_eq!(store.queue_len("b").expect("len"), 1);
        assert_eq!(store.queued("dead/a", 10).expect("dead")[0].1, b"1");
        let (id, _) = store.queued("a", 1).expect("peek")[0].clone();
        store.dequeue("a", id).expect("dequeue");
        assert_eq!(store.queue_len("a").expect("len"), 1);
    }
}
