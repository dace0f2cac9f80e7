//! The typed operations on a task: poll, complete, cancel, read the output, drop the handle.
//!
//! Every function here follows the rules in `task/mod.rs`; each `unsafe` names the rule.
use super::core::{Cell, Header};
use super::state::{TransitionToIdle, TransitionToRunning};
use super::{JoinError, Notified, Schedule, Task, WakeSource};
use crate::instrument::poll::{PollGuard, PollOutcome};
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

/// How a poll of the future ended.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Polled {
    Pending,
    Ready,
    Panicked,
}

pub(crate) struct Harness<F: Future, S: 'static> {
    cell: NonNull<Cell<F, S>>,
}

impl<F: Future, S: Schedule> Harness<F, S> {
    /// # Safety
    /// `ptr` must be the header of a live `Cell<F, S>`.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> Self {
        Harness { cell: ptr.cast() }
    }

    fn cell(&self) -> &Cell<F, S> {
        // SAFETY: `from_raw`'s contract: the cell is alive while the harness is used.
        unsafe { self.cell.as_ref() }
    }

    fn header(&self) -> &Header {
        &self.cell().header
    }

    fn header_ptr(&self) -> NonNull<Header> {
        self.cell.cast()
    }

    pub(crate) fn scheduler(&self) -> &S {
        &self.cell().core.scheduler
    }

    /// Polls the task once, consuming the `Notified` reference the caller owned.
    pub(crate) fn poll(self) {
        match self.header().state.transition_to_running() {
            TransitionToRunning::Success(sources) => self.poll_running(sources),
            TransitionToRunning::Cancelled => {
                self.cancel_future();
                self.complete();
            }
            TransitionToRunning::Failed => {}
            TransitionToRunning::Dealloc => self.dealloc(),
        }
    }

    fn poll_running(self, sources: super::state::WakeSources) {
        let header_ptr = self.header_ptr();
        let guard = PollGuard::begin(self.header(), sources);
        let waker = super::waker::waker_ref(&header_ptr);
        let mut cx = Context::from_waker(&waker);
        let polled = self.poll_future(&mut cx);
        if polled != Polled::Pending {
            guard.end_ready(polled == Polled::Ready);
            self.complete();
            return;
        }
        let outcome = guard.end_pending();
        match self.header().state.transition_to_idle() {
            TransitionToIdle::Ok => match outcome {
                PollOutcome::Deferred => {
                    // The task's only wake was its own and it is demoted: re-poll after the
                    // backoff. The new reference is the one the backoff wake will consume.
                    let task = self.task_ref();
                    self.scheduler().defer(task);
                }
                PollOutcome::Redeliver => self.task_ref().wake_by_val(WakeSource::SelfWake),
                PollOutcome::Normal | PollOutcome::SelfWoken => {}
            },
            TransitionToIdle::OkNotified => {
                // SAFETY: `transition_to_idle` created the reference this `Notified` owns.
                let notified = Notified(unsafe { Task::from_raw(header_ptr) });
                self.scheduler()
                    .schedule(notified, outcome != PollOutcome::Normal);
                // Drop the poll's own reference only now, so the scheduler could not have
                // deallocated the task under us.
                self.drop_reference();
            }
            TransitionToIdle::OkDealloc => self.dealloc(),
            TransitionToIdle::Cancelled => {
                self.cancel_future();
                self.complete();
            }
        }
    }

    /// Polls the future, catching panics; stores the output (or the panic) when done.
    fn poll_future(&self, cx: &mut Context<'_>) -> Polled {
        let core = &self.cell().core;
        let res = panic::catch_unwind(AssertUnwindSafe(|| {
            struct DropOnPanic<'a, F: Future, S>(&'a super::core::Core<F, S>);
            impl<F: Future, S> Drop for DropOnPanic<'_, F, S> {
                fn drop(&mut self) {
                    // SAFETY: rule 1, we hold RUNNING; the future panicked and must go.
                    unsafe { self.0.drop_future_or_output() };
                }
            }
            let guard = DropOnPanic(core);
            // SAFETY: rule 1, we hold RUNNING.
            let res = unsafe { core.poll(cx) };
            std::mem::forget(guard);
            res
        }));
        let (output, polled) = match res {
            Ok(Poll::Pending) => return Polled::Pending,
            Ok(Poll::Ready(out)) => (Ok(out), Polled::Ready),
            Err(payload) => (
                Err(JoinError::panic(self.header().id, payload)),
                Polled::Panicked,
            ),
        };
        // The stage is `Consumed`, so nothing user-defined is dropped by storing.
        // SAFETY: rule 1, we hold RUNNING, so the stage is ours.
        unsafe { core.store_output(output) };
        polled
    }

    /// Drops the future (catching a panicking `Drop`) and stores the cancellation error.
    fn cancel_future(&self) {
        let core = &self.cell().core;
        let id = self.header().id;
        // SAFETY: rule 1 or 8: the caller holds RUNNING.
        let res = panic::catch_unwind(AssertUnwindSafe(|| unsafe { core.drop_future_or_output() }));
        let err = match res {
            Ok(()) => JoinError::cancelled(id),
            Err(payload) => JoinError::panic(id, payload),
        };
        // SAFETY: rule 1, still RUNNING.
        unsafe { core.store_output(Err(err)) };
    }

    /// RUNNING -> COMPLETE, then hand the output to the `JoinHandle` (or drop it), release
    /// from the registry and drop the references.
    fn complete(self) {
        // Before COMPLETE becomes visible: whoever awaits the JoinHandle must see the task's
        // final accounting state. We still hold RUNNING, so we are the stats' only writer.
        crate::instrument::poll::task_finished(self.header());
        let snapshot = self.header().state.transition_to_complete();
        let _ = panic::catch_unwind(AssertUnwindSafe(|| {
            if !snapshot.is_join_interested() {
                // Rule 1: no JoinHandle will ever read the output, so we drop it.
                // SAFETY: COMPLETE without JOIN_INTEREST gives the completing thread the stage.
                unsafe { self.cell().core.drop_future_or_output() };
            } else if snapshot.is_join_waker_set() {
                // SAFETY: rule 4, JOIN_WAKER is set and we completed.
                unsafe { self.cell().trailer.wake_join() };
                let after = self.header().state.unset_waker_after_complete();
                if !after.is_join_interested() {
                    // SAFETY: rule 4, the handle is gone and left the waker to us.
                    unsafe { self.cell().trailer.set_waker(None) };
                }
            }
        }));
        let task = self.task_ref_no_inc();
        let released = self.scheduler().release(&task);
        std::mem::forget(task);
        let count = if released.is_some() { 2 } else { 1 };
        std::mem::forget(released);
        if self.header().state.transition_to_terminal(count) {
            self.dealloc();
        }
    }

    pub(crate) fn shutdown(self) {
        if !self.header().state.transition_to_shutdown() {
            // Running or complete: whoever runs it will cancel it. Drop our reference.
            self.drop_reference();
            return;
        }
        self.cancel_future();
        self.complete();
    }

    pub(crate) fn dealloc(self) {
        // SAFETY: the last reference is gone; the cell came from `Box::into_raw`.
        drop(unsafe { Box::from_raw(self.cell.as_ptr()) });
    }

    fn drop_reference(self) {
        if self.header().state.ref_dec() {
            self.dealloc();
        }
    }

    /// A new counted reference to this task.
    fn task_ref(&self) -> Task {
        self.header().state.ref_inc();
        // SAFETY: we just counted the reference this `Task` owns.
        unsafe { Task::from_raw(self.header_ptr()) }
    }

    /// A `Task` that borrows the caller's reference; the caller must `forget` it.
    fn task_ref_no_inc(&self) -> Task {
        // SAFETY: the caller forgets it, so the reference count is untouched.
        unsafe { Task::from_raw(self.header_ptr()) }
    }

    pub(crate) fn try_read_output(
        self,
        dst: &mut Poll<Result<F::Output, JoinError>>,
        waker: &Waker,
    ) {
        if can_read_output(self.header(), &self.cell().trailer, waker) {
            // SAFETY: rule 1, COMPLETE is set and we are the JoinHandle with JOIN_INTEREST.
            *dst = Poll::Ready(unsafe { self.cell().core.take_output() });
        }
    }

    pub(crate) fn drop_join_handle_slow(self) {
        let t = self.header().state.transition_to_join_handle_dropped();
        if t.drop_output {
            // SAFETY: rule 6, COMPLETE was set so the output is the handle's to drop.
            let _ = panic::catch_unwind(AssertUnwindSafe(|| unsafe {
                self.cell().core.drop_future_or_output()
            }));
        }
        if t.drop_waker {
            // SAFETY: rule 6, JOIN_WAKER ended unset so the slot is the handle's.
            unsafe { self.cell().trailer.set_waker(None) };
        }
        self.drop_reference();
    }
}

