//! The probe's instrumented waker: every wake is counted, and a wake made on the polling
//! thread while a poll is running is a *self-wake*.
//!
//! Who writes what:
//! - `wakes`, `self_wakes`: any thread that wakes (read-modify-writes only).
//! - `poller`: the probe, on the polling thread, at the start and end of each poll. A wake
//!   compares it with its own thread id, so a wake racing in from another thread (a peer,
//!   a reactor) is never mistaken for a self-wake, whatever the interleaving.
//! - `capture`: armed by the probe before a poll that is not inside a futile streak; the
//!   first self-wake of that poll disarms it and stores its stack in `stack`, which the
//!   probe takes after the poll.
//!
//! The clone count is `Arc::strong_count`: std's `Wake` clones the `Arc` for every
//! `Waker::clone` and drops it with the clone.
use crate::loom::thread::{self, ThreadId};
use crate::loom::{AtomicBool, AtomicUsize, Mutex, Ordering::SeqCst};
use std::backtrace::Backtrace;
use std::sync::Arc as StdArc;
use std::task::{Wake, Waker};

/// What the probe's waker has seen. Shared by the probe and every clone of its waker.
#[derive(Debug)]
pub(crate) struct WakeLog {
    wakes: AtomicUsize,
    self_wakes: AtomicUsize,
    poller: Mutex<Option<ThreadId>>,
    capture: AtomicBool,
    stack: Mutex<Option<Backtrace>>,
}

/// The references the probe itself holds: its `StdArc<WakeLog>` and its `Waker`.
const PROBE_REFS: usize = 2;

impl WakeLog {
    /// A log and the waker that writes to it.
    pub(crate) fn new() -> (StdArc<WakeLog>, Waker) {
        let log = StdArc::new(WakeLog {
            wakes: AtomicUsize::new(0),
            self_wakes: AtomicUsize::new(0),
            poller: Mutex::new(None),
            capture: AtomicBool::new(false),
            stack: Mutex::new(None),
        });
        let waker = Waker::from(log.clone());
        (log, waker)
    }

    /// Every wake so far, from any thread.
    pub(crate) fn wakes(&self) -> usize {
        self.wakes.load(SeqCst)
    }

    /// Every self-wake so far.
    pub(crate) fn self_wakes(&self) -> usize {
        self.self_wakes.load(SeqCst)
    }

    /// Clones of the waker alive outside the probe. `log` is the probe's own reference.
    pub(crate) fn clones_held(log: &StdArc<WakeLog>) -> usize {
        StdArc::strong_count(log).saturating_sub(PROBE_REFS)
    }

    /// Marks the start of a poll on this thread; with `capture`, the first self-wake of the
    /// poll records its stack.
    pub(crate) fn enter_poll(&self, capture: bool) {
        *self.poller.lock() = Some(thread::current().id());
        self.capture.store(capture, SeqCst);
    }

    /// Marks the end of the poll; returns the stack of its first self-wake, if captured.
    pub(crate) fn leave_poll(&self) -> Option<Backtrace> {
        *self.poller.lock() = None;
        self.capture.store(false, SeqCst);
        self.stack.lock().take()
    }

    fn record(&self) {
        self.wakes.fetch_add(1, SeqCst);
        let me = thread::current().id();
        let during_own_poll = *self.poller.lock() == Some(me);
        if during_own_poll {
            self.self_wakes.fetch_add(1, SeqCst);
            if self.capture.swap(false, SeqCst) {
                *self.stack.lock() = Some(Backtrace::force_capture());
            }
        }
    }
}

impl Wake for WakeLog {
    fn wake(self: StdArc<Self>) {
        self.record();
    }

    fn wake_by_ref(self: &StdArc<Self>) {
        self.record();
    }
}
