//! The runtime: worker threads, a blocking pool and a monitor, behind [`Runtime`] and
//! [`Handle`].
//!
//! # Shutdown protocol
//! Dropping a `Runtime` (or calling [`Runtime::shutdown_timeout`]) runs, in order:
//! 1. mark the runtime shut down and wake every worker;
//! 2. each worker finishes the poll it is in, drops its queued notifications and exits;
//!    wait for all of them (or until the timeout);
//! 3. close the task registry (later spawns are cancelled at once) and cancel every task:
//!    idle ones are dropped here, on this thread; one still being polled by a worker that did
//!    not exit in time is dropped by that worker when its poll returns;
//! 4. close the global queue and the demoted list, releasing their references;
//! 5. cancel queued blocking calls and wait for running ones (or until the timeout);
//! 6. stop the monitor thread.
//!
//! Every future is dropped exactly once: by its last poll, by step 3, or by the worker of
//! step 3's exception. Nothing leaks: once every `JoinHandle` and `Waker` is gone, the last
//! reference to each task frees it.
mod block_on;
pub(crate) mod builder;
mod handle;

pub use self::builder::Builder;
pub use self::handle::{Handle, TryCurrentError};
pub use crate::context::EnterGuard;
pub use crate::instrument::report::{
    PollTimes, RuntimeSummary, SpinReport, StallReport, TaskReport, TaskState, Wakes,
};
pub use crate::instrument::SpinConfig;
pub use crate::scheduler::park::{Park, ThreadPark};

use crate::instrument::monitor::MonitorStop;
use crate::loom::sync::Arc;
use crate::task::JoinHandle;
use std::fmt;
use std::future::Future;
use std::io;
use std::thread::JoinHandle as ThreadHandle;
use std::time::{Duration, Instant};

/// A running wakeful runtime.
///
/// ```
/// let rt = wakeful_executor::runtime::Runtime::new().unwrap();
/// let answer = rt.block_on(async {
///     let task = wakeful_executor::spawn(async { 6 * 7 });
///     task.await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
pub struct Runtime {
    handle: Handle,
    workers: Vec<ThreadHandle<()>>,
    monitor: Option<ThreadHandle<()>>,
    monitor_stop: Arc<MonitorStop>,
}

impl Runtime {
    /// A runtime with default settings: one worker per CPU.
    pub fn new() -> io::Result<Runtime> {
        Builder::new_multi_thread().build()
    }

    pub(crate) fn from_parts(
        handle: Handle,
        workers: Vec<ThreadHandle<()>>,
        monitor: ThreadHandle<()>,
        monitor_stop: Arc<MonitorStop>,
    ) -> Runtime {
        Runtime {
            handle,
            workers,
            monitor: Some(monitor),
            monitor_stop,
        }
    }

    /// Runs a future to completion on the current thread, while the workers run every
    /// spawned task. Inside it, `wakeful::spawn` spawns onto this runtime.
    ///
    /// # Panics
    /// If called from a thread already driving a runtime (a worker, or inside another
    /// `block_on`): that would block a thread other tasks depend on.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.handle.block_on(future)
    }

    /// The runtime's handle.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Spawns a future onto the runtime.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// Runs a blocking closure on the blocking pool.
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle.spawn_blocking(f)
    }

    /// Makes this runtime current on this thread until the guard drops.
    pub fn enter(&self) -> EnterGuard {
        self.handle.enter()
    }

    /// See [`Handle::spin_report`].
    pub fn spin_report(&self) -> crate::runtime::SpinReport {
        self.handle.spin_report()
    }

    /// See [`Handle::spin_report_all`].
    pub fn spin_report_all(&self) -> crate::runtime::SpinReport {
        self.handle.spin_report_all()
    }

    /// Shuts down, waiting at most `timeout` for running polls and blocking calls; threads
    /// still busy after that are left to finish on their own (detached).
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.shutdown(Some(Instant::now() + timeout));
    }

    /// Shuts down without waiting for running polls or blocking calls.
    pub fn shutdown_background(self) {
        self.shutdown_timeout(Duration::ZERO);
    }

    fn shutdown(&mut self, deadline: Option<Instant>) {
        let shared = &self.handle.shared;
        shared.begin_shutdown();
        let workers_done = shared.wait_workers(deadline);
        shared.finish_shutdown();
        let blocking_done = shared.blocking.shutdown(deadline);
        self.monitor_stop.stop();
        if let Some(m) = self.monitor.take() {
            // The monitor never polls tasks, so it always exits promptly once told to.
            let _ = m.join();
        }
        if workers_done {
            for w in self.workers.drain(..) {
                let _ = w.join();
            }
        } else {
            self.workers.clear();
        }
        let _ = blocking_done;
    }
}

impl Drop for Runtime {
    /// Shuts down and waits for every worker and blocking call. Dropped from inside one of
    /// its own tasks (a worker thread of this very runtime), waiting would deadlock (that
    /// worker cannot exit until the drop returns), so it shuts down without waiting, as
    /// [`Runtime::shutdown_background`] does: the other workers exit on their own, and the
    /// task being polled is cancelled by its worker when the poll returns.
    fn drop(&mut self) {
        if self.monitor.is_none() {
            return;
        }
        let shared = &*self.handle.shared;
        let on_own_worker =
            crate::context::with_worker(|w| w.is_some_and(|w| std::ptr::eq(&*w.shared, shared)));
        if on_own_worker {
            self.shutdown(Some(Instant::now()));
        } else {
            self.shutdown(None);
        }
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("handle", &self.handle)
            .finish_non_exhaustive()
    }
}
