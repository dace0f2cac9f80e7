//! The global queue: tasks scheduled from outside the runtime's workers.
//!
//! # Close protocol
//! After shutdown nothing may stay queued (a queued `Notified` keeps its task, and with it
//! the runtime's shared state, alive). `close` sets `closed` and then drains; `push` pushes
//! and then, if `closed`, drains. With a `SeqCst` fence between each side's two steps, either
//! the pusher sees `closed` or the closer's drain sees the pushed task.
use crate::loom::deque::{Injector, Steal, Worker};
use crate::loom::sync::atomic::{fence, AtomicBool, Ordering::Relaxed, Ordering::SeqCst};
use crate::task::Notified;

pub(crate) struct Inject {
    queue: Injector<Notified>,
    closed: AtomicBool,
}

impl Inject {
    pub(crate) fn new() -> Inject {
        Inject {
            queue: Injector::new(),
            closed: AtomicBool::new(false),
        }
    }

    pub(crate) fn push(&self, task: Notified) {
        self.queue.push(task);
        fence(SeqCst);
        if self.closed.load(Relaxed) {
            self.drain();
        }
    }

    pub(crate) fn pop(&self) -> Option<Notified> {
        loop {
            match self.queue.steal() {
                Steal::Success(t) => return Some(t),
                Steal::Empty => return None,
                Steal::Retry => continue,
            }
        }
    }

    /// Moves about half the queue into `dest` and returns one task.
    pub(crate) fn pop_batch_into(&self, dest: &Worker<Notified>) -> Option<Notified> {
        loop {
            match self.queue.steal_batch_and_pop(dest) {
                Steal::Success(t) => return Some(t),
                Steal::Empty => return None,
                Steal::Retry => continue,
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub(crate) fn close(&self) {
        self.closed.store(true, Relaxed);
        fence(SeqCst);
        self.drain();
    }

    /// Drops every queued notification. The tasks themselves were (or will be) cancelled
    /// through the owned-tasks registry; this only releases the queue's references.
    fn drain(&self) {
        while let Some(task) = self.pop() {
            drop(task);
        }
    }
}

impl std::fmt::Debug for Inject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inject").finish_non_exhaustive()
    }
}
