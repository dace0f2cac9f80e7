//! The hierarchical timer wheel: the data structure alone, in milliseconds since the driver
//! started (a *tick*). Locking, clocks and wakes are [`super::timers`]'s business.
//!
//! # Shape
//! Six levels of 64 slots. A slot of level `L` spans `64^L` ticks, so level 0 holds the
//! timers due in the current 64 ms, level 1 those in the current ~4 s, ..., level 5 those
//! within ~2.2 years (longer deadlines are parked in the top level and re-filed when their
//! slot comes round). Each slot is a doubly linked list threaded through the entries' slab
//! (indices, not pointers), and each level keeps a 64-bit mask of its non-empty slots.
//!
//! # Invariants
//! - An entry is in exactly one slot list while `Queued`, and in none once `Fired` or
//!   `Idle`. Its `(level, slot)` is stored in its state, so removal is an O(1) unlink:
//!   dropping a `Sleep` frees its slab slot at once and a million cancelled timers leave
//!   nothing behind.
//! - A queued entry of level `L` differs from `elapsed` in the bits of level `L` and agrees
//!   with it above (except the top level, which wraps). Hence the lowest non-empty level
//!   holds the earliest slot, and [`Wheel::next_expiration`] scans levels bottom-up.
//! - [`Wheel::advance`] processes every slot whose start is `<= now` before moving
//!   `elapsed` to `now`: entries due by `now` fire, the others cascade to a lower level.
//!   An entry never fires before its tick; within one `advance` all entries due are fired
//!   together.
use slab::Slab;
use std::task::Waker;

const NUM_LEVELS: usize = 6;
const LEVEL_BITS: usize = 6;
const SLOTS: usize = 1 << LEVEL_BITS;
/// Longest distance from `elapsed` a timer is filed at (later ones are re-filed).
const MAX_DURATION: u64 = (1 << (LEVEL_BITS * NUM_LEVELS)) - 1;
const NIL: usize = usize::MAX;

/// A timer's key in the wheel: owned by exactly one `Sleep`.
pub(crate) type Key = usize;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// In the list of `(level, slot)`.
    Queued { level: u8, slot: u8 },
    /// Its tick has passed; the waker was taken to be woken.
    Fired,
}

#[derive(Debug)]
struct Entry {
    when: u64,
    state: State,
    waker: Option<Waker>,
    prev: usize,
    next: usize,
}

#[derive(Debug)]
struct Level {
    occupied: u64,
    heads: [usize; SLOTS],
}

/// When the next slot must be processed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Expiration {
    level: usize,
    slot: usize,
    deadline: u64,
}

#[derive(Debug)]
pub(crate) struct Wheel {
    elapsed: u64,
    levels: [Level; NUM_LEVELS],
    entries: Slab<Entry>,
}

fn slot_range(level: usize) -> u64 {
    1 << (level * LEVEL_BITS)
}

fn level_range(level: usize) -> u64 {
    1 << ((level + 1) * LEVEL_BITS)
}

/// The level a timer due at `when` is filed at, seen from `elapsed` (`when > elapsed`).
fn level_for(elapsed: u64, when: u64) -> usize {
    let mut masked = (elapsed ^ when) | (SLOTS as u64 - 1);
    if masked >= MAX_DURATION {
        masked = MAX_DURATION - 1;
    }
    let significant = 63 - masked.leading_zeros() as usize;
    significant / LEVEL_BITS
}

impl Level {
    fn new() -> Level {
        Level {
            occupied: 0,
            heads: [NIL; SLOTS],
        }
    }

    fn next_expiration(&self, level: usize, now: u64) -> Option<Expiration> {
        if self.occupied == 0 {
            return None;
        }
        let now_slot = now / slot_range(level);
        let rotated = self.occupied.rotate_right((now_slot % SLOTS as u64) as u32);
        let slot = (rotated.trailing_zeros() as usize + now_slot as usize) % SLOTS;
        let level_start = now & !(level_range(level) - 1);
        let mut deadline = level_start + slot as u64 * slot_range(level);
        if deadline <= now {
            // Only the top level wraps (timers beyond its range are parked in it): a slot
            // "behind" `now` is in its next rotation. Every other slot starts after
            // `elapsed`, as `advance` processes a slot once its start is reached.
            debug_assert_eq!(level, NUM_LEVELS - 1, "a lower level never lags `elapsed`");
            deadline += level_range(level);
        }
        Some(Expiration {
            level,
            slot,
            deadline,
        })
    }
}

impl Wheel {
    pub(crate) fn new() -> Wheel {
        Wheel {
            elapsed: 0,
            levels: std::array::from_fn(|_| Level::new()),
            entries: Slab::new(),
        }
    }

