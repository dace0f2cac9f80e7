//! `ScheduledIo`: the readiness of one registered I/O resource and the wakers waiting on it.
//!
//! # The readiness word
//! One `AtomicUsize`:
//!
//! | bits   | meaning |
//! |--------|---------|
//! | 0..=4  | [`Ready`] bits: readable, writable, read-closed, write-closed, error |
//! | 16..=30| the **tick**: incremented (mod 2^15) by every readiness event the reactor delivers |
//! | 31     | `SHUTDOWN`: the driver is gone; every operation fails from now on |
//!
//! # Who writes what
//! - The reactor ORs the bits of each event in and increments the tick, in one
//!   read-modify-write ([`ScheduledIo::set_readiness`]), then wakes the wakers whose interest
//!   the event meets ([`ScheduledIo::wake`]).
//! - An I/O operation observes readiness (with its tick) through
//!   [`ScheduledIo::poll_ready`], tries the syscall, and if that returns `WouldBlock` clears
//!   the bits it observed with [`ScheduledIo::clear_readiness`] — **only if the tick is still
//!   the one it observed** (a compare-exchange). A readiness event that arrived between the
//!   observation and the clear has changed the tick, so the clear does nothing and the event
//!   is not lost: the next poll sees the bits and retries the syscall.
//! - [`ScheduledIo::assume_ready`] ORs bits in without an event and without moving the tick, for a
//!   resource registered just before whose state is known (an accepted socket): any later
//!   change still arrives as an event and moves the tick, so a wrong guess is cleared by its
//!   own `WouldBlock` and never erases a real event.
//! - The closed bits are final and never cleared; `SHUTDOWN` is set once, by the driver's
//!   shutdown, which then wakes everything.
//!
//! # Wakers
//! Wakers live under a mutex per resource: one slot for the reader and one for the writer
//! (the `poll_*` methods of `AsyncRead`/`AsyncWrite`, one task per direction at a time), and
//! a list of waiters for the `async fn` operations (`accept`, `recv_from`, `readable`...),
//! which any number of tasks may await at once. A waiter registers its waker under the
//! mutex and then **re-reads the readiness word**: the reactor sets readiness before it
//! takes the mutex to collect wakers, so either it finds the waker, or the re-read sees its
//! bits. The wakers are woken after the mutex is released, as `io` wakes.
//!
//! # The edge-triggered contract
//! Resources are registered edge-triggered (as mio does): the reactor reports a *change* of
//! readiness, not a level. So:
//! 1. After readiness is reported, an operation must be retried until it returns
//!    `WouldBlock`; only then is readiness cleared and the task parked. Stopping earlier
//!    (for example after one successful read) is fine *only* because the bits stay set: the
//!    next poll tries again at once.
//! 2. Events may be spurious: readiness can be reported when the operation still returns
//!    `WouldBlock` (then it is cleared and the task waits again), or for a resource that was
//!    deregistered meanwhile (tokens carry a generation, see `io_slab`, so such an event
//!    never reaches a reused slot).
//! 3. A partial read or write on a stream socket means the kernel buffer was drained (or
//!    filled); the operation may clear readiness right away without the extra `WouldBlock`
//!    syscall, as the tick protocol still catches any event that raced with it.
use crate::loom::{AtomicUsize, Mutex, Ordering::AcqRel, Ordering::Acquire};
use crate::ready::{Direction, Ready};
use crate::wake_list::WakeList;
use slab::Slab;
use std::fmt;
use std::task::{Context, Poll, Waker};

const TICK_SHIFT: u32 = 16;
const TICK_MAX: usize = (1 << 15) - 1;
const SHUTDOWN: usize = 1 << 31;

fn tick_of(word: usize) -> usize {
    (word >> TICK_SHIFT) & TICK_MAX
}

/// Readiness observed by an operation: what it may try, and the tick to clear it against.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadyEvent {
    tick: usize,
    pub(crate) ready: Ready,
    /// The driver has shut down: the operation must fail instead of trying the syscall.
    pub(crate) is_shutdown: bool,
}

pub(crate) struct ScheduledIo {
    readiness: AtomicUsize,
    waiters: Mutex<Waiters>,
}

#[derive(Default)]
struct Waiters {
    reader: Option<Waker>,
    writer: Option<Waker>,
    /// The `async fn` waiters; a waiter keeps its key until it completes or is dropped.
    list: Slab<Waiter>,
}

