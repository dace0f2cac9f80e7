//! The worker loop.
//!
//! # Invariants
//! - Each worker owns a FIFO run queue (others steal from its back half), a LIFO slot and a
//!   tick. Only the worker's own thread touches its `Core`; the `RefCell` borrow is never
//!   held while a task is polled, so a task woken during a poll can be pushed to it.
//! - Order of work: every `global_queue_interval` ticks the global queue first (so remote
//!   spawns are never starved by a busy local queue); otherwise the LIFO slot, the local
//!   queue, then a batch from the global queue; then stealing; then parking.
//! - The LIFO slot takes the task most recently woken by the running task (message passing
//!   hands data along while it is hot in cache). A task that woke itself (a yield) goes to
//!   the worker's deferred list instead, which is flushed to the back of the run queue at
//!   each maintenance tick or when nothing else is runnable: yielding means "everything
//!   else first", the global queue included. At most `max_lifo_polls` LIFO tasks run in a row; then
//!   the slot's task goes to the queue, so two tasks waking each other cannot starve it.
//! - Searching (stealing) and parking follow the protocol in [`super::idle`]: a worker that
//!   finds work while searching and was the last searcher wakes another; a worker that
//!   parks as the last searcher re-checks every queue first.
//! - On shutdown the worker drops its queued notifications and exits; the tasks themselves
//!   are cancelled through the owned-tasks registry.
use super::{Remote, Shared};
use crate::context;
use crate::instrument::RuntimeInstrument;
use crate::loom::deque::{Steal, Worker};
use crate::loom::sync::Arc;
use crate::runtime::Handle;
use crate::task::Notified;
use std::cell::RefCell;

/// A worker's private state.
struct Core {
    queue: Worker<Notified>,
    lifo: Option<Notified>,
    /// Tasks that woke themselves (yielded) during their poll: they wait here until the
    /// next maintenance tick or until the worker has nothing else to run, so a yielding task
    /// goes behind all other work, the global queue included (tokio defers `yield_now` the
    /// same way). Not stealable; never left behind when the worker parks.
    deferred: Vec<Notified>,
    is_searching: bool,
    /// The worker is inside its `Park` (blocked in it, or `park_yield`): when that is the
    /// reactor, its turn pushes the tasks it wakes here without notifying anyone, as
    /// notifications come in batches (and a blocked worker is still listed as a sleeper, so
    /// a notification could even pick this very worker, an eventfd write to wake a thread
    /// that is awake). It notifies once, after the turn (`notify_if_stealable`).
    in_park: bool,
    tick: u32,
    rng: u64,
}

impl Core {
    fn has_tasks(&self) -> bool {
        self.lifo.is_some() || !self.queue.is_empty() || !self.deferred.is_empty()
    }

    /// Another worker should be woken to help: more is queued here than this worker runs
    /// next, and it is not searching (a searcher notifies when it finds work).
    fn should_notify_others(&self) -> bool {
        !self.is_searching && self.queue.len() + usize::from(self.lifo.is_some()) > 1
    }

    /// Moves the deferred (yielded) tasks to the back of the run queue.
    fn flush_deferred(&mut self) {
        for task in self.deferred.drain(..) {
            self.queue.push(task);
        }
    }

    fn next_random(&mut self, n: usize) -> usize {
        // xorshift64*: fast, and good enough to spread victims.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        (self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
}

/// The per-thread context of a running worker.
pub(crate) struct WorkerContext {
    pub(crate) shared: Arc<Shared>,
    pub(crate) index: usize,
    core: RefCell<Core>,
}

/// The body of worker thread `index`.
pub(crate) fn run(shared: Arc<Shared>, index: usize, queue: Worker<Notified>) {
    let cx = WorkerContext {
        shared: shared.clone(),
        index,
        core: RefCell::new(Core {
            queue,
            lifo: None,
            deferred: Vec::new(),
            is_searching: false,
            in_park: false,
            tick: 0,
            rng: crate::loom::rng_seed() ^ (index as u64 + 1).wrapping_mul(0x9e37_79b9),
        }),
    };
    {
        let _guard = context::enter_worker(&cx, Handle::from_shared(shared.clone()));
        cx.run();
        cx.drain();
    }
    drop(cx);
    shared.worker_exited();
}

impl WorkerContext {
    pub(crate) fn instrument(&self) -> &RuntimeInstrument {
        &self.shared.instrument
    }