    /// Adds a timer due at tick `when`. If `when` has already been processed it is born
    /// fired (and the waker is not kept).
    pub(crate) fn insert(&mut self, when: u64, waker: Waker) -> Key {
        let key = self.entries.insert(Entry {
            when,
            state: State::Fired,
            waker: Some(waker),
            prev: NIL,
            next: NIL,
        });
        self.file(key);
        key
    }

    /// True once the timer has fired.
    pub(crate) fn is_fired(&self, key: Key) -> bool {
        self.entries[key].state == State::Fired
    }

    /// Stores `waker` to be woken when the timer fires (unless it already would be).
    pub(crate) fn set_waker(&mut self, key: Key, waker: &Waker) {
        let entry = &mut self.entries[key];
        match &entry.waker {
            Some(w) if w.will_wake(waker) => {}
            _ => entry.waker = Some(waker.clone()),
        }
    }

    /// Moves the timer to tick `when` (firing or not), keeping its waker.
    pub(crate) fn reset(&mut self, key: Key, when: u64) {
        self.unlink(key);
        self.entries[key].when = when;
        self.file(key);
    }

    /// Removes the timer (O(1)); its key is free for reuse.
    pub(crate) fn remove(&mut self, key: Key) {
        self.unlink(key);
        self.entries.remove(key);
    }

    /// The earliest tick at which [`advance`](Self::advance) has something to do.
    pub(crate) fn next_expiration(&self) -> Option<u64> {
        self.next_slot().map(|e| e.deadline)
    }

    /// Fires every timer due by tick `now`, pushing their wakers to `wakers`, and moves
    /// `elapsed` to `now` (never backwards).
    pub(crate) fn advance(&mut self, now: u64, wakers: &mut Vec<Waker>) {
        while let Some(exp) = self.next_slot() {
            if exp.deadline > now {
                break;
            }
            self.elapsed = self.elapsed.max(exp.deadline);
            let level = &mut self.levels[exp.level];
            let mut key = std::mem::replace(&mut level.heads[exp.slot], NIL);
            level.occupied &= !(1 << exp.slot);
            while key != NIL {
                let entry = &mut self.entries[key];
                let next = entry.next;
                entry.prev = NIL;
                entry.next = NIL;
                entry.state = State::Fired;
                if entry.when <= now {
                    wakers.extend(entry.waker.take());
                } else {
                    self.file(key);
                }
                key = next;
            }
        }
        self.elapsed = self.elapsed.max(now);
    }

    /// Moves every waker to `wakers` without firing anything (shutdown: the owners are
    /// told the timers will never fire).
    pub(crate) fn take_wakers(&mut self, wakers: &mut Vec<Waker>) {
        for (_, entry) in self.entries.iter_mut() {
            wakers.extend(entry.waker.take());
        }
    }

