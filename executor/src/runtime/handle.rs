//! `Handle`: a cheap, clonable reference to a runtime, usable from any thread.
use crate::blocking::BlockingPool;
use crate::context::{self, EnterGuard};
use crate::instrument::report::{self, SpinReport};
use crate::loom::sync::Arc;
use crate::scheduler::Shared;
use crate::task::JoinHandle;
use std::fmt;
use std::future::Future;
use std::panic::Location;

/// A reference to a running runtime: spawn onto it, enter it, read its spin report.
#[derive(Clone)]
pub struct Handle {
    pub(crate) shared: Arc<Shared>,
}

/// The error of [`Handle::try_current`] outside a runtime.
#[derive(Debug)]
pub struct TryCurrentError(());

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("there is no wakeful runtime running on this thread")
    }
}

impl std::error::Error for TryCurrentError {}

impl Handle {
    pub(crate) fn from_shared(shared: Arc<Shared>) -> Handle {
        Handle { shared }
    }

    /// The runtime this thread is running in (a worker, a blocking thread, inside
    /// `block_on`, or after [`Handle::enter`]).
    ///
    /// # Panics
    /// Outside a runtime, with a message saying so.
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Ok(h) => h,
            Err(e) => panic!("{e}: call this from inside `Runtime::block_on`, a spawned task, or after `Handle::enter`"),
        }
    }

    /// The runtime this thread is running in, if any.
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        context::current_handle().ok_or(TryCurrentError(()))
    }

    /// Makes this runtime the current one on this thread until the guard drops, so that
    /// `wakeful::spawn` works from plain threads.
    pub fn enter(&self) -> EnterGuard {
        context::enter_runtime(self.clone(), false)
    }

    /// Spawns a future onto this runtime.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Shared::spawn(&self.shared, future, None, Location::caller())
    }

    #[track_caller]
    pub(crate) fn spawn_named<F>(&self, future: F, name: Option<Box<str>>) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Shared::spawn(&self.shared, future, name, Location::caller())
    }

    /// Runs a blocking closure on the blocking pool.
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        BlockingPool::spawn(&self.shared, f, Location::caller())
    }

    /// Runs a future to completion on this thread (see [`Runtime::block_on`](super::Runtime::block_on)).
    ///
    /// # Panics
    /// If called from a thread that is already driving a runtime.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        super::block_on::block_on(self, future)
    }

    /// The flagged (spinning) tasks, current and past, and the stalls seen so far.
    pub fn spin_report(&self) -> SpinReport {
        report::take(&self.shared, false)
    }

    /// As [`spin_report`](Self::spin_report), plus every live task.
    pub fn spin_report_all(&self) -> SpinReport {
        report::take(&self.shared, true)
    }

    /// The value of type `T` attached with `Builder::extension`, if any.
    #[doc(hidden)]
    pub fn extension<T: std::any::Any + Send + Sync>(
        &self,
    ) -> Option<crate::loom::sync::StdArc<T>> {
        let found = self.shared.extensions.iter().find(|e| e.is::<T>())?;
        found.clone().downcast::<T>().ok()
    }

    /// Number of worker threads.
    pub fn num_workers(&self) -> usize {
        self.shared.remotes.len()
    }

    /// Tasks spawned and not yet finished.
    pub fn num_alive_tasks(&self) -> usize {
        self.shared.owned.len()
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("workers", &self.num_workers())
            .finish_non_exhaustive()
    }
}
