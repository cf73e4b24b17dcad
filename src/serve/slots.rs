//! The connection slots: which connections are open, from which address, and whether each
//! has a request in flight. Idle connections (no request in flight: between keep-alive
//! requests, or before their first) must not lock legitimate clients out, so a new
//! connection that finds every slot taken closes the one idle the longest, as nginx reuses
//! its oldest keep-alive connection; only when every open connection is busy does it wait
//! in the listen backlog. Each client address holds at most `per_address` connections: at
//! that bound its own longest-idle connection is closed, and when all of its connections
//! are busy the new one is refused.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use tokio::sync::Notify;

/// The open connections and the bounds on them.
pub struct Slots {
    max: usize,
    /// 0: no bound per address.
    per_address: usize,
    open: Mutex<HashMap<u64, Open>>,
    next_id: std::sync::atomic::AtomicU64,
    /// Signalled whenever a connection closes or becomes idle.
    changed: Notify,
}

struct Open {
    address: IpAddr,
    in_flight: usize,
    /// When it last had no request in flight (its accept, or its last answer).
    idle_since: Instant,
    /// Asked to close to make room; its slot frees when it has.
    closing: bool,
    close: Arc<Notify>,
}

/// What [`Slots::admit`] decided for a new connection.
pub enum Admission {
    Admitted(Slot),
    /// Its address holds `per_address` connections, all busy.
    Refused,
}

impl Slots {
    pub fn new(max: usize, per_address: usize) -> Arc<Slots> {
        Arc::new(Slots {
            max: max.max(1),
            per_address,
            open: Mutex::new(HashMap::new()),
            next_id: std::sync::atomic::AtomicU64::new(0),
            changed: Notify::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Open>> {
        // A panic while holding this lock leaves the map consistent (every change is one
        // insert, remove or field update), so a poisoned lock is still usable.
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Admit a connection just accepted from `address`: at once when there is room; else
    /// once the connection idle the longest (of its address, when the address is at its
    /// bound) has been asked to close and has closed, or, when every connection is busy,
    /// once one closes or becomes idle. The accept loop is the only caller, so room found
    /// is not taken by another.
    pub async fn admit(self: &Arc<Self>, address: IpAddr) -> Admission {
        loop {
            let changed = self.changed.notified();
            {
                let mut open = self.lock();
                let of_address = open.values().filter(|o| o.address == address).count();
                let address_full = self.per_address > 0 && of_address >= self.per_address;
                if address_full {
                    if !close_longest_idle(&mut open, |o| o.address == address) {
                        return Admission::Refused;
                    }
                } else if open.len() >= self.max {
                    close_longest_idle(&mut open, |_| true);
                } else {
                    let id = self
                        .next_id
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let close = Arc::new(Notify::new());
                    open.insert(
                        id,
                        Open {
                            address,
                            in_flight: 0,
                            idle_since: Instant::now(),
                            closing: false,
                            close: close.clone(),
                        },
                    );
                    return Admission::Admitted(Slot {
                        slots: self.clone(),
                        id,
                        close,
                    });
                }
            }
            changed.await;
        }
    }

    /// Wait until every connection has closed.
    pub async fn wait_empty(&self) {
        loop {
            let changed = self.changed.notified();
            if self.lock().is_empty() {
                return;
            }
            changed.await;
        }
    }

    #[cfg(test)]
    fn open_count(&self) -> usize {
        self.lock().len()
    }
}

/// Make room among the connections that are `eligible`: when one of them is already
/// closing, wait for it; else ask the one idle the longest to close (oldest first, as nginx
/// reuses its keep-alive connections: a connection just accepted, still sending its first
/// request, is the last to go). False when none is idle or closing.
fn close_longest_idle(open: &mut HashMap<u64, Open>, eligible: impl Fn(&Open) -> bool) -> bool {
    if open.values().any(|o| o.closing && eligible(o)) {
        return true;
    }
    let victim = open
        .values_mut()
        .filter(|o| o.in_flight == 0 && eligible(o))
        .min_by_key(|o| o.idle_since);
    match victim {
        Some(o) => {
            o.closing = true;
            o.close.notify_one();
            true
        }
        None => false,
    }
}

/// One admitted connection's slot; dropping it frees the slot.
pub struct Slot {
    slots: Arc<Slots>,
    id: u64,
    close: Arc<Notify>,
}

impl Slot {
    /// Fires when the connection should close (it was chosen to make room).
    pub fn close_requested(&self) -> Arc<Notify> {
        self.close.clone()
    }

    /// Whether a request is in flight on this connection.
    pub fn busy(&self) -> bool {
        self.slots
            .lock()
            .get(&self.id)
            .is_some_and(|o| o.in_flight > 0)
    }

    /// A request began on this connection; it is busy until the guard is dropped (when
    /// its answer has been sent, or abandoned).
    pub fn request(self: &Arc<Self>) -> InFlight {
        if let Some(o) = self.slots.lock().get_mut(&self.id) {
            o.in_flight = o.in_flight.saturating_add(1);
        }
        InFlight { slot: self.clone() }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots.lock().remove(&self.id);
        self.slots.changed.notify_one();
    }
}

/// A request in flight on a connection.
pub struct InFlight {
    slot: Arc<Slot>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(o) = self.slot.slots.lock().get_mut(&self.slot.id) {
            o.in_flight = o.in_flight.saturating_sub(1);
            if o.in_flight == 0 {
                o.idle_since = Instant::now();
                self.slot.slots.changed.notify_one();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    async fn admitted(slots: &Arc<Slots>, address: IpAddr) -> Arc<Slot> {
        match slots.admit(address).await {
            Admission::Admitted(slot) => Arc::new(slot),
            Admission::Refused => panic!("refused"),
        }
    }

    #[tokio::test]
    async fn a_full_house_closes_its_longest_idle_connection() {
        let slots = Slots::new(2, 0);
        let first = admitted(&slots, ip(1)).await;
        let second = admitted(&slots, ip(2)).await;
        let busy = second.request();
        let closing = first.close_requested();
        let asked = closing.notified();
        // A third asks the idle one (first) to close, then waits for it to.
        let third = tokio::spawn({
            let slots = slots.clone();
            async move { matches!(slots.admit(ip(3)).await, Admission::Admitted(_)) }
        });
        asked.await;
        assert!(!third.is_finished());
        drop(first);
        assert!(third.await.expect("admitted"));
        assert_eq!(
            slots.open_count(),
            1,
            "second; the third's slot was dropped"
        );
        drop(busy);
    }

    #[tokio::test]
    async fn an_address_at_its_bound_closes_its_own_idle_one_or_is_refused() {
        let slots = Slots::new(10, 1);
        let one = admitted(&slots, ip(1)).await;
        let _other = admitted(&slots, ip(2)).await;
        let busy = one.request();
        assert!(matches!(slots.admit(ip(1)).await, Admission::Refused));
        drop(busy);
        let closing = one.close_requested();
        let asked = closing.notified();
        let admit = tokio::spawn({
            let slots = slots.clone();
            async move { matches!(slots.admit(ip(1)).await, Admission::Admitted(_)) }
        });
        asked.await;
        drop(one);
        assert!(admit.await.expect("admitted"));
    }
}
