//! The reactor: one `mio::Poll` per runtime, the resources registered with it, its timers.
//!
//! # Who touches what
//! - `core` (the `mio::Poll` and its event buffer) belongs to whichever worker holds its
//!   mutex: an idle worker blocking in it ([`crate::park`]) or a busy one polling it with a
//!   zero timeout (`park_yield`). Both take it with `try_lock`, so at most one thread is in
//!   `epoll_wait` and nobody ever waits for the reactor.
//! - `ios` (the slab of [`ScheduledIo`]) is locked briefly by registration, deregistration
//!   and by the reactor to map an event's token to its resource.
//! - `registry` is a clone of the poll's registry: any thread may register or deregister
//!   with it, concurrently with a poll in progress (epoll allows it).
//!
//! # A turn of the reactor
//! 1. Compute the timeout: the caller's (the scheduler's next deadline) shortened to the
//!    next timer ([`Timers::before_park`]).
//! 2. `poll`. `EINTR` is a spurious return; the waker token is only a wake-up.
//! 3. Under the slab lock, map each event's token to its resource (stale tokens miss, see
//!    [`crate::io_slab`]) and set its readiness (bits + tick).
//! 4. Without any driver lock, wake each resource's waiters whose interest the event meets,
//!    as `io` wakes.
//! 5. Fire the timers due by now and wake their tasks, as `timer` wakes.
//!
//! Wakes never happen under a lock of the driver: a waker may run arbitrary code, including
//! dropping a socket (which deregisters and takes the slab lock).
//!
//! # Shutdown
//! When the runtime has shut down its workers, [`Driver::shutdown`]: refuses new
//! registrations, marks every registered resource `SHUTDOWN` and wakes its waiters (their
//! operations now fail with an error), and tells every timer it will never fire. The
//! driver's memory lives on while sockets still point at it, and is freed with the last.
use crate::io_slab::{IoSlab, WAKER_TOKEN};
use crate::loom::{AtomicBool, Mutex, Ordering::SeqCst};
use crate::ready::Ready;
use crate::scheduled_io::ScheduledIo;
use crate::time::timers::Timers;
use std::fmt;
use std::io;
use std::sync::Arc;
use std::task::Waker;
use std::time::Duration;
use wakeful_executor::driver;

/// Events taken from the kernel per poll.
const EVENTS_CAPACITY: usize = 1024;

pub(crate) struct Driver {
    registry: mio::Registry,
    waker: mio::Waker,
    core: Mutex<Core>,
    ios: Mutex<IoSlab>,
    pub(crate) timers: Timers,
    is_shutdown: AtomicBool,
}

/// What only the thread polling the reactor uses.
pub(crate) struct Core {
    poll: mio::Poll,
    events: mio::Events,
    /// Resources made ready by the current turn (kept to reuse the allocation).
    ready: Vec<(Arc<ScheduledIo>, Ready)>,
    /// Wakers of the timers fired by the current turn.
    timer_wakers: Vec<Waker>,
}

impl Driver {
    pub(crate) fn new() -> io::Result<Driver> {
        let poll = mio::Poll::new()?;
        let waker = mio::Waker::new(poll.registry(), WAKER_TOKEN)?;
        let registry = poll.registry().try_clone()?;
        Ok(Driver {
            registry,
            waker,
            core: Mutex::new(Core {
                poll,
                events: mio::Events::with_capacity(EVENTS_CAPACITY),
                ready: Vec::new(),
                timer_wakers: Vec::new(),
            }),
            ios: Mutex::new(IoSlab::default()),
            timers: Timers::new(),
            is_shutdown: AtomicBool::new(false),
        })
    }

    /// The driver of the runtime this thread is in.
    pub(crate) fn current() -> io::Result<Arc<Driver>> {
        let handle = wakeful_executor::runtime::Handle::try_current()
            .map_err(|e| io::Error::other(format!("{e}: I/O needs a wakeful runtime")))?;
        handle.extension::<Driver>().ok_or_else(|| {
            io::Error::other(
                "this runtime has no I/O driver: build it with `wakeful::runtime::Builder` \
                 (the executor's own builder installs none)",
            )
        })
    }

    /// As [`current`](Self::current), for APIs that cannot return an error (timers).
    ///
    /// # Panics
    /// Outside a wakeful runtime with an I/O driver.
    #[track_caller]
    pub(crate) fn current_or_panic() -> Arc<Driver> {
        match Driver::current() {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        }
    }

