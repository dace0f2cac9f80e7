//! What happens around every poll: classifying wakes, counting progress, detecting spin.
//!
//! # The poll path
//! `PollGuard::begin` publishes the task as this thread's current poll (for self-wake
//! detection and the stall watchdog) and reads the coarse clock; `PollGuard::end` decides
//! whether the poll made progress and was futile, updates the task's counters, and flags,
//! demotes or restores it. No clock is read on this path except for tasks already flagged
//! (their poll times feed their histogram) and one poll in [`SAMPLE_EVERY`] per worker (the
//! runtime's poll-time histogram).
//!
//! # Definitions
//! - **progress**: the poll returned `Ready`; or the code called [`crate::task::progress`]
//!   (the io-driver does on bytes moved; channels and TLS should); or a timer woke it; or the
//!   poll spanned a tick of the coarse clock and the task ran few polls since its previous
//!   span (it did real work between yields; see `spanned_work`).
//! - **futile**: returned `Pending`, no progress, and every wake that led to the poll was
//!   internal (the task's own waker, a futile wake chain, or a demotion backoff).
use super::stats::{flag, RATIO_ONE};
use super::RuntimeInstrument;
use crate::context;
use crate::task::state::WakeSources;
use crate::task::{Header, WakeSource};
use std::time::Instant;

/// The report slot of each `WakeSource` (by discriminant): self (incl. backoff and budget),
/// io, timer, task (incl. chain), foreign.
const WAKE_SLOT: [usize; 8] = [0, 1, 2, 3, 3, 4, 0, 0];

/// One poll in this many is timed for the runtime-wide poll histogram.
pub(crate) const SAMPLE_EVERY: u64 = 64;

/// What the scheduler must do with a task after a `Pending` poll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PollOutcome {
    /// Nothing special.
    Normal,
    /// It woke itself during the poll (a yield): reschedule at the back, not the LIFO slot.
    SelfWoken,
    /// It woke itself while demoted: the wake was held back; re-poll after the backoff.
    Deferred,
    /// It woke itself while demoted, but the same poll restored it (it made progress): the
    /// held-back wake must be delivered now. A withheld wake is never dropped.
    Redeliver,
}

/// What a waker must do.
pub(crate) enum WakeAction {
    Notify(WakeSource),
    /// A demoted task's self-wake: do not notify; the poll's end hands it to the backoff.
    Deferred,
    /// A futile chain wake aimed at a demoted task (a livelock pair): hand the target to
    /// the backoff path now; it is woken when the backoff expires.
    DeferTarget,
}

/// Classifies a wake of `header` made on the current thread.
pub(crate) fn classify_wake(header: &Header) -> WakeAction {
    context::with_poll(|cx| match cx {
        Some(poll) if std::ptr::eq(poll.task.get(), header) => {
            let stats = &header.stats;
            if poll.budget_yield.get() {
                // A yield after real work: honoured at once, even when demoted.
                poll.self_woke.set(true);
                return WakeAction::Notify(WakeSource::Budget);
            }
            if stats.has(flag::FLAGGED) {
                if let Some(info) = stats.flagged_info() {
                    info.capture_self_wake_site();
                }
            }
            if stats.has(flag::DEMOTED) {
                poll.deferred.set(true);
                WakeAction::Deferred
            } else {
                poll.self_woke.set(true);
                WakeAction::Notify(WakeSource::SelfWake)
            }
        }
        Some(poll) if !poll.task.get().is_null() => {
            if !poll.progress.get() && poll.chain_eligible.get() {
                if header.stats.has(flag::DEMOTED) {
                    WakeAction::DeferTarget
                } else {
                    WakeAction::Notify(WakeSource::Chain)
                }
            } else {
                WakeAction::Notify(WakeSource::Task)
            }
        }
        Some(poll) => WakeAction::Notify(context::wake_source_override().unwrap_or(
            if poll.on_runtime_thread.get() {
                WakeSource::Task
            } else {
                WakeSource::Foreign
            },
        )),
        None => WakeAction::Notify(WakeSource::Foreign),
    })
}

/// Marks the current poll as having made progress (see the module docs).
pub(crate) fn progress() {
    context::with_poll(|cx| {
        if let Some(poll) = cx {
            poll.progress.set(true);
        }
    });
}

