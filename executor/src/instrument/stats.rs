//! Per-task spin accounting, stored in the task header.
//!
//! # Invariant
//! Every field is written only by the thread currently polling the task (it holds `RUNNING`,
//! rule 1 of `task/mod.rs`), or by the waker running on that thread during the poll. Other
//! threads (reports, the watchdog) only read. The fields are atomics accessed with relaxed
//! loads and stores, never read-modify-writes: on x86 these are plain moves, so the poll path
//! pays nothing for letting reports read them concurrently without a data race. They are
//! statistics, not synchronization, so they use std atomics directly and loom does not model
//! them (modelling them would only multiply interleavings of counters no decision depends on
//! across threads).
#![allow(
    clippy::disallowed_types,
    reason = "single-writer statistics outside every modelled protocol; see module docs"
)]
use std::sync::atomic::{
    AtomicPtr, AtomicU64, Ordering::Acquire, Ordering::Relaxed, Ordering::Release,
};

/// A single-writer counter.
#[derive(Debug, Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    #[inline(always)]
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Relaxed)
    }
    #[inline(always)]
    pub(crate) fn set(&self, v: u64) {
        self.0.store(v, Relaxed)
    }
    #[inline(always)]
    pub(crate) fn incr(&self) {
        self.set(self.get().wrapping_add(1))
    }
}

/// Bits of [`TaskStats::flags`].
pub(crate) mod flag {
    /// Currently flagged as spinning (hysteretic).
    pub(crate) const FLAGGED: u64 = 1 << 0;
    /// Self-wakes are deferred to the demotion backoff.
    pub(crate) const DEMOTED: u64 = 1 << 1;
    /// Flagged or demoted: the detector looks at every futile poll, and the poll start
    /// times the task.
    pub(crate) const WATCHED: u64 = FLAGGED | DEMOTED;
    /// Was flagged at some point.
    pub(crate) const EVER_FLAGGED: u64 = 1 << 2;
    /// Was flagged, then unflagged by progress.
    pub(crate) const RECOVERED: u64 = 1 << 3;
    /// The future is gone (completed, panicked or cancelled).
    pub(crate) const FINISHED: u64 = 1 << 4;
    /// Never in a task's flags: the value of `WorkerStats::sample_next` when the worker's
    /// next poll is to be timed, so `PollGuard::begin` tests it and the task's flags at once.
    pub(crate) const SAMPLE_NEXT: u64 = 1 << 63;
    const _: () =
        assert!(SAMPLE_NEXT & (FLAGGED | DEMOTED | EVER_FLAGGED | RECOVERED | FINISHED) == 0);
}

/// Counters summed over many tasks (the runtime's totals: live tasks plus retired ones).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TaskTotals {
    pub(crate) polls: u64,
    pub(crate) futile_polls: u64,
    /// As `TaskStats::wakes`.
    pub(crate) wakes: [u64; 5],
}

impl TaskTotals {
    /// One task's counters, read now.
    pub(crate) fn of(s: &TaskStats) -> TaskTotals {
        TaskTotals {
            polls: s.polls.get(),
            futile_polls: s.futile_polls.get(),
            wakes: s.wakes.each_ref().map(Counter::get),
        }
    }

    pub(crate) fn merge(&mut self, other: &TaskTotals) {
        self.polls += other.polls;
        self.futile_polls += other.futile_polls;
        for (total, w) in self.wakes.iter_mut().zip(other.wakes) {
            *total += w;
        }
    }
}

/// One fixed-point unit of the futile ratio (1.0).
pub(crate) const RATIO_ONE: u64 = 1 << 16;

/// An unflagged task's futile polls go through the detector one in this many (a power of
/// two, so the test is a mask: see `TaskStats::detect_mask`).
pub(crate) const DETECT_EVERY: u64 = 64;

