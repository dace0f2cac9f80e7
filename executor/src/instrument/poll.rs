//! What happens around every poll: classifying wakes, counting progress, detecting spin.
//!
//! # The poll path
//! `PollGuard::begin` publishes the task as this thread's current poll (for self-wake
//! detection and the stall watchdog) and reads the coarse clock; `PollGuard::end` reads it
//! again, decides whether the poll made progress and was futile, updates the task's
//! counters, and flags, demotes or restores it. The end tests one thing for time: does the
//! clock differ from the worker's `checked_tick` (see `WorkerStats::checked_tick`)? It does
//! when the clock moved since the worker last looked (once per millisecond per busy worker)
//! and when this poll was timed; only then does the end look further: did this very poll
//! span the edge (evidence of work, see `spanned_work`), did it run past the stall
//! threshold (recorded under the worker's `tick`, as the watchdog records it), record the
//! poll's time, and ask for the worker's next poll to be timed. No real clock is read on
//! this path except for tasks already flagged (their poll times feed their histogram) and
//! that one poll per tick edge (the runtime's poll-time histogram: at most 1,000 samples a
//! second per worker, however many polls it runs).
//!
//! What a futile poll writes beyond a poll with accounting off: the watchdog's word (the
//! task's id) and its reset, and one counter (`futile_polls`). Everything else is derived:
//! the current streak is `futile_polls` minus its value when the last futile run ended,
//! and the runtime's totals are summed from the tasks when a report asks.
//!
//! # Definitions
//! - **progress**: the poll returned `Ready`; or the code called [`crate::task::progress`]
//!   (the io-driver does on bytes moved; channels and TLS should); or a timer woke it; or the
//!   poll spanned a tick of the coarse clock and the task's spans come few polls apart on
//!   average (its polls are long: it does real work between yields; see `spanned_work`).
//! - **futile**: returned `Pending`, no progress, and every wake that led to the poll was
//!   internal (the task's own waker, a futile wake chain, or a demotion backoff).
use super::stats::{flag, DETECT_EVERY, RATIO_ONE};
use super::{RuntimeInstrument, WorkerStats};
use crate::context::{self, evidence};
use crate::task::state::WakeSources;
use crate::task::{Header, WakeSource};

/// The report slot of each `WakeSource` (by discriminant): self (incl. backoff and budget),
/// io, timer, task (incl. chain), foreign.
const WAKE_SLOT: [usize; 8] = {
    let mut slot = [0; 8];
    slot[WakeSource::SelfWake as usize] = 0;
    slot[WakeSource::Chain as usize] = 3;
    slot[WakeSource::Backoff as usize] = 0;
    slot[WakeSource::Io as usize] = 1;
    slot[WakeSource::Timer as usize] = 2;
    slot[WakeSource::Task as usize] = 3;
    slot[WakeSource::Foreign as usize] = 4;
    slot[WakeSource::Budget as usize] = 0;
    slot
};

/// What the scheduler must do with a task after a `Pending` poll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum PollOutcome {
    /// Nothing special.
    Normal = 0,
    /// It woke itself during the poll (a yield): reschedule at the back, not the LIFO slot.
    SelfWoken = 1,
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
            if poll.chain_eligible() {
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
            poll.mark_progress();
        }
    });
}

/// What a poll has shown when it begins (bits of `context::evidence`), by the set of
/// sources that woke it: a table, so `begin` pays one load for what `end` and the wakers
/// then read as single bits.
const START_EVIDENCE: [u8; 256] = {
    let mut table = [0; 256];
    let mut bits = 0;
    while bits < 256 {
        let sources = WakeSources::from_bits(bits as u8);
        if !sources.any_real() {
            table[bits] |= evidence::CHAIN_ELIGIBLE;
        }
        if sources.only_internal() {
            table[bits] |= evidence::FUTILE_SO_FAR;
        }
        bits += 1;
    }
    table
};

/// One poll's accounting, from `begin` to `end`. Deliberately small: it lives across the
/// call into the future, so every field is a register saved or a stack slot written; the
/// rest (the instrument, the worker's statistics, the sample timer) is re-read from the
/// thread-local context when the poll ends.
pub(crate) struct PollGuard<'a> {
    header: &'a Header,
    sources: WakeSources,
    /// The coarse clock when the poll began (0 when accounting is off).
    start_tick: u64,
}

