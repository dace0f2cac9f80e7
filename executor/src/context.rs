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
use crate::instrument::RuntimeInstrument;
use crate::loom::thread_local;
use crate::runtime::Handle;
use crate::scheduler::worker::WorkerContext;
use crate::task::{Header, WakeSource};
use std::cell::{Cell, RefCell};

/// The poll in progress on this thread.
#[derive(Debug)]
pub(crate) struct PollCx {
    pub(crate) task: Cell<*const Header>,
    pub(crate) progress: Cell<bool>,
    /// The poll was triggered only by internal wakes (or is the first): its wakes of other
    /// tasks are chain wakes unless it makes progress first.
    pub(crate) chain_eligible: Cell<bool>,
    pub(crate) self_woke: Cell<bool>,
    pub(crate) deferred: Cell<bool>,
    /// This thread belongs to a runtime (a worker or a blocking-pool thread).
    pub(crate) on_runtime_thread: Cell<bool>,
    /// Cooperative budget left in this poll (see `driver::poll_budget`).
    pub(crate) budget: Cell<u8>,
    /// Set while `poll_budget` wakes the task: that self-wake is a budget yield.
    pub(crate) budget_yield: Cell<bool>,
}

/// Operations a task may complete in one poll before I/O resources make it yield.
pub(crate) const BUDGET: u8 = 128;

struct Context {
    poll: PollCx,
    wake_source: Cell<Option<WakeSource>>,
    handle: RefCell<Option<Handle>>,
    driving: Cell<bool>,
    worker: Cell<*const WorkerContext>,
}

thread_local! {
    // Not `const`: loom's `thread_local!` takes no const initializers, and the lazy-init
    // check is one predictable branch.
    #[allow(clippy::missing_const_for_thread_local, reason = "see above")]
    static CONTEXT: Context = Context {
        poll: PollCx {
            task: Cell::new(std::ptr::null()),
            progress: Cell::new(false),
            chain_eligible: Cell::new(false),
            self_woke: Cell::new(false),
            deferred: Cell::new(false),
            on_runtime_thread: Cell::new(false),
            budget: Cell::new(BUDGET),
            budget_yield: Cell::new(false),
        },
        wake_source: Cell::new(None),
        handle: RefCell::new(None),
        driving: Cell::new(false),
        worker: Cell::new(std::ptr::null()),
    };
}

/// Runs `f` with this thread's poll context (`None` while thread-locals are being torn down).
pub(crate) fn with_poll<R>(f: impl FnOnce(Option<&PollCx>) -> R) -> R {
    let mut f = Some(f);
    match CONTEXT.try_with(|c| (f.take().expect("called once"))(Some(&c.poll))) {
        Ok(r) => r,
        Err(_) => (f.take().expect("not called yet"))(None),
    }
}

pub(crate) fn enter_poll(task: &Header, chain_eligible: bool) {
    let _ = CONTEXT.try_with(|c| {
        let p = &c.poll;
        p.task.set(task);
        p.progress.set(false);
        p.chain_eligible.set(chain_eligible);
        p.self_woke.set(false);
        p.deferred.set(false);
        p.budget.set(BUDGET);
    });
}

/// Ends the poll; returns (progress hinted, self-woke, self-wake deferred).
pub(crate) fn leave_poll() -> (bool, bool, bool) {
    CONTEXT
        .try_with(|c| {
            let p = &c.poll;
            p.task.set(std::ptr::null());
            (p.progress.get(), p.self_woke.get(), p.deferred.get())
        })
        .unwrap_or((false, false, false))
}

pub(crate) fn wake_source_override() -> Option<WakeSource> {
    CONTEXT.try_with(|c| c.wake_source.get()).ok().flatten()
}

/// Runs `f` with wakes on this thread attributed to `source` (for the reactor and timers).
pub(crate) fn with_wake_source<R>(source: WakeSource, f: impl FnOnce() -> R) -> R {
    struct Reset(Option<WakeSource>);
    impl Drop for Reset {
        fn drop(&mut self) {
            let prev = self.0;
            let _ = CONTEXT.try_with(|c| c.wake_source.set(prev));
        }
    }
    let prev = CONTEXT
        .try_with(|c| c.wake_source.replace(Some(source)))
        .ok()
        .flatten();
    let _reset = Reset(prev);
    f()
}

/// The runtime instrument and worker index of the worker on this thread.
pub(crate) fn current_instrument() -> Option<(*const RuntimeInstrument, usize)> {
    with_worker(|w| w.map(|w| (w.instrument() as *const RuntimeInstrument, w.index)))
}

pub(crate) fn with_worker<R>(f: impl FnOnce(Option<&WorkerContext>) -> R) -> R {
    let ptr = CONTEXT
        .try_with(|c| c.worker.get())
        .unwrap_or(std::ptr::null());
    // SAFETY: the pointer is set by `enter_worker` to a context on the worker thread's stack
    // and cleared before that frame returns; only this thread reads it.
    f(unsafe { ptr.as_ref() })
}

/// Marks this thread as the worker `cx` until the guard drops.
pub(crate) fn enter_worker(cx: &WorkerContext, handle: Handle) -> WorkerGuard {
    CONTEXT.with(|c| {
        c.worker.set(cx);
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
        let _ = CONTEXT.try_with(|c| c.worker.set(std::ptr::null()));
    }
}

/// Marks this thread as a blocking-pool thread of a runtime.
pub(crate) fn enter_blocking_thread(handle: Handle) -> EnterGuard {
    let _ = CONTEXT.try_with(|c| c.poll.on_runtime_thread.set(true));
    enter_runtime(handle, false)
}

/// Sets the current runtime. With `driving`, panics if this thread already drives one.
#[track_caller]
pub(crate) fn enter_runtime(handle: Handle, driving: bool) -> EnterGuard {
    CONTEXT.with(|c| {
        if driving && c.driving.get() {
            panic!(
                "Cannot start a runtime from within a runtime. This happens because a function \
                 (like `block_on`) attempted to block the current thread while the thread is \
                 being used to drive asynchronous tasks."
            );
        }
        let prev_driving = c.driving.replace(c.driving.get() || driving);
        let prev = c.handle.borrow_mut().replace(handle);
        EnterGuard {
            prev,
            prev_driving,
            _not_send: std::marker::PhantomData,
        }
    })
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
        let _ = CONTEXT.try_with(|c| {
            *c.handle.borrow_mut() = prev;
            c.driving.set(prev_driving);
        });
    }
}

/// The runtime of this thread's context.
pub(crate) fn current_handle() -> Option<Handle> {
    CONTEXT
        .try_with(|c| c.handle.borrow().clone())
        .ok()
        .flatten()
}
