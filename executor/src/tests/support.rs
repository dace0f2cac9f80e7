//! A scheduler that just queues, and futures that record what they saw, for the models.
use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::{Arc, Mutex};
use crate::task::{self, JoinHandle, Notified, Schedule, Task, TaskId, TaskMeta};
use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// Queues scheduled tasks; asserts a task is never queued twice at once.
#[derive(Clone, Default)]
pub(super) struct TestSchedule(pub(super) Arc<Queues>);

#[derive(Default)]
pub(super) struct Queues {
    pub(super) run: Mutex<VecDeque<Notified>>,
    pub(super) deferred: Mutex<Vec<Task>>,
    pub(super) scheduled: AtomicUsize,
}

impl Schedule for TestSchedule {
    fn schedule(&self, task: Notified, _yielded: bool) {
        let mut run = self.0.run.lock();
        assert!(
            run.iter().all(|t| t.id() != task.id()),
            "a task was scheduled while already queued"
        );
        self.0.scheduled.fetch_add(1, SeqCst);
        run.push_back(task);
    }
    fn release(&self, _task: &Task) -> Option<Task> {
        None
    }
    fn defer(&self, task: Task) {
        self.0.deferred.lock().push(task);
    }
}

impl TestSchedule {
    pub(super) fn pop(&self) -> Option<Notified> {
        self.0.run.lock().pop_front()
    }
    /// Runs queued tasks until none is left.
    pub(super) fn drain(&self) {
        while let Some(t) = self.pop() {
            t.run();
        }
    }
}

/// Spawns `future` on `sched` without a runtime. The registry reference is dropped (the
/// test scheduler has no registry); the first `Notified` is returned unqueued.
pub(super) fn spawn_test<F>(future: F, sched: &TestSchedule) -> (Notified, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let meta = TaskMeta {
        name: None,
        type_name: "model",
        spawned_at: Location::caller(),
    };
    let (task, notified, join) = task::new_task(future, sched.clone(), TaskId::next(), meta);
    drop(task);
    (notified, join)
}

/// Shared between a model's threads and its future.
#[derive(Default)]
pub(super) struct Probe {
    /// Wakes signalled so far (each waker thread bumps this, then wakes).
    pub(super) signals: AtomicUsize,
    /// `signals` as seen at the start of the latest poll.
    pub(super) seen: AtomicUsize,
    pub(super) polls: AtomicUsize,
    pub(super) drops: AtomicUsize,
    pub(super) waker: Mutex<Option<Waker>>,
}

/// Pending until `signals` reaches `target`; publishes its waker each poll. Holds `Probe`
/// through a loom `Arc`, so loom reports a leak if the task is never freed.
pub(super) struct WaitFor {
    pub(super) probe: Arc<Probe>,
    pub(super) target: usize,
    /// Wake itself during each poll (a self-wake), as a spinner does.
    pub(super) self_wake: bool,
}

impl WaitFor {
    /// A future waiting for `target` signals, and the probe that signals it.
    pub(super) fn new(target: usize, self_wake: bool) -> (Arc<Probe>, WaitFor) {
        let probe = Arc::new(Probe::default());
        let fut = WaitFor {
            probe: probe.clone(),
            target,
            self_wake,
        };
        (probe, fut)
    }
}

impl Future for WaitFor {
    type Output = usize;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let p = &self.probe;
        p.polls.fetch_add(1, SeqCst);
        *p.waker.lock() = Some(cx.waker().clone());
        let seen = p.signals.load(SeqCst);
        p.seen.store(seen, SeqCst);
        if seen >= self.target {
            return Poll::Ready(seen);
        }
        if self.self_wake {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

impl Drop for WaitFor {
    fn drop(&mut self) {
        self.probe.drops.fetch_add(1, SeqCst);
    }
}

/// Signals the probe and wakes its task through the waker it published.
pub(super) fn signal(probe: &Probe) {
    probe.signals.fetch_add(1, SeqCst);
    let waker = probe.waker.lock().clone();
    if let Some(w) = waker {
        w.wake();
    }
}

/// A runtime's shared state with `workers` workers, without starting any thread: the model
/// runs the worker loops on loom threads itself.
pub(super) fn test_shared(
    workers: usize,
) -> (
    Arc<crate::scheduler::Shared>,
    Vec<crate::loom::deque::Worker<Notified>>,
) {
    use crate::scheduler::{park::ThreadPark, Config, Remote, Shared};
    let queues: Vec<_> = (0..workers)
        .map(|_| crate::loom::deque::Worker::new_fifo())
        .collect();
    let remotes = queues
        .iter()
        .map(|q| Remote {
            steal: q.stealer(),
            park: Box::new(ThreadPark::new()),
        })
        .collect();
    let blocking =
        crate::blocking::BlockingPool::new(1, std::time::Duration::from_secs(1), "model".into());
    let instrument = crate::instrument::RuntimeInstrument::new(Default::default(), workers);
    let shared = Shared::new(remotes, blocking, instrument, Config::default(), Vec::new());
    (Arc::new(shared), queues)
}

/// Starts worker `index`'s loop on a loom thread.
pub(super) fn start_worker(
    shared: &Arc<crate::scheduler::Shared>,
    index: usize,
    queue: crate::loom::deque::Worker<Notified>,
) -> loom::thread::JoinHandle<()> {
    let shared = shared.clone();
    loom::thread::spawn(move || crate::scheduler::worker::run(shared, index, queue))
}

/// Shuts the runtime down as `Runtime::drop` does (steps 1-4 of `runtime/mod.rs`).
pub(super) fn shutdown(shared: &crate::scheduler::Shared) {
    shared.begin_shutdown();
    assert!(shared.wait_workers(None));
    shared.finish_shutdown();
}

/// Runs queued tasks until none is left, treating every deferral (a demoted task's
/// withheld wake) as an immediately expired backoff.
pub(super) fn run_until_quiescent(sched: &TestSchedule) {
    loop {
        sched.drain();
        let deferred = std::mem::take(&mut *sched.0.deferred.lock());
        if deferred.is_empty() {
            return;
        }
        for task in deferred {
            task.wake_by_val(crate::task::WakeSource::Backoff);
        }
    }
}

/// Polls a `JoinHandle` once with a no-op waker.
pub(super) fn poll_join<T>(join: &mut JoinHandle<T>) -> Poll<Result<T, crate::task::JoinError>> {
    let waker = futures_task::noop_waker();
    std::pin::Pin::new(join).poll(&mut Context::from_waker(&waker))
}