impl<'a> PollGuard<'a> {
    /// Starts the accounting of one poll of `header`, woken by `sources` (empty for the
    /// first poll after spawn).
    #[inline(always)]
    pub(crate) fn begin(header: &'a Header, sources: WakeSources) -> PollGuard<'a> {
        let stats = &header.stats;
        let mut start_tick = 0;
        let acct = context::enter_poll(header, START_EVIDENCE[sources.bits() as usize]);
        if let Some((inst, worker)) = acct {
            // The worker guard of this thread keeps the runtime's shared state (and so the
            // instrument and its worker statistics) alive for longer than this poll.
            // SAFETY: valid for the poll (see above); `enter_poll` returns no null pointers.
            let (inst, worker) = unsafe { (&*inst, &*worker) };
            start_tick = inst.clock.now_ms();
            worker.poll_task_id.set(header.id.as_u64());
            let flags = stats.flags.get();
            // One or, one test: `sample_next` is 0 or `flag::SAMPLE_NEXT`, a bit no task
            // flag uses.
            let rare = flag::WATCHED | flag::SAMPLE_NEXT;
            if (flags | worker.sample_next.get()) & rare != 0 {
                begin_rare(worker, stats, sources, flags);
            }
        }
        // Count each source that woke the task (usually exactly one bit is set).
        let mut bits = sources.bits();
        while bits != 0 {
            stats.wakes[WAKE_SLOT[bits.trailing_zeros() as usize]].incr();
            bits &= bits - 1;
        }
        PollGuard {
            header,
            sources,
            start_tick,
        }
    }

    /// Ends the accounting of a poll that returned `Pending`.
    #[inline(always)]
    pub(crate) fn end_pending(self) -> PollOutcome {
        self.end(false, false)
    }

    /// Ends the accounting of the poll after which the future is gone: `completed`, it
    /// returned `Ready`; otherwise it panicked. Once per task, so out of line.
    #[cold]
    #[inline(never)]
    pub(crate) fn end_ready(self, completed: bool) {
        self.end(true, completed);
    }

    /// Ends the accounting. `ready`: the future is done (completed or panicked);
    /// `completed`: it returned `Ready`. Both are constants at each call site.
    ///
    /// The common cases stay inline and branch-light: a healthy poll reads its task's
    /// futile count, streak base and flags and writes nothing more (but `progress_polls`
    /// after progress); a futile poll writes one counter and tests a mask. Everything
    /// rarer (a tick edge, a timed poll, a detector run, a flagged task, the end of a futile
    /// run, completion) is out of line, and re-reads what it needs (the instrument, the
    /// clock) rather than having it passed: values passed to a call after the inline part
    /// would be kept alive, and spilled, on every poll.
    #[inline(always)]
    fn end(self, ready: bool, completed: bool) -> PollOutcome {
        let left = context::leave_poll();
        let (self_woke, deferred) = (left.self_woke, left.deferred);
        let stats = &self.header.stats;
        stats.polls.incr();
        let Some((inst, worker)) = left.accounting else {
            if ready {
                stats.ready_polls.incr();
            }
            return outcome(stats, ready, self_woke, deferred);
        };
        // SAFETY: as in `begin`: this thread's worker guard outlives the poll.
        let (inst, worker) = unsafe { (&*inst, &*worker) };
        worker.poll_task_id.set(0);
        // The code reported progress (only the rare and the non-futile paths ask).
        let hinted = || left.evidence & evidence::PROGRESS != 0;
        // Only internal wakes and no progress reported (a timer wake is progress too, but
        // not internal, so only the non-futile path needs to test for it).
        let mut futile = !ready && left.evidence & evidence::FUTILE_SO_FAR != 0;
        let mut clock_work = false;
        // One test for a tick edge and for a timed poll (see `WorkerStats::checked_tick`).
        if inst.clock.now_ms() != worker.checked_tick.get() {
            clock_work = self.end_rare(ready | hinted());
            futile &= !clock_work;
        }
        let futile_polls = stats.futile_polls.get();
        if futile {
            let futile_polls = futile_polls + 1;
            stats.futile_polls.set(futile_polls);
            // Suspicion must last `min_spin` (100 ms) before anything is decided, so the
            // detector looks at an unflagged task once per window of `DETECT_EVERY` futile
            // polls (and a flagged one at every futile poll): the common futile poll (a
            // yield) pays one test, not the thresholds.
            if futile_polls & stats.detect_mask.get() == 0 {
                let window_end = futile_polls & (DETECT_EVERY - 1) == 0;
                self.detect(false, self_woke || deferred, true, window_end);
            }
        } else {
            let progress = ready | hinted() | clock_work | self.sources.contains(WakeSource::Timer);
            if progress {
                stats.progress_polls.incr();
            }
            if futile_polls != stats.streak_base.get() || stats.has(flag::WATCHED) {
                self.settle(progress, self_woke || deferred);
            }
        }
        if ready {
            finish_poll(stats, completed);
        }
        outcome(stats, ready, self_woke, deferred)
    }

    /// The instrument and this worker's statistics, for the out-of-line parts of `end`.
    fn accounting(&self) -> (&RuntimeInstrument, &WorkerStats) {
        let (inst, worker) = context::accounting().expect("accounting is on inside `end`");
        // The pointers are not null (`accounting` returned them).
        // SAFETY: as in `begin`: this thread's worker guard outlives the poll.
        unsafe { (&*inst, &*worker) }
    }

    /// The clock differs from the worker's `checked_tick`: this poll was timed (record its
    /// time), or the clock moved since the worker last looked (see `crossed_tick`), or both.
    /// Returns whether the poll did work by the clock.
    #[cold]
    fn end_rare(&self, progress: bool) -> bool {
        let (inst, worker) = self.accounting();
        let now = inst.clock.now_ms();
        if let Some(t0) = context::take_poll_timer() {
            inst.record_poll_time(worker.index, self.header, t0.elapsed());
        }
        let work = now != worker.tick.get() && self.crossed_tick(inst, worker, now, progress);
        worker.checked_tick.set(worker.tick.get());
        work
    }

    /// The clock moved since the worker last looked (before this poll began, or during it):
    /// records a stall if the poll ran past the threshold, asks for the worker's next poll
    /// to be timed (the runtime's histogram), and says whether this poll did work: only if
    /// the edge passed during the poll itself (see `spanned_work`).
    fn crossed_tick(
        &self,
        inst: &RuntimeInstrument,
        worker: &WorkerStats,
        now: u64,
        progress: bool,
    ) -> bool {
        // Whether it stalled is measured from this poll's own start; the record is keyed by
        // the worker's tick, as the monitor keys an ongoing stall, so the two are one.
        if now.saturating_sub(self.start_tick) >= inst.stall_threshold_ms {
            inst.stall_finished(worker.index, self.header, worker.tick.get(), now);
        }
        worker.tick.set(now);
        worker.sample_next.set(flag::SAMPLE_NEXT);
        now != self.start_tick
            && !(progress || self.sources.contains(WakeSource::Timer))
            && self.spanned_work()
    }

    /// A poll that was not futile, of a task with a futile run behind it or a flag: ends
    /// the run, and lets the detector unflag, restore or clear the suspicion of the task.
    #[cold]
    fn settle(&self, progress: bool, self_woke: bool) {
        let stats = &self.header.stats;
        let streak = stats.futile_streak();
        if streak != 0 {
            if streak > stats.max_futile_streak.get() {
                stats.max_futile_streak.set(streak);
            }
            stats.streak_base.set(stats.futile_polls.get());
        }
        if stats.has(flag::WATCHED) {
            // A flagged task's ratio also decays poll by poll (rounded up, so it reaches 0):
            // once most of its recent polls are not futile, it recovers.
            let ratio = stats.futile_ratio.get();
            stats.futile_ratio.set(ratio - ratio.div_ceil(16));
            self.detect(progress, self_woke, false, false);
        } else if stats.suspect_since.get() != 0 {
            self.detect(progress, self_woke, false, false);
        }
    }

    /// Did this poll do real work by the clock? A tick edge (one a millisecond) falls
    /// inside whichever poll is running, so a task whose polls last `d` each spans an edge
    /// about once every `1 ms / d` of its own polls, whatever else its worker runs and
    /// however rarely it is polled: the gap between its spans, counted in its polls,
    /// measures how long its polls are. A task yielding after every 10 µs of work spans
    /// every ~100 polls; a spinner whose polls take a fraction of a microsecond, every few
    /// thousand.
    ///
    /// One gap is a noisy sample (where an edge falls is chance: a demoted spinner's gaps
    /// are random, and about one in sixteen is short), so the verdict is on the average gap
    /// (`span_verdict`): the polls have been real work when it is at most
    /// [`WORK_GAP_LIMIT`] (256 polls in optimized builds: polls of about 4 µs and more; 64
    /// in debug builds). A span judged work also clears the futile ratio of a task that is
    /// not flagged: its recent polls were work, not futile, however few reported progress.
    fn spanned_work(&self) -> bool {
        let stats = &self.header.stats;
        let polls = stats.polls.get();
        let gap = polls - stats.last_span_poll.get();
        let (avg, work) = span_verdict(stats.span_gap_avg.get(), gap, WORK_GAP_LIMIT);
        stats.last_span_poll.set(polls);
        stats.span_gap_avg.set(avg);
        if work && !stats.has(flag::WATCHED) {
            // Not for a flagged task: there the span is progress like any other (it ends a
            // demotion), and unflagging waits for the ratio to decay, so a spinner whose
            // average dips by chance does not flap between flagged and recovered.
            stats.futile_ratio.set(0);
        }
        work
    }

    /// Suspicion, flagging (hysteretic), demotion and restoration.
    ///
    /// `window_end`: this futile poll closes a window of `DETECT_EVERY` futile polls; the
    /// futile ratio takes in the window's share of futile polls (an exponential average over
    /// windows, halving the weight of the past at each). Between windows the ratio of an
    /// unflagged task stands still: a task that spins 98% of the time keeps a ratio near
    /// 0.98 through its occasional progress poll, so that poll neither clears its suspicion
    /// nor unflags it.
    #[cold]
    fn detect(&self, progress: bool, self_woke: bool, futile: bool, window_end: bool) {
        let (inst, _) = self.accounting();
        let now = inst.clock.now_ms();
        let stats = &self.header.stats;
        let cfg = &inst.config;
        if window_end {
            let polls = stats.polls.get();
            let window = polls.saturating_sub(stats.window_start_poll.get()).max(1);
            stats.window_start_poll.set(polls);
            let share = (DETECT_EVERY * RATIO_ONE / window).min(RATIO_ONE);
            stats
                .futile_ratio
                .set((stats.futile_ratio.get() + share) / 2);
        }
        let streak = stats.futile_streak();
        let ratio = stats.futile_ratio.get();
        let suspect = streak >= cfg.futile_streak_threshold
            || (ratio >= inst.ratio_threshold_fixed
                && stats.polls.get() >= 2 * cfg.futile_streak_threshold);
        if suspect {
            if stats.suspect_since.get() == 0 {
                stats.suspect_since.set(now.max(1));
            }
        } else {
            stats.suspect_since.set(0);
            if stats.flags.get() == 0 {
                return;
            }
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

/// The average gap between spans, in polls, up to which a task's polls count as work:
/// 256 in optimized builds (polls of about 4 µs and more; in practice the boundary is a
/// band of about 2-4 µs, since a single average can dip). A debug build's polls are
/// several times slower (a spinner's accounted poll takes 3-12 µs there, measured in
/// `tests/spin_zoo.rs`), so it counts only polls of about 16 µs and more (64 polls): a
/// spinner must not look like work. Decided by how this crate is compiled
/// (`debug_assertions`); docs/spin-reports.md tells users.
const WORK_GAP_LIMIT: u64 = if cfg!(debug_assertions) { 64 } else { 256 };

/// The rule of `PollGuard::spanned_work`: the task's average gap between spans, in polls
/// (`avg`; 0 before its first span), after a span `gap` polls after its previous one.
/// Returns (the new average, the span counts as work). The average moves a quarter of the
/// way to each gap; it starts at four times the work limit, and a gap counts as at most
/// eight times the limit, so a task proves work after a few spans in a run of short gaps
/// and a spinner needs a run of several unlikely ones to look like it.
fn span_verdict(avg: u64, gap: u64, limit: u64) -> (u64, bool) {
    let prev = if avg == 0 { 4 * limit } else { avg };
    let avg = (3 * prev + gap.min(8 * limit)) / 4;
    (avg.max(1), avg <= limit)
}

/// What the scheduler does after the poll. A withheld (deferred) self-wake is never dropped:
/// it waits out the backoff if the task is still demoted, or is delivered now.
#[inline(always)]
fn outcome(stats: &super::TaskStats, ready: bool, self_woke: bool, deferred: bool) -> PollOutcome {
    if ready {
        PollOutcome::Normal
    } else if deferred {
        if stats.has(flag::DEMOTED) {
            PollOutcome::Deferred
        } else {
            PollOutcome::Redeliver
        }
    } else {
        // A select, not a branch: the common outcomes are 0 and 1.
        [PollOutcome::Normal, PollOutcome::SelfWoken][usize::from(self_woke)]
    }
}

/// The start of a poll of a flagged or demoted task, or of the worker's first poll after a
/// tick edge (sampled for the runtime's histogram): times it if the task is flagged or
/// the poll is the sample, and restores a demoted task that a real event woke (its
/// self-wakes are honoured again).
#[cold]
fn begin_rare(worker: &WorkerStats, stats: &super::TaskStats, sources: WakeSources, flags: u64) {
    let sampled = worker.sample_next.get() != 0;
    if sampled {
        worker.sample_next.set(0);
    }
    if sampled || flags & flag::FLAGGED != 0 {
        context::time_poll();
        // Never a tick: the poll's end takes its rare branch and records the time.
        worker.checked_tick.set(u64::MAX);
    }
    if flags & flag::DEMOTED != 0 && sources.any_real() {
        stats.set_flag(flag::DEMOTED, false);
        stats.backoff_us.set(0);
    }
}

/// The future is done (`completed`: it returned `Ready`; otherwise it panicked).
#[cold]
fn finish_poll(stats: &super::TaskStats, completed: bool) {
    stats.ready_polls.incr();
    if completed && stats.has(flag::FLAGGED) {
        // It got what it was waiting for: a spinner that finishes has recovered.
        stats.set_flag(flag::FLAGGED, false);
        stats.set_flag(flag::RECOVERED, true);
    }
}

/// The future is gone: mark the task finished; it is no longer demoted.
pub(crate) fn task_finished(header: &Header) {
    let stats = &header.stats;
    stats.set_flag(flag::DEMOTED, false);
    stats.set_flag(flag::FINISHED, true);
}

#[cfg(test)]
mod tests {
    use super::span_verdict;

    /// Feeds the gaps (in polls) between successive spans of one task; returns which spans
    /// count as work.
    fn verdicts(gaps: &[u64]) -> Vec<bool> {
        let mut avg = 0;
        gaps.iter()
            .map(|&gap| {
                // The optimized build's limit: the gaps below are written for it.
                let (next, work) = span_verdict(avg, gap, 256);
                avg = next;
                work
            })
            .collect()
    }

    #[test]
    fn a_task_that_spans_every_few_polls_works_from_its_fifth_span() {
        // 100 µs of work per poll: a span every ~10 polls.
        assert_eq!(
            verdicts(&[10, 9, 11, 10, 10, 12]),
            [false, false, false, false, true, true]
        );
    }

    #[test]
    fn ten_microsecond_polls_work_despite_random_gaps() {
        // A span every ~100 polls on average, spread as the edges fall.
        let gaps = [150, 40, 90, 210, 60, 120, 30, 180, 100, 80, 260, 70, 110];
        let v = verdicts(&gaps);
        assert!(!v[0], "work proven by one span");
        assert!(v[8..].iter().all(|&w| w), "{v:?}");
    }

    #[test]
    fn a_rarely_polled_spinner_with_short_gaps_now_and_then_never_works() {
        // The drill's demoted spinner: gaps are random, about one in sixteen is short.
        assert_eq!(
            verdicts(&[900, 40, 700, 52, 1200, 18, 300, 25, 800]),
            [false; 9]
        );
    }

    #[test]
    fn a_back_to_back_spinner_never_works() {
        assert_eq!(verdicts(&[1000, 980, 1020, 3000, 2500]), [false; 5]);
        // Even three short gaps in a row after its usual ones are not enough.
        assert_eq!(verdicts(&[2000, 2000, 2000, 30, 30, 30]), [false; 6]);
    }

    /// The share of spans judged work when the gaps are random, as where an edge falls is:
    /// exponential with mean `mean` polls (seeded, so the test is deterministic).
    fn work_share(mean: f64, limit: u64) -> f64 {
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let mut avg = 0;
        let n = 100_000;
        let mut work = 0;
        for _ in 0..n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let u = (x >> 11) as f64 / (1u64 << 53) as f64;
            let gap = (-(1.0 - u).ln() * mean).ceil().max(1.0) as u64;
            let (next, w) = span_verdict(avg, gap, limit);
            avg = next;
            work += usize::from(w);
        }
        work as f64 / n as f64
    }

    #[test]
    fn random_gaps_separate_work_from_spinning_at_both_limits() {
        // Optimized build (256): 10 µs polls (gaps ~100) are work; 1 µs polls (~1000) and
        // faster spinners are not.
        assert!(work_share(100.0, 256) > 0.9);
        assert!(work_share(1000.0, 256) < 1e-3);
        assert!(work_share(5000.0, 256) == 0.0);
        // Debug build (64): 40 µs polls (~25) are work; a debug spinner's 3-12 µs polls
        // (~330-83) mostly not, the slowest only now and then.
        assert!(work_share(25.0, 64) > 0.9);
        assert!(work_share(330.0, 64) < 1e-3);
        assert!(work_share(83.0, 64) < 0.35);
    }

    #[test]
    fn one_long_gap_interrupts_the_evidence() {
        let v = verdicts(&[10, 10, 10, 10, 10, 10, 5000, 10, 10, 10, 10, 10, 10]);
        assert!(v[5], "{v:?}");
        assert!(!v[6] && !v[7], "{v:?}");
        assert!(v[12], "{v:?}");
    }
}
