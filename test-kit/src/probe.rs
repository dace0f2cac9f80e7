//! [`Probe`]: polls a future or a stream by hand with an instrumented waker and records,
//! for each poll, what the waker saw.
//!
//! # The futile-poll rule
//!
//! The rule is the scheduler's (`docs/spin-reports.md`), applied to hand-made polls: a poll
//! is **futile** if the probe's waker was woken during the poll on the polling thread (a
//! *self-wake*), the poll returned `Pending`, and the code made no progress. Progress is
//! `Ready`, or a call to `wakeful::task::progress()` during the poll (wakeful's sockets and
//! [`MockIo`](crate::mock::MockIo) call it when bytes move, wakeful-tls when it decrypts or
//! encrypts, `wakeful::sync` channels when a message moves).
//!
//! A wake made by another thread during the poll is not a self-wake, whatever the
//! interleaving: the waker compares the waking thread with the polling thread.
//!
//! # Modes
//!
//! What the checks poll by default (the [`Step`](crate::Step) trait) depends on how the probe was made:
//! [`Probe::new`] polls a future; [`Probe::io`] reads a futures-io stream into the probe's
//! buffer ([`Probe::received`]); `Probe::tokio_io` (feature `tokio-io`) does the same with
//! tokio's traits. Any other operation goes through [`Probe::poll_with`].
use crate::stack;
use crate::waker::WakeLog;
use std::backtrace::Backtrace;
use std::fmt;
use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Waker};

/// Bytes the default read step asks for at once.
const DEFAULT_READ_SIZE: usize = 16 * 1024;

/// Mode marker: the probe polls a [`Future`] ([`Probe::new`]).
#[derive(Debug)]
pub enum AsFuture {}

/// Mode marker: the probe drives a futures-io `AsyncRead`/`AsyncWrite` ([`Probe::io`]).
#[derive(Debug)]
pub enum AsIo {}

/// Mode marker: the probe drives a tokio `AsyncRead`/`AsyncWrite` (`Probe::tokio_io`,
/// feature `tokio-io`).
#[derive(Debug)]
pub enum AsTokioIo {}

/// Polls a future or a stream by hand with an instrumented waker.
///
/// After each poll, [`last`](Probe::last) tells whether it was `Ready`, whether the waker
/// was woken during it on the polling thread (a self-wake), how many clones of the waker
/// are still held (a wakeup is possible), whether the code reported progress, and whether
/// the poll was futile. Between polls, [`wakes_since_last_poll`](Probe::wakes_since_last_poll)
/// counts the wakes since the last poll began. The assertion macros
/// ([`assert_no_futile_loop!`](crate::assert_no_futile_loop),
/// [`assert_pending_and_registered!`](crate::assert_pending_and_registered),
/// [`assert_woken!`](crate::assert_woken), [`assert_not_woken!`](crate::assert_not_woken))
/// turn these into test failures that say what went wrong and where.
///
/// ```
/// use std::task::Poll;
/// use wakeful_test::Probe;
///
/// let mut probe = Probe::new(std::future::ready(7));
/// assert_eq!(probe.poll(), Poll::Ready(7));
/// let last = probe.last().unwrap();
/// assert!(last.ready && !last.futile && last.self_wakes == 0);
/// ```
pub struct Probe<T, M = AsFuture> {
    pub(crate) target: Pin<Box<T>>,
    pub(crate) log: StdArc<WakeLog>,
    waker: Waker,
    pub(crate) stats: ProbeStats,
    /// The stack of the first self-wake of the current futile streak.
    pub(crate) streak_stack: Option<Backtrace>,
    pub(crate) last: Option<PollRecord>,
    /// `log.wakes()` when the last poll started and ended.
    wakes_at_start: usize,
    wakes_at_end: usize,
    read_buf: Vec<u8>,
    received: Vec<u8>,
    finished: bool,
    _mode: PhantomData<fn() -> M>,
}

