//! Spin accounting and detection: which tasks burn CPU for nothing.
//!
//! - [`stats`]: the per-task counters in every task header (single writer: the poller).
//! - [`poll`]: the accounting around each poll, wake classification, flag/demote/restore.
//! - [`clock`]: the coarse clock (a tick per millisecond, advanced by the monitor thread)
//!   that replaces clock reads on the poll path.
//! - [`monitor`]: the monitor thread: advances the clock, watches for stalls (a poll that
//!   never returns), re-polls demoted tasks whose backoff expired.
//! - [`report`]: `SpinReport`, its JSON schema and text table.
//! - [`frames`]: reading a captured backtrace (shared with the test kit).
//!
//! # Invariants
//! - The poll path takes no lock and does no atomic read-modify-write for accounting; it
//!   reads no real clock except for flagged tasks and a worker's next poll after each tick
//!   of the coarse clock. Each worker's own counters live on cache lines of their own. Totals
//!   over tasks (polls, futile polls, wakes) are summed from the tasks by reports, not
//!   counted twice on the poll path.
//! - Rare events (a task flagged, a stall, a demotion) may lock and allocate.
//! - The flagged registry holds at most `SpinConfig::max_reported` task references; each
//!   keeps only the task's header alive (the future is dropped when the task finishes).
pub(crate) mod clock;
pub(crate) mod config;
pub(crate) mod frames;
pub(crate) mod monitor;
pub(crate) mod poll;
pub(crate) mod report;
pub(crate) mod stats;

pub use self::config::SpinConfig;
pub(crate) use self::stats::TaskStats;

use self::clock::Clock;
use self::stats::{flag, Counter};
use crate::loom::sync::atomic::{AtomicU64, Ordering::Relaxed};
use crate::loom::sync::Mutex;
use crate::task::{Header, Task};
use hdrhistogram::Histogram;
use std::backtrace::Backtrace;
use std::sync::OnceLock;
use std::time::Duration;

/// Extra data kept for a task once it has been flagged.
#[derive(Debug)]
pub(crate) struct FlaggedInfo {
    pub(crate) first_flagged_ms: u64,
    /// The stack of the first self-wake seen after flagging (captured once, resolved lazily).
    self_wake: OnceLock<Backtrace>,
    /// Its frames outside the runtime, resolved once by the first report that needs them
    /// (symbol resolution holds std's global backtrace lock, so it must not be repeated).
    pub(crate) self_wake_frames: OnceLock<Vec<String>>,
    /// Poll durations in microseconds, recorded for every poll while flagged.
    pub(crate) poll_us: Mutex<Histogram<u64>>,
}

impl FlaggedInfo {
    pub(crate) fn new(now_ms: u64) -> FlaggedInfo {
        FlaggedInfo {
            first_flagged_ms: now_ms,
            self_wake: OnceLock::new(),
            self_wake_frames: OnceLock::new(),
            poll_us: Mutex::new(new_histogram()),
        }
    }

    /// Captures the current stack as the self-wake site, once.
    pub(crate) fn capture_self_wake_site(&self) {
        if self.self_wake.get().is_none() {
            let _ = self.self_wake.set(Backtrace::force_capture());
        }
    }

    pub(crate) fn self_wake_backtrace(&self) -> Option<&Backtrace> {
        self.self_wake.get()
    }
}

pub(crate) fn new_histogram() -> Histogram<u64> {
    // 1 µs to 1 hour at 2 significant digits: a few KiB.
    Histogram::new_with_bounds(1, 3_600_000_000, 2).expect("static histogram bounds are valid")
}