    fn remote(&self) -> &Remote {
        &self.shared.remotes[self.index]
    }

    fn run(&self) {
        let config = self.shared.config.clone();
        while !self.shared.is_shutdown() {
            let tick = {
                let mut core = self.core.borrow_mut();
                core.tick = core.tick.wrapping_add(1);
                core.tick
            };
            if tick % config.event_interval == 0 {
                self.in_park(|| self.remote().park.park_yield());
                self.shared.wake_demoted();
                self.flush_deferred();
                self.notify_if_stealable();
            }
            if let Some(task) = self.next_task(tick % config.global_queue_interval == 0) {
                self.run_task(task, config.max_lifo_polls);
                continue;
            }
            if let Some(task) = self.steal_work() {
                self.run_task(task, config.max_lifo_polls);
                continue;
            }
            self.park();
        }
    }

    fn next_task(&self, global_first: bool) -> Option<Notified> {
        let mut core = self.core.borrow_mut();
        if global_first {
            // Fairness: the global queue first, and a batch of it, so remote work keeps pace
            // with a local queue that never empties (tasks spawning their successors).
            if let Some(task) = self.pop_global(&core) {
                return Some(task);
            }
        }
        if let Some(task) = core.lifo.take().or_else(|| core.queue.pop()) {
            return Some(task);
        }
        if let Some(task) = self.pop_global(&core) {
            return Some(task);
        }
        // Nothing else to run: the yielded tasks' turn. A lone yielder (the common case)
        // runs again directly, without a trip through the run queue.
        if core.deferred.len() == 1 {
            return core.deferred.pop();
        }
        core.flush_deferred();
        core.queue.pop()
    }

    /// A batch from the global queue into the local one, and one task of it. The emptiness
    /// check first is two plain loads; a steal attempt on an empty queue costs a full
    /// fence. A push racing with the check is found on a later tick or by the parking
    /// protocol's re-check, exactly as with a steal that lost the race.
    #[inline]
    fn pop_global(&self, core: &Core) -> Option<Notified> {
        if self.shared.inject.is_empty() {
            return None;
        }
        self.shared.inject.pop_batch_into(&core.queue)
    }

    /// Makes the deferred (yielded) tasks runnable, and stealable, again (the caller then
    /// calls `notify_if_stealable`).
    fn flush_deferred(&self) {
        self.core.borrow_mut().flush_deferred();
    }

    fn run_task(&self, task: Notified, max_lifo_polls: u32) {
        let was_searching = std::mem::replace(&mut self.core.borrow_mut().is_searching, false);
        if was_searching && self.shared.idle.transition_worker_from_searching() {
            // We were the last one looking; there may be more work than we can take.
            self.shared.notify_parked();
        }
        task.run();
        let mut lifo_polls = 0;
        loop {
            let mut core = self.core.borrow_mut();
            let Some(next) = core.lifo.take() else {
                return;
            };
            if lifo_polls >= max_lifo_polls {
                core.queue.push(next);
                drop(core);
                self.shared.notify_parked();
                return;
            }
            drop(core);
            lifo_polls += 1;
            next.run();
        }
    }

    /// Pushes a task woken on this worker's thread. Returns it if the core is unavailable
    /// (the worker is exiting).
    pub(crate) fn schedule_local(&self, task: Notified, yielded: bool) -> Result<(), Notified> {
        let Ok(mut core) = self.core.try_borrow_mut() else {
            return Err(task);
        };
        if self.shared.is_shutdown() {
            return Err(task);
        }
        if yielded {
            core.deferred.push(task);
            return Ok(());
        } else if let Some(prev) = core.lifo.replace(task) {
            core.queue.push(prev);
        }
        let notify = !core.in_park && core.should_notify_others();
        drop(core);
        if notify {
            self.shared.notify_parked();
        }
        Ok(())
    }

