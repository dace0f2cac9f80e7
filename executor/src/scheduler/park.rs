//! Parking: what an idle worker blocks in.
//!
//! The default is a mutex and condition variable per worker. The io-driver provides a `Park`
//! that blocks in the reactor instead, so an idle worker also waits for I/O and timers.
use crate::loom::sync::{Condvar, Mutex};
use std::time::Duration;

/// Something an idle worker thread blocks in until woken.
///
/// # Contract
/// - An `unpark` that happens before `park` makes the next `park` return at once: a wake is
///   never lost because it arrived before the sleep.
/// - `park` may return spuriously; the worker re-checks for work and parks again.
pub trait Park: Send + Sync + 'static {
    /// Blocks until `unpark` is called or the timeout elapses.
    fn park(&self, timeout: Option<Duration>);
    /// Wakes the thread blocked in (or about to enter) `park`.
    fn unpark(&self);

    /// Called by a busy worker every `event_interval` ticks: process pending events
    /// without blocking (the reactor dispatches I/O readiness and fires due timers here, so
    /// events are not left waiting until some worker goes idle). Default: nothing.
    fn park_yield(&self) {}
}

/// The default [`Park`]: a flag, a mutex and a condition variable.
#[derive(Debug, Default)]
pub struct ThreadPark {
    notified: Mutex<bool>,
    condvar: Condvar,
}

impl ThreadPark {
    /// A parker with no pending wake.
    pub fn new() -> ThreadPark {
        ThreadPark {
            notified: Mutex::new(false),
            condvar: Condvar::new(),
        }
    }
}

impl Park for ThreadPark {
    fn park(&self, timeout: Option<Duration>) {
        let mut notified = self.notified.lock();
        while !*notified {
            match timeout {
                Some(t) => {
                    if self.condvar.wait_for(&mut notified, t) {
                        break;
                    }
                }
                None => self.condvar.wait(&mut notified),
            }
        }
        *notified = false;
    }

    fn unpark(&self) {
        *self.notified.lock() = true;
        self.condvar.notify_one();
    }
}
