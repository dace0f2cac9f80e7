//! The wakeful runtime: the executor's scheduler with the io-driver's reactor and timers.
//!
//! [`Builder`] and [`Runtime`] wrap the executor's (`wakeful_executor::runtime`) and forward
//! every method; `build()` also installs the I/O driver, so that sockets
//! ([`crate::net`]) and timers ([`crate::time`]) work inside the runtime: idle workers park
//! in the reactor, busy ones poll it every 61 scheduler ticks. The tokio builder methods
//! `enable_all`, `enable_io` and `enable_time` are accepted and do nothing (I/O and time are
//! always on).
//!
//! ```
//! use futures_util::io::{AsyncReadExt, AsyncWriteExt};
//! use std::time::Duration;
//!
//! let rt = wakeful::runtime::Builder::new_multi_thread()
//!     .worker_threads(2)
//!     .thread_name("echo")
//!     .enable_all()
//!     .build()
//!     .unwrap();
//! rt.block_on(async {
//!     let listener = wakeful::net::TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     wakeful::spawn(async move {
//!         let (mut socket, _) = listener.accept().await?;
//!         let mut buf = [0; 64];
//!         let n = socket.read(&mut buf).await?;
//!         socket.write_all(&buf[..n]).await
//!     });
//!     let mut client = wakeful::net::TcpStream::connect(addr).await?;
//!     client.write_all(b"hi").await?;
//!     let mut reply = [0; 2];
//!     wakeful::time::timeout(Duration::from_secs(10), client.read_exact(&mut reply)).await??;
//!     assert_eq!(&reply, b"hi");
//!     Ok::<_, std::io::Error>(())
//! })
//! .unwrap();
//! // Reading and writing sockets is progress, not spinning:
//! assert!(rt.spin_report().tasks.is_empty());
//! ```
//!
//! # Shutdown
//! Dropping the runtime (or [`Runtime::shutdown_timeout`]) shuts the executor down as its
//! docs describe (every task is cancelled), then the driver: a socket or timer that
//! outlived its runtime fails (`io::Error` for sockets, a panic for timers, as tokio).
pub use wakeful_executor::runtime::{
    EnterGuard, Handle, PollTimes, RuntimeSummary, SpinConfig, SpinReport, StallReport, TaskReport,
    TaskState, TryCurrentError, Wakes,
};

use std::fmt;
use std::future::Future;
use std::io;
use std::time::Duration;
use wakeful_executor::runtime as exec;
use wakeful_executor::task::JoinHandle;
use wakeful_io::rt::IoDriver;

/// Configures and starts a [`Runtime`]: worker count, thread names, blocking pool, spin
/// detection. See `wakeful_executor::runtime::Builder` for each setting's default.
///
/// ```
/// let rt = wakeful::runtime::Builder::new_multi_thread()
///     .worker_threads(2)
///     .thread_name("my-worker")
///     .build()
///     .unwrap();
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// ```
pub struct Builder {
    settings: Vec<Setting>,
}

/// A recorded builder call, replayed on a fresh executor builder by each `build()` (so a
/// builder can build several runtimes, each with a driver of its own).
#[derive(Debug, Clone)]
enum Setting {
    WorkerThreads(usize),
    ThreadName(String),
    ThreadStackSize(usize),
    MaxBlockingThreads(usize),
    ThreadKeepAlive(Duration),
    SpinConfig(SpinConfig),
    SpinDetection(bool),
    SpinThreshold(u64),
    SpinMinDuration(Duration),
    SpinBackoff(Duration, Duration),
    StallThreshold(Duration),
    GlobalQueueInterval(u32),
}

impl Setting {
    fn apply(&self, b: &mut exec::Builder) {
        match self {
            Setting::WorkerThreads(n) => b.worker_threads(*n),
            Setting::ThreadName(name) => b.thread_name(name.clone()),
            Setting::ThreadStackSize(bytes) => b.thread_stack_size(*bytes),
            Setting::MaxBlockingThreads(n) => b.max_blocking_threads(*n),
            Setting::ThreadKeepAlive(d) => b.thread_keep_alive(*d),
            Setting::SpinConfig(c) => b.spin_config(c.clone()),
            Setting::SpinDetection(on) => b.spin_detection(*on),
            Setting::SpinThreshold(polls) => b.spin_threshold(*polls),
            Setting::SpinMinDuration(d) => b.spin_min_duration(*d),
            Setting::SpinBackoff(start, max) => b.spin_backoff(*start, *max),
            Setting::StallThreshold(d) => b.stall_threshold(*d),
            Setting::GlobalQueueInterval(ticks) => b.global_queue_interval(*ticks),
        };
    }
}

impl Builder {
    /// A multi-threaded, work-stealing runtime (the only kind wakeful has).
    pub fn new_multi_thread() -> Builder {
        Builder {
            settings: Vec::new(),
        }
    }

    fn set(&mut self, setting: Setting) -> &mut Self {
        self.settings.push(setting);
        self
    }

    /// Number of worker threads. Default: the number of CPUs.
    ///
    /// # Panics
    /// If `n` is 0.
    #[track_caller]
    pub fn worker_threads(&mut self, n: usize) -> &mut Self {
        assert!(n > 0, "worker_threads must be greater than 0");
        self.set(Setting::WorkerThreads(n))
    }

