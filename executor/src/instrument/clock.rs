//! The coarse clock: milliseconds since the runtime started, advanced by the monitor thread.
//!
//! Reading it is one relaxed load, so the poll path can afford it twice per poll where
//! `Instant::now` (~40 ns here) could not. It may lag real time by the monitor's period
//! (1 ms while any worker is awake, longer while all sleep); it never runs backwards.
#![allow(
    clippy::disallowed_types,
    reason = "a monotonic statistic, not part of any modelled protocol"
)]
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

#[derive(Debug)]
pub(crate) struct Clock {
    start: Instant,
    now_ms: AtomicU64,
}

impl Clock {
    pub(crate) fn new() -> Clock {
        Clock {
            start: Instant::now(),
            // Start at 1 so that 0 can mean "never".
            now_ms: AtomicU64::new(1),
        }
    }

    #[inline(always)]
    pub(crate) fn now_ms(&self) -> u64 {
        self.now_ms.load(Relaxed)
    }

    /// Reads the real clock and advances the coarse one. Called by the monitor thread, and
    /// by a worker returning from a park (the monitor sleeps long while all workers do).
    pub(crate) fn advance(&self) -> u64 {
        let now = self.start.elapsed().as_millis() as u64 + 1;
        // A plain load first: the line is read by every poll, so write it only on a new tick.
        if now > self.now_ms.load(Relaxed) {
            self.now_ms.fetch_max(now, Relaxed);
        }
        now
    }

    pub(crate) fn start(&self) -> Instant {
        self.start
    }
}
