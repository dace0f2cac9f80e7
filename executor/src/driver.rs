//! Hooks for the io-driver (`wakeful-io`), which sits above this crate.
//!
//! The reactor and the timer wheel wake tasks from a known source; these functions record
//! that source so spin accounting can tell an I/O or timer wake from a self-wake. Progress
//! (bytes moved) is reported with [`crate::task::progress`]. Idle workers block in the
//! reactor through [`crate::runtime::Park`], installed with `Builder::on_park`.
use crate::task::{wake_with_source, WakeSource};
use std::task::Waker;

/// Wakes `waker` as the reactor: the task's next poll counts an `io` wake.
pub fn wake_io(waker: Waker) {
    wake_with_source(waker, WakeSource::Io);
}

/// Wakes `waker` as the timer wheel: the task's next poll counts a `timer` wake, and that
/// poll counts as progress (a timer it waited on fired).
pub fn wake_timer(waker: Waker) {
    wake_with_source(waker, WakeSource::Timer);
}

/// Runs `f` with every wake it performs attributed to the reactor (for wakers that are not
/// wakeful task wakers themselves, such as a combinator's waker that forwards to one).
pub fn with_io_source<R>(f: impl FnOnce() -> R) -> R {
    crate::context::with_wake_source(WakeSource::Io, f)
}

/// As [`with_io_source`], for timer wakes.
pub fn with_timer_source<R>(f: impl FnOnce() -> R) -> R {
    crate::context::with_wake_source(WakeSource::Timer, f)
}