    /// Name of the worker and blocking threads.
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.set(Setting::ThreadName(name.into()))
    }

    /// Stack size of the worker and blocking threads.
    pub fn thread_stack_size(&mut self, bytes: usize) -> &mut Self {
        self.set(Setting::ThreadStackSize(bytes))
    }

    /// Most threads the blocking pool may run at once. Default 512; further calls queue.
    ///
    /// # Panics
    /// If `n` is 0.
    #[track_caller]
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Self {
        assert!(n > 0, "max_blocking_threads must be greater than 0");
        self.set(Setting::MaxBlockingThreads(n))
    }

    /// How long an idle blocking thread waits for work before exiting. Default 10 s.
    pub fn thread_keep_alive(&mut self, d: Duration) -> &mut Self {
        self.set(Setting::ThreadKeepAlive(d))
    }

    /// Every spin-detection setting at once.
    pub fn spin_config(&mut self, config: SpinConfig) -> &mut Self {
        self.set(Setting::SpinConfig(config))
    }

    /// Turns spin accounting and detection on (the default) or off.
    pub fn spin_detection(&mut self, enabled: bool) -> &mut Self {
        self.set(Setting::SpinDetection(enabled))
    }

    /// Consecutive futile polls that make a task suspect (default 64).
    pub fn spin_threshold(&mut self, polls: u64) -> &mut Self {
        self.set(Setting::SpinThreshold(polls))
    }

    /// How long a task must stay suspect before it is flagged (default 100 ms).
    pub fn spin_min_duration(&mut self, d: Duration) -> &mut Self {
        self.set(Setting::SpinMinDuration(d))
    }

    /// Demotion backoff: first delay and cap (defaults 50 µs and 10 ms).
    pub fn spin_backoff(&mut self, start: Duration, max: Duration) -> &mut Self {
        self.set(Setting::SpinBackoff(start, max))
    }

    /// A poll running longer than this is reported as a stall (default 100 ms).
    pub fn stall_threshold(&mut self, d: Duration) -> &mut Self {
        self.set(Setting::StallThreshold(d))
    }

    /// Check the global queue first every `ticks` polls (default 31).
    pub fn global_queue_interval(&mut self, ticks: u32) -> &mut Self {
        self.set(Setting::GlobalQueueInterval(ticks))
    }

    /// tokio compatibility: does nothing (the I/O driver and timers are always enabled).
    pub fn enable_all(&mut self) -> &mut Self {
        self
    }

    /// tokio compatibility: does nothing (the I/O driver is always enabled).
    pub fn enable_io(&mut self) -> &mut Self {
        self
    }

    /// tokio compatibility: does nothing (timers are always enabled).
    pub fn enable_time(&mut self) -> &mut Self {
        self
    }

    /// Starts the runtime's threads, with a new I/O driver (reactor and timer wheel).
    ///
    /// # Errors
    /// If the OS refuses the reactor (epoll, eventfd) or a thread.
    pub fn build(&mut self) -> io::Result<Runtime> {
        let io = IoDriver::new()?;
        let mut builder = exec::Builder::new_multi_thread();
        for setting in &self.settings {
            setting.apply(&mut builder);
        }
        io.install(&mut builder);
        let inner = builder.build()?;
        Ok(Runtime {
            inner: Some(inner),
            io,
        })
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("settings", &self.settings)
            .finish()
    }
}

/// A running wakeful runtime: workers, a blocking pool, a monitor, and the I/O driver.
///
/// ```
/// let rt = wakeful::runtime::Runtime::new().unwrap();
/// let answer = rt.block_on(async {
///     wakeful::time::sleep(std::time::Duration::from_millis(1)).await;
///     wakeful::spawn(async { 6 * 7 }).await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
pub struct Runtime {
    /// `None` only once shut down.
    inner: Option<exec::Runtime>,
    io: IoDriver,
}

impl Runtime {
    /// A runtime with default settings: one worker per CPU.
    ///
    /// # Errors
    /// As [`Builder::build`].
    pub fn new() -> io::Result<Runtime> {
        Builder::new_multi_thread().build()
    }

    fn inner(&self) -> &exec::Runtime {
        self.inner.as_ref().expect("runtime present until shutdown")
    }

    /// Runs a future to completion on the current thread, while the workers run every
    /// spawned task. Inside it, `wakeful::spawn`, sockets and timers use this runtime.
    ///
    /// # Panics
    /// If called from a thread already driving a runtime (a worker, or inside another
    /// `block_on`).
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.inner().block_on(future)
    }

    /// The runtime's handle.
    pub fn handle(&self) -> &Handle {
        self.inner().handle()
    }

    /// Spawns a future onto the runtime.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner().spawn(future)
    }

    /// Runs a blocking closure on the blocking pool.
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.inner().spawn_blocking(f)
    }

    /// Makes this runtime current on this thread until the guard drops.
    pub fn enter(&self) -> EnterGuard {
        self.inner().enter()
    }

    /// See [`Handle::spin_report`].
    pub fn spin_report(&self) -> SpinReport {
        self.inner().spin_report()
    }

    /// See [`Handle::spin_report_all`].
    pub fn spin_report_all(&self) -> SpinReport {
        self.inner().spin_report_all()
    }

    /// Shuts down, waiting at most `timeout` for running polls and blocking calls (threads
    /// still busy after that are detached), then shuts the I/O driver down.
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        if let Some(inner) = self.inner.take() {
            inner.shutdown_timeout(timeout);
        }
        self.io.shutdown();
    }

    /// Shuts down without waiting for running polls or blocking calls.
    pub fn shutdown_background(self) {
        self.shutdown_timeout(Duration::ZERO);
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        drop(self.inner.take());
        self.io.shutdown();
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("inner", &self.inner)
            .field("io", &self.io)
            .finish()
    }
}
