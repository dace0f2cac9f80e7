//! `Timers`: the wheel behind a mutex, its clock, and its handshake with the reactor.
//!
//! # Clock
//! Ticks are whole milliseconds since the driver started. A deadline maps to the first tick
//! at or after it (rounded up), "now" to the last tick at or before it (rounded down), so a
//! timer never fires before its deadline.
//!
//! # Who advances the wheel
//! The worker that holds the reactor: after every poll of the reactor (a blocking park, or
//! the zero-timeout `park_yield` of a busy worker), it fires every timer due by now and wakes
//! their tasks as `timer` wakes, outside the mutex.
//!
//! # Parked-until handshake
//! Before blocking, the reactor worker computes its poll timeout from the wheel's next
//! expiration and records, under the mutex, the tick it will wake at (`parked_until`). A
//! timer registered (or reset) earlier than that tick must wake the reactor so it can
//! shorten its sleep: the registration sees `parked_until` under the same mutex, so either
//! it sees the tick and asks for a wake, or the reactor computed its timeout after the new
//! timer was in the wheel. The wake is a `mio::Waker` write, which a later `poll` still
//! sees, so it is never lost. After asking once, `parked_until` is cleared: the reactor
//! recomputes its timeout when it wakes.
use super::wheel::{Key, Wheel};
use crate::loom::Mutex;
use std::fmt;
use std::task::Waker;
use std::time::{Duration, Instant};

pub(crate) struct Timers {
    start: Instant,
    state: Mutex<State>,
}

struct State {
    wheel: Wheel,
    /// The tick the reactor's current blocking poll ends at, if a worker is blocked in it
    /// and has not been asked to wake yet.
    parked_until: Option<u64>,
    shutdown: bool,
}

/// A newly registered timer.
#[derive(Debug)]
pub(crate) struct Inserted {
    pub(crate) key: Key,
    /// Its tick had already been processed: it is born fired.
    pub(crate) fired: bool,
    /// The reactor must be woken to shorten its sleep (see the module docs).
    pub(crate) unpark: bool,
}

/// What a timer's owner learns when it polls it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TimerState {
    Fired,
    Pending,
    /// The driver has shut down: the timer will never fire.
    Shutdown,
}

impl Timers {
    pub(crate) fn new() -> Timers {
        Timers {
            start: Instant::now(),
            state: Mutex::new(State {
                wheel: Wheel::new(),
                parked_until: None,
                shutdown: false,
            }),
        }
    }

    /// The first tick at or after `deadline`.
    fn deadline_tick(&self, deadline: Instant) -> u64 {
        let since = deadline.saturating_duration_since(self.start);
        let ms = since.as_nanos().div_ceil(1_000_000);
        u64::try_from(ms).unwrap_or(u64::MAX)
    }

    /// The last tick at or before `now`.
    fn now_tick(&self, now: Instant) -> u64 {
        let ms = now.saturating_duration_since(self.start).as_millis();
        u64::try_from(ms).unwrap_or(u64::MAX)
    }

    /// Registers a timer due at `deadline`. `None` once the driver has shut down.
    pub(crate) fn insert(&self, deadline: Instant, waker: &Waker) -> Option<Inserted> {
        let when = self.deadline_tick(deadline);
        let mut state = self.state.lock();
        if state.shutdown {
            return None;
        }
        let key = state.wheel.insert(when, waker.clone());
        let unpark = state.needs_unpark(key, when);
        Some(Inserted {
            key,
            fired: state.wheel.is_fired(key),
            unpark,
        })
    }

    /// True once the timer has fired.
    pub(crate) fn is_fired(&self, key: Key) -> bool {
        self.state.lock().wheel.is_fired(key)
    }

    /// Whether the timer fired; if not, stores `waker` to be woken when it does.
    pub(crate) fn poll(&self, key: Key, waker: &Waker) -> TimerState {
        let mut state = self.state.lock();
        if state.wheel.is_fired(key) {
            return TimerState::Fired;
        }
        if state.shutdown {
            return TimerState::Shutdown;
        }
        state.wheel.set_waker(key, waker);
        TimerState::Pending
    }

    /// Moves the timer to `deadline`. Returns whether the reactor must be woken.
    pub(crate) fn reset(&self, key: Key, deadline: Instant) -> bool {
        let when = self.deadline_tick(deadline);
        let mut state = self.state.lock();
        if state.shutdown {
            return false;
        }
        state.wheel.reset(key, when);
        state.needs_unpark(key, when)
    }

    /// Removes the timer (its `Sleep` was dropped).
    pub(crate) fn remove(&self, key: Key) {
        self.state.lock().wheel.remove(key);
    }

    /// The reactor is about to block for at most `cap`: returns the timeout to block for
    /// (shortened to the next timer) and records when that ends.
    pub(crate) fn before_park(&self, cap: Option<Duration>) -> Option<Duration> {
        let now = Instant::now();
        let mut state = self.state.lock();
        let timer = state.wheel.next_expiration().map(|tick| {
            let at = self.start + Duration::from_millis(tick);
            at.saturating_duration_since(now)
        });
        let timeout = match (cap, timer) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        state.parked_until = Some(match timeout {
            Some(t) if t.is_zero() => 0,
            Some(t) => now
                .checked_add(t)
                .map_or(u64::MAX, |at| self.deadline_tick(at)),
            None => u64::MAX,
        });
        timeout
    }

    /// The reactor's poll returned: timers need not wake it any more.
    pub(crate) fn after_park(&self) {
        self.state.lock().parked_until = None;
    }

    /// Fires every timer due by now, moving their wakers to `wakers` (wake them after).
    pub(crate) fn process(&self, wakers: &mut Vec<Waker>) {
        let now = self.now_tick(Instant::now());
        self.state.lock().wheel.advance(now, wakers);
    }

    /// Refuses new timers and moves every waker to `wakers`: their owners see `Shutdown`.
    pub(crate) fn shutdown(&self, wakers: &mut Vec<Waker>) {
        let mut state = self.state.lock();
        state.shutdown = true;
        state.wheel.take_wakers(wakers);
    }

    #[cfg(all(test, not(loom)))]
    pub(crate) fn len(&self) -> usize {
        self.state.lock().wheel.len()
    }
}

impl State {
    fn needs_unpark(&mut self, key: Key, when: u64) -> bool {
        match self.parked_until {
            Some(until) if when < until && !self.wheel.is_fired(key) => {
                self.parked_until = None;
                true
            }
            _ => false,
        }
    }
}

impl fmt::Debug for Timers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timers")
            .field("start", &self.start)
            .finish_non_exhaustive()
    }
}
