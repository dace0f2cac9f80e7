//! The checks behind the assertion macros, as methods that return a [`Violation`] instead
//! of panicking (for tests that want to inspect a failure, or report several).
use crate::probe::Probe;
use crate::step::Step;
use std::fmt;
use std::task::{Context, Poll};

/// Which waker contract a probe broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ViolationKind {
    /// Polls in a row woke their own waker and returned `Pending` without progress: the
    /// task would spin a core forever.
    FutileLoop,
    /// A poll returned `Pending` with no clone of its waker held and no wake: nothing can
    /// wake the task again, it would hang.
    LostWakeup,
    /// A poll expected to return `Pending` returned `Ready`.
    UnexpectedReady,
    /// The waker was expected to have been woken, and was not.
    NotWoken,
    /// The waker was expected not to have been woken, and was.
    UnexpectedWake,
}

/// A broken waker contract: what happened, in a message that says where.
///
/// `Display` is the message the assertion macros panic with.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Violation {
    /// Which contract.
    pub kind: ViolationKind,
    /// For a futile loop: the innermost frame outside std and this kit of the streak's
    /// first self-wake (`symbol at file:line:col`), if symbols were available.
    pub self_wake_site: Option<String>,
    /// The whole message.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Violation {}

impl<T, M> Probe<T, M> {
    /// The check of [`assert_no_futile_loop!(probe, n)`](crate::assert_no_futile_loop):
    /// repeats the probe's [`Step`] like an executor would (polling again only while the
    /// waker has been woken), at most `n` times. It passes when the target finishes
    /// ([`Step::is_final`]), when it returns `Pending` without being woken (it waits for
    /// something outside: not a loop), or after `n` polls without a long futile streak. It
    /// fails as soon as ⌈n/2⌉ polls in a row (at least 2) are futile.
    ///
    /// Returns the last poll's result.
    ///
    /// # Panics
    ///
    /// If `n < 2`.
    pub fn check_no_futile_loop(
        &mut self,
        n: usize,
    ) -> Result<Poll<<Self as Step>::Output>, Violation>
    where
        Self: Step,
    {
        self.no_futile_loop(n, Step::step, <Self as Step>::is_final)
    }

