//! What the `io_tcp`, `io_timers` and `tls` benches share: the two runtimes they compare,
//! the shape of a side-by-side criterion group, and the timed loop of a measurement.
//!
//! Included by each with `#[path = "support/io_runtimes.rs"] mod io_runtimes;`; everything
//! here is used by `io_timers`, so it gets no dead-code warnings (`io_tcp` and `tls`
//! allow them).
//!
//! # Fairness contract
//! - Both runtimes are multi-threaded with [`WORKERS`] workers; tokio has its I/O and time
//!   drivers (`enable_all`), wakeful always has them. Under criterion a bench builds a
//!   runtime right before its function is measured and drops it right after, so the two
//!   never run at once; in interleaved rounds (`support/interleave.rs`) both exist and
//!   take turns, the idle one parked.
//! - A group from [`side_by_side`] holds the functions `wakeful` and `tokio`, measured one
//!   after the other in the same run with the same settings, so their ratio is meaningful
//!   on a shared machine (`benches/ratio.py` reads it by those names).
//! - [`BenchRuntime::time_rounds`] measures inside one spawned task, so spawning that task
//!   and `block_on` stay out of the figure on both sides.
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput};
use std::future::Future;
use std::time::{Duration, Instant};

/// Worker threads of both runtimes.
pub const WORKERS: usize = 2;

/// A criterion group measured by wall clock.
pub type Group<'a> = BenchmarkGroup<'a, WallTime>;

/// The wakeful runtime under test.
pub fn wakeful_runtime() -> wakeful::runtime::Runtime {
    wakeful::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .build()
        .expect("wakeful runtime")
}

/// The tokio runtime it is compared with.
pub fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// The group `name` for one `wakeful` and one `tokio` function: 20 samples, 5 s of
/// measurement each, `throughput` per iteration.
pub fn side_by_side<'a>(c: &'a mut Criterion, name: &str, throughput: Throughput) -> Group<'a> {
    let mut group = c.benchmark_group(name);
    group
        .throughput(throughput)
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    group
}

/// A runtime the benches can time work on, from outside it.
pub trait BenchRuntime {
    /// Spawns `task` and blocks until it has finished: its output.
    fn spawn_and_wait<T: Send + 'static>(
        &self,
        task: impl Future<Output = T> + Send + 'static,
    ) -> T;

    /// `iters` runs of `round()`, one after the other in one spawned task: how long the
    /// loop took, measured inside the task. For `Bencher::iter_custom`.
    fn time_rounds<R, F>(&self, iters: u64, mut round: R) -> Duration
    where
        R: FnMut() -> F + Send + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        self.spawn_and_wait(async move {
            let start = Instant::now();
            for _ in 0..iters {
                round().await;
            }
            start.elapsed()
        })
    }
}

impl BenchRuntime for wakeful::runtime::Runtime {
    fn spawn_and_wait<T: Send + 'static>(
        &self,
        task: impl Future<Output = T> + Send + 'static,
    ) -> T {
        self.block_on(self.spawn(task)).unwrap()
    }
}

impl BenchRuntime for tokio::runtime::Runtime {
    fn spawn_and_wait<T: Send + 'static>(
        &self,
        task: impl Future<Output = T> + Send + 'static,
    ) -> T {
        self.block_on(self.spawn(task)).unwrap()
    }
}
