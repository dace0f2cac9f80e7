//! The multi-threaded work-stealing scheduler.
//!
//! - [`worker`]: the worker loop (run queue, LIFO slot, stealing, parking).
//! - [`idle`]: which workers sleep, which search; the no-lost-wakeup protocol.
//! - [`inject`]: the global queue for tasks scheduled from outside the workers.
//! - [`owned`]: the registry of live tasks (shutdown, reports).
//! - [`demoted`]: the low-priority path of spinning tasks.
//! - [`park`]: what an idle worker blocks in.
pub(crate) mod demoted;
pub(crate) mod idle;
pub(crate) mod inject;
pub(crate) mod owned;
pub mod park;
pub(crate) mod worker;

use self::demoted::Demoted;
use self::idle::Idle;
use self::inject::Inject;
use self::owned::OwnedTasks;
use self::park::Park;
use crate::blocking::BlockingPool;
use crate::context;
use crate::instrument::RuntimeInstrument;
use crate::loom::deque::Stealer;
use crate::loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
use crate::loom::sync::{Arc, Condvar, Mutex};
use crate::task::{self, JoinHandle, Notified, Schedule, Task, TaskId, TaskMeta};
use std::future::Future;
use std::panic::Location;
use std::time::{Duration, Instant};

/// Scheduler tuning, fixed at build time.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Check the global queue first every this many ticks (fairness).
    pub(crate) global_queue_interval: u32,
    /// Run maintenance (demoted tasks, driver events) every this many ticks.
    pub(crate) event_interval: u32,
    /// Tasks run from the LIFO slot in a row before it yields to the queue.
    pub(crate) max_lifo_polls: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            global_queue_interval: 31,
            event_interval: 61,
            max_lifo_polls: 3,
        }
    }
}

/// What other workers need of one worker.
pub(crate) struct Remote {
    pub(crate) steal: Stealer<Notified>,
    pub(crate) park: Box<dyn Park>,
}

/// Everything the workers, handles and tasks of one runtime share.
pub(crate) struct Shared {
    pub(crate) remotes: Box<[Remote]>,
    pub(crate) inject: Inject,
    pub(crate) idle: Idle,
    pub(crate) owned: OwnedTasks,
    pub(crate) demoted: Demoted,
    pub(crate) blocking: BlockingPool,
    pub(crate) instrument: RuntimeInstrument,
    pub(crate) config: Config,
    pub(crate) extensions: Vec<crate::runtime::builder::Extension>,
    shutdown: AtomicBool,
    /// Workers still running; shutdown waits for it to reach zero.
    running_workers: Mutex<usize>,
    workers_done: Condvar,
}

impl Shared {
    pub(crate) fn new(
        remotes: Box<[Remote]>,
        blocking: BlockingPool,
        instrument: RuntimeInstrument,
        config: Config,
        extensions: Vec<crate::runtime::builder::Extension>,
    ) -> Shared {
        let n = remotes.len();
        Shared {
            idle: Idle::new(n),
            owned: OwnedTasks::new(4 * n),
            remotes,
            inject: Inject::new(),
            demoted: Demoted::new(),
            blocking,
            instrument,
            config,
            extensions,
            shutdown: AtomicBool::new(false),
            running_workers: Mutex::new(n),
            workers_done: Condvar::new(),
        }
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(SeqCst)
    }

    /// Spawns a future onto this runtime.
    pub(crate) fn spawn<F>(
        this: &Arc<Self>,
        future: F,
        name: Option<Box<str>>,
        spawned_at: &'static Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let meta = TaskMeta {
            name,
            type_name: std::any::type_name::<F>(),
            spawned_at,
        };
        let (task, notified, join) = task::new_task(future, this.clone(), TaskId::next(), meta);
        match this.owned.bind(task) {
            Ok(()) => this.schedule(notified, false),
            Err(task) => {
                // Shutting down: the task is cancelled before it ever runs.
                drop(notified);
                task.shutdown();
            }
        }
        join
    }

    /// Wakes a sleeping worker if work was pushed and nobody is looking for it.
    pub(crate) fn notify_parked(&self) {
        if let Some(index) = self.idle.worker_to_notify() {
            self.remotes[index].park.unpark();
        }
    }

    /// The last searcher is going to sleep: wake someone if any queue still has work.
    pub(crate) fn notify_if_work_pending(&self) {
        if self.remotes.iter().any(|r| !r.steal.is_empty()) || !self.inject.is_empty() {
            self.notify_parked();
        }
    }

    fn schedule_remote(&self, task: Notified) {
        self.inject.push(task);
        self.notify_parked();
    }

    /// Moves demoted tasks whose backoff expired to the global queue (the low-priority path:
    /// never a worker's LIFO slot or local queue). Returns the time to the next deadline.
    pub(crate) fn wake_demoted(&self) -> Option<Duration> {
        let mut pushed = false;
        let next = self.demoted.wake_due(|n| {
            self.inject.push(n);
            pushed = true;
        });
        if pushed {
            self.notify_parked();
        }
        next
    }

    /// Step 1 of shutdown: stop the workers (each drains its own queue as it exits).
    pub(crate) fn begin_shutdown(&self) {
        if self.shutdown.swap(true, SeqCst) {
            return;
        }
        for remote in self.remotes.iter() {
            remote.park.unpark();
        }
    }

    /// Step 2: wait up to `timeout` for the workers to exit. Returns true if all did.
    pub(crate) fn wait_workers(&self, deadline: Option<Instant>) -> bool {
        let mut running = self.running_workers.lock();
        while *running > 0 {
            match deadline {
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return false;
                    }
                    self.workers_done.wait_for(&mut running, d - now);
                }
                None => self.workers_done.wait(&mut running),
            }
        }
        true
    }

    pub(crate) fn worker_exited(&self) {
        let mut running = self.running_workers.lock();
        *running -= 1;
        if *running == 0 {
            self.workers_done.notify_all();
        }
    }

    /// Step 3: cancel every task (dropping its future), then release every queued
    /// reference. A task still being polled by a worker that did not exit in time is
    /// cancelled by that worker when its poll returns.
    pub(crate) fn finish_shutdown(&self) {
        for task in self.owned.close_and_take_all() {
            task.shutdown();
        }
        self.inject.close();
        self.demoted.close();
        self.instrument.clear();
    }
}

impl Schedule for Arc<Shared> {
    fn schedule(&self, task: Notified, yielded: bool) {
        context::with_worker(|worker| match worker {
            Some(w) if std::ptr::eq(&*w.shared, &**self) => {
                if let Err(task) = w.schedule_local(task, yielded) {
                    self.schedule_remote(task);
                }
            }
            _ => self.schedule_remote(task),
        });
    }

    fn release(&self, task: &Task) -> Option<Task> {
        self.owned.remove(task.id())
    }

    fn defer(&self, task: Task) {
        let backoff = Duration::from_micros(task.header().stats.backoff_us.get().max(1));
        self.demoted.push(task, backoff);
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("workers", &self.remotes.len())
            .field("shutdown", &self.is_shutdown())
            .finish_non_exhaustive()
    }
}
