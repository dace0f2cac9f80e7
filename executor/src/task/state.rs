//! The task state word: one `AtomicUsize` holding the lifecycle flags, the wake sources seen
//! since the last poll began, and the reference count.
//!
//! | bits   | name          | meaning                                                             |
//! |--------|---------------|---------------------------------------------------------------------|
//! | 0      | `RUNNING`     | a thread has claimed the task and owns its future; never with `COMPLETE` |
//! | 1      | `COMPLETE`    | the future is gone and the output (or error) is stored; never cleared |
//! | 2      | `NOTIFIED`    | a [`Notified`](super::Notified) reference exists in some queue, or will when the running poll ends |
//! | 3      | `JOIN_INTEREST` | the `JoinHandle` is alive                                        |
//! | 4      | `JOIN_WAKER`  | the join waker slot is set and owned by the task (see `task/mod.rs`, rule 5) |
//! | 5      | `CANCELLED`   | the task must be cancelled at its next chance                       |
//! | 6..=13 | `WOKEN_*`     | which sources woke the task since the last `transition_to_running`  |
//! | 16..   | refcount      | one per `Task`, `Notified`, `JoinHandle` and `Waker` reference      |
//!
//! Every transition is a read-modify-write, including those that change nothing: a wake that
//! decided "already notified" from a plain load would not synchronize with the poll that
//! consumes the notification, and the poll could miss what the waker published before waking.
//! Waking always ORs a `WOKEN_*` bit, so it writes even when the lifecycle bits do not change.
use crate::loom::sync::atomic::{AtomicUsize, Ordering::AcqRel, Ordering::Acquire};
use std::fmt;

const RUNNING: usize = 1 << 0;
const COMPLETE: usize = 1 << 1;
const NOTIFIED: usize = 1 << 2;
const JOIN_INTEREST: usize = 1 << 3;
const JOIN_WAKER: usize = 1 << 4;
const CANCELLED: usize = 1 << 5;
const LIFECYCLE: usize = RUNNING | COMPLETE;
const WOKEN_SHIFT: u32 = 6;
const WOKEN_MASK: usize = 0xff << WOKEN_SHIFT;
const REF_SHIFT: u32 = 16;
const REF_ONE: usize = 1 << REF_SHIFT;
const REF_MASK: usize = !(REF_ONE - 1);

/// A new task: notified (about to be scheduled), joinable, and three references: the
/// `Task` held by the owned-tasks registry, the `Notified` about to be scheduled, and the
/// `JoinHandle`.
const INITIAL: usize = (REF_ONE * 3) | JOIN_INTEREST | NOTIFIED;

/// Where a wake came from. Recorded in the state word by the waking thread, read (and
/// cleared) by the thread that starts the next poll.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub(crate) enum WakeSource {
    /// The task's own waker, on the thread polling that very task, during that poll.
    SelfWake = 0,
    /// Another task's poll that had made no progress and was itself woken by a self or chain
    /// wake: a link in a wake chain that does no work (a livelock pair).
    Chain = 1,
    /// The end of a demoted task's backoff: the runtime re-polling a deferred self-wake.
    Backoff = 2,
    /// The reactor reported readiness of a resource the task waits on.
    Io = 3,
    /// A timer the task waits on fired.
    Timer = 4,
    /// Another task's poll, one that had made progress or was itself woken by a real source.
    Task = 5,
    /// A thread outside the runtime.
    Foreign = 6,
    /// The task's own waker, woken by the cooperative budget: it yielded because it had done
    /// its share of real work, so the next poll is not a candidate for a futile one.
    Budget = 7,
}

/// The internal sources (those that do no work of their own) take the lowest discriminants,
/// so the tests every poll makes on a set of sources are comparisons, not masks (see
/// `WakeSources::only_internal`).
const INTERNAL_SOURCES: u8 = 0b111;
const _: () = assert!(
    (1 << WakeSource::SelfWake as u8)
        | (1 << WakeSource::Chain as u8)
        | (1 << WakeSource::Backoff as u8)
        == INTERNAL_SOURCES
);