    /// Registers `source` with the reactor; returns its token and readiness.
    pub(crate) fn register(
        &self,
        source: &mut impl mio::event::Source,
        interest: mio::Interest,
    ) -> io::Result<(mio::Token, Arc<ScheduledIo>)> {
        let shared = Arc::new(ScheduledIo::new());
        let token = {
            let mut ios = self.ios.lock();
            if self.is_shutdown.load(SeqCst) {
                return Err(shutdown_error());
            }
            ios.insert(shared.clone())?
        };
        if let Err(e) = self.registry.register(source, token, interest) {
            self.ios.lock().remove(token);
            return Err(e);
        }
        Ok((token, shared))
    }

    /// Deregisters `source` from the reactor (its slab entry is released separately, by
    /// [`release`](Self::release), when the registration drops).
    pub(crate) fn deregister(&self, source: &mut impl mio::event::Source) -> io::Result<()> {
        self.registry.deregister(source)
    }

    /// Frees the slab entry of `token`.
    pub(crate) fn release(&self, token: mio::Token) {
        let removed = self.ios.lock().remove(token);
        // Dropped outside the lock: it may hold the last reference to wakers.
        drop(removed);
    }

    /// Wakes the worker blocked in the reactor (or makes its next poll return at once).
    pub(crate) fn unpark(&self) {
        if let Err(e) = self.waker.wake() {
            // An eventfd write only fails if the fd is gone: the driver is broken.
            panic!("failed to wake the wakeful I/O driver: {e}");
        }
    }

    /// Polls the reactor if no other thread does: blocks for at most `timeout` (`None`:
    /// until an event or an unpark). Returns false, at once, if another thread holds it.
    pub(crate) fn try_turn(&self, timeout: Option<Duration>) -> bool {
        match self.core.try_lock() {
            Some(mut core) => {
                self.turn(&mut core, timeout);
                true
            }
            None => false,
        }
    }

    /// Takes the reactor without blocking, for a parker that then calls [`turn`](Self::turn).
    pub(crate) fn try_lock_core(&self) -> Option<crate::loom::MutexGuard<'_, Core>> {
        self.core.try_lock()
    }

    /// One turn of the reactor (see the module docs).
    pub(crate) fn turn(&self, core: &mut Core, timeout: Option<Duration>) {
        let Core {
            poll,
            events,
            ready,
            timer_wakers,
        } = core;
        let polled = if timeout == Some(Duration::ZERO) {
            // Not blocking (`park_yield`): timers need not know, nor ever wake us.
            poll.poll(events, timeout)
        } else {
            let timeout = self.timers.before_park(timeout);
            let polled = poll.poll(events, timeout);
            self.timers.after_park();
            polled
        };
        match polled {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => events.clear(),
            // epoll_wait only fails on a bad fd or buffer: the driver itself is broken.
            Err(e) => panic!("the wakeful I/O driver failed to poll: {e}"),
        }
        if !events.is_empty() {
            let ios = self.ios.lock();
            for event in events.iter() {
                if event.token() == WAKER_TOKEN {
                    continue;
                }
                if let Some(io) = ios.get(event.token()) {
                    let r = Ready::from_mio(event);
                    io.set_readiness(r);
                    ready.push((io.clone(), r));
                }
            }
        }
        for (io, r) in ready.drain(..) {
            io.wake(r);
        }
        self.timers.process(timer_wakers);
        wake_timers(timer_wakers.drain(..));
    }

    /// Fails every registered resource and timer (see the module docs). Idempotent.
    pub(crate) fn shutdown(&self) {
        let ios = {
            let mut ios = self.ios.lock();
            if self.is_shutdown.swap(true, SeqCst) {
                return;
            }
            ios.drain()
        };
        for io in ios {
            io.shutdown();
        }
        let mut wakers = Vec::new();
        self.timers.shutdown(&mut wakers);
        wake_timers(wakers.into_iter());
    }

    #[cfg(all(test, not(loom)))]
    pub(crate) fn num_registered(&self) -> usize {
        self.ios.lock().len()
    }
}

/// Wakes the tasks of fired timers (no lock held), as `timer` wakes.
fn wake_timers(wakers: impl ExactSizeIterator<Item = Waker>) {
    if wakers.len() > 0 {
        driver::with_timer_source(|| wakers.for_each(driver::wake_timer));
    }
}

/// The error of an operation on a resource whose runtime has shut down.
pub(crate) fn shutdown_error() -> io::Error {
    io::Error::other("the wakeful runtime of this I/O resource has shut down")
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("shutdown", &self.is_shutdown.load(SeqCst))
            .field("timers", &self.timers)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Core").finish_non_exhaustive()
    }
}
