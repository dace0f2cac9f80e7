//! Task wakers: one static `RawWakerVTable` for every task, so `will_wake` compares equal
//! for all clones of one task's waker. The data pointer is the task header; each `Waker`
//! owns one reference.
//!
//! Waking classifies its source (see [`WakeSource`]) from the waking thread's context and
//! records it in the state word with the same read-modify-write that notifies the task. A
//! self-wake of a demoted task is not recorded at all: it is deferred to the demotion path
//! (see `instrument::poll`), which re-polls the task after its backoff.
use super::core::Header;
use super::raw::RawTask;
use super::WakeSource;
use crate::instrument::poll::{classify_wake, WakeAction};
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake_by_val, wake_by_ref, drop_waker);

/// A waker borrowed from a reference the caller already holds (the poll's): no refcount
/// traffic on the poll path.
pub(crate) struct WakerRef<'a> {
    waker: ManuallyDrop<Waker>,
    _p: std::marker::PhantomData<&'a Header>,
}

pub(crate) fn waker_ref(header: &NonNull<Header>) -> WakerRef<'_> {
    let raw = RawWaker::new(header.as_ptr() as *const (), &VTABLE);
    // The reference the caller holds outlives the borrow, and `ManuallyDrop` keeps us from
    // dropping a reference we do not own.
    // SAFETY: the vtable functions uphold the `RawWaker` contract.
    let waker = unsafe { Waker::from_raw(raw) };
    WakerRef {
        waker: ManuallyDrop::new(waker),
        _p: std::marker::PhantomData,
    }
}

impl Deref for WakerRef<'_> {
    type Target = Waker;
    fn deref(&self) -> &Waker {
        &self.waker
    }
}

fn raw(ptr: *const ()) -> RawTask {
    // SAFETY: wakers are only built from non-null task header pointers.
    RawTask::from_raw(unsafe { NonNull::new_unchecked(ptr as *mut Header) })
}

unsafe fn clone(ptr: *const ()) -> RawWaker {
    raw(ptr).header().state.ref_inc();
    RawWaker::new(ptr, &VTABLE)
}

unsafe fn wake_by_val(ptr: *const ()) {
    let task = raw(ptr);
    match classify_wake(task.header()) {
        WakeAction::Notify(source) => task.wake_by_val(source),
        WakeAction::Deferred => drop_ref(task),
        // The waker's reference goes to the backoff path, which wakes the task later.
        WakeAction::DeferTarget => task.defer(),
    }
}

unsafe fn wake_by_ref(ptr: *const ()) {
    let task = raw(ptr);
    match classify_wake(task.header()) {
        WakeAction::Notify(source) => task.wake_by_ref(source),
        WakeAction::Deferred => {}
        WakeAction::DeferTarget => {
            task.header().state.ref_inc();
            task.defer();
        }
    }
}

unsafe fn drop_waker(ptr: *const ()) {
    drop_ref(raw(ptr));
}

fn drop_ref(task: RawTask) {
    if task.header().state.ref_dec() {
        task.dealloc();
    }
}

/// Wakes a task from a known source (the reactor, the timer wheel), bypassing the thread
/// classification: `waker` must be a task waker of this runtime, or any other waker (which
/// is then simply woken).
pub(crate) fn wake_with_source(waker: Waker, source: WakeSource) {
    if waker.vtable() == &VTABLE {
        let task = raw(waker.data());
        std::mem::forget(waker);
        task.wake_by_val(source);
    } else {
        waker.wake();
    }
}
