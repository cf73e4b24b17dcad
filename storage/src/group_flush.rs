//! Group commit of the metadata flush: writers that committed while a flush was running
//! share the next one, instead of each paying for its own.
//!
//! A caller takes a ticket after its transaction is applied. A flush covers every ticket
//! taken before it started (it starts after their transactions were applied), so a caller
//! returns once a flush that started after its ticket has finished: either it finds one
//! already covering it, or it starts one (when none is running), or it waits for the
//! running one to end and looks again. At most one flush runs at a time, on the blocking
//! pool, in a task of its own: a caller that goes away (a client disconnect) never leaves
//! the others waiting on a flush nobody finishes.
//!
//! A failed flush fails every caller it covered and every later one: the store poisons
//! itself on the first failure (see `store.rs`), so nothing after it is acknowledged.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

/// The blocking flush: makes every transaction applied before the call durable.
type FlushFn = dyn Fn() -> Result<(), String> + Send + Sync;

pub(crate) struct GroupFlush {
    flush: Box<FlushFn>,
    state: Mutex<State>,
    finished: Notify,
}

#[derive(Default)]
struct State {
    /// The last ticket handed out.
    issued: u64,
    /// Every ticket up to this one is durable.
    durable: u64,
    running: bool,
    /// The first failure; sticky.
    failed: Option<String>,
}

impl GroupFlush {
    pub(crate) fn new(flush: impl Fn() -> Result<(), String> + Send + Sync + 'static) -> Self {
        GroupFlush {
            flush: Box::new(flush),
            state: Mutex::new(State::default()),
            finished: Notify::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock leaves plain counters behind: still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Return once everything the caller applied before this call is durable.
    pub(crate) async fn flush(self: &Arc<Self>) -> Result<(), String> {
        let ticket = {
            let mut s = self.state();
            s.issued += 1;
            s.issued
        };
        loop {
            let finished = {
                let mut s = self.state();
                if s.durable >= ticket {
                    return Ok(());
                }
                if let Some(e) = &s.failed {
                    return Err(e.clone());
                }
                if !s.running {
                    s.running = true;
                    self.start(s.issued);
                }
                // Created under the lock: the flush's end, which takes the lock before it
                // notifies, cannot be missed.
                self.finished.notified()
            };
            finished.await;
        }
    }

    /// Run one flush covering tickets up to `covers` on the blocking pool.
    fn start(self: &Arc<Self>, covers: u64) {
        let this = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let result = (this.flush)();
            {
                let mut s = this.state();
                s.running = false;
                match result {
                    Ok(()) => s.durable = s.durable.max(covers),
                    Err(e) => {
                        s.failed.get_or_insert(e);
                    }
                }
            }
            this.finished.notify_waiters();
        });
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// A fake store: `committed` counts applied writes; a flush makes durable what was
    /// committed when it started, after a delay.
    struct Fake {
        committed: AtomicU64,
        durable: AtomicU64,
        flushes: AtomicUsize,
    }

    fn fake(fail_after: usize) -> (Arc<Fake>, Arc<GroupFlush>) {
        let fake = Arc::new(Fake {
            committed: AtomicU64::new(0),
            durable: AtomicU64::new(0),
            flushes: AtomicUsize::new(0),
        });
        let f = Arc::clone(&fake);
        let group = GroupFlush::new(move || {
            let covered = f.committed.load(Ordering::SeqCst);
            if f.flushes.fetch_add(1, Ordering::SeqCst) >= fail_after {
                return Err("disk on fire".into());
            }
            std::thread::sleep(Duration::from_millis(15));
            f.durable.fetch_max(covered, Ordering::SeqCst);
            Ok(())
        });
        (fake, Arc::new(group))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_caller_returns_after_a_flush_that_covers_its_write() {
        let (fake, group) = fake(usize::MAX);
        let writers: Vec<_> = (0..64)
            .map(|i| {
                let (fake, group) = (Arc::clone(&fake), Arc::clone(&group));
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(i % 7)).await;
                    let mine = fake.committed.fetch_add(1, Ordering::SeqCst) + 1;
                    group.flush().await.unwrap();
                    assert!(
                        fake.durable.load(Ordering::SeqCst) >= mine,
                        "acknowledged before its write was durable"
                    );
                })
            })
            .collect();
        for w in writers {
            w.await.unwrap();
        }
        let flushes = fake.flushes.load(Ordering::SeqCst);
        assert!(flushes < 64, "no sharing: {flushes} flushes for 64 writers");
        assert!(
            flushes >= 2,
            "writers arrived over several flushes: {flushes}"
        );
    }

    #[tokio::test]
    async fn a_lone_caller_still_gets_a_flush_of_its_own() {
        let (fake, group) = fake(usize::MAX);
        for n in 1..=3 {
            fake.committed.fetch_add(1, Ordering::SeqCst);
            group.flush().await.unwrap();
            assert_eq!(fake.durable.load(Ordering::SeqCst), n);
        }
        assert_eq!(fake.flushes.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failure_reaches_every_waiter_and_stays() {
        let (_fake, group) = fake(0);
        let waiters: Vec<_> = (0..8)
            .map(|_| {
                let group = Arc::clone(&group);
                tokio::spawn(async move { group.flush().await })
            })
            .collect();
        for w in waiters {
            assert_eq!(w.await.unwrap(), Err("disk on fire".to_owned()));
        }
        assert!(group.flush().await.is_err(), "later callers fail too");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_caller_that_goes_away_does_not_strand_the_others() {
        let (fake, group) = fake(usize::MAX);
        let leader = {
            let group = Arc::clone(&group);
            tokio::spawn(async move { group.flush().await })
        };
        tokio::time::sleep(Duration::from_millis(2)).await;
        leader.abort();
        fake.committed.fetch_add(1, Ordering::SeqCst);
        tokio::time::timeout(Duration::from_secs(5), group.flush())
            .await
            .expect("not stranded")
            .unwrap();
        assert_eq!(fake.durable.load(Ordering::SeqCst), 1);
    }
}
