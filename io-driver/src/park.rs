//! `Parker`: what an idle worker blocks in — the reactor if it is free, else a condvar.
//!
//! One `Parker` per worker (the executor's `Builder::on_park`), all sharing one
//! [`Driver`]. At most one idle worker at a time blocks in the reactor's `poll`: a parking
//! worker `try_lock`s the reactor and, if another worker holds it, waits on its own condvar
//! instead. The reactor worker dispatches I/O readiness and fires timers for everybody; the
//! tasks it wakes go to its own run queue (and the scheduler wakes helpers if there is
//! more than it can run). Busy workers still get events dispatched: every 61 ticks the
//! scheduler calls `park_yield`, which polls the reactor with a zero timeout if it is free.
//!
//! # The state word
//! | state            | meaning |
//! |------------------|---------|
//! | `EMPTY`          | running (or about to park), no pending unpark |
//! | `PARKED_CONDVAR` | blocked (or about to block) on this parker's condvar |
//! | `PARKED_DRIVER`  | blocked (or about to block) in the reactor's `poll` |
//! | `NOTIFIED`       | an unpark arrived: the current or next `park` returns at once |
//!
//! `unpark` swaps in `NOTIFIED` and wakes the thread the way the old state says it sleeps:
//! `PARKED_CONDVAR` by notifying the condvar under its mutex (the sleeper re-checks the
//! state under that mutex, so the notification cannot slip in before its wait),
//! `PARKED_DRIVER` by the reactor's `mio::Waker` (an eventfd write, which a `poll` that has
//! not started yet still sees). A parker moves `EMPTY` -> `PARKED_*` with a
//! compare-exchange: finding `NOTIFIED` there means an unpark came first, and it returns.
//! This is the executor's `Park` contract: an unpark before park is never lost; returns may
//! be spurious (a waker write meant for an earlier sleep, an I/O event).
use crate::driver::Driver;
use crate::loom::{AtomicUsize, Condvar, Mutex, Ordering::SeqCst};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use wakeful_executor::runtime::Park;

const EMPTY: usize = 0;
const PARKED_CONDVAR: usize = 1;
const PARKED_DRIVER: usize = 2;
const NOTIFIED: usize = 3;

pub(crate) struct Parker {
    driver: Arc<Driver>,
    state: AtomicUsize,
    mutex: Mutex<()>,
    condvar: Condvar,
}

impl Parker {
    pub(crate) fn new(driver: Arc<Driver>) -> Parker {
        Parker {
            driver,
            state: AtomicUsize::new(EMPTY),
            mutex: Mutex::new(()),
            condvar: Condvar::new(),
        }
    }

    fn park_driver(&self, timeout: Option<Duration>) -> bool {
        let Some(mut core) = self.driver.try_lock_core() else {
            return false;
        };
        if self
            .state
            .compare_exchange(EMPTY, PARKED_DRIVER, SeqCst, SeqCst)
            .is_err()
        {
            // NOTIFIED: an unpark arrived before we slept. Consume it.
            self.state.store(EMPTY, SeqCst);
            return true;
        }
        self.driver.turn(&mut core, timeout);
        drop(core);
        // PARKED_DRIVER (an event or the timeout) or NOTIFIED (an unpark): either way,
        // running again with nothing pending.
        self.state.store(EMPTY, SeqCst);
        true
    }

    fn park_condvar(&self, timeout: Option<Duration>) {
        let mut guard = self.mutex.lock();
        if self
            .state
            .compare_exchange(EMPTY, PARKED_CONDVAR, SeqCst, SeqCst)
            .is_err()
        {
            self.state.store(EMPTY, SeqCst);
            return;
        }
        match timeout {
            Some(t) => {
                self.condvar.wait_for(&mut guard, t);
            }
            None => self.condvar.wait(&mut guard),
        }
        // Woken, timed out or spurious: return (spurious returns are allowed), consuming
        // a NOTIFIED that may have arrived.
        self.state.store(EMPTY, SeqCst);
    }
}

impl Park for Parker {
    fn park(&self, timeout: Option<Duration>) {
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return;
        }
        if timeout.is_some_and(|t| t.is_zero()) {
            self.park_yield();
            return;
        }
        if !self.park_driver(timeout) {
            self.park_condvar(timeout);
        }
    }

    fn unpark(&self) {
        match self.state.swap(NOTIFIED, SeqCst) {
            EMPTY | NOTIFIED => {}
            PARKED_CONDVAR => {
                // Taking the mutex orders this notify after the sleeper's wait began (it
                // holds the mutex from its state check until it waits).
                drop(self.mutex.lock());
                self.condvar.notify_one();
            }
            PARKED_DRIVER => self.driver.unpark(),
            actual => unreachable!("invalid parker state {actual}"),
        }
    }

    fn park_yield(&self) {
        self.driver.try_turn(Some(Duration::ZERO));
    }
}

impl fmt::Debug for Parker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parker")
            .field("state", &self.state.load(SeqCst))
            .finish_non_exhaustive()
    }
}
