//! Idle-worker accounting: how many workers are awake, how many are searching for work, and
//! which are asleep.
//!
//! # The no-lost-wakeup argument
//! A producer pushes work, then (after a `SeqCst` fence) reads the state: if no worker is
//! searching and some sleep, it wakes one and marks it searching. A worker going to sleep
//! first records itself as parked with a `SeqCst` read-modify-write; if it was the last
//! searcher it then re-checks every queue it could steal from. Either the producer sees the
//! searcher count at zero (and wakes someone) or the last searcher's re-check sees the work:
//! the two `SeqCst` operations cannot both miss each other. At most half the workers search
//! at once, so an empty runtime does not burn every core looking for work.
use crate::loom::sync::atomic::{fence, AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::Mutex;

const UNPARK_SHIFT: usize = 16;
const SEARCH_MASK: usize = (1 << UNPARK_SHIFT) - 1;

#[derive(Debug)]
pub(crate) struct Idle {
    /// `num_unparked << 16 | num_searching`.
    state: AtomicUsize,
    num_workers: usize,
    /// Indices of sleeping workers.
    sleepers: Mutex<Vec<usize>>,
}

impl Idle {
    pub(crate) fn new(num_workers: usize) -> Idle {
        Idle {
            state: AtomicUsize::new(num_workers << UNPARK_SHIFT),
            num_workers,
            sleepers: Mutex::new(Vec::with_capacity(num_workers)),
        }
    }

    /// A worker to wake for newly pushed work, if one should be woken. The chosen worker is
    /// counted as unparked and searching before it even wakes.
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        if !self.notify_should_wakeup() {
            return None;
        }
        let mut sleepers = self.sleepers.lock();
        if !self.notify_should_wakeup() {
            return None;
        }
        let worker = sleepers.pop()?;
        self.state.fetch_add((1 << UNPARK_SHIFT) | 1, SeqCst);
        Some(worker)
    }

    fn notify_should_wakeup(&self) -> bool {
        fence(SeqCst);
        let state = self.state.fetch_add(0, SeqCst);
        state & SEARCH_MASK == 0 && (state >> UNPARK_SHIFT) < self.num_workers
    }

    /// The worker `index` goes to sleep. Returns true if it was the last searcher (it must
    /// then re-check all queues).
    pub(crate) fn transition_worker_to_parked(&self, index: usize, is_searching: bool) -> bool {
        let mut sleepers = self.sleepers.lock();
        let dec = (1 << UNPARK_SHIFT) | usize::from(is_searching);
        let prev = self.state.fetch_sub(dec, SeqCst);
        sleepers.push(index);
        is_searching && prev & SEARCH_MASK == 1
    }

    /// Returns false if enough workers are already searching.
    pub(crate) fn transition_worker_to_searching(&self) -> bool {
        let state = self.state.load(SeqCst);
        if 2 * (state & SEARCH_MASK) >= self.num_workers.max(1) {
            return false;
        }
        self.state.fetch_add(1, SeqCst);
        true
    }

    /// A searching worker found work. Returns true if it was the last searcher (it must
    /// then wake another worker, as there may be more work).
    pub(crate) fn transition_worker_from_searching(&self) -> bool {
        let prev = self.state.fetch_sub(1, SeqCst);
        debug_assert!(prev & SEARCH_MASK > 0);
        prev & SEARCH_MASK == 1
    }

    /// A worker woke up on its own (timeout, or work in its own queue): removes it from the
    /// sleepers. Returns true if it was still listed there (nobody woke it on purpose).
    pub(crate) fn unpark_worker_by_id(&self, index: usize) -> bool {
        let mut sleepers = self.sleepers.lock();
        if let Some(pos) = sleepers.iter().position(|&w| w == index) {
            sleepers.swap_remove(pos);
            self.state.fetch_add(1 << UNPARK_SHIFT, SeqCst);
            true
        } else {
            false
        }
    }

    pub(crate) fn is_parked(&self, index: usize) -> bool {
        self.sleepers.lock().contains(&index)
    }

    /// Workers currently awake.
    pub(crate) fn num_unparked(&self) -> usize {
        self.state.load(SeqCst) >> UNPARK_SHIFT
    }
}