/// Per-worker aggregates: written only by that worker, summed by reports.
///
/// Each worker writes its own several times per poll, so each sits on cache lines of its
/// own (128 bytes: a line and its adjacent-line prefetch partner). Packed side by side,
/// two workers' counters would share a line and every poll would bounce it between cores.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct WorkerStats {
    /// This worker's index (for its histogram and its stall records).
    pub(crate) index: usize,
    /// The coarse clock as this worker last saw it: at the end of the first poll that ended
    /// in each tick, and when it returns from a park. Between two of those the worker was
    /// running tasks (never parked), so a poll in progress began at or after this tick: the
    /// stall watchdog measures an ongoing stall from it, and both the watchdog and the
    /// poll's end key the stall's record by it (the same value on both sides, so each stall
    /// is one record). Written only by the worker, and never during a poll.
    pub(crate) tick: Counter,
    /// What a poll's end compares the clock with: `tick` as the last rare branch left it, or
    /// `u64::MAX` (never a tick) while a timed poll runs. A poll's end takes its rare branch
    /// when the two differ, so one test catches both a tick edge and a poll whose time must
    /// be recorded; the rare branch sets it back to `tick`. (An unpark moves `tick` without
    /// it: the next poll's end then takes the rare branch once, finds the clock equal to
    /// `tick`, and does nothing.) Written only by the worker.
    pub(crate) checked_tick: Counter,
    /// `flag::SAMPLE_NEXT` (else 0): time the next poll for the runtime's histogram (set by
    /// the first poll to end in each tick, so at most one poll per worker per millisecond is
    /// timed).
    pub(crate) sample_next: Counter,
    pub(crate) steals: Counter,
    pub(crate) parks: Counter,
    /// The id of the task this worker is polling (0: none), for the stall watchdog.
    pub(crate) poll_task_id: Counter,
}

/// A poll that ran longer than the stall threshold.
#[derive(Clone, Debug)]
pub(crate) struct Stall {
    pub(crate) task_id: u64,
    pub(crate) name: Option<String>,
    pub(crate) type_name: &'static str,
    pub(crate) spawned_at: String,
    pub(crate) worker: usize,
    pub(crate) started_ms: u64,
    pub(crate) duration_ms: u64,
    pub(crate) ongoing: bool,
}

/// The runtime-wide half of the instrumentation.
#[derive(Debug)]
pub(crate) struct RuntimeInstrument {
    pub(crate) config: SpinConfig,
    /// The config's thresholds in the units the poll path compares, computed once.
    pub(crate) stall_threshold_ms: u64,
    pub(crate) min_spin_ms: u64,
    pub(crate) ratio_threshold_fixed: u64,
    pub(crate) backoff_start_us: u64,
    pub(crate) backoff_max_us: u64,
    pub(crate) clock: Clock,
    pub(crate) workers: Box<[WorkerStats]>,
    worker_hist: Box<[Mutex<Histogram<u64>>]>,
    flagged: Mutex<Vec<Task>>,
    flagged_total: AtomicU64,
    stalls: Mutex<Vec<Stall>>,
    stalls_total: AtomicU64,
}

/// How many stalls a report keeps (the most recent).
const MAX_STALLS: usize = 64;

impl RuntimeInstrument {
    pub(crate) fn new(config: SpinConfig, workers: usize) -> RuntimeInstrument {
        RuntimeInstrument {
            stall_threshold_ms: config.stall_threshold_ms(),
            min_spin_ms: config.min_spin_ms(),
            ratio_threshold_fixed: config.ratio_threshold_fixed(),
            backoff_start_us: config.backoff_start_us(),
            backoff_max_us: config.backoff_max_us(),
            config,
            clock: Clock::new(),
            workers: (0..workers)
                .map(|index| WorkerStats {
                    index,
                    ..WorkerStats::default()
                })
                .collect(),
            worker_hist: (0..workers).map(|_| Mutex::new(new_histogram())).collect(),
            flagged: Mutex::new(Vec::new()),
            flagged_total: AtomicU64::new(0),
            stalls: Mutex::new(Vec::new()),
            stalls_total: AtomicU64::new(0),
        }
    }

