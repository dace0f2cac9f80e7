//! Connection limits: how many at once ([`Slots`]), and how long a handshake or a silence
//! may last ([`Limits`]).
//!
//! # The slot contract
//! The accept loop takes a [`Slot`] *before* it calls `accept`; the connection's task owns
//! it and dropping it frees it. With every slot taken the loop does not call `accept` at
//! all: new clients wait in the kernel's listen backlog (their TCP handshake completes
//! there, their TLS handshake waits), and no accepted socket is ever closed unserved. The
//! loop sleeps on a waker that the next freed slot wakes, so a full proxy uses no CPU.
use prometheus_client::metrics::gauge::Gauge;
use std::future::poll_fn;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Poll, Waker};
use std::time::Duration;

/// The per-connection limits of the proxy.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Most connections open at once (handshaking or relaying).
    pub(crate) max_conns: usize,
    /// From accept to a finished TLS handshake; also bounds the upstream connect.
    pub(crate) handshake_timeout: Duration,
    /// A relay moving no byte either way for this long is closed.
    pub(crate) idle_timeout: Duration,
}

/// A counting semaphore for connections, with two kinds of waiters: whoever wants a slot
/// (the accept loop), and whoever waits for all slots to be free (the shutdown drain).
#[derive(Debug)]
pub(crate) struct Slots {
    max: usize,
    state: Mutex<State>,
    /// Slots holding an open connection (`wakeful_proxy_connections_active`): taken slots
    /// less the one the accept loop holds while it waits in `accept`.
    gauge: Gauge,
}

#[derive(Debug, Default)]
struct State {
    taken: usize,
    /// Woken when a slot is freed; every waiter re-checks (a handful at most).
    want_slot: Vec<Waker>,
    /// Woken when the last slot is freed.
    want_idle: Vec<Waker>,
}

/// One taken slot; dropping it frees it.
#[derive(Debug)]
pub(crate) struct Slot {
    slots: Arc<Slots>,
    /// Counted in the gauge ([`Slot::open`]).
    open: bool,
}

impl Slot {
    /// The slot now holds an accepted connection (counted in the gauge).
    pub(crate) fn open(&mut self) {
        if !self.open {
            self.open = true;
            self.slots.gauge.inc();
        }
    }
}

impl Slots {
    pub(crate) fn new(max: usize, gauge: Gauge) -> Arc<Slots> {
        assert!(max > 0, "at least one slot");
        Arc::new(Slots {
            max,
            state: Mutex::new(State::default()),
            gauge,
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Slots taken now.
    pub(crate) fn taken(&self) -> usize {
        self.state().taken
    }

    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// A slot at once, if one is free.
    pub(crate) fn try_acquire(self: &Arc<Self>) -> Option<Slot> {
        self.take(&mut self.state())
    }

    fn take(self: &Arc<Self>, st: &mut State) -> Option<Slot> {
        if st.taken < self.max {
            st.taken += 1;
            Some(Slot {
                slots: self.clone(),
                open: false,
            })
        } else {
            None
        }
    }

    /// Waits for a free slot and takes it. Cancel-safe: a slot is taken only by the poll
    /// that returns it.
    pub(crate) async fn acquire(self: &Arc<Self>) -> Slot {
        poll_fn(|cx| {
            // One lock for the check and the registration, the lock `release` takes: no
            // freed slot goes unnoticed.
            let mut st = self.state();
            if let Some(slot) = self.take(&mut st) {
                return Poll::Ready(slot);
            }
            if !st.want_slot.iter().any(|w| w.will_wake(cx.waker())) {
                st.want_slot.push(cx.waker().clone());
            }
            Poll::Pending
        })
        .await
    }

    /// Waits until no slot is taken. Cancel-safe.
    pub(crate) async fn idle(&self) {
        poll_fn(|cx| {
            let mut st = self.state();
            if st.taken == 0 {
                return Poll::Ready(());
            }
            if !st.want_idle.iter().any(|w| w.will_wake(cx.waker())) {
                st.want_idle.push(cx.waker().clone());
            }
            Poll::Pending
        })
        .await;
    }

    fn release(&self, open: bool) {
        let (slot_waiters, idle_waiters) = {
            let mut st = self.state();
            st.taken -= 1;
            if open {
                self.gauge.dec();
            }
            let idle = if st.taken == 0 {
                std::mem::take(&mut st.want_idle)
            } else {
                Vec::new()
            };
            (std::mem::take(&mut st.want_slot), idle)
        };
        for w in slot_waiters.into_iter().chain(idle_waiters) {
            w.wake();
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots.release(self.open);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_count_and_free() {
        let gauge = Gauge::default();
        let slots = Slots::new(2, gauge.clone());
        let mut a = slots.try_acquire().expect("first");
        let b = slots.try_acquire().expect("second");
        assert!(slots.try_acquire().is_none(), "the limit holds");
        assert_eq!((slots.taken(), gauge.get()), (2, 0));
        a.open();
        a.open();
        assert_eq!(gauge.get(), 1, "counted once");
        drop(a);
        let c = slots.try_acquire().expect("a freed slot is reusable");
        drop((b, c));
        assert_eq!((slots.taken(), gauge.get()), (0, 0));
    }

    #[test]
    fn a_waiting_acquire_is_woken_by_a_release() {
        let rt = wakeful::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        let slots = Slots::new(1, Gauge::default());
        let held = slots.try_acquire().unwrap();
        let waiter = {
            let slots = slots.clone();
            rt.spawn(async move { slots.acquire().await })
        };
        let idle = {
            let slots = slots.clone();
            rt.spawn(async move { slots.idle().await })
        };
        drop(held);
        let again = rt.block_on(waiter).unwrap();
        assert_eq!(slots.taken(), 1);
        drop(again);
        rt.block_on(idle).unwrap();
        assert_eq!(slots.taken(), 0);
    }
}
