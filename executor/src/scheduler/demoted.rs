//! The low-priority path: demoted tasks waiting out their backoff.
//!
//! A demoted task's self-wake is not honoured at once: the poll's end hands a reference
//! here with a deadline of now + its backoff. When the deadline passes, the task is woken
//! with `WakeSource::Backoff` and goes through the normal wake path, so a real wake that
//! arrives in the meantime simply schedules it first (it is restored); the later backoff wake
//! then finds it notified, running or idle and is at worst one spurious poll. Nothing here is
//! ever the only way a task gets woken by a real event, so nothing here can lose one.
use crate::loom::sync::atomic::{AtomicUsize, Ordering::Acquire, Ordering::Release};
use crate::loom::sync::Mutex;
use crate::task::{Notified, Task, WakeSource};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

struct Entry {
    deadline: Instant,
    seq: u64,
    task: Task,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.deadline, self.seq) == (other.deadline, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.deadline, self.seq).cmp(&(other.deadline, other.seq))
    }
}

#[derive(Default)]
struct Heap {
    entries: BinaryHeap<Reverse<Entry>>,
    seq: u64,
    closed: bool,
}

pub(crate) struct Demoted {
    heap: Mutex<Heap>,
    /// Mirrors `heap.entries.len()`, so workers can skip the lock when nothing waits.
    len: AtomicUsize,
}

impl Demoted {
    pub(crate) fn new() -> Demoted {
        Demoted {
            heap: Mutex::new(Heap::default()),
            len: AtomicUsize::new(0),
        }
    }

    /// Parks `task` until `backoff` has passed. After `close`, the task is woken at once
    /// (shutdown will cancel it).
    pub(crate) fn push(&self, task: Task, backoff: Duration) {
        let mut heap = self.heap.lock();
        if heap.closed {
            drop(heap);
            task.wake_by_val(WakeSource::Backoff);
            return;
        }
        heap.seq += 1;
        let seq = heap.seq;
        heap.entries.push(Reverse(Entry {
            deadline: Instant::now() + backoff,
            seq,
            task,
        }));
        self.len.store(heap.entries.len(), Release);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len.load(Acquire) == 0
    }

    /// How long until the next deadline, if any task waits.
    pub(crate) fn next_deadline(&self) -> Option<Duration> {
        if self.is_empty() {
            return None;
        }
        let heap = self.heap.lock();
        heap.entries
            .peek()
            .map(|Reverse(e)| e.deadline.saturating_duration_since(Instant::now()))
    }

    /// Hands every task whose backoff has passed to `push`, woken with
    /// `WakeSource::Backoff`. Returns how long until the next deadline.
    pub(crate) fn wake_due(&self, mut push: impl FnMut(Notified)) -> Option<Duration> {
        if self.is_empty() {
            return None;
        }
        let now = Instant::now();
        let mut due = Vec::new();
        let next = {
            let mut heap = self.heap.lock();
            while heap
                .entries
                .peek()
                .is_some_and(|Reverse(e)| e.deadline <= now)
            {
                if let Some(Reverse(e)) = heap.entries.pop() {
                    due.push(e.task);
                }
            }
            self.len.store(heap.entries.len(), Release);
            heap.entries
                .peek()
                .map(|Reverse(e)| e.deadline.saturating_duration_since(now))
        };
        // Woken outside the lock: scheduling may take other locks.
        for task in due {
            if let Some(notified) = task.into_notified(WakeSource::Backoff) {
                push(notified);
            }
        }
        next
    }

    /// Shutdown: releases every waiting task's reference and refuses new ones.
    pub(crate) fn close(&self) {
        let entries = {
            let mut heap = self.heap.lock();
            heap.closed = true;
            self.len.store(0, Release);
            std::mem::take(&mut heap.entries)
        };
        drop(entries);
    }
}

impl std::fmt::Debug for Demoted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Demoted")
            .field("len", &self.len.load(Acquire))
            .finish()
    }
}