/// Rule 5: store the waker if the task is not complete; true if the output can be read.
fn can_read_output(header: &Header, trailer: &super::core::Trailer, waker: &Waker) -> bool {
    let snapshot = header.state.load();
    debug_assert!(snapshot.is_join_interested());
    if snapshot.is_complete() {
        return true;
    }
    let res = if snapshot.is_join_waker_set() {
        // SAFETY: rule 3, JOIN_WAKER is set so the slot is readable by the handle.
        if unsafe { trailer.will_wake(waker) } {
            return false;
        }
        header
            .state
            .unset_waker()
            .and_then(|_| set_join_waker(header, trailer, waker.clone()))
    } else {
        set_join_waker(header, trailer, waker.clone())
    };
    match res {
        Ok(_) => false,
        Err(snapshot) => {
            debug_assert!(snapshot.is_complete());
            true
        }
    }
}

fn set_join_waker(
    header: &Header,
    trailer: &super::core::Trailer,
    waker: Waker,
) -> Result<super::state::Snapshot, super::state::Snapshot> {
    // SAFETY: rule 2, JOIN_WAKER is unset (never set, or unset by us in step (i)).
    unsafe { trailer.set_waker(Some(waker)) };
    let res = header.state.set_join_waker();
    if res.is_err() {
        // SAFETY: rule 5 (iii) failed because the task completed; the slot is still ours.
        unsafe { trailer.set_waker(None) };
    }
    res
}