struct Waiter {
    interest: Ready,
    /// Taken by a wake; the waiter puts a new one in when it waits again.
    waker: Option<Waker>,
}

impl ScheduledIo {
    pub(crate) fn new() -> ScheduledIo {
        ScheduledIo {
            readiness: AtomicUsize::new(0),
            waiters: Mutex::new(Waiters::default()),
        }
    }

    fn event(word: usize, interest: Ready) -> Option<ReadyEvent> {
        let ready = Ready::from_usize(word) & interest;
        let is_shutdown = word & SHUTDOWN != 0;
        (is_shutdown || !ready.is_empty()).then_some(ReadyEvent {
            tick: tick_of(word),
            ready,
            is_shutdown,
        })
    }

    /// The reactor: ORs `ready` in and increments the tick. Call [`wake`](Self::wake) after.
    pub(crate) fn set_readiness(&self, ready: Ready) {
        let mut curr = self.readiness.load(Acquire);
        loop {
            let tick = (tick_of(curr) + 1) & TICK_MAX;
            let bits = (Ready::from_usize(curr) | ready).as_usize();
            let new = (curr & SHUTDOWN) | (tick << TICK_SHIFT) | bits;
            match self.readiness.compare_exchange(curr, new, AcqRel, Acquire) {
                Ok(_) => return,
                Err(actual) => curr = actual,
            }
        }
    }

    /// Marks the resource ready in `ready`'s directions without an event from the reactor,
    /// for a resource whose state is known when it is registered (an accepted socket is
    /// writable, and its peer's first bytes are usually there already). The tick is left
    /// alone: the resource was registered before this, so any change of readiness from now
    /// on still arrives as an event (and moves the tick), and a wrong guess costs one
    /// `WouldBlock`, whose clear then finds the tick unchanged and clears the guess.
    /// Nothing after shutdown.
    pub(crate) fn assume_ready(&self, ready: Ready) {
        let mut curr = self.readiness.load(Acquire);
        while curr & SHUTDOWN == 0 {
            let new = curr | ready.as_usize();
            if new == curr {
                return;
            }
            match self.readiness.compare_exchange(curr, new, AcqRel, Acquire) {
                Ok(_) => return,
                Err(actual) => curr = actual,
            }
        }
    }