/// What one poll did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PollRecord {
    /// Which poll this was: 1 for the first.
    pub number: u64,
    /// It returned `Ready`.
    pub ready: bool,
    /// Wakes between the end of the previous poll (or the probe's creation) and this poll.
    pub woken_before: usize,
    /// Wakes during the poll, on the polling thread: the code woke itself.
    pub self_wakes: usize,
    /// Wakes during the poll from other threads.
    pub other_wakes: usize,
    /// Clones of the waker alive right after the poll (held by the code under test or
    /// whatever it handed them to): someone can still wake the task.
    pub clones_held: usize,
    /// `wakeful::task::progress()` was called during the poll.
    pub progress: bool,
    /// Self-woken, `Pending` and no progress: the scheduler would count it as a spin.
    pub futile: bool,
}

impl PollRecord {
    /// The poll woke its own waker.
    pub fn self_woken(&self) -> bool {
        self.self_wakes > 0
    }

    /// The poll returned `Pending`.
    pub fn is_pending(&self) -> bool {
        !self.ready
    }
}

impl fmt::Display for PollRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "poll #{}: {}, {} self-wake(s), {} wake(s) from other threads, {} waker clone(s) held, {}{}",
            self.number,
            if self.ready { "Ready" } else { "Pending" },
            self.self_wakes,
            self.other_wakes,
            self.clones_held,
            if self.progress { "progress" } else { "no progress" },
            if self.futile { " (futile)" } else { "" },
        )
    }
}

/// Totals over every poll of a probe.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProbeStats {
    /// Polls made.
    pub polls: u64,
    /// Polls that returned `Ready`.
    pub ready_polls: u64,
    /// Polls that called `wakeful::task::progress()`.
    pub progress_polls: u64,
    /// Futile polls (self-woken, `Pending`, no progress).
    pub futile_polls: u64,
    /// Self-wakes, over all polls.
    pub self_wakes: u64,
    /// The current run of consecutive futile polls.
    pub futile_streak: u64,
    /// The longest run of consecutive futile polls.
    pub max_futile_streak: u64,
}

impl<F: Future> Probe<F, AsFuture> {
    /// A probe that polls `future` (the [`Step`](crate::Step) of the checks is [`Probe::poll`]).
    pub fn new(future: F) -> Self {
        Probe::with_target(future)
    }

    /// Polls the future once with the probe's waker.
    ///
    /// # Panics
    ///
    /// If the future already returned `Ready` (polling it again would be a contract
    /// violation of the test, not of the future).
    pub fn poll(&mut self) -> Poll<F::Output> {
        assert!(
            !self.finished,
            "wakeful-test: {} polled again after it returned Ready",
            std::any::type_name::<F>()
        );
        let out = self.poll_with(|fut, cx| fut.poll(cx));
        self.finished = out.is_ready();
        out
    }
}

impl<T> Probe<T, AsIo> {
    /// A probe that drives a futures-io stream (reader, writer or both) (the [`Step`](crate::Step) of the checks reads into the
    /// probe's buffer; see [`Probe::received`]).
    pub fn io(io: T) -> Self {
        Probe::with_target(io)
    }
}

impl<T: futures_io::AsyncRead> Probe<T, AsIo> {
    /// `AsyncRead::poll_read` once, with the probe's waker.
    pub fn poll_read(&mut self, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.poll_with(|io, cx| io.poll_read(cx, buf))
    }
}

impl<T: futures_io::AsyncWrite> Probe<T, AsIo> {
    /// `AsyncWrite::poll_write` once, with the probe's waker.
    pub fn poll_write(&mut self, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_with(|io, cx| io.poll_write(cx, buf))
    }

    /// `AsyncWrite::poll_flush` once, with the probe's waker.
    pub fn poll_flush(&mut self) -> Poll<io::Result<()>> {
        self.poll_with(|io, cx| io.poll_flush(cx))
    }

    /// `AsyncWrite::poll_close` once, with the probe's waker.
    pub fn poll_close(&mut self) -> Poll<io::Result<()>> {
        self.poll_with(|io, cx| io.poll_close(cx))
    }
}

#[cfg(feature = "tokio-io")]
impl<T> Probe<T, AsTokioIo> {
    /// A probe that drives a tokio stream (reader, writer or both; the [`Step`](crate::Step) of the
    /// checks reads into the probe's buffer; see [`Probe::received`]).
    pub fn tokio_io(io: T) -> Self {
        Probe::with_target(io)
    }
}