    fn steal_work(&self) -> Option<Notified> {
        let mut core = self.core.borrow_mut();
        if !core.is_searching {
            if !self.shared.idle.transition_worker_to_searching() {
                return None;
            }
            core.is_searching = true;
        }
        let remotes = &self.shared.remotes;
        let n = remotes.len();
        let start = core.next_random(n);
        loop {
            let mut retry = false;
            for i in 0..n {
                let victim = (start + i) % n;
                if victim == self.index {
                    continue;
                }
                match remotes[victim].steal.steal_batch_and_pop(&core.queue) {
                    Steal::Success(task) => {
                        let w = &self.shared.instrument.workers[self.index];
                        w.steals.incr();
                        return Some(task);
                    }
                    Steal::Retry => retry = true,
                    Steal::Empty => {}
                }
            }
            if !retry {
                break;
            }
        }
        self.shared.inject.pop_batch_into(&core.queue)
    }

    fn park(&self) {
        // Demoted tasks whose backoff has passed are work: take them before sleeping.
        self.shared.wake_demoted();
        if !self.transition_to_parked() {
            return;
        }
        loop {
            self.shared.instrument.workers[self.index].parks.incr();
            let timeout = self.shared.demoted.next_deadline();
            self.in_park(|| self.remote().park.park(timeout));
            // The monitor may be in its long idle sleep: keep the coarse clock current, and
            // this worker's view of it (its next poll begins now, not when it last looked;
            // see `WorkerStats::tick`). (Not under loom: the models must not depend on the
            // real clock, and they run no monitor.)
            #[cfg(not(loom))]
            {
                let inst = &self.shared.instrument;
                inst.workers[self.index].tick.set(inst.clock.advance());
            }
            if self.shared.is_shutdown() {
                return;
            }
            self.shared.wake_demoted();
            if self.transition_from_parked() {
                self.notify_if_stealable();
                return;
            }
        }
    }

    /// Runs `f` (a call into this worker's `Park`) with `Core::in_park` set.
    fn in_park(&self, f: impl FnOnce()) {
        self.core.borrow_mut().in_park = true;
        f();
        self.core.borrow_mut().in_park = false;
    }

    /// After a turn of the reactor (parked, or `park_yield`) or a flush of the deferred
    /// tasks, which push work here without notifying anyone: one other worker is woken if
    /// there is more here than this one runs next (the rule of `schedule_local`). A
    /// searching worker notifies when it finds work instead (`run_task`).
    fn notify_if_stealable(&self) {
        let notify = self.core.borrow().should_notify_others();
        if notify {
            self.shared.notify_parked();
        }
    }

    fn transition_to_parked(&self) -> bool {
        let mut core = self.core.borrow_mut();
        if core.has_tasks() {
            return false;
        }
        let last_searcher = self
            .shared
            .idle
            .transition_worker_to_parked(self.index, core.is_searching);
        core.is_searching = false;
        drop(core);
        if last_searcher {
            self.shared.notify_if_work_pending();
        }
        true
    }

    fn transition_from_parked(&self) -> bool {
        let mut core = self.core.borrow_mut();
        if core.has_tasks() {
            // Woke for work of our own: searching only if someone else woke us on purpose.
            core.is_searching = !self.shared.idle.unpark_worker_by_id(self.index);
            return true;
        }
        if self.shared.idle.is_parked(self.index) {
            return false;
        }
        core.is_searching = true;
        true
    }

    /// Drops every notification still queued here (shutdown).
    fn drain(&self) {
        let mut core = self.core.borrow_mut();
        let lifo = core.lifo.take();
        let mut queued = std::mem::take(&mut core.deferred);
        while let Some(task) = core.queue.pop() {
            queued.push(task);
        }
        drop(core);
        drop(lifo);
        drop(queued);
    }
}
