//! `Builder`: configures and starts a runtime.
use super::{Handle, Runtime};
use crate::blocking::BlockingPool;
use crate::instrument::monitor::{self, MonitorStop};
use crate::instrument::{RuntimeInstrument, SpinConfig};
use crate::loom::deque::Worker;
use crate::loom::sync::Arc;
use crate::loom::sync::StdArc;
use crate::scheduler::park::{Park, ThreadPark};
use crate::scheduler::{worker, Config, Remote, Shared};
use std::any::Any;
use std::fmt;
use std::io;
use std::time::Duration;

type ParkFactory = Box<dyn Fn(usize) -> Box<dyn Park>>;

/// Configures a runtime: worker count, thread names, blocking pool, spin detection.
///
/// ```
/// let rt = wakeful_executor::runtime::Builder::new_multi_thread()
///     .worker_threads(2)
///     .thread_name("my-worker")
///     .build()
///     .unwrap();
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// ```
pub struct Builder {
    worker_threads: Option<usize>,
    thread_name: String,
    thread_stack_size: Option<usize>,
    max_blocking_threads: usize,
    blocking_keep_alive: Duration,
    spin: SpinConfig,
    config: Config,
    park: Option<ParkFactory>,
    extensions: Vec<Extension>,
}

pub(crate) type Extension = StdArc<dyn Any + Send + Sync>;

impl Builder {
    /// A multi-threaded, work-stealing runtime (the only kind wakeful has).
    pub fn new_multi_thread() -> Builder {
        Builder {
            worker_threads: None,
            thread_name: "wakeful-worker".to_owned(),
            thread_stack_size: None,
            max_blocking_threads: 512,
            blocking_keep_alive: Duration::from_secs(10),
            spin: SpinConfig::default(),
            config: Config::default(),
            park: None,
            extensions: Vec::new(),
        }
    }

    /// Number of worker threads. Default: the number of CPUs.
    ///
    /// # Panics
    /// If `n` is 0.
    #[track_caller]
    pub fn worker_threads(&mut self, n: usize) -> &mut Self {
        assert!(n > 0, "worker_threads must be greater than 0");
        self.worker_threads = Some(n);
        self
    }

    /// Name of the worker and blocking threads.
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.thread_name = name.into();
        self
    }

    /// Stack size of the worker and blocking threads.
    pub fn thread_stack_size(&mut self, bytes: usize) -> &mut Self {
        self.thread_stack_size = Some(bytes);
        self
    }

    /// Most threads the blocking pool may run at once. Default 512; further calls queue.
    ///
    /// # Panics
    /// If `n` is 0.
    #[track_caller]
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Self {
        assert!(n > 0, "max_blocking_threads must be greater than 0");
        self.max_blocking_threads = n;
        self
    }

    /// How long an idle blocking thread waits for work before exiting. Default 10 s.
    pub fn thread_keep_alive(&mut self, d: Duration) -> &mut Self {
        self.blocking_keep_alive = d;
        self
    }

    /// Every spin-detection setting at once.
    pub fn spin_config(&mut self, config: SpinConfig) -> &mut Self {
        self.spin = config;
        self
    }

    /// Turns spin accounting and detection on (the default) or off.
    pub fn spin_detection(&mut self, enabled: bool) -> &mut Self {
        self.spin.enabled = enabled;
        self
    }

    /// Consecutive futile polls that make a task suspect (default 64).
    pub fn spin_threshold(&mut self, polls: u64) -> &mut Self {
        self.spin.futile_streak_threshold = polls.max(1);
        self
    }

    /// How long a task must stay suspect before it is flagged (default 100 ms).
    pub fn spin_min_duration(&mut self, d: Duration) -> &mut Self {
        self.spin.min_spin = d;
        self
    }

    /// Demotion backoff: first delay and cap (defaults 50 µs and 10 ms).
    pub fn spin_backoff(&mut self, start: Duration, max: Duration) -> &mut Self {
        self.spin.backoff_start = start;
        self.spin.backoff_max = max.max(start);
        self
    }

    /// A poll running longer than this is reported as a stall (default 100 ms).
    pub fn stall_threshold(&mut self, d: Duration) -> &mut Self {
        self.spin.stall_threshold = d;
        self
    }

    /// Check the global queue first every `ticks` polls (default 31).
    pub fn global_queue_interval(&mut self, ticks: u32) -> &mut Self {
        self.config.global_queue_interval = ticks.max(1);
        self
    }

    /// Replaces what idle workers block in (the io-driver installs its reactor here).
    /// `factory(i)` makes worker `i`'s parker.
    #[doc(hidden)]
    pub fn on_park(&mut self, factory: impl Fn(usize) -> Box<dyn Park> + 'static) -> &mut Self {
        self.park = Some(Box::new(factory));
        self
    }

    /// Attaches a value every `Handle` of the runtime can find with
    /// [`Handle::extension`](super::Handle::extension) (the io-driver attaches its reactor).
    #[doc(hidden)]
    pub fn extension<T: Any + Send + Sync>(&mut self, value: StdArc<T>) -> &mut Self {
        self.extensions.push(value);
        self
    }

    /// Starts the runtime's threads.
    pub fn build(&mut self) -> io::Result<Runtime> {
        let n = self
            .worker_threads
            .unwrap_or_else(crate::loom::num_cpus)
            .max(1);
        let queues: Vec<Worker<_>> = (0..n).map(|_| Worker::new_fifo()).collect();
        let remotes = queues
            .iter()
            .enumerate()
            .map(|(i, q)| Remote {
                steal: q.stealer(),
                park: match &self.park {
                    Some(f) => f(i),
                    None => Box::new(ThreadPark::new()),
                },
            })
            .collect();
        let blocking = BlockingPool::new(
            self.max_blocking_threads,
            self.blocking_keep_alive,
            format!("{}-blocking", self.thread_name),
        );
        let instrument = RuntimeInstrument::new(self.spin.clone(), n);
        let shared = Arc::new(Shared::new(
            remotes,
            blocking,
            instrument,
            self.config.clone(),
            self.extensions.clone(),
        ));
        let mut threads = Vec::with_capacity(n);
        for (index, queue) in queues.into_iter().enumerate() {
            let mut b = std::thread::Builder::new().name(format!("{}-{index}", self.thread_name));
            if let Some(size) = self.thread_stack_size {
                b = b.stack_size(size);
            }
            let s = shared.clone();
            match b.spawn(move || worker::run(s, index, queue)) {
                Ok(t) => threads.push(t),
                Err(e) => {
                    // Tear down what started; workers that never started count as exited.
                    for _ in index..n {
                        shared.worker_exited();
                    }
                    shared.begin_shutdown();
                    shared.wait_workers(None);
                    shared.finish_shutdown();
                    return Err(e);
                }
            }
        }
        let stop = Arc::new(MonitorStop::default());
        let monitor = {
            let (s, st) = (shared.clone(), stop.clone());
            std::thread::Builder::new()
                .name(format!("{}-monitor", self.thread_name))
                .spawn(move || monitor::run(s, st))?
        };
        Ok(Runtime::from_parts(
            Handle::from_shared(shared),
            threads,
            monitor,
            stop,
        ))
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("worker_threads", &self.worker_threads)
            .field("thread_name", &self.thread_name)
            .field("max_blocking_threads", &self.max_blocking_threads)
            .field("spin", &self.spin)
            .finish_non_exhaustive()
    }
}
