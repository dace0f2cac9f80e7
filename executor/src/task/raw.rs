//! The type-erased task pointer and the per-`<F, S>` vtable behind it.
use super::core::{Cell, Header, TaskMeta};
use super::harness::Harness;
use super::{Schedule, TaskId, WakeSource};
use std::future::Future;
use std::ptr::NonNull;
use std::task::Waker;

/// Operations that need the concrete future and scheduler types.
pub(crate) struct Vtable {
    pub(crate) poll: unsafe fn(NonNull<Header>),
    pub(crate) schedule: unsafe fn(NonNull<Header>, bool),
    pub(crate) dealloc: unsafe fn(NonNull<Header>),
    pub(crate) try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    pub(crate) drop_join_handle_slow: unsafe fn(NonNull<Header>),
    pub(crate) shutdown: unsafe fn(NonNull<Header>),
    pub(crate) defer: unsafe fn(NonNull<Header>),
}

pub(crate) fn vtable<F: Future, S: Schedule>() -> &'static Vtable {
    &Vtable {
        poll: poll::<F, S>,
        schedule: schedule::<F, S>,
        dealloc: dealloc::<F, S>,
        try_read_output: try_read_output::<F, S>,
        drop_join_handle_slow: drop_join_handle_slow::<F, S>,
        shutdown: shutdown::<F, S>,
        defer: defer::<F, S>,
    }
}

/// A copyable, non-owning pointer to a task. Whoever copies it decides which reference it
/// stands for; the wrappers (`Task`, `Notified`, `JoinHandle`, `Waker`) own one each.
#[derive(Clone, Copy)]
pub(crate) struct RawTask {
    ptr: NonNull<Header>,
}

impl RawTask {
    pub(crate) fn new<F, S>(future: F, scheduler: S, id: TaskId, meta: TaskMeta) -> RawTask
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
        S: Schedule,
    {
        let cell = Cell::<F, S>::new(future, scheduler, id, meta);
        // `Cell` is `repr(C)` with `Header` first, so the cell pointer is a header pointer.
        // SAFETY: `Box::into_raw` never returns null.
        let ptr = unsafe { NonNull::new_unchecked(Box::into_raw(cell).cast::<Header>()) };
        RawTask { ptr }
    }

    pub(crate) fn from_raw(ptr: NonNull<Header>) -> RawTask {
        RawTask { ptr }
    }

    pub(crate) fn header(&self) -> &Header {
        // A `RawTask` is only used while its owner holds a reference.
        // SAFETY: that reference keeps the allocation alive.
        unsafe { self.ptr.as_ref() }
    }

    pub(crate) fn poll(self) {
        // SAFETY: the caller passes ownership of a `Notified` reference; the vtable matches the cell.
        unsafe { (self.header().vtable.poll)(self.ptr) }
    }

    pub(crate) fn dealloc(self) {
        // SAFETY: called once, by whoever dropped the last reference.
        unsafe { (self.header().vtable.dealloc)(self.ptr) }
    }

    /// # Safety
    /// `dst` must point to a `Poll<Result<F::Output, JoinError>>` of this task's output type.
    pub(crate) unsafe fn try_read_output(self, dst: *mut (), waker: &Waker) {
        // SAFETY: forwarded from the caller.
        unsafe { (self.header().vtable.try_read_output)(self.ptr, dst, waker) }
    }

    pub(crate) fn drop_join_handle_slow(self) {
        // SAFETY: called once by the `JoinHandle` being dropped, which owns a reference.
        unsafe { (self.header().vtable.drop_join_handle_slow)(self.ptr) }
    }

    pub(crate) fn shutdown(self) {
        // SAFETY: the caller passes ownership of one reference.
        unsafe { (self.header().vtable.shutdown)(self.ptr) }
    }

    /// Schedules a `Notified` reference the caller owns.
    pub(crate) fn schedule(self, yielded: bool) {
        // SAFETY: the caller passes ownership of a `Notified` reference.
        unsafe { (self.header().vtable.schedule)(self.ptr, yielded) }
    }

    /// Hands one reference the caller owns to the scheduler's demotion path: the task is
    /// woken with `WakeSource::Backoff` after its backoff.
    pub(crate) fn defer(self) {
        // SAFETY: the caller passes ownership of one reference; the vtable matches.
        unsafe { (self.header().vtable.defer)(self.ptr) }
    }

    /// Wakes the task, consuming the caller's reference.
    pub(crate) fn wake_by_val(self, source: WakeSource) {
        use super::state::TransitionToNotifiedByVal::*;
        match self.header().state.transition_to_notified_by_val(source) {
            Submit => self.schedule(false),
            DoNothing => {}
            Dealloc => self.dealloc(),
        }
    }

    /// Wakes the task without consuming a reference.
    pub(crate) fn wake_by_ref(self, source: WakeSource) {
        use super::state::TransitionToNotifiedByRef::*;
        match self.header().state.transition_to_notified_by_ref(source) {
            Submit => self.schedule(false),
            DoNothing => {}
        }
    }
}

unsafe fn poll<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the vtable was built for exactly this `Cell<F, S>`.
    unsafe { Harness::<F, S>::from_raw(ptr) }.poll();
}

unsafe fn schedule<F: Future, S: Schedule>(ptr: NonNull<Header>, yielded: bool) {
    // SAFETY: the vtable matches; the caller passed ownership of a `Notified` reference.
    let notified = super::Notified(unsafe { super::Task::from_raw(ptr) });
    // SAFETY: the vtable matches, and the reference just taken keeps the cell alive.
    unsafe { Harness::<F, S>::from_raw(ptr) }
        .scheduler()
        .schedule(notified, yielded);
}

unsafe fn defer<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the vtable matches; the caller passed ownership of one reference.
    let task = unsafe { super::Task::from_raw(ptr) };
    // SAFETY: the vtable matches, and `task` keeps the cell alive.
    unsafe { Harness::<F, S>::from_raw(ptr) }
        .scheduler()
        .defer(task);
}

unsafe fn dealloc<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the vtable matches, and the caller dropped the last reference.
    unsafe { Harness::<F, S>::from_raw(ptr) }.dealloc();
}

unsafe fn try_read_output<F: Future, S: Schedule>(
    ptr: NonNull<Header>,
    dst: *mut (),
    waker: &Waker,
) {
    let dst = dst.cast::<std::task::Poll<Result<F::Output, super::JoinError>>>();
    // SAFETY: the vtable matches, and the caller guarantees `dst` has the output's type.
    unsafe { Harness::<F, S>::from_raw(ptr).try_read_output(&mut *dst, waker) };
}

unsafe fn drop_join_handle_slow<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the vtable matches.
    unsafe { Harness::<F, S>::from_raw(ptr) }.drop_join_handle_slow();
}

unsafe fn shutdown<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the vtable matches.
    unsafe { Harness::<F, S>::from_raw(ptr) }.shutdown();
}