    /// Clears the bits of `event` (except the final closed bits) if no readiness event has
    /// arrived since it was observed (the tick is unchanged). See the module docs.
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        let mask = (event.ready - Ready::ALL_CLOSED).as_usize();
        let mut curr = self.readiness.load(Acquire);
        loop {
            if tick_of(curr) != event.tick {
                return;
            }
            let new = curr & !mask;
            if new == curr {
                return;
            }
            match self.readiness.compare_exchange(curr, new, AcqRel, Acquire) {
                Ok(_) => return,
                Err(actual) => curr = actual,
            }
        }
    }

    /// Marks the resource shut down and wakes everything waiting on it.
    pub(crate) fn shutdown(&self) {
        self.readiness.fetch_or(SHUTDOWN, AcqRel);
        self.wake_matching(None);
    }

    /// The reactor, after [`set_readiness`](Self::set_readiness): wakes every waker whose
    /// interest `ready` meets, outside the mutex.
    pub(crate) fn wake(&self, ready: Ready) {
        self.wake_matching(Some(ready));
    }

    /// `None` wakes everything (shutdown).
    fn wake_matching(&self, ready: Option<Ready>) {
        let meets = |interest: Ready| ready.is_none_or(|r| r.intersects(interest));
        let mut list = WakeList::new();
        loop {
            let mut waiters = self.waiters.lock();
            if meets(Direction::Read.mask()) {
                if let Some(w) = waiters.reader.take() {
                    list.push(w);
                }
            }
            if meets(Direction::Write.mask()) {
                if let Some(w) = waiters.writer.take() {
                    list.push(w);
                }
            }
            let mut full = false;
            for (_, waiter) in waiters.list.iter_mut() {
                if !list.can_push() {
                    full = true;
                    break;
                }
                if meets(waiter.interest) {
                    if let Some(w) = waiter.waker.take() {
                        list.push(w);
                    }
                }
            }
            drop(waiters);
            list.wake_io();
            if !full {
                return;
            }
        }
    }

    /// The readiness `interest` currently has, without waiting (the `try_*` operations).
    pub(crate) fn ready_now(&self, interest: Ready) -> Option<ReadyEvent> {
        Self::event(self.readiness.load(Acquire), interest)
    }

    /// Readiness for an operation in direction `dir`, or `Pending` with the task's waker
    /// in that direction's slot.
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<ReadyEvent> {
        let interest = dir.mask();
        if let Some(ev) = Self::event(self.readiness.load(Acquire), interest) {
            return Poll::Ready(ev);
        }
        let mut waiters = self.waiters.lock();
        let slot = match dir {
            Direction::Read => &mut waiters.reader,
            Direction::Write => &mut waiters.writer,
        };
        match slot {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => *slot = Some(cx.waker().clone()),
        }
        // Re-check under the mutex: a reactor that set readiness before we stored the waker
        // did not see it (it takes this mutex only after setting readiness).
        match Self::event(self.readiness.load(Acquire), interest) {
            Some(ev) => Poll::Ready(ev),
            None => Poll::Pending,
        }
    }

    /// As [`poll_ready`](Self::poll_ready), for an `async fn` waiter holding `key` (a
    /// waiter of the list, so several tasks can wait at once). Call
    /// [`drop_waiter`](Self::drop_waiter) with the key if the waiter is dropped while
    /// `Pending`.
    pub(crate) fn poll_waiter(
        &self,
        cx: &mut Context<'_>,
        interest: Ready,
        key: &mut Option<usize>,
    ) -> Poll<ReadyEvent> {
        if let Some(ev) = Self::event(self.readiness.load(Acquire), interest) {
            if let Some(k) = key.take() {
                self.drop_waiter(k);
            }
            return Poll::Ready(ev);
        }
        let mut waiters = self.waiters.lock();
        match key.and_then(|k| waiters.list.get_mut(k)) {
            Some(waiter) => match &waiter.waker {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => waiter.waker = Some(cx.waker().clone()),
            },
            None => {
                *key = Some(waiters.list.insert(Waiter {
                    interest,
                    waker: Some(cx.waker().clone()),
                }));
            }
        }
        match Self::event(self.readiness.load(Acquire), interest) {
            Some(ev) => {
                if let Some(k) = key.take() {
                    waiters.list.try_remove(k);
                }
                Poll::Ready(ev)
            }
            None => Poll::Pending,
        }
    }

    /// Removes a waiter registered by [`poll_waiter`](Self::poll_waiter).
    pub(crate) fn drop_waiter(&self, key: usize) {
        let removed = self.waiters.lock().list.try_remove(key);
        drop(removed);
    }

    /// Drops every stored waker (the resource is being deregistered: nobody can poll it
    /// any more, and a waker must not keep a task alive through the driver).
    pub(crate) fn clear_wakers(&self) {
        let taken = std::mem::take(&mut *self.waiters.lock());
        drop(taken);
    }

    #[cfg(all(test, not(loom)))]
    pub(crate) fn waiter_count(&self) -> usize {
        let w = self.waiters.lock();
        w.list.len() + usize::from(w.reader.is_some()) + usize::from(w.writer.is_some())
    }
}