impl WakeSource {
    pub(crate) const ALL: [WakeSource; 8] = [
        WakeSource::SelfWake,
        WakeSource::Chain,
        WakeSource::Backoff,
        WakeSource::Io,
        WakeSource::Timer,
        WakeSource::Task,
        WakeSource::Foreign,
        WakeSource::Budget,
    ];

    fn bit(self) -> usize {
        1 << (WOKEN_SHIFT + self as u32)
    }
}

/// The set of sources that woke a task between two polls.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct WakeSources(u8);

impl WakeSources {
    pub(crate) fn contains(self, source: WakeSource) -> bool {
        self.0 & (1 << source as u8) != 0
    }
    /// One bit per `WakeSource` discriminant.
    pub(crate) fn bits(self) -> u32 {
        u32::from(self.0)
    }
    /// The set with these bits (one per `WakeSource` discriminant).
    pub(crate) const fn from_bits(bits: u8) -> WakeSources {
        WakeSources(bits)
    }
    /// True when the set is not empty and every source in it is one that does no work of its
    /// own: the task's own waker, a futile wake chain, or the end of a demotion backoff.
    pub(crate) const fn only_internal(self) -> bool {
        // Internal sources are the low bits: a non-empty set of only those is 1..=INTERNAL.
        self.0.wrapping_sub(1) < INTERNAL_SOURCES
    }
    /// True when some source in the set is a real event: io, timer, a working task, a
    /// foreign thread, or the cooperative budget (all but the internal sources).
    pub(crate) const fn any_real(self) -> bool {
        self.0 > INTERNAL_SOURCES
    }
    #[cfg(all(test, not(loom)))]
    pub(crate) fn from_sources(sources: &[WakeSource]) -> Self {
        WakeSources(sources.iter().fold(0, |acc, s| acc | (1 << *s as u8)))
    }
}

impl fmt::Debug for WakeSources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(WakeSource::ALL.iter().filter(|s| self.contains(**s)))
            .finish()
    }
}

pub(crate) struct State {
    val: AtomicUsize,
}

/// A copy of the state word at one instant.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot(usize);

#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToRunning {
    /// The caller now owns the future; these sources woke it.
    Success(WakeSources),
    /// The caller owns the future and must cancel it.
    Cancelled,
    /// The task was running or complete: the caller's `Notified` reference was dropped.
    Failed,
    /// As `Failed`, and it was the last reference: the caller must deallocate.
    Dealloc,
}

#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToIdle {
    /// Idle; the poll's reference was dropped.
    Ok,
    /// Idle, but notified while running: a new `Notified` reference was created for the
    /// caller to schedule; the caller still holds (and must drop) the poll's reference.
    OkNotified,
    /// Idle and the poll's reference was the last one: the caller must deallocate.
    OkDealloc,
    /// The task was cancelled while running: the caller still owns the future and must cancel it.
    Cancelled,
}

#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToNotifiedByVal {
    /// Nothing to schedule; the waker's reference was dropped.
    DoNothing,
    /// The waker's reference became the `Notified` to schedule.
    Submit,
    /// Nothing to schedule and the waker's reference was the last: deallocate.
    Dealloc,
}

#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToNotifiedByRef {
    DoNothing,
    /// A new reference was created for the `Notified` to schedule.
    Submit,
}

/// What the `JoinHandle` must clean up after giving up its interest.
#[derive(Debug)]
pub(crate) struct TransitionToJoinHandleDropped {
    pub(crate) drop_waker: bool,
    pub(crate) drop_output: bool,
}

impl State {
    pub(crate) fn new() -> State {
        State {
            val: AtomicUsize::new(INITIAL),
        }
    }

    pub(crate) fn load(&self) -> Snapshot {
        Snapshot(self.val.load(Acquire))
    }

    /// A compare-exchange loop that always writes (even an unchanged value) so that every
    /// transition takes part in the release sequence of the state word.
    fn fetch_update_action<T>(&self, mut f: impl FnMut(Snapshot) -> (T, Snapshot)) -> T {
        let mut curr = self.load();
        loop {
            let (out, next) = f(curr);
            match self
                .val
                .compare_exchange_weak(curr.0, next.0, AcqRel, Acquire)
            {
                Ok(_) => return out,
                Err(actual) => curr = Snapshot(actual),
            }
        }
    }

