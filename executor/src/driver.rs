//! Hooks for the io-driver (`wakeful-io`), which sits above this crate.
//!
//! The reactor and the timer wheel wake tasks from a known source; these functions record
//! that source so spin accounting can tell an I/O or timer wake from a self-wake. Progress
//! (bytes moved) is reported with [`crate::task::progress`]. Idle workers block in the
//! reactor through [`crate::runtime::Park`], installed with `Builder::on_park`.
use crate::task::{wake_with_source, WakeSource};
use std::task::{Context, Poll, Waker};

/// The cooperative budget: call before each I/O operation of a resource.
///
/// A task may complete [`BUDGET`] operations per poll. Past that,
/// this wakes the task and returns `Pending`, so a task whose socket is always ready still
/// lets others run. That yield counts as progress (the budget was spent on real
/// operations), so it never looks like a spin. Outside a task poll (`block_on`, a plain
/// thread) the budget is unlimited.
pub fn poll_budget(cx: &mut Context<'_>) -> Poll<()> {
    let exhausted = crate::context::with_poll(|p| match p {
        Some(p) if !p.task.get().is_null() => {
            let left = p.budget.get();
            if left == 0 {
                p.mark_progress();
                true
            } else {
                p.budget.set(left - 1);
                false
            }
        }
        _ => false,
    });
    if exhausted {
        // Marked so the self-wake is classified as a budget yield (`WakeSource::Budget`).
        crate::context::with_poll(|p| {
            if let Some(p) = p {
                p.budget_yield.set(true);
            }
        });
        cx.waker().wake_by_ref();
        crate::context::with_poll(|p| {
            if let Some(p) = p {
                p.budget_yield.set(false);
            }
        });
        Poll::Pending
    } else {
        Poll::Ready(())
    }
}

/// Operations per poll before [`poll_budget`] makes a task yield (tokio uses the same 128).
pub const BUDGET: u8 = crate::context::BUDGET;

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

/// Runs `poll` (one hand-made poll of a future, outside any runtime) and reports whether
/// the code it ran called [`crate::task::progress`]. For test kits that apply the
/// scheduler's futile-poll rule to futures they poll themselves. Nested inside a task's
/// poll, what the outer poll has shown is preserved (its progress, and whether its wakes of
/// other tasks are chain wakes); progress made inside is the outer poll's progress too.
pub fn observe_progress<R>(poll: impl FnOnce() -> R) -> (R, bool) {
    use crate::context::evidence::PROGRESS;
    // Only the progress bit is cleared for the inner call: the rest is the outer poll's.
    let saved = crate::context::with_poll(|p| {
        p.map(|p| {
            let saved = p.evidence.get();
            p.evidence.set(saved & !PROGRESS);
            saved
        })
    });
    let out = poll();
    let progressed = crate::context::with_poll(|p| match p {
        Some(p) => {
            let made = p.evidence.get() & PROGRESS != 0;
            p.evidence
                .set(if made { PROGRESS } else { saved.unwrap_or(0) });
            made
        }
        None => false,
    });
    (out, progressed)
}

#[cfg(all(test, not(loom)))]
mod tests {
    #[test]
    fn observe_progress_keeps_what_the_outer_poll_has_shown() {
        use crate::context::evidence::{CHAIN_ELIGIBLE, FUTILE_SO_FAR, PROGRESS};
        let outer = CHAIN_ELIGIBLE | FUTILE_SO_FAR;
        let set = |v| crate::context::with_poll(|p| p.unwrap().evidence.set(v));
        let get = || crate::context::with_poll(|p| p.unwrap().evidence.get());
        set(outer);
        let ((), made) = super::observe_progress(|| {
            assert_eq!(
                get(),
                outer,
                "the inner call sees the outer poll's chain state"
            );
        });
        assert!(!made);
        assert_eq!(get(), outer, "nothing happened: restored as it was");
        let ((), made) = super::observe_progress(crate::task::progress);
        assert!(made);
        assert_eq!(
            get(),
            PROGRESS,
            "progress inside is the outer poll's progress"
        );
        set(0);
    }

    #[test]
    fn observe_progress_sees_hints_inside_and_restores_outside() {
        let ((), made) = super::observe_progress(crate::task::progress);
        assert!(made);
        let ((), made) = super::observe_progress(|| {});
        assert!(!made);
    }
}