impl fmt::Debug for ScheduledIo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = self.readiness.load(Acquire);
        f.debug_struct("ScheduledIo")
            .field("ready", &Ready::from_usize(word))
            .field("tick", &tick_of(word))
            .field("shutdown", &(word & SHUTDOWN != 0))
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::loom::{AtomicUsize as CountCell, Ordering::SeqCst};
    use std::sync::Arc;
    use std::task::Wake;

    #[derive(Default)]
    struct Count(CountCell);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    #[test]
    fn stale_clear_does_not_lose_an_event() {
        let io = ScheduledIo::new();
        io.set_readiness(Ready::READABLE);
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let Poll::Ready(ev) = io.poll_ready(&mut cx, Direction::Read) else {
            panic!("readable");
        };
        // A new event arrives between the observation and the clear.
        io.set_readiness(Ready::READABLE);
        io.clear_readiness(ev);
        assert!(io.poll_ready(&mut cx, Direction::Read).is_ready());
    }

    #[test]
    fn an_assumed_readiness_is_tried_and_a_wrong_guess_cleared() {
        let io = ScheduledIo::new();
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        io.assume_ready(Ready::READABLE | Ready::WRITABLE);
        assert!(io.poll_ready(&mut cx, Direction::Write).is_ready());
        let Poll::Ready(ev) = io.poll_ready(&mut cx, Direction::Read) else {
            panic!("assumed readable");
        };
        // The guess was wrong (WouldBlock): cleared, the reader waits for a real event.
        io.clear_readiness(ev);
        assert!(io.poll_ready(&mut cx, Direction::Read).is_pending());
        io.set_readiness(Ready::READABLE);
        io.wake(Ready::READABLE);
        assert_eq!(count.0.load(SeqCst), 1);
        assert!(io.poll_ready(&mut cx, Direction::Read).is_ready());
    }

    #[test]
    fn an_event_after_a_wrong_guess_is_not_cleared_with_it() {
        let io = ScheduledIo::new();
        let waker = Waker::from(Arc::new(Count::default()));
        let mut cx = Context::from_waker(&waker);
        io.assume_ready(Ready::READABLE);
        let Poll::Ready(ev) = io.poll_ready(&mut cx, Direction::Read) else {
            panic!("assumed readable");
        };
        // The reactor's first event lands between the guess's WouldBlock and its clear.
        io.set_readiness(Ready::READABLE);
        io.clear_readiness(ev);
        assert!(io.poll_ready(&mut cx, Direction::Read).is_ready());
    }

    #[test]
    fn nothing_is_assumed_after_shutdown() {
        let io = ScheduledIo::new();
        io.shutdown();
        io.assume_ready(Ready::READABLE | Ready::WRITABLE);
        let ev = io.ready_now(Ready::READABLE).expect("shut down");
        assert!(ev.is_shutdown && ev.ready.is_empty(), "{ev:?}");
    }

    #[test]
    fn clear_keeps_closed_bits_and_wakes_registered_reader() {
        let io = ScheduledIo::new();
        io.set_readiness(Ready::READABLE | Ready::READ_CLOSED);
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let Poll::Ready(ev) = io.poll_ready(&mut cx, Direction::Read) else {
            panic!("readable");
        };
        io.clear_readiness(ev);
        // READ_CLOSED is final: still ready.
        assert!(io.poll_ready(&mut cx, Direction::Read).is_ready());

        let io = ScheduledIo::new();
        assert!(io.poll_ready(&mut cx, Direction::Read).is_pending());
        assert!(io.poll_ready(&mut cx, Direction::Write).is_pending());
        io.set_readiness(Ready::WRITABLE);
        io.wake(Ready::WRITABLE);
        assert_eq!(count.0.load(SeqCst), 1, "only the writer is woken");
        io.set_readiness(Ready::READABLE);
        io.wake(Ready::READABLE);
        assert_eq!(count.0.load(SeqCst), 2);
    }

    #[test]
    fn waiters_are_woken_and_removed() {
        let io = ScheduledIo::new();
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let mut keys: Vec<Option<usize>> = vec![None; 40];
        for key in &mut keys {
            assert!(io.poll_waiter(&mut cx, Ready::READABLE, key).is_pending());
        }
        assert_eq!(io.waiter_count(), 40);
        // More waiters than one WakeList holds: all are woken.
        io.set_readiness(Ready::READABLE);
        io.wake(Ready::READABLE);
        assert_eq!(count.0.load(SeqCst), 40);
        for key in &mut keys {
            assert!(io.poll_waiter(&mut cx, Ready::READABLE, key).is_ready());
            assert!(key.is_none());
        }
        assert_eq!(io.waiter_count(), 0);

        let mut key = None;
        let io = ScheduledIo::new();
        assert!(io
            .poll_waiter(&mut cx, Ready::WRITABLE, &mut key)
            .is_pending());
        io.drop_waiter(key.expect("registered"));
        assert_eq!(io.waiter_count(), 0);
    }

    #[test]
    fn shutdown_wakes_all_and_is_sticky() {
        let io = ScheduledIo::new();
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let mut key = None;
        assert!(io.poll_ready(&mut cx, Direction::Read).is_pending());
        assert!(io
            .poll_waiter(&mut cx, Ready::WRITABLE, &mut key)
            .is_pending());
        io.shutdown();
        assert_eq!(count.0.load(SeqCst), 2);
        match io.poll_ready(&mut cx, Direction::Write) {
            Poll::Ready(ev) => assert!(ev.is_shutdown),
            Poll::Pending => panic!("shut down"),
        }
    }

    #[test]
    fn tick_wraps() {
        let io = ScheduledIo::new();
        for _ in 0..(TICK_MAX + 5) {
            io.set_readiness(Ready::WRITABLE);
        }
        let word = io.readiness.load(Acquire);
        assert_eq!(tick_of(word), 4);
        assert_eq!(word & SHUTDOWN, 0);
    }
}
