//! Tasks: one heap allocation holding a future, its output slot, and a header that every
//! reference (queue entry, waker, join handle) points at.
//!
//! # Layout
//! `Cell<F, S>` = `Header` (state word, vtable, id, spawn metadata, statistics) + `Core`
//! (the scheduler handle and the `Stage`: future, output or nothing) + `Trailer` (the join
//! waker). The header is first (`repr(C)`), so a `NonNull<Header>` is a type-erased pointer to
//! the whole cell and the vtable recovers `F` and `S`.
//!
//! # References
//! The reference count lives in the state word (see `state.rs`). Reference kinds:
//! `Task` (held by the runtime's owned-tasks registry, for shutdown and reports),
//! `Notified` (held by a run queue: "poll me"), `JoinHandle`, and each `Waker`. The last one
//! dropped deallocates.
//!
//! # Rules (who may touch what, when)
//! 1. **Stage** (future or output): only the thread that set `RUNNING` may touch it, until it
//!    clears `RUNNING` or sets `COMPLETE`. After `COMPLETE`, only the `JoinHandle` may touch it
//!    (to take or drop the output) while `JOIN_INTEREST` is set; if `JOIN_INTEREST` was already
//!    unset when the task completed, the completing thread drops the output itself.
//! 2. **Join waker**: while `JOIN_WAKER` is unset, only the `JoinHandle` may touch the slot.
//! 3. While `JOIN_WAKER` is set, the slot is read-only to the `JoinHandle` (for `will_wake`)
//!    and belongs to the task, which wakes it after completing.
//! 4. The task, after completing with `JOIN_WAKER` set, wakes the waker and then unsets
//!    `JOIN_WAKER`; if `JOIN_INTEREST` is gone by then it drops the waker.
//! 5. The `JoinHandle` replaces its waker by (i) unsetting `JOIN_WAKER` (fails if complete),
//!    (ii) writing the slot, (iii) setting `JOIN_WAKER` (fails if complete, then it clears the
//!    slot itself and reads the output).
//! 6. Dropping the `JoinHandle` unsets `JOIN_INTEREST`, and `JOIN_WAKER` too if not complete;
//!    it drops the waker if `JOIN_WAKER` ends unset, and the output if `COMPLETE` was set.
//! 7. A task is scheduled only by whoever moved it from idle to `NOTIFIED` (a wake, an abort,
//!    or the end of a poll that saw `NOTIFIED`): so it is in at most one queue, and never in a
//!    queue while running. A wake during a poll sets `NOTIFIED`; the poller reschedules once.
//! 8. Shutdown claims an idle task by setting `RUNNING` and cancels it in place; a running
//!    task is cancelled by its poller when the poll ends; a queued one when it is next run.

mod core;
mod error;
mod harness;
mod id;
mod join;
mod raw;
mod spawn;
pub(crate) mod state;
mod waker;
mod yield_now;

pub(crate) use self::core::{Header, TaskMeta};
pub use self::error::JoinError;
pub use self::id::TaskId;
pub use self::join::{AbortHandle, JoinHandle};
pub(crate) use self::raw::RawTask;
pub use self::spawn::{spawn, spawn_blocking, Builder};
pub(crate) use self::state::WakeSource;
pub(crate) use self::waker::wake_with_source;
pub use self::yield_now::{progress, yield_now};

use std::fmt;
use std::future::Future;
use std::ptr::NonNull;

/// How a scheduler receives its tasks back. Implemented by the multi-thread scheduler and by
/// the blocking pool.
pub(crate) trait Schedule: Send + Sync + Sized + 'static {
    /// Puts a task that must be polled into a queue. `yielded` is true when the task woke
    /// itself during its own poll: it goes to the back of a queue, not the LIFO slot.
    fn schedule(&self, task: Notified, yielded: bool);

    /// Removes the task from the owned-tasks registry, returning the registry's reference.
    fn release(&self, task: &Task) -> Option<Task>;

    /// The poll that just returned `Pending` deferred a self-wake (the task is demoted): the
    /// scheduler must wake `task` (with [`WakeSource::Backoff`]) after the backoff.
    fn defer(&self, task: Task);
}