    /// Number of timers held (queued or fired, not yet removed).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    fn next_slot(&self) -> Option<Expiration> {
        self.levels
            .iter()
            .enumerate()
            .find_map(|(i, level)| level.next_expiration(i, self.elapsed))
    }

    /// Files an unlinked entry by its `when`, or marks it fired if that tick has passed.
    fn file(&mut self, key: Key) {
        let entry = &mut self.entries[key];
        if entry.when <= self.elapsed {
            entry.state = State::Fired;
            return;
        }
        let when = entry.when.min(self.elapsed + MAX_DURATION);
        let level = level_for(self.elapsed, when);
        let slot = ((when >> (level * LEVEL_BITS)) % SLOTS as u64) as usize;
        let head = self.levels[level].heads[slot];
        entry.state = State::Queued {
            level: level as u8,
            slot: slot as u8,
        };
        entry.prev = NIL;
        entry.next = head;
        if head != NIL {
            self.entries[head].prev = key;
        }
        let level = &mut self.levels[level];
        level.heads[slot] = key;
        level.occupied |= 1 << slot;
    }

    fn unlink(&mut self, key: Key) {
        let entry = &mut self.entries[key];
        let State::Queued { level, slot } = entry.state else {
            return;
        };
        let (prev, next) = (entry.prev, entry.next);
        entry.prev = NIL;
        entry.next = NIL;
        entry.state = State::Fired;
        let (level, slot) = (level as usize, slot as usize);
        if prev == NIL {
            self.levels[level].heads[slot] = next;
        } else {
            self.entries[prev].next = next;
        }
        if next != NIL {
            self.entries[next].prev = prev;
        }
        if self.levels[level].heads[slot] == NIL {
            self.levels[level].occupied &= !(1 << slot);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::task::Wake;

    struct Noop;
    impl Wake for Noop {
        fn wake(self: std::sync::Arc<Self>) {}
    }

    fn waker() -> Waker {
        Waker::from(std::sync::Arc::new(Noop))
    }

    /// xorshift: deterministic pseudo-random numbers for the model test.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn fires_exactly_when_due() {
        let mut wheel = Wheel::new();
        let mut wakers = Vec::new();
        let whens = [1, 63, 64, 65, 4095, 4096, 4097, 300_000, 1 << 33];
        let keys: Vec<_> = whens.iter().map(|&w| wheel.insert(w, waker())).collect();
        for (&when, &key) in whens.iter().zip(&keys) {
            wheel.advance(when - 1, &mut wakers);
            assert!(!wheel.is_fired(key), "{when} fired early");
            assert_eq!(wheel.next_expiration().map(|d| d <= when), Some(true));
            wheel.advance(when, &mut wakers);
            assert!(wheel.is_fired(key), "{when} not fired on time");
        }
        assert_eq!(wakers.len(), whens.len());
        assert_eq!(wheel.next_expiration(), None);
        for key in keys {
            wheel.remove(key);
        }
        assert_eq!(wheel.len(), 0);
    }

    #[test]
    fn far_future_is_refiled_not_fired() {
        let mut wheel = Wheel::new();
        let mut wakers = Vec::new();
        let far = MAX_DURATION * 3 + 12_345;
        let key = wheel.insert(far, waker());
        let mut now = 0;
        while now < far - 1 {
            now = wheel.next_expiration().expect("queued").min(far - 1);
            wheel.advance(now, &mut wakers);
            assert!(!wheel.is_fired(key));
        }
        wheel.advance(far, &mut wakers);
        assert!(wheel.is_fired(key));
        assert_eq!(wakers.len(), 1);
    }

    /// Random inserts, resets, removals and advances, checked against a `BTreeMap`.
    #[test]
    fn matches_a_reference_model() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let mut wheel = Wheel::new();
        let mut model: BTreeMap<Key, u64> = BTreeMap::new();
        let mut fired: Vec<Key> = Vec::new();
        let mut wakers = Vec::new();
        let mut now = 0u64;
        for _ in 0..20_000 {
            match rng.next() % 10 {
                0..=3 => {
                    let span = [70, 5_000, 300_000, 1 << 40][(rng.next() % 4) as usize];
                    let when = now + 1 + rng.next() % span;
                    let key = wheel.insert(when, waker());
                    model.insert(key, when);
                }
                4 => {
                    if let Some((&key, _)) = model.iter().nth((rng.next() % 8) as usize) {
                        let when = now + 1 + rng.next() % 10_000;
                        wheel.reset(key, when);
                        model.insert(key, when);
                    }
                }
                5 => {
                    if let Some((&key, _)) = model.iter().nth((rng.next() % 8) as usize) {
                        wheel.remove(key);
                        model.remove(&key);
                    }
                }
                _ => {
                    now += rng.next() % 3_000;
                    wheel.advance(now, &mut wakers);
                    let due: Vec<Key> = model
                        .iter()
                        .filter(|&(_, &w)| w <= now)
                        .map(|(&k, _)| k)
                        .collect();
                    for key in due {
                        assert!(wheel.is_fired(key), "due timer not fired");
                        model.remove(&key);
                        fired.push(key);
                    }
                    for (&key, &when) in &model {
                        assert!(!wheel.is_fired(key), "timer due at {when} fired at {now}");
                    }
                    if let Some(next) = model.values().min() {
                        let exp = wheel.next_expiration().expect("something queued");
                        assert!(
                            exp <= *next,
                            "next expiration {exp} after a deadline {next}"
                        );
                        assert!(exp > now);
                    }
                    for key in fired.drain(..) {
                        wheel.remove(key);
                    }
                }
            }
        }
        for &key in model.keys() {
            wheel.remove(key);
        }
        assert_eq!(wheel.len(), 0);
        assert!(wheel.levels.iter().all(|l| l.occupied == 0));
    }

    #[test]
    fn removal_frees_slots() {
        let mut wheel = Wheel::new();
        for round in 0..3 {
            let keys: Vec<_> = (0..10_000)
                .map(|i| wheel.insert(1 + i * 7 + round, waker()))
                .collect();
            for key in keys {
                wheel.remove(key);
            }
            assert_eq!(wheel.len(), 0);
            assert!(wheel.entries.capacity() <= 16_384, "slots are reused");
        }
        assert_eq!(wheel.next_expiration(), None);
    }
}
