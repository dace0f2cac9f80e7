//! The blocking pool: threads for `spawn_blocking`, bounded, created on demand, retired
//! after a keep-alive of idleness.
//!
//! A blocking call is a task too (its future runs the closure on first poll), so it has a
//! `JoinHandle`, a panic becomes a `JoinError`, and aborting it before it starts cancels it.
//! It is not in the owned-tasks registry: at shutdown, queued calls are cancelled and
//! running ones are waited for (up to the shutdown timeout).
use crate::context;
use crate::loom::sync::{Arc, Condvar, Mutex};
use crate::runtime::Handle;
use crate::scheduler::Shared;
use crate::task::{self, JoinHandle, Notified, Schedule, Task, TaskId, TaskMeta};
use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct BlockingPool {
    state: Mutex<PoolState>,
    condvar: Condvar,
    /// Signalled when the last thread exits.
    exited: Condvar,
    max_threads: usize,
    keep_alive: Duration,
    thread_name: String,
}

#[derive(Debug, Default)]
struct PoolState {
    queue: VecDeque<Notified>,
    num_threads: usize,
    num_idle: usize,
    /// Idle threads already signalled for queued work (not yet awake).
    num_notify: usize,
    shutdown: bool,
}

/// The scheduler of blocking tasks: their only queue is the pool's.
struct BlockingSchedule(Arc<Shared>);

impl Schedule for BlockingSchedule {
    fn schedule(&self, task: Notified, _yielded: bool) {
        self.0.blocking.push(task, &self.0);
    }
    fn release(&self, _task: &Task) -> Option<Task> {
        None
    }
    fn defer(&self, task: Task) {
        // Blocking tasks are never demoted (they are polled once); honour the wake at once.
        task.wake_by_val(task::WakeSource::Backoff);
    }
}

/// Runs the closure on first poll.
struct BlockingTask<F>(Option<F>);

impl<F> Unpin for BlockingTask<F> {}

impl<F: FnOnce() -> R, R> Future for BlockingTask<F> {
    type Output = R;
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let f = self
            .0
            .take()
            .expect("blocking task polled after completion");
        Poll::Ready(f())
    }
}

impl BlockingPool {
    pub(crate) fn new(max_threads: usize, keep_alive: Duration, thread_name: String) -> Self {
        BlockingPool {
            state: Mutex::new(PoolState::default()),
            condvar: Condvar::new(),
            exited: Condvar::new(),
            max_threads: max_threads.max(1),
            keep_alive,
            thread_name,
        }
    }

    pub(crate) fn spawn<F, R>(
        shared: &Arc<Shared>,
        f: F,
        spawned_at: &'static Location<'static>,
    ) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let meta = TaskMeta {
            name: None,
            type_name: std::any::type_name::<F>(),
            spawned_at,
        };
        let (task, notified, join) = task::new_task(
            BlockingTask(Some(f)),
            BlockingSchedule(shared.clone()),
            TaskId::next(),
            meta,
        );
        // Not registered: the registry reference is not needed.
        drop(task);
        shared.blocking.push(notified, shared);
        join
    }

    fn push(&self, task: Notified, shared: &Arc<Shared>) {
        let mut state = self.state.lock();
        if state.shutdown {
            drop(state);
            task.shutdown();
            return;
        }
        state.queue.push_back(task);
        if state.num_idle > state.num_notify {
            state.num_notify += 1;
            self.condvar.notify_one();
        } else if state.num_threads < self.max_threads {
            state.num_threads += 1;
            drop(state);
            self.spawn_thread(shared);
        }
    }

    fn spawn_thread(&self, shared: &Arc<Shared>) {
        let shared = shared.clone();
        let spawned = std::thread::Builder::new()
            .name(self.thread_name.clone())
            .spawn(move || shared.blocking.thread_main(&shared));
        if spawned.is_err() {
            // Out of threads: the queued task waits for an existing thread (or shutdown).
            let mut state = self.state.lock();
            state.num_threads -= 1;
            if state.num_threads == 0 {
                let queued = std::mem::take(&mut state.queue);
                drop(state);
                for task in queued {
                    task.shutdown();
                }
            }
        }
    }

    fn thread_main(&self, shared: &Arc<Shared>) {
        let _enter = context::enter_blocking_thread(Handle::from_shared(shared.clone()));
        let mut state = self.state.lock();
        loop {
            if let Some(task) = state.queue.pop_front() {
                drop(state);
                task.run();
                state = self.state.lock();
                continue;
            }
            if state.shutdown {
                break;
            }
            state.num_idle += 1;
            let timed_out = self.condvar.wait_for(&mut state, self.keep_alive);
            state.num_idle -= 1;
            if state.num_notify > 0 {
                state.num_notify -= 1;
            }
            if timed_out && state.queue.is_empty() && !state.shutdown {
                break;
            }
        }
        state.num_threads -= 1;
        if state.num_threads == 0 {
            self.exited.notify_all();
        }
    }

    /// Cancels queued calls and waits (until `deadline`, or forever) for running ones.
    pub(crate) fn shutdown(&self, deadline: Option<Instant>) -> bool {
        let mut state = self.state.lock();
        state.shutdown = true;
        let queued = std::mem::take(&mut state.queue);
        self.condvar.notify_all();
        drop(state);
        for task in queued {
            task.shutdown();
        }
        let mut state = self.state.lock();
        while state.num_threads > 0 {
            match deadline {
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return false;
                    }
                    self.exited.wait_for(&mut state, d - now);
                }
                None => self.exited.wait(&mut state),
            }
        }
        true
    }
}