/// The registry's reference to a task: lets shutdown cancel it and reports read it.
pub(crate) struct Task {
    raw: RawTask,
}

/// A queue's reference to a task: "this task must be polled". At most one exists per task.
pub(crate) struct Notified(Task);

// SAFETY: a task may be polled, woken and dropped from any thread: the future and output are
// `Send` (required by `spawn`), and the header is all atomics or immutable after creation.
unsafe impl Send for Task {}
// SAFETY: as above; shared access only reads the header through atomics.
unsafe impl Sync for Task {}

impl Task {
    /// # Safety
    /// `ptr` must point to a live task header and the caller must own one reference to it.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> Task {
        Task {
            raw: RawTask::from_raw(ptr),
        }
    }

    pub(crate) fn header(&self) -> &Header {
        self.raw.header()
    }

    pub(crate) fn id(&self) -> TaskId {
        self.header().id
    }

    /// Runtime shutdown: cancels the task (dropping its future) unless a thread is polling it,
    /// in which case that thread cancels it when the poll ends. Consumes this reference.
    pub(crate) fn shutdown(self) {
        let raw = self.raw;
        std::mem::forget(self);
        raw.shutdown();
    }

    /// A new reference to the same task.
    pub(crate) fn clone_ref(&self) -> Task {
        self.header().state.ref_inc();
        Task { raw: self.raw }
    }

    /// Wakes the task with the given source, consuming this reference.
    pub(crate) fn wake_by_val(self, source: WakeSource) {
        let raw = self.raw;
        std::mem::forget(self);
        raw.wake_by_val(source);
    }

    /// Like `wake_by_val`, but hands the `Notified` to the caller instead of the task's own
    /// scheduler (the demotion path sends it to the global queue, never the LIFO slot).
    pub(crate) fn into_notified(self, source: WakeSource) -> Option<Notified> {
        use state::TransitionToNotifiedByVal::*;
        match self.header().state.transition_to_notified_by_val(source) {
            Submit => Some(Notified(self)),
            DoNothing => {
                std::mem::forget(self);
                None
            }
            Dealloc => {
                let raw = self.raw;
                std::mem::forget(self);
                raw.dealloc();
                None
            }
        }
    }
}

impl Notified {
    /// Polls the task. Consumes the reference.
    pub(crate) fn run(self) {
        let raw = self.0.raw;
        std::mem::forget(self);
        raw.poll();
    }

    #[cfg(all(test, loom))]
    pub(crate) fn id(&self) -> TaskId {
        self.0.id()
    }

    #[cfg(all(test, loom))]
    pub(crate) fn header(&self) -> &Header {
        self.0.header()
    }

    /// Shuts the task down instead of polling it (a queue being drained at shutdown).
    pub(crate) fn shutdown(self) {
        let task = self.into_task();
        task.shutdown();
    }

    fn into_task(self) -> Task {
        // SAFETY: `Notified` is a `repr(Rust)` newtype over `Task`; moving the field out of a
        // `ManuallyDrop` transfers the one reference without running `Notified`'s drop.
        let me = std::mem::ManuallyDrop::new(self);
        // SAFETY: `me` is never used again, so reading the field out moves the reference once.
        unsafe { std::ptr::read(&me.0) }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        if self.header().state.ref_dec() {
            self.raw.dealloc();
        }
    }
}

impl fmt::Debug for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("id", &self.id())
            .field("state", &self.header().state)
            .finish()
    }
}

impl fmt::Debug for Notified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Notified").field(&self.0).finish()
    }
}

/// Allocates a task. Returns the registry's reference, the first `Notified`, and the
/// `JoinHandle` (the initial state counts exactly these three references).
pub(crate) fn new_task<F, S>(
    future: F,
    scheduler: S,
    id: TaskId,
    meta: TaskMeta,
) -> (Task, Notified, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    let raw = RawTask::new::<F, S>(future, scheduler, id, meta);
    let task = Task { raw };
    let notified = Notified(Task { raw });
    let join = JoinHandle::new(raw);
    (task, notified, join)
}