#[cfg(feature = "tokio-io")]
impl<T: tokio::io::AsyncRead> Probe<T, AsTokioIo> {
    /// tokio's `AsyncRead::poll_read` once, with the probe's waker; `Ready(Ok(n))` says how
    /// many bytes it put in `buf`.
    pub fn poll_read(&mut self, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.poll_with(|io, cx| {
            let mut rb = tokio::io::ReadBuf::new(buf);
            io.poll_read(cx, &mut rb).map_ok(|()| rb.filled().len())
        })
    }
}

#[cfg(feature = "tokio-io")]
impl<T: tokio::io::AsyncWrite> Probe<T, AsTokioIo> {
    /// tokio's `AsyncWrite::poll_write` once, with the probe's waker.
    pub fn poll_write(&mut self, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_with(|io, cx| io.poll_write(cx, buf))
    }

    /// tokio's `AsyncWrite::poll_flush` once, with the probe's waker.
    pub fn poll_flush(&mut self) -> Poll<io::Result<()>> {
        self.poll_with(|io, cx| io.poll_flush(cx))
    }

    /// tokio's `AsyncWrite::poll_shutdown` once, with the probe's waker.
    pub fn poll_shutdown(&mut self) -> Poll<io::Result<()>> {
        self.poll_with(|io, cx| io.poll_shutdown(cx))
    }
}

impl<T, M> Probe<T, M> {
    fn with_target(target: T) -> Self {
        let (log, waker) = WakeLog::new();
        Probe {
            target: Box::pin(target),
            log,
            waker,
            stats: ProbeStats::default(),
            streak_stack: None,
            last: None,
            wakes_at_start: 0,
            wakes_at_end: 0,
            read_buf: vec![0; DEFAULT_READ_SIZE],
            received: Vec::new(),
            finished: false,
            _mode: PhantomData,
        }
    }

    /// Sets how many bytes the default read step asks for at once (16 KiB by default).
    pub fn with_read_size(mut self, bytes: usize) -> Self {
        self.read_buf = vec![0; bytes.max(1)];
        self
    }

