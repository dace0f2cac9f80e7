//! Spawning onto the current runtime.
use super::JoinHandle;
use crate::runtime::Handle;
use std::future::Future;
use std::io;

/// Spawns a future onto the current runtime and returns a handle to await its output.
///
/// The task starts running at once on some worker; dropping the `JoinHandle` detaches it.
/// The spawn site (`file:line:col`) and the future's type name are recorded for spin
/// reports.
///
/// # Panics
/// Outside a runtime (not inside `block_on`, a task, a blocking call or `Handle::enter`).
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    current_or_panic("spawn").spawn(future)
}

/// Runs a blocking closure on the current runtime's blocking pool.
///
/// The pool is bounded (see `Builder::max_blocking_threads`): beyond it, calls queue.
///
/// # Panics
/// Outside a runtime.
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    current_or_panic("spawn_blocking").spawn_blocking(f)
}

#[track_caller]
fn current_or_panic(what: &str) -> Handle {
    match Handle::try_current() {
        Ok(h) => h,
        Err(_) => panic!(
            "`wakeful::{what}` called outside a wakeful runtime: call it from inside \
             `Runtime::block_on`, a spawned task, or after `Handle::enter`"
        ),
    }
}

/// Spawns tasks with options (a name, shown in spin reports).
///
/// ```
/// # let rt = wakeful_executor::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let task = wakeful_executor::task::Builder::new()
///     .name("conn 127.0.0.1:54321")
///     .spawn(async { 7 })
///     .unwrap();
/// assert_eq!(task.await.unwrap(), 7);
/// # });
/// ```
#[derive(Debug, Default, Clone)]
pub struct Builder<'a> {
    name: Option<&'a str>,
}

impl<'a> Builder<'a> {
    /// A builder with no options.
    pub fn new() -> Builder<'a> {
        Builder::default()
    }

    /// The task's name.
    pub fn name(mut self, name: &'a str) -> Builder<'a> {
        self.name = Some(name);
        self
    }

    /// Spawns onto the current runtime. Errors (rather than panicking) outside one.
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handle = Handle::try_current().map_err(io::Error::other)?;
        self.spawn_on(future, &handle)
    }

    /// Spawns onto the given runtime.
    #[track_caller]
    pub fn spawn_on<F>(self, future: F, handle: &Handle) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Ok(handle.spawn_named(future, self.name.map(Box::from)))
    }
}
