//! `Registration`: one resource's link to the reactor, and the I/O loop every operation
//! runs (budget, readiness, syscall, clear on `WouldBlock`).
//!
//! # The operation loop
//! 1. Wait for readiness in the operation's direction ([`ScheduledIo::poll_ready`] or, for
//!    `async fn` operations that several tasks may await at once, a waiter).
//! 2. Take one unit of the task's cooperative budget ([`poll_budget`]): a task whose
//!    socket is always ready yields after 128 operations instead of monopolising a worker.
//!    The budget is taken only once the resource is ready, so the yield happens with work
//!    waiting and the poll after it does that work: a budget yield never leads to a poll
//!    that finds nothing to do (which spin accounting would count as futile).
//! 3. Try the syscall. `WouldBlock` clears the readiness observed in 1 (if no newer event
//!    arrived, see [`crate::scheduled_io`]) and goes back to 1; anything else is the result.
//!
//! Bytes moved are reported as progress by the socket types, which know what a result means.
//!
//! # Drop
//! A registration is dropped after its source was deregistered (see
//! [`PollEvented`](crate::poll_evented::PollEvented)): it frees the slab slot and drops any
//! waker left behind by a cancelled operation, so nothing leaks when pending futures are
//! dropped.
use crate::driver::{shutdown_error, Driver};
use crate::ready::{Direction, Ready};
use crate::scheduled_io::{ReadyEvent, ScheduledIo};
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use wakeful_executor::driver::poll_budget;

pub(crate) struct Registration {
    driver: Arc<Driver>,
    token: mio::Token,
    shared: Arc<ScheduledIo>,
}

impl Registration {
    /// Registers `source` with the current runtime's reactor.
    pub(crate) fn new(
        source: &mut impl mio::event::Source,
        interest: mio::Interest,
    ) -> io::Result<Registration> {
        Registration::with_driver(source, interest, Driver::current()?)
    }

    pub(crate) fn with_driver(
        source: &mut impl mio::event::Source,
        interest: mio::Interest,
        driver: Arc<Driver>,
    ) -> io::Result<Registration> {
        let (token, shared) = driver.register(source, interest)?;
        Ok(Registration {
            driver,
            token,
            shared,
        })
    }

    pub(crate) fn deregister(&self, source: &mut impl mio::event::Source) -> io::Result<()> {
        self.driver.deregister(source)
    }

    /// Readiness in direction `dir` (one waiting task per direction).
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        let ev = ready!(self.shared.poll_ready(cx, dir));
        Poll::Ready(if ev.is_shutdown {
            Err(shutdown_error())
        } else {
            Ok(ev)
        })
    }

    /// See [`ScheduledIo::assume_ready`].
    pub(crate) fn assume_ready(&self, ready: Ready) {
        self.shared.assume_ready(ready);
    }

    pub(crate) fn clear_readiness(&self, ev: ReadyEvent) {
        self.shared.clear_readiness(ev);
    }

    /// The operation loop (module docs) for `poll_*` methods: `op` is the syscall.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let mut budgeted = false;
        loop {
            let ev = ready!(self.poll_ready(cx, dir))?;
            if !budgeted {
                ready!(poll_budget(cx));
                budgeted = true;
            }
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(ev),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                res => return Poll::Ready(res),
            }
        }
    }

    /// Readiness for `interest`, as a future any number of tasks may await at once.
    pub(crate) fn readiness(&self, interest: Ready) -> Readiness<'_> {
        Readiness {
            shared: &self.shared,
            interest,
            key: None,
        }
    }

    /// The operation loop (module docs) for `async fn` methods.
    pub(crate) async fn async_io<R>(
        &self,
        interest: Ready,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            let ev = self.readiness(interest).await?;
            std::future::poll_fn(poll_budget).await;
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(ev),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                res => return res,
            }
        }
    }

    /// Tries `op` once if the resource looks ready (the `try_*` methods: never waits).
    pub(crate) fn try_io<R>(
        &self,
        interest: Ready,
        op: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        let ev = match self.shared.ready_now(interest) {
            Some(ev) if ev.is_shutdown => return Err(shutdown_error()),
            Some(ev) => ev,
            None => return Err(io::ErrorKind::WouldBlock.into()),
        };
        let res = op();
        if matches!(&res, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            self.clear_readiness(ev);
        }
        res
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.driver.release(self.token);
        self.shared.clear_wakers();
    }
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("token", &self.token)
            .field("io", &self.shared)
            .finish()
    }
}

/// The future of [`Registration::readiness`]: holds a waiter slot while pending, and gives
/// it back when it completes or is dropped.
pub(crate) struct Readiness<'a> {
    shared: &'a ScheduledIo,
    interest: Ready,
    key: Option<usize>,
}

impl Future for Readiness<'_> {
    type Output = io::Result<ReadyEvent>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let ev = ready!(this.shared.poll_waiter(cx, this.interest, &mut this.key));
        Poll::Ready(if ev.is_shutdown {
            Err(shutdown_error())
        } else {
            Ok(ev)
        })
    }
}

impl Drop for Readiness<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.shared.drop_waiter(key);
        }
    }
}

impl fmt::Debug for Readiness<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Readiness")
            .field("interest", &self.interest)
            .finish_non_exhaustive()
    }
}