pub(crate) struct PollGuard<'a> {
    header: &'a Header,
    sources: WakeSources,
    inst: Option<&'a RuntimeInstrument>,
    worker: usize,
    start_tick: u64,
    timer: Option<Instant>,
}

impl<'a> PollGuard<'a> {
    /// Starts the accounting of one poll of `header`, woken by `sources` (empty for the
    /// first poll after spawn).
    #[inline]
    pub(crate) fn begin(header: &'a Header, sources: WakeSources) -> PollGuard<'a> {
        let chain_eligible = sources.is_empty() || sources.only_internal();
        let (inst, worker) = match context::enter_poll(header, chain_eligible) {
            // The pointer is into the runtime's shared state, which this thread's worker
            // context keeps alive for as long as the worker loop runs: longer than this poll.
            // SAFETY: the instrument outlives this poll (see above).
            Some((inst, worker)) => (Some(unsafe { &*inst }), worker),
            None => (None, 0),
        };
        // Accounting off (`Builder::spin_detection(false)`): only the scheduling-relevant
        // part of the poll context (self-wakes) is kept.
        let inst = inst.filter(|i| i.config.enabled);
        let stats = &header.stats;
        let mut start_tick = 0;
        let mut timer = None;
        if let Some(inst) = inst {
            start_tick = inst.clock.now_ms();
            let w = &inst.workers[worker];
            w.poll_task_id.set(header.id.as_u64());
            w.poll_started.set(start_tick);
            let n = w.polls.get();
            w.polls.set(n + 1);
            if stats.has(flag::FLAGGED) || n % SAMPLE_EVERY == 0 {
                timer = Some(Instant::now());
            }
            if sources.any_real() && stats.has(flag::DEMOTED) {
                // Restored: a real event arrived, so its self-wakes are honoured again.
                stats.set_flag(flag::DEMOTED, false);
                stats.backoff_us.set(0);
            }
        }
        // Count each source that woke the task (usually exactly one bit is set).
        let mut bits = sources.bits();
        while bits != 0 {
            let source = bits.trailing_zeros();
            bits &= bits - 1;
            let slot = WAKE_SLOT[source as usize];
            stats.wakes[slot].incr();
            if let Some(inst) = inst {
                inst.workers[worker].wakes[slot].incr();
            }
        }
        PollGuard {
            header,
            sources,
            inst,
            worker,
            start_tick,
            timer,
        }
    }

    /// Ends the accounting. `ready`: the future is done (completed or panicked);
    /// `completed`: it returned `Ready`.
    #[inline]
    pub(crate) fn end(self, ready: bool, completed: bool) -> PollOutcome {
        let (hinted, self_woke, deferred) = context::leave_poll();
        let stats = &self.header.stats;
        stats.polls.incr();
        let Some(inst) = self.inst else {
            if ready {
                stats.ready_polls.incr();
            }
            return outcome(stats, ready, self_woke, deferred);
        };
        let w = &inst.workers[self.worker];
        w.poll_task_id.set(0);
        let now = inst.clock.now_ms();
        if now.saturating_sub(self.start_tick) >= inst.stall_threshold_ms {
            inst.stall_finished(self.worker, self.header, self.start_tick, now);
        }
        if let Some(t0) = self.timer {
            inst.record_poll_time(self.worker, self.header, t0.elapsed());
        }
        let progress = ready
            || hinted
            || self.sources.contains(WakeSource::Timer)
            || self.spanned_work(inst, now);
        let futile = !progress && self.sources.only_internal();
        if ready {
            stats.ready_polls.incr();
        }
        if progress {
            stats.progress_polls.incr();
        }
        // The decaying futile ratio; a healthy task's stays 0 and is not rewritten.
        let ratio = stats.futile_ratio.get();
        if futile || ratio != 0 {
            stats
                .futile_ratio
                .set(ratio - ratio / 16 + if futile { RATIO_ONE / 16 } else { 0 });
        }
        if futile {
            stats.futile_polls.incr();
            w.futile_polls.incr();
            let streak = stats.futile_streak.get() + 1;
            stats.futile_streak.set(streak);
            if streak > stats.max_futile_streak.get() {
                stats.max_futile_streak.set(streak);
            }
        } else if stats.futile_streak.get() != 0 {
            stats.futile_streak.set(0);
        }
        // Most polls are healthy: not futile, not flagged, not suspect; nothing to decide.
        if futile
            || stats.flags.get() & (flag::FLAGGED | flag::DEMOTED) != 0
            || stats.suspect_since.get() != 0
        {
            self.detect(inst, now, progress, self_woke || deferred, futile);
        }
        if completed && stats.has(flag::FLAGGED) {
            // It got what it was waiting for: a spinner that finishes has recovered.
            stats.set_flag(flag::FLAGGED, false);
            stats.set_flag(flag::RECOVERED, true);
        }
        outcome(stats, ready, self_woke, deferred)
    }

    /// Did this poll do real work by the clock? A poll that spans a tick ran up to a
    /// millisecond, but a task polled back to back is inside a poll most of the time, so
    /// some tiny poll of a spinner straddles each tick edge by chance. Such a span counts as
    /// work only if the task ran few polls (at most the streak threshold) since its previous
    /// span: a task yielding after every 100 µs of work spans a tick every ~10 polls; a
    /// spinner runs thousands of polls between spans.
    fn spanned_work(&self, inst: &RuntimeInstrument, now: u64) -> bool {
        if now == self.start_tick {
            return false;
        }
        let stats = &self.header.stats;
        let polls = stats.polls.get();
        let since = polls - stats.last_span_poll.get();
        stats.last_span_poll.set(polls);
        since <= inst.config.futile_streak_threshold
    }

    /// Flagging (hysteretic), demotion and restoration.
    fn detect(
        &self,
        inst: &RuntimeInstrument,
        now: u64,
        progress: bool,
        self_woke: bool,
        futile: bool,
    ) {
        let stats = &self.header.stats;
        let cfg = &inst.config;
        let streak = stats.futile_streak.get();
        let ratio = stats.futile_ratio.get();
        let suspect = streak >= cfg.futile_streak_threshold
            || (ratio >= inst.ratio_threshold_fixed
                && stats.polls.get() >= 2 * cfg.futile_streak_threshold);
        if !suspect && stats.suspect_since.get() == 0 && stats.flags.get() == 0 {
            // A futile run that has not yet reached suspicion: nothing to decide.
            return;
        }
        if suspect {
            if stats.suspect_since.get() == 0 {
                stats.suspect_since.set(now.max(1));
            }
        } else if streak == 0 {
            stats.suspect_since.set(0);
        }
        let flagged = stats.has(flag::FLAGGED);
        if !flagged && suspect && now.saturating_sub(stats.suspect_since.get()) >= inst.min_spin_ms
        {
            inst.flag(self.header, now);
        } else if flagged && streak == 0 && ratio < RATIO_ONE / 2 {
            // Hysteresis: unflag only once most recent polls were not futile.
            stats.set_flag(flag::FLAGGED, false);
            stats.set_flag(flag::RECOVERED, true);
            stats.set_flag(flag::DEMOTED, false);
        }
        if progress && stats.has(flag::DEMOTED) {
            stats.set_flag(flag::DEMOTED, false);
            stats.backoff_us.set(0);
        } else if stats.has(flag::FLAGGED) && futile && !stats.has(flag::DEMOTED) {
            stats.set_flag(flag::DEMOTED, true);
            stats.times_demoted.incr();
        }
        if stats.has(flag::DEMOTED) && (self_woke || futile) {
            let b = stats.backoff_us.get();
            let next = if b == 0 {
                inst.backoff_start_us
            } else {
                (b * 2).min(inst.backoff_max_us)
            };
            stats.backoff_us.set(next);
        }
    }
}

/// What the scheduler does after the poll. A withheld (deferred) self-wake is never dropped:
/// it waits out the backoff if the task is still demoted, or is delivered now.
fn outcome(stats: &super::TaskStats, ready: bool, self_woke: bool, deferred: bool) -> PollOutcome {
    if ready {
        PollOutcome::Normal
    } else if deferred {
        if stats.has(flag::DEMOTED) {
            PollOutcome::Deferred
        } else {
            PollOutcome::Redeliver
        }
    } else if self_woke {
        PollOutcome::SelfWoken
    } else {
        PollOutcome::Normal
    }
}

/// The future is gone: mark the task finished; it is no longer demoted.
pub(crate) fn task_finished(header: &Header) {
    let stats = &header.stats;
    stats.set_flag(flag::DEMOTED, false);
    stats.set_flag(flag::FINISHED, true);
}