    /// Flags `header` as spinning: called once per flagging, by the polling thread.
    pub(crate) fn flag(&self, header: &Header, now_ms: u64) {
        let stats = &header.stats;
        stats.set_flag(flag::FLAGGED, true);
        stats.set_flag(flag::RECOVERED, false);
        let first = !stats.has(flag::EVER_FLAGGED);
        stats.set_flag(flag::EVER_FLAGGED, true);
        stats.flagged_info_or_init(now_ms);
        if !first {
            return;
        }
        self.flagged_total.fetch_add(1, Relaxed);
        tracing::warn!(
            task.id = header.id.as_u64(),
            task.name = header.meta.name.as_deref().unwrap_or(""),
            task.type_name = header.meta.type_name,
            task.spawned_at = %header.meta.spawned_at,
            futile_streak = stats.futile_streak(),
            "task flagged as spinning: it keeps waking itself and returning Pending without progress; demoted"
        );
        // `header` belongs to the task being polled on this thread, whose poll holds a
        // reference; the registry's is added (ref_inc) before the `Task` is made from it.
        // SAFETY: the header is alive and the new `Task` owns the reference counted here.
        let task = unsafe {
            header.state.ref_inc();
            Task::from_raw(std::ptr::NonNull::from(header))
        };
        let evicted = {
            let mut flagged = self.flagged.lock();
            flagged.push(task);
            if flagged.len() > self.config.max_reported {
                // Evict the least bad: finished tasks first, then the fewest futile polls.
                let idx = flagged
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, t)| {
                        let s = &t.header().stats;
                        (!s.has(flag::FINISHED), s.futile_polls.get())
                    })
                    .map(|(i, _)| i);
                idx.map(|i| flagged.swap_remove(i))
            } else {
                None
            }
        };
        // Dropped outside the lock: it may deallocate the task.
        drop(evicted);
    }

    pub(crate) fn record_poll_time(&self, worker: usize, header: &Header, elapsed: Duration) {
        let us = (elapsed.as_micros() as u64).max(1);
        if let Some(info) = header.stats.flagged_info() {
            if header.stats.has(flag::FLAGGED) {
                let _ = info.poll_us.lock().record(us);
            }
        }
        if let Some(mut h) = self.worker_hist[worker].try_lock() {
            let _ = h.record(us);
        }
    }

    /// A poll that ran past the stall threshold has returned: record its final duration.
    pub(crate) fn stall_finished(&self, worker: usize, header: &Header, started: u64, now: u64) {
        let mut stalls = self.stalls.lock();
        let id = header.id.as_u64();
        if let Some(s) = stalls
            .iter_mut()
            .find(|s| s.worker == worker && s.task_id == id && s.started_ms == started)
        {
            s.duration_ms = now - started;
            s.ongoing = false;
            return;
        }
        self.push_stall(&mut stalls, stall_of(header, worker, started, now, false));
    }

    /// The monitor saw `worker` inside one poll for too long.
    pub(crate) fn stall_ongoing(&self, worker: usize, task: &Task, started: u64, now: u64) {
        let mut stalls = self.stalls.lock();
        let id = task.id().as_u64();
        if let Some(s) = stalls
            .iter_mut()
            .find(|s| s.worker == worker && s.task_id == id && s.started_ms == started)
        {
            if s.ongoing {
                s.duration_ms = now - started;
            }
            return;
        }
        let stall = stall_of(task.header(), worker, started, now, true);
        tracing::warn!(
            task.id = id,
            task.type_name = stall.type_name,
            task.spawned_at = %stall.spawned_at,
            worker,
            "worker stalled inside one poll for {} ms",
            now - started
        );
        self.push_stall(&mut stalls, stall);
    }

    fn push_stall(&self, stalls: &mut Vec<Stall>, stall: Stall) {
        self.stalls_total.fetch_add(1, Relaxed);
        if stalls.len() == MAX_STALLS {
            if let Some(i) = stalls.iter().position(|s| !s.ongoing) {
                stalls.remove(i);
            } else {
                stalls.remove(0);
            }
        }
        stalls.push(stall);
    }

    pub(crate) fn flagged_total(&self) -> u64 {
        self.flagged_total.load(Relaxed)
    }

    pub(crate) fn stalls_total(&self) -> u64 {
        self.stalls_total.load(Relaxed)
    }

    pub(crate) fn flagged_tasks(&self) -> Vec<Task> {
        self.flagged.lock().iter().map(Task::clone_ref).collect()
    }

    pub(crate) fn stalls(&self) -> Vec<Stall> {
        self.stalls.lock().clone()
    }

    pub(crate) fn poll_histogram(&self) -> Histogram<u64> {
        let mut all = new_histogram();
        for h in self.worker_hist.iter() {
            let _ = all.add(&*h.lock());
        }
        all
    }

    /// Drops the registry's references (runtime shutdown breaks the reference cycle
    /// task -> scheduler -> registry -> task).
    pub(crate) fn clear(&self) {
        let flagged = std::mem::take(&mut *self.flagged.lock());
        drop(flagged);
    }
}

fn stall_of(header: &Header, worker: usize, started: u64, now: u64, ongoing: bool) -> Stall {
    Stall {
        task_id: header.id.as_u64(),
        name: header.meta.name.as_deref().map(str::to_owned),
        type_name: header.meta.type_name,
        spawned_at: header.meta.spawned_at.to_string(),
        worker,
        started_ms: started,
        duration_ms: now - started,
        ongoing,
    }
}
