//! Helpers shared by the `executor_*` integration tests.
//!
//! Nothing here measures time: every deadline is a hang guard, generous enough that only a
//! broken runtime (a lost wake, a deadlock) ever reaches it, and reaching it fails the test
//! with a message instead of hanging the suite.
#![allow(
    dead_code,
    reason = "each test binary uses a different subset of the helpers"
)]

pub mod alloc;

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};
use wakeful::runtime::{Builder, Runtime};

/// How long anything may take before the test is declared hung.
pub const HANG_GUARD: Duration = Duration::from_secs(60);

/// A runtime with `workers` worker threads and default settings otherwise.
pub fn runtime(workers: usize) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("executor-test")
        .build()
        .expect("runtime builds")
}

/// Runs `f` on its own thread and returns its result; fails the test if `f` has not returned
/// within [`HANG_GUARD`]. A panic in `f` is re-raised here with its original payload, so
/// `#[should_panic(expected = ..)]` still sees the message.
///
/// The thread gets a large stack: a debug build copies a future several times on the way
/// into its task cell, and the page-aligned markers of `alloc` make those copies big.
#[track_caller]
pub fn hang_guard<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let thread = thread::Builder::new()
        .name("hang-guarded".to_owned())
        .stack_size(64 << 20)
        .spawn(move || {
            let _ = tx.send(std::panic::catch_unwind(AssertUnwindSafe(f)));
        })
        .expect("spawn the guarded thread");
    match rx.recv_timeout(HANG_GUARD) {
        Ok(Ok(value)) => {
            thread.join().expect("the guarded thread already returned");
            value
        }
        Ok(Err(payload)) => std::panic::resume_unwind(payload),
        Err(_) => panic!("hang guard: the test did not finish within {HANG_GUARD:?}"),
    }
}

/// Receives one message, failing the test if none arrives within [`HANG_GUARD`].
#[track_caller]
pub fn recv<T>(rx: &mpsc::Receiver<T>, what: &str) -> T {
    match rx.recv_timeout(HANG_GUARD) {
        Ok(v) => v,
        Err(e) => panic!("hang guard: never received {what} ({e})"),
    }
}

/// Waits (sleeping between checks) until `cond` holds; fails the test after `limit`.
#[track_caller]
pub fn wait_until_within(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < limit,
            "hang guard: {what} did not happen within {limit:?}"
        );
        thread::sleep(Duration::from_millis(1));
    }
}

/// [`wait_until_within`] with the default [`HANG_GUARD`].
#[track_caller]
pub fn wait_until(what: &str, cond: impl FnMut() -> bool) {
    wait_until_within(HANG_GUARD, what, cond);
}

/// Counts, per tracked object, how many times it was dropped.
#[derive(Clone, Debug)]
pub struct DropTracker(Arc<Vec<AtomicUsize>>);

impl DropTracker {
    pub fn new(n: usize) -> DropTracker {
        DropTracker(Arc::new((0..n).map(|_| AtomicUsize::new(0)).collect()))
    }

    /// A guard that counts one drop of object `index` when it is dropped.
    pub fn guard(&self, index: usize) -> DropGuard {
        assert!(index < self.0.len());
        DropGuard {
            tracker: self.clone(),
            index,
        }
    }

    pub fn drops(&self, index: usize) -> usize {
        self.0[index].load(SeqCst)
    }

    pub fn total(&self) -> usize {
        self.0.iter().map(|c| c.load(SeqCst)).sum()
    }

    /// Fails unless every tracked object was dropped exactly once.
    #[track_caller]
    pub fn assert_each_dropped_once(&self) {
        let wrong: Vec<(usize, usize)> = self
            .0
            .iter()
            .map(|c| c.load(SeqCst))
            .enumerate()
            .filter(|&(_, n)| n != 1)
            .collect();
        assert!(
            wrong.is_empty(),
            "objects not dropped exactly once, as (index, drops): {wrong:?}"
        );
    }
}

/// Owned by a future (or an output) under test; its drop is counted by its [`DropTracker`].
#[derive(Debug)]
pub struct DropGuard {
    tracker: DropTracker,
    index: usize,
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.tracker.0[self.index].fetch_add(1, SeqCst);
    }
}

/// A shared counter (polls, completions, ...).
#[derive(Clone, Debug, Default)]
pub struct Counter(Arc<AtomicUsize>);

impl Counter {
    pub fn incr(&self) -> usize {
        self.0.fetch_add(1, SeqCst) + 1
    }
    pub fn get(&self) -> usize {
        self.0.load(SeqCst)
    }
}

/// Drives a future on the current thread with no runtime at all: for awaiting a
/// `JoinHandle` after its runtime is gone.
pub fn block_on_plain<F: Future>(future: F) -> F::Output {
    struct Unpark(Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    let start = Instant::now();
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        assert!(
            start.elapsed() < HANG_GUARD,
            "hang guard: future not ready within {HANG_GUARD:?}"
        );
        thread::park_timeout(Duration::from_millis(10));
    }
}

/// The message of a panic payload (`&str` or `String`), or a placeholder.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

/// Keeps one worker busy: a task whose poll blocks its thread until the `Blocker` is dropped
/// (or the hang guard expires). With `worker_threads(1)` nothing else runs meanwhile, so tasks
/// spawned in between are queued and provably not polled yet.
#[derive(Debug)]
pub struct Blocker {
    release: mpsc::Sender<()>,
}

impl Blocker {
    /// Returns once the blocking task is inside its poll.
    pub fn occupy(rt: &Runtime) -> Blocker {
        let (started_tx, started_rx) = mpsc::channel();
        let (release, release_rx) = mpsc::channel::<()>();
        drop(rt.spawn(async move {
            started_tx.send(()).expect("the test waits for the blocker");
            // Returns on release, or when the test (and with it the sender) is gone.
            let _ = release_rx.recv_timeout(HANG_GUARD);
        }));
        recv(&started_rx, "the blocker task's first poll");
        Blocker { release }
    }
}

impl Drop for Blocker {
    fn drop(&mut self) {
        let _ = self.release.send(());
    }
}