    /// Runs one poll of the target: `op` gets the pinned target and a context carrying the
    /// probe's waker, and the poll is recorded like any other ([`Probe::last`]).
    ///
    /// ```
    /// use std::future::Future;
    /// use wakeful_test::Probe;
    ///
    /// let mut probe = Probe::new(std::future::pending::<()>());
    /// let out = probe.poll_with(|fut, cx| {
    ///     cx.waker().wake_by_ref(); // a self-wake
    ///     fut.poll(cx)
    /// });
    /// assert!(out.is_pending());
    /// assert!(probe.last().unwrap().futile);
    /// ```
    pub fn poll_with<R>(
        &mut self,
        op: impl FnOnce(Pin<&mut T>, &mut Context<'_>) -> Poll<R>,
    ) -> Poll<R> {
        let start = self.log.wakes();
        let self_start = self.log.self_wakes();
        // Capture the self-wake stack unless a futile streak already has one.
        self.log.enter_poll(self.stats.futile_streak == 0);
        let (out, progress) = {
            // Ends the poll even if `op` panics (a failed assertion inside the code under
            // test), so a later wake from this thread is not taken for a self-wake.
            let _leave = LeaveOnUnwind(&self.log);
            let mut cx = Context::from_waker(&self.waker);
            let target = self.target.as_mut();
            wakeful_executor::driver::observe_progress(|| op(target, &mut cx))
        };
        let stack = self.log.leave_poll();
        let end = self.log.wakes();
        let self_wakes = self.log.self_wakes() - self_start;
        let ready = out.is_ready();
        let futile = !ready && self_wakes > 0 && !progress;
        let record = PollRecord {
            number: self.stats.polls + 1,
            ready,
            woken_before: start - self.wakes_at_end,
            self_wakes,
            other_wakes: (end - start).saturating_sub(self_wakes),
            clones_held: WakeLog::clones_held(&self.log),
            progress,
            futile,
        };
        self.account(&record, stack);
        self.wakes_at_start = start;
        self.wakes_at_end = end;
        self.last = Some(record);
        out
    }

    fn account(&mut self, r: &PollRecord, stack: Option<Backtrace>) {
        let s = &mut self.stats;
        s.polls += 1;
        s.ready_polls += u64::from(r.ready);
        s.progress_polls += u64::from(r.progress);
        s.self_wakes += r.self_wakes as u64;
        if r.futile {
            s.futile_polls += 1;
            s.futile_streak += 1;
            s.max_futile_streak = s.max_futile_streak.max(s.futile_streak);
            if s.futile_streak == 1 {
                self.streak_stack = stack;
            }
        } else {
            s.futile_streak = 0;
            self.streak_stack = None;
        }
    }

    /// The record of the last poll, or `None` before the first.
    pub fn last(&self) -> Option<&PollRecord> {
        self.last.as_ref()
    }

    /// Totals over every poll so far.
    pub fn stats(&self) -> ProbeStats {
        self.stats
    }

    /// Wakes since the last poll began (a wake during a poll counts: an executor polls the
    /// task again after such a wake), or since the probe was made if it was never polled.
    pub fn wakes_since_last_poll(&self) -> usize {
        self.log.wakes() - self.wakes_at_start
    }

    /// Whether the waker was woken since the last poll began: an executor would poll again.
    pub fn is_woken(&self) -> bool {
        self.wakes_since_last_poll() > 0
    }

    /// Clones of the probe's waker alive right now outside the probe: someone can still
    /// wake the task.
    pub fn waker_clones(&self) -> usize {
        WakeLog::clones_held(&self.log)
    }

    /// The probe's waker, to hand to code that is not polled through the probe (a wake
    /// through it from the polling thread outside a poll is not a self-wake).
    pub fn waker(&self) -> &Waker {
        &self.waker
    }

    /// Where the current futile streak's first self-wake happened: the innermost frame of
    /// its stack outside std and this kit (`symbol at file:line:col`).
    pub fn self_wake_site(&self) -> Option<String> {
        self.self_wake_stack().into_iter().next()
    }

    /// The stack of the current futile streak's first self-wake, outside std and this kit,
    /// innermost first (empty outside a streak, or without debug info).
    pub fn self_wake_stack(&self) -> Vec<String> {
        self.streak_stack
            .as_ref()
            .map(stack::user_frames)
            .unwrap_or_default()
    }

    /// Bytes read by the default read step ([`Step::step`](crate::Step::step) in the I/O modes) so far.
    pub fn received(&self) -> &[u8] {
        &self.received
    }

    /// Takes the bytes read by the default read step so far.
    pub fn take_received(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.received)
    }

    /// The target, pinned.
    pub fn as_pin_mut(&mut self) -> Pin<&mut T> {
        self.target.as_mut()
    }

    /// The target.
    pub fn get_ref(&self) -> &T {
        &self.target
    }

    /// The target, when it is `Unpin`.
    pub fn get_mut(&mut self) -> &mut T
    where
        T: Unpin,
    {
        &mut self.target
    }

    /// Gives the target back, when it is `Unpin`.
    pub fn into_inner(self) -> T
    where
        T: Unpin,
    {
        *Pin::into_inner(self.target)
    }

    pub(crate) fn read_step(
        &mut self,
        read: impl FnOnce(&mut Self, &mut [u8]) -> Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        let mut buf = std::mem::take(&mut self.read_buf);
        let out = read(self, &mut buf);
        if let Poll::Ready(Ok(n)) = out {
            self.received.extend_from_slice(&buf[..n]);
        }
        self.read_buf = buf;
        out
    }
}

/// Ends the wake log's poll if the poll unwinds.
struct LeaveOnUnwind<'a>(&'a WakeLog);

impl Drop for LeaveOnUnwind<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = self.0.leave_poll();
        }
    }
}

impl<T, M> fmt::Debug for Probe<T, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Probe")
            .field("target", &std::any::type_name::<T>())
            .field("stats", &self.stats)
            .field("last", &self.last)
            .field("wakes_since_last_poll", &self.wakes_since_last_poll())
            .field("waker_clones", &self.waker_clones())
            .finish_non_exhaustive()
    }
}
