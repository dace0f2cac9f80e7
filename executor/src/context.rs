//! Per-thread runtime context.
//!
//! - which runtime `spawn` uses on this thread (set on workers, in `block_on`, in
//!   `Handle::enter` and on blocking-pool threads);
//! - whether this thread is driving a runtime (a worker or a `block_on`): nested `block_on`
//!   is refused, since it would block a thread that other tasks depend on;
//! - the worker running on this thread, if any (local scheduling, instrumentation);
//! - the poll in progress, if any: which task, and what happened during it (self-wake,
//!   progress). Self-wake detection compares the woken task with this, so a wake racing in
//!   from another thread is never mistaken for a self-wake;
//! - a wake-source override for the reactor and timer wheel.
use crate::instrument::{RuntimeInstrument, WorkerStats};
use crate::runtime::Handle;
use crate::scheduler::worker::WorkerContext;
use crate::task::{Header, WakeSource};
use std::cell::{Cell, RefCell};
use std::time::Instant;

/// The poll in progress on this thread.
#[derive(Debug)]
pub(crate) struct PollCx {
    pub(crate) task: Cell<*const Header>,
    /// What the poll has shown so far: bits of [`evidence`], set when it begins, replaced by
    /// `PROGRESS` alone when the code reports progress. One byte, read once when it ends.
    pub(crate) evidence: Cell<u8>,
    pub(crate) self_woke: Cell<bool>,
    pub(crate) deferred: Cell<bool>,
    /// This thread belongs to a runtime (a worker or a blocking-pool thread).
    pub(crate) on_runtime_thread: Cell<bool>,
    /// Cooperative budget left in this poll (see `driver::poll_budget`).
    pub(crate) budget: Cell<u8>,
    /// Set while `poll_budget` wakes the task: that self-wake is a budget yield.
    pub(crate) budget_yield: Cell<bool>,
    /// When a timed poll (a sampled one, or one of a flagged task) began.
    pub(crate) timed_since: Cell<Option<Instant>>,
}

/// Bits of `PollCx::evidence`.
pub(crate) mod evidence {
    /// Every wake that led to the poll was internal, or it is the task's first poll, and it
    /// has made no progress yet: its wakes of other tasks are chain wakes.
    pub(crate) const CHAIN_ELIGIBLE: u8 = 1 << 0;
    /// Every wake that led to the poll was internal (not the first poll), and it has made no
    /// progress yet: if it returns `Pending` without work by the clock, it was futile.
    pub(crate) const FUTILE_SO_FAR: u8 = 1 << 1;
    /// The code reported progress (see `task::progress`): clears the other two.
    pub(crate) const PROGRESS: u8 = 1 << 2;
}

impl PollCx {
    /// The code made progress (bytes moved, a budget spent, a hint).
    pub(crate) fn mark_progress(&self) {
        self.evidence.set(evidence::PROGRESS);
    }

    pub(crate) fn chain_eligible(&self) -> bool {
        self.evidence.get() & evidence::CHAIN_ELIGIBLE != 0
    }
}

/// What a poll left in the context, read once when it ends.
pub(crate) struct PollEnd {
    /// `PollCx::evidence` as the poll left it.
    pub(crate) evidence: u8,
    pub(crate) self_woke: bool,
    pub(crate) deferred: bool,
    /// The worker's instrument and statistics, if accounting is on (as from `enter_poll`).
    pub(crate) accounting: Option<(*const RuntimeInstrument, *const WorkerStats)>,
}

/// Operations a task may complete in one poll before I/O resources make it yield.
pub(crate) const BUDGET: u8 = 128;

/// The hot half: read on every poll and wake. No destructor, so the thread-local is a
/// `const` with no lazy-initialisation check on access.
struct Hot {
    poll: PollCx,
    wake_source: Cell<Option<WakeSource>>,
    driving: Cell<bool>,
    worker: Cell<*const WorkerContext>,
    /// The worker's instrument and its own statistics, when spin accounting is on; null
    /// otherwise. Set and cleared with `worker`, so the poll path reaches both in one access.
    accounting: Cell<(*const RuntimeInstrument, *const WorkerStats)>,
}

