//! The registry of a runtime's live tasks: shutdown cancels every one of them, reports and
//! the stall watchdog look tasks up in it.
//!
//! The runtime's totals over tasks (polls, futile polls, wakes) are summed here, for
//! reports: the live tasks' counters plus those of every task that has left, added to its
//! shard's `retired` as it leaves, under the same lock, so each total only grows.
//!
//! Sharded by task id so concurrent spawns and completions rarely share a lock. Once
//! `close_and_take_all` has set `closed`, `bind` refuses new tasks: the flag is read under
//! the shard lock, and `close_and_take_all` drains each shard under that same lock after
//! setting it, so a task is either drained or refused, never stranded.
use crate::instrument::stats::TaskTotals;
use crate::loom::sync::atomic::{AtomicBool, Ordering::Acquire, Ordering::Release};
use crate::loom::sync::Mutex;
use crate::task::{Task, TaskId};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Task ids are unique integers: a multiplicative hash spreads them well enough.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8 | u64::from(*b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// One shard: its live tasks, and the summed counters of those that have left it.
#[derive(Default)]
struct Shard {
    tasks: HashMap<TaskId, Task, BuildHasherDefault<IdHasher>>,
    retired: TaskTotals,
}

pub(crate) struct OwnedTasks {
    shards: Box<[Mutex<Shard>]>,
    closed: AtomicBool,
}

impl OwnedTasks {
    pub(crate) fn new(num_shards: usize) -> OwnedTasks {
        let n = num_shards.next_power_of_two();
        OwnedTasks {
            shards: (0..n).map(|_| Mutex::new(Shard::default())).collect(),
            closed: AtomicBool::new(false),
        }
    }

    fn shard(&self, id: TaskId) -> &Mutex<Shard> {
        // Ids are handed out in per-thread blocks, so the low bits cycle fastest.
        &self.shards[(id.as_u64() as usize) & (self.shards.len() - 1)]
    }

    /// Adds a task. Gives it back if the runtime is shutting down.
    pub(crate) fn bind(&self, task: Task) -> Result<(), Task> {
        let mut shard = self.shard(task.id()).lock();
        if self.closed.load(Acquire) {
            return Err(task);
        }
        shard.tasks.insert(task.id(), task);
        Ok(())
    }

    pub(crate) fn remove(&self, id: TaskId) -> Option<Task> {
        let mut shard = self.shard(id).lock();
        let task = shard.tasks.remove(&id)?;
        shard.retired.merge(&TaskTotals::of(&task.header().stats));
        Some(task)
    }

    /// Counters summed over every task this registry has held.
    pub(crate) fn totals(&self) -> TaskTotals {
        let mut totals = TaskTotals::default();
        for shard in self.shards.iter() {
            let shard = shard.lock();
            totals.merge(&shard.retired);
            for task in shard.tasks.values() {
                totals.merge(&TaskTotals::of(&task.header().stats));
            }
        }
        totals
    }

    /// A new reference to the task with this id, if it is alive.
    pub(crate) fn get(&self, id: TaskId) -> Option<Task> {
        self.shard(id).lock().tasks.get(&id).map(Task::clone_ref)
    }

    /// New references to every live task (for `spin_report_all` and `tasks.json`).
    pub(crate) fn snapshot(&self) -> Vec<Task> {
        let mut all = Vec::new();
        for shard in self.shards.iter() {
            all.extend(shard.lock().tasks.values().map(Task::clone_ref));
        }
        all
    }

    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().tasks.len()).sum()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Acquire)
    }

    /// Refuses new tasks from now on and returns every task still registered.
    pub(crate) fn close_and_take_all(&self) -> Vec<Task> {
        self.closed.store(true, Release);
        let mut all = Vec::new();
        for shard in self.shards.iter() {
            all.extend(shard.lock().tasks.drain().map(|(_, t)| t));
        }
        all
    }
}

impl std::fmt::Debug for OwnedTasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnedTasks")
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}