    /// [`check_no_futile_loop`](Probe::check_no_futile_loop) with an explicit operation;
    /// any `Ready` ends the check.
    pub fn check_no_futile_loop_with<R>(
        &mut self,
        n: usize,
        mut op: impl FnMut(std::pin::Pin<&mut T>, &mut Context<'_>) -> Poll<R>,
    ) -> Result<Poll<R>, Violation> {
        self.no_futile_loop(n, |p| p.poll_with(&mut op), Poll::is_ready)
    }

    fn no_futile_loop<R>(
        &mut self,
        n: usize,
        mut step: impl FnMut(&mut Self) -> Poll<R>,
        is_final: impl Fn(&Poll<R>) -> bool,
    ) -> Result<Poll<R>, Violation> {
        assert!(
            n >= 2,
            "wakeful-test: a futile-loop check needs n >= 2 polls"
        );
        let threshold = n.div_ceil(2).max(2) as u64;
        let polls_before = self.stats.polls;
        let mut out = step(self);
        let mut made = 1;
        loop {
            if is_final(&out) {
                return Ok(out);
            }
            if self.stats.futile_streak >= threshold {
                return Err(self.futile_loop(n, self.stats.polls - polls_before));
            }
            if out.is_pending() && !self.is_woken() {
                return Ok(out);
            }
            if made == n {
                return Ok(out);
            }
            out = step(self);
            made += 1;
        }
    }

    fn futile_loop(&self, n: usize, made: u64) -> Violation {
        let s = &self.stats;
        let stack = self.self_wake_stack();
        let site = stack.first().cloned();
        let mut m = format!(
            "wakeful-test: futile loop in {}: {} polls in a row woke their own waker and \
             returned Pending without progress (checked up to {n} polls: {made} made, {} futile)",
            self.target_name(),
            s.futile_streak,
            s.futile_polls,
        );
        match &site {
            Some(site) => {
                m.push_str(&format!("\n  self-wake at {site}"));
                m.push_str("\n  stack of the streak's first self-wake (outside std and wakeful-test), innermost first:");
                for frame in &stack {
                    m.push_str(&format!("\n    {frame}"));
                }
            }
            None => m.push_str(
                "\n  self-wake site unknown (no symbols: build the test with debug info)",
            ),
        }
        if let Some(last) = &self.last {
            m.push_str(&format!("\n  last {last}"));
        }
        m.push_str(
            "\n  A future that wakes itself and returns Pending must make progress in between \
             (or call wakeful::task::progress() when it does work the runtime cannot see); this \
             one would spin a core forever.",
        );
        Violation {
            kind: ViolationKind::FutileLoop,
            self_wake_site: site,
            message: m,
        }
    }

    /// The check of [`assert_pending_and_registered!(probe)`](crate::assert_pending_and_registered):
    /// one [`Step`], which must return `Pending` and leave a way to be woken (a clone of
    /// the waker held somewhere, or a wake already made).
    pub fn check_pending_and_registered(&mut self) -> Result<(), Violation>
    where
        Self: Step,
    {
        let out = Step::step(self);
        self.pending_and_registered(out.is_ready())
    }

    /// [`check_pending_and_registered`](Probe::check_pending_and_registered) with an
    /// explicit operation.
    pub fn check_pending_and_registered_with<R>(
        &mut self,
        op: impl FnOnce(std::pin::Pin<&mut T>, &mut Context<'_>) -> Poll<R>,
    ) -> Result<(), Violation> {
        let out = self.poll_with(op);
        self.pending_and_registered(out.is_ready())
    }

    fn pending_and_registered(&self, ready: bool) -> Result<(), Violation> {
        let last = self.last.expect("a poll was just made");
        if ready {
            return Err(self.violation(
                ViolationKind::UnexpectedReady,
                format!(
                    "wakeful-test: expected {} to return Pending, but poll #{} returned Ready",
                    self.target_name(),
                    last.number
                ),
            ));
        }
        if last.clones_held == 0 && !self.is_woken() {
            return Err(self.violation(
                ViolationKind::LostWakeup,
                format!(
                    "wakeful-test: lost wakeup in {}: poll #{} returned Pending, but no clone of \
                     its waker is held and nothing woke it: nothing can wake this task again, it \
                     would hang.\n  Before returning Pending, keep cx.waker() (clone it into the \
                     state that the event will update, or pass cx to the inner poll that \
                     returned Pending).\n  last {last}",
                    self.target_name(),
                    last.number
                ),
            ));
        }
        Ok(())
    }

    /// The check of [`assert_woken!(probe)`](crate::assert_woken): the waker was woken
    /// since the last poll began.
    pub fn check_woken(&self) -> Result<(), Violation> {
        if self.is_woken() {
            return Ok(());
        }
        let since = match &self.last {
            Some(last) => format!("since poll #{} began ({last})", last.number),
            None => "since the probe was made".to_owned(),
        };
        Err(self.violation(
            ViolationKind::NotWoken,
            format!(
                "wakeful-test: expected the waker of {} to be woken {since}, but it was not \
                 ({} clone(s) held). If nothing else is left to wake it, this is a lost wakeup: \
                 the task would hang.",
                self.target_name(),
                self.waker_clones()
            ),
        ))
    }

    /// The check of [`assert_not_woken!(probe)`](crate::assert_not_woken): the waker was
    /// not woken since the last poll began.
    pub fn check_not_woken(&self) -> Result<(), Violation> {
        let wakes = self.wakes_since_last_poll();
        if wakes == 0 {
            return Ok(());
        }
        let since = match &self.last {
            Some(last) => format!("since poll #{} began ({last})", last.number),
            None => "since the probe was made".to_owned(),
        };
        Err(self.violation(
            ViolationKind::UnexpectedWake,
            format!(
                "wakeful-test: expected the waker of {} not to be woken {since}, but it was \
                 woken {wakes} time(s)",
                self.target_name()
            ),
        ))
    }

    fn violation(&self, kind: ViolationKind, message: String) -> Violation {
        Violation {
            kind,
            self_wake_site: None,
            message,
        }
    }

    fn target_name(&self) -> &'static str {
        std::any::type_name::<T>()
    }
}
