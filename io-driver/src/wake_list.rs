//! `WakeList`: wakers collected under a lock and woken after it is released.
//!
//! Waking can run arbitrary code (a combinator's waker, a waker that drops the last reference
//! to a task), so a resource never wakes its waiters while holding its waiters' mutex: it
//! moves them here (a fixed array, no allocation), unlocks, then wakes them as `io` wakes.
//! (The timer wheel collects its fired wakers in a reused `Vec` instead: it fires them all
//! in one critical section.)
use std::fmt;
use std::task::Waker;
use wakeful_executor::driver;

/// How many wakers are collected before the holder must unlock and wake them.
const CAPACITY: usize = 32;

pub(crate) struct WakeList {
    wakers: [Option<Waker>; CAPACITY],
    len: usize,
}

impl WakeList {
    pub(crate) fn new() -> WakeList {
        WakeList {
            wakers: std::array::from_fn(|_| None),
            len: 0,
        }
    }

    /// False when full: unlock, wake, and come back for the rest.
    pub(crate) fn can_push(&self) -> bool {
        self.len < CAPACITY
    }

    /// # Panics
    /// If full (check [`can_push`](Self::can_push) first).
    pub(crate) fn push(&mut self, waker: Waker) {
        assert!(self.can_push(), "WakeList is full");
        self.wakers[self.len] = Some(waker);
        self.len += 1;
    }

    /// Wakes (and empties) every waker, as the reactor: each woken task counts an `io` wake.
    pub(crate) fn wake_io(&mut self) {
        if self.len == 0 {
            return;
        }
        driver::with_io_source(|| self.drain(driver::wake_io));
    }

    fn drain(&mut self, wake: fn(Waker)) {
        let len = std::mem::take(&mut self.len);
        for slot in &mut self.wakers[..len] {
            if let Some(waker) = slot.take() {
                wake(waker);
            }
        }
    }
}

impl fmt::Debug for WakeList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WakeList").field("len", &self.len).finish()
    }
}