impl Hot {
    const fn new() -> Hot {
        Hot {
            poll: PollCx {
                task: Cell::new(std::ptr::null()),
                evidence: Cell::new(0),
                self_woke: Cell::new(false),
                deferred: Cell::new(false),
                on_runtime_thread: Cell::new(false),
                budget: Cell::new(BUDGET),
                budget_yield: Cell::new(false),
                timed_since: Cell::new(None),
            },
            wake_source: Cell::new(None),
            driving: Cell::new(false),
            worker: Cell::new(std::ptr::null()),
            accounting: Cell::new((std::ptr::null(), std::ptr::null())),
        }
    }

    /// The worker's instrument and statistics, if accounting is on (both null otherwise).
    #[inline]
    fn accounting(&self) -> Option<(*const RuntimeInstrument, *const WorkerStats)> {
        let acct = self.accounting.get();
        (!acct.0.is_null()).then_some(acct)
    }
}

#[cfg(not(all(test, loom)))]
std::thread_local! {
    static CONTEXT: Hot = const { Hot::new() };
}

// loom's `thread_local!` takes no const initializers (and must be used so each loom thread
// gets its own copy).
#[cfg(all(test, loom))]
loom::thread_local! {
    static CONTEXT: Hot = Hot::new();
}

crate::loom::thread_local! {
    /// The cold half: the runtime `spawn` uses on this thread (it owns a reference, so it
    /// has a destructor and lives apart from the hot fields).
    #[allow(clippy::missing_const_for_thread_local, reason = "loom's thread_local! takes no const initializers")]
    static HANDLE: RefCell<Option<Handle>> = RefCell::new(None);
}

/// Runs `f` with this thread's poll context.
#[inline]
pub(crate) fn with_poll<R>(f: impl FnOnce(Option<&PollCx>) -> R) -> R {
    CONTEXT.with(|c| f(Some(&c.poll)))
}

/// Starts a poll of `task` on this thread, with what its wake sources say (`evidence`):
/// publishes it as the current poll and returns
/// the worker's instrument and statistics if accounting is on (one thread-local access).
/// Both pointers are valid until the worker guard of this thread drops, which outlives
/// every poll the worker runs.
#[inline]
pub(crate) fn enter_poll(
    task: &Header,
    evidence: u8,
) -> Option<(*const RuntimeInstrument, *const WorkerStats)> {
    CONTEXT.with(|c| {
        let p = &c.poll;
        p.task.set(task);
        p.evidence.set(evidence);
        p.self_woke.set(false);
        p.deferred.set(false);
        p.budget.set(BUDGET);
        c.accounting()
    })
}

/// Times the poll in progress on this thread: its end takes the time back with
/// `take_poll_timer` (the caller makes sure it looks).
#[cold]
pub(crate) fn time_poll() {
    CONTEXT.with(|c| c.poll.timed_since.set(Some(Instant::now())));
}

/// When the poll that just ended began, if it was timed (see `time_poll`).
pub(crate) fn take_poll_timer() -> Option<Instant> {
    CONTEXT.with(|c| c.poll.timed_since.take())
}

/// The worker's instrument and statistics if accounting is on (as from `enter_poll`).
pub(crate) fn accounting() -> Option<(*const RuntimeInstrument, *const WorkerStats)> {
    CONTEXT.with(|c| c.accounting())
}

/// Ends the poll in progress on this thread.
#[inline]
pub(crate) fn leave_poll() -> PollEnd {
    CONTEXT.with(|c| {
        let p = &c.poll;
        p.task.set(std::ptr::null());
        PollEnd {
            evidence: p.evidence.get(),
            self_woke: p.self_woke.get(),
            deferred: p.deferred.get(),
            accounting: c.accounting(),
        }
    })
}