    /// A `Notified` reference is about to be polled.
    pub(crate) fn transition_to_running(&self) -> TransitionToRunning {
        self.fetch_update_action(|mut next| {
            debug_assert!(next.is_notified(), "polling a task that was not notified");
            if !next.is_idle() {
                next.ref_dec();
                let action = if next.ref_count() == 0 {
                    TransitionToRunning::Dealloc
                } else {
                    TransitionToRunning::Failed
                };
                return (action, next);
            }
            let sources = next.take_wake_sources();
            next.0 |= RUNNING;
            next.0 &= !NOTIFIED;
            if next.is_cancelled() {
                (TransitionToRunning::Cancelled, next)
            } else {
                (TransitionToRunning::Success(sources), next)
            }
        })
    }

    /// The poll returned `Pending`.
    pub(crate) fn transition_to_idle(&self) -> TransitionToIdle {
        self.fetch_update_action(|mut next| {
            debug_assert!(next.is_running());
            if next.is_cancelled() {
                return (TransitionToIdle::Cancelled, next);
            }
            next.0 &= !RUNNING;
            if next.is_notified() {
                next.ref_inc();
                (TransitionToIdle::OkNotified, next)
            } else {
                next.ref_dec();
                if next.ref_count() == 0 {
                    (TransitionToIdle::OkDealloc, next)
                } else {
                    (TransitionToIdle::Ok, next)
                }
            }
        })
    }

    /// The future finished (or was cancelled): `RUNNING` -> `COMPLETE`. Returns the state
    /// after the transition.
    pub(crate) fn transition_to_complete(&self) -> Snapshot {
        let prev = Snapshot(self.val.fetch_xor(RUNNING | COMPLETE, AcqRel));
        debug_assert!(prev.is_running() && !prev.is_complete());
        Snapshot(prev.0 ^ (RUNNING | COMPLETE))
    }

    /// Drops `count` references after completion. Returns true if they were the last.
    pub(crate) fn transition_to_terminal(&self, count: usize) -> bool {
        let prev = Snapshot(self.val.fetch_sub(count * REF_ONE, AcqRel));
        debug_assert!(prev.ref_count() >= count, "refcount underflow");
        prev.ref_count() == count
    }

    /// A waker consumed by `wake()`: its reference either becomes the `Notified` or is dropped.
    pub(crate) fn transition_to_notified_by_val(
        &self,
        source: WakeSource,
    ) -> TransitionToNotifiedByVal {
        self.fetch_update_action(|mut next| {
            next.0 |= source.bit();
            if next.is_running() {
                next.0 |= NOTIFIED;
                next.ref_dec();
                debug_assert!(next.ref_count() > 0, "the running poll holds a reference");
                (TransitionToNotifiedByVal::DoNothing, next)
            } else if next.is_complete() || next.is_notified() {
                next.ref_dec();
                if next.ref_count() == 0 {
                    (TransitionToNotifiedByVal::Dealloc, next)
                } else {
                    (TransitionToNotifiedByVal::DoNothing, next)
                }
            } else {
                next.0 |= NOTIFIED;
                (TransitionToNotifiedByVal::Submit, next)
            }
        })
    }

    /// `wake_by_ref()`: if the task must be scheduled, a new reference is created for it.
    pub(crate) fn transition_to_notified_by_ref(
        &self,
        source: WakeSource,
    ) -> TransitionToNotifiedByRef {
        self.fetch_update_action(|mut next| {
            next.0 |= source.bit();
            if next.is_running() {
                next.0 |= NOTIFIED;
                (TransitionToNotifiedByRef::DoNothing, next)
            } else if next.is_complete() || next.is_notified() {
                (TransitionToNotifiedByRef::DoNothing, next)
            } else {
                next.0 |= NOTIFIED;
                next.ref_inc();
                (TransitionToNotifiedByRef::Submit, next)
            }
        })
    }