/// Build it with [`TaskStats::new`] (`default()` leaves `detect_mask` inconsistent with the
/// flags).
///
/// The fields every poll touches come first and fill 80 bytes, so with the header's state,
/// vtable and id before them a poll touches two cache lines of the task, not four: a
/// runtime cycling through hundreds of yielding tasks keeps them in L1. `repr(C)` keeps
/// that order.
#[derive(Debug, Default)]
#[repr(C)]
pub(crate) struct TaskStats {
    pub(crate) polls: Counter,
    pub(crate) futile_polls: Counter,
    /// `futile_polls` when the last futile run ended: the current run (the streak) is the
    /// difference, so a futile poll writes one counter, not two.
    pub(crate) streak_base: Counter,
    pub(crate) flags: Counter,
    /// The detector runs at a futile poll whose new `futile_polls` has these bits clear:
    /// `DETECT_EVERY - 1` (once per window of futile polls), or 0 (every futile poll) while
    /// the task is flagged or demoted. Derived from `flags` by `set_flag`, so a futile poll
    /// makes one test against memory, not a mask test and a flags test.
    pub(crate) detect_mask: Counter,
    /// Wakes by source: self, io, timer, task (incl. chain), foreign.
    pub(crate) wakes: [Counter; 5],
    // The rest is written on rarer polls: completion, progress, the detector.
    pub(crate) ready_polls: Counter,
    pub(crate) progress_polls: Counter,
    /// The longest futile run that has ended; the current run is `futile_streak()`.
    pub(crate) max_futile_streak: Counter,
    /// Exponentially decaying futile/total ratio, in units of [`RATIO_ONE`]: updated at the
    /// end of each window of futile polls (and poll by poll while flagged), cleared by a
    /// tick span that shows work while not flagged; see `PollGuard::detect` and
    /// `PollGuard::spanned_work`.
    pub(crate) futile_ratio: Counter,
    /// The value of `polls` when the current window of futile polls began.
    pub(crate) window_start_poll: Counter,
    /// The value of `polls` at the last poll that spanned a clock tick.
    pub(crate) last_span_poll: Counter,
    /// The average gap between those spans, in polls (0 before the first); see
    /// `PollGuard::spanned_work`.
    pub(crate) span_gap_avg: Counter,
    /// Clock tick (ms) at which the current run of suspicious polls began; 0 = not suspect.
    pub(crate) suspect_since: Counter,
    pub(crate) times_demoted: Counter,
    /// The current demotion backoff, in microseconds.
    pub(crate) backoff_us: Counter,
    /// Set once, when the task is first flagged; freed with the task.
    flagged: AtomicPtr<super::FlaggedInfo>,
}

impl TaskStats {
    pub(crate) fn new() -> TaskStats {
        let stats = TaskStats::default();
        stats.detect_mask.set(DETECT_EVERY - 1);
        stats
    }

    /// Consecutive futile polls up to now (0 after a poll that was not futile).
    pub(crate) fn futile_streak(&self) -> u64 {
        self.futile_polls.get().wrapping_sub(self.streak_base.get())
    }

    #[inline(always)]
    pub(crate) fn has(&self, f: u64) -> bool {
        self.flags.get() & f != 0
    }

    /// Sets or clears the bits `f` of `flags` (and keeps `detect_mask` in step).
    pub(crate) fn set_flag(&self, f: u64, on: bool) {
        let v = self.flags.get();
        let v = if on { v | f } else { v & !f };
        self.flags.set(v);
        let watched = v & flag::WATCHED != 0;
        self.detect_mask
            .set(if watched { 0 } else { DETECT_EVERY - 1 });
    }

    /// Extra data kept only for flagged tasks.
    pub(crate) fn flagged_info(&self) -> Option<&super::FlaggedInfo> {
        let p = self.flagged.load(Acquire);
        // A non-null pointer was published by `flagged_info_or_init` from a leaked `Box` and
        // is freed only in `Drop`, which needs `&mut self`.
        // SAFETY: non-null means a live `FlaggedInfo` for as long as `&self` is held.
        (!p.is_null()).then(|| unsafe { &*p })
    }

    /// Called by the polling thread only (single writer), so a load-then-store cannot race.
    pub(crate) fn flagged_info_or_init(&self, now_ms: u64) -> &super::FlaggedInfo {
        if let Some(info) = self.flagged_info() {
            return info;
        }
        let p = Box::into_raw(Box::new(super::FlaggedInfo::new(now_ms)));
        self.flagged.store(p, Release);
        // SAFETY: just published; freed only in `Drop`.
        unsafe { &*p }
    }
}

impl Drop for TaskStats {
    fn drop(&mut self) {
        let p = *self.flagged.get_mut();
        if !p.is_null() {
            // SAFETY: allocated by `Box::into_raw` in `flagged_info_or_init`, freed once here.
            drop(unsafe { Box::from_raw(p) });
        }
    }
}