pub(crate) fn wake_source_override() -> Option<WakeSource> {
    CONTEXT.with(|c| c.wake_source.get())
}

/// Runs `f` with wakes on this thread attributed to `source` (for the reactor and timers).
pub(crate) fn with_wake_source<R>(source: WakeSource, f: impl FnOnce() -> R) -> R {
    struct Reset(Option<WakeSource>);
    impl Drop for Reset {
        fn drop(&mut self) {
            let prev = self.0;
            CONTEXT.with(|c| c.wake_source.set(prev));
        }
    }
    let prev = CONTEXT.with(|c| c.wake_source.replace(Some(source)));
    let _reset = Reset(prev);
    f()
}

#[inline]
pub(crate) fn with_worker<R>(f: impl FnOnce(Option<&WorkerContext>) -> R) -> R {
    let ptr = CONTEXT.with(|c| c.worker.get());
    // The pointer is set by `enter_worker` to a context on the worker thread's stack and
    // cleared before that frame returns; only this thread reads it.
    // SAFETY: non-null only while that context is alive on this very thread.
    f(unsafe { ptr.as_ref() })
}

/// Marks this thread as the worker `cx` until the guard drops.
pub(crate) fn enter_worker(cx: &WorkerContext, handle: Handle) -> WorkerGuard {
    let inst = cx.instrument();
    let accounting = if inst.config.enabled {
        let worker = &inst.workers[cx.index];
        // Its first poll begins now, as far as the stall watchdog can tell.
        worker.tick.set(inst.clock.now_ms());
        (
            inst as *const RuntimeInstrument,
            worker as *const WorkerStats,
        )
    } else {
        (std::ptr::null(), std::ptr::null())
    };
    CONTEXT.with(|c| {
        c.worker.set(cx);
        c.accounting.set(accounting);
        c.poll.on_runtime_thread.set(true);
    });
    WorkerGuard {
        _enter: enter_runtime(handle, true),
    }
}

pub(crate) struct WorkerGuard {
    _enter: EnterGuard,
}

impl Drop for WorkerGuard {
    fn drop(&mut self) {
        CONTEXT.with(|c| {
            c.worker.set(std::ptr::null());
            c.accounting.set((std::ptr::null(), std::ptr::null()));
        });
    }
}

/// Marks this thread as a blocking-pool thread of a runtime.
pub(crate) fn enter_blocking_thread(handle: Handle) -> EnterGuard {
    CONTEXT.with(|c| c.poll.on_runtime_thread.set(true));
    enter_runtime(handle, false)
}

/// Sets the current runtime. With `driving`, panics if this thread already drives one.
#[track_caller]
pub(crate) fn enter_runtime(handle: Handle, driving: bool) -> EnterGuard {
    let prev_driving = CONTEXT.with(|c| {
        if driving && c.driving.get() {
            panic!(
                "Cannot start a runtime from within a runtime. This happens because a function \
                 (like `block_on`) attempted to block the current thread while the thread is \
                 being used to drive asynchronous tasks."
            );
        }
        c.driving.replace(c.driving.get() || driving)
    });
    let prev = HANDLE.with(|h| h.borrow_mut().replace(handle));
    EnterGuard {
        prev,
        prev_driving,
        _not_send: std::marker::PhantomData,
    }
}

/// Restores the previous runtime context when dropped.
#[derive(Debug)]
pub struct EnterGuard {
    prev: Option<Handle>,
    prev_driving: bool,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        let prev_driving = self.prev_driving;
        CONTEXT.with(|c| c.driving.set(prev_driving));
        // During thread teardown the handle cell may be gone already; then there is nothing
        // to restore.
        let _ = HANDLE.try_with(|h| *h.borrow_mut() = prev);
    }
}

/// The runtime of this thread's context.
pub(crate) fn current_handle() -> Option<Handle> {
    HANDLE.try_with(|h| h.borrow().clone()).ok().flatten()
}