    /// `JoinHandle::abort()`. Returns true if the caller must schedule a new `Notified`
    /// (created here) so that a worker notices the cancellation.
    pub(crate) fn transition_to_notified_and_cancel(&self) -> bool {
        self.fetch_update_action(|mut next| {
            if next.is_cancelled() || next.is_complete() {
                (false, next)
            } else if next.is_running() || next.is_notified() {
                // The running poll, or the queued `Notified`, will see CANCELLED.
                next.0 |= NOTIFIED | CANCELLED;
                (false, next)
            } else {
                next.0 |= NOTIFIED | CANCELLED;
                next.ref_inc();
                (true, next)
            }
        })
    }

    /// Runtime shutdown: marks the task cancelled and, if it is idle, claims it (sets
    /// `RUNNING`) so the caller can cancel it in place. Returns true if claimed; otherwise the
    /// thread running it will cancel it when its poll ends.
    pub(crate) fn transition_to_shutdown(&self) -> bool {
        self.fetch_update_action(|mut next| {
            let idle = next.is_idle();
            if idle {
                next.0 |= RUNNING;
            }
            next.0 |= CANCELLED;
            (idle, next)
        })
    }

    /// The `JoinHandle` is dropped: gives up join interest and says who cleans what up.
    pub(crate) fn transition_to_join_handle_dropped(&self) -> TransitionToJoinHandleDropped {
        self.fetch_update_action(|mut next| {
            debug_assert!(next.is_join_interested());
            let mut t = TransitionToJoinHandleDropped {
                drop_waker: false,
                drop_output: false,
            };
            next.0 &= !JOIN_INTEREST;
            if next.is_complete() {
                // The task will not touch the output again: the handle drops it.
                t.drop_output = true;
            } else {
                // Take the waker slot back (rule 5): the task will not wake or drop it.
                next.0 &= !JOIN_WAKER;
            }
            if !next.is_join_waker_set() {
                t.drop_waker = true;
            }
            (t, next)
        })
    }

    /// The `JoinHandle` stored a waker: hand the slot to the task. Fails if complete.
    pub(crate) fn set_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.fetch_update_action(|curr| {
            debug_assert!(curr.is_join_interested() && !curr.is_join_waker_set());
            if curr.is_complete() {
                return (Err(curr), curr);
            }
            let next = Snapshot(curr.0 | JOIN_WAKER);
            (Ok(next), next)
        })
    }

    /// The `JoinHandle` wants to replace its waker: take the slot back. Fails if complete.
    pub(crate) fn unset_waker(&self) -> Result<Snapshot, Snapshot> {
        self.fetch_update_action(|curr| {
            debug_assert!(curr.is_join_interested() && curr.is_join_waker_set());
            if curr.is_complete() {
                return (Err(curr), curr);
            }
            let next = Snapshot(curr.0 & !JOIN_WAKER);
            (Ok(next), next)
        })
    }

    /// After completion the task woke the join waker; it hands the slot back.
    pub(crate) fn unset_waker_after_complete(&self) -> Snapshot {
        let prev = Snapshot(self.val.fetch_and(!JOIN_WAKER, AcqRel));
        debug_assert!(prev.is_complete() && prev.is_join_waker_set());
        Snapshot(prev.0 & !JOIN_WAKER)
    }

    pub(crate) fn ref_inc(&self) {
        let prev = self.val.fetch_add(REF_ONE, AcqRel);
        // Far beyond any real count: a leak loop, not a workload. Abort like `Arc` does.
        if prev > isize::MAX as usize {
            std::process::abort();
        }
    }

    /// Returns true if this was the last reference.
    pub(crate) fn ref_dec(&self) -> bool {
        let prev = Snapshot(self.val.fetch_sub(REF_ONE, AcqRel));
        debug_assert!(prev.ref_count() >= 1, "refcount underflow");
        prev.ref_count() == 1
    }
}

impl Snapshot {
    pub(crate) fn is_idle(self) -> bool {
        self.0 & LIFECYCLE == 0
    }
    pub(crate) fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    pub(crate) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    pub(crate) fn is_notified(self) -> bool {
        self.0 & NOTIFIED != 0
    }
    pub(crate) fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }
    pub(crate) fn is_join_interested(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }
    pub(crate) fn is_join_waker_set(self) -> bool {
        self.0 & JOIN_WAKER != 0
    }
    pub(crate) fn ref_count(self) -> usize {
        (self.0 & REF_MASK) >> REF_SHIFT
    }
    fn ref_inc(&mut self) {
        self.0 += REF_ONE;
    }
    fn ref_dec(&mut self) {
        debug_assert!(self.ref_count() > 0);
        self.0 -= REF_ONE;
    }
    fn take_wake_sources(&mut self) -> WakeSources {
        let bits = (self.0 & WOKEN_MASK) >> WOKEN_SHIFT;
        self.0 &= !WOKEN_MASK;
        WakeSources(bits as u8)
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.load().fmt(f)
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("running", &self.is_running())
            .field("complete", &self.is_complete())
            .field("notified", &self.is_notified())
            .field("cancelled", &self.is_cancelled())
            .field("join_interest", &self.is_join_interested())
            .field("join_waker", &self.is_join_waker_set())
            .field("refs", &self.ref_count())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn initial_state_is_notified_joinable_with_three_refs() {
        let s = State::new().load();
        assert!(s.is_notified() && s.is_join_interested() && s.is_idle());
        assert_eq!(s.ref_count(), 3);
    }

    #[test]
    fn wake_while_running_defers_to_the_poller_exactly_once() {
        let s = State::new();
        assert!(matches!(
            s.transition_to_running(),
            TransitionToRunning::Success(_)
        ));
        assert_eq!(
            s.transition_to_notified_by_ref(WakeSource::Foreign),
            TransitionToNotifiedByRef::DoNothing
        );
        assert_eq!(
            s.transition_to_notified_by_ref(WakeSource::Io),
            TransitionToNotifiedByRef::DoNothing
        );
        assert_eq!(s.transition_to_idle(), TransitionToIdle::OkNotified);
        // A second wake while queued does not schedule again.
        assert_eq!(
            s.transition_to_notified_by_ref(WakeSource::Task),
            TransitionToNotifiedByRef::DoNothing
        );
        match s.transition_to_running() {
            TransitionToRunning::Success(src) => {
                assert_eq!(
                    src,
                    WakeSources::from_sources(&[
                        WakeSource::Foreign,
                        WakeSource::Io,
                        WakeSource::Task
                    ])
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn wake_of_idle_task_submits_once() {
        let s = State::new();
        let _ = s.transition_to_running();
        assert_eq!(s.transition_to_idle(), TransitionToIdle::Ok);
        assert_eq!(
            s.transition_to_notified_by_ref(WakeSource::Io),
            TransitionToNotifiedByRef::Submit
        );
        assert_eq!(
            s.transition_to_notified_by_ref(WakeSource::Io),
            TransitionToNotifiedByRef::DoNothing
        );
    }

    #[test]
    fn wake_sources_classify_internal_and_real() {
        let internal = WakeSources::from_sources(&[WakeSource::SelfWake, WakeSource::Backoff]);
        assert!(internal.only_internal() && !internal.any_real());
        let mixed = WakeSources::from_sources(&[WakeSource::SelfWake, WakeSource::Io]);
        assert!(!mixed.only_internal() && mixed.any_real());
        assert!(!WakeSources::default().only_internal());
        assert!(!WakeSources::default().any_real());
        for source in WakeSource::ALL {
            let one = WakeSources::from_sources(&[source]);
            let internal = matches!(
                source,
                WakeSource::SelfWake | WakeSource::Chain | WakeSource::Backoff
            );
            assert_eq!(one.only_internal(), internal, "{source:?}");
            assert_eq!(one.any_real(), !internal, "{source:?}");
        }
    }

    #[test]
    fn join_handle_dropped_after_complete_drops_output() {
        let s = State::new();
        let _ = s.transition_to_running();
        let snap = s.transition_to_complete();
        assert!(snap.is_complete() && snap.is_join_interested());
        let t = s.transition_to_join_handle_dropped();
        assert!(t.drop_output && t.drop_waker);
    }

    #[test]
    fn abort_of_idle_task_submits_once() {
        let s = State::new();
        let _ = s.transition_to_running();
        let _ = s.transition_to_idle();
        assert!(s.transition_to_notified_and_cancel());
        assert!(!s.transition_to_notified_and_cancel());
        assert_eq!(s.transition_to_running(), TransitionToRunning::Cancelled);
    }
}
