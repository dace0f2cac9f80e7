//! The bodies of tokio's `rt_multi_threaded` scheduler benches, written once for both
//! runtimes (`on_wakeful`, `on_tokio`), for `rt_multi_threaded` (criterion) and
//! `spin_overhead` (interleaved rounds). A body runs its workload once per iteration of the
//! `Iterate` it is given: criterion's `Bencher`, or `spin_overhead`'s timed loop.
//!
//! Included with `#[path = "support/scheduler.rs"] mod scheduler;`; `spin_overhead` uses
//! two of the bodies and allows dead code.
use std::time::{Duration, Instant};

/// Runs a bench body's routine: criterion's `Bencher`, or a timed loop.
pub trait Iterate {
    fn iter<O, R: FnMut() -> O>(&mut self, routine: R);
}

impl Iterate for criterion::Bencher<'_> {
    fn iter<O, R: FnMut() -> O>(&mut self, routine: R) {
        criterion::Bencher::iter(self, routine)
    }
}

/// A wakeful runtime with `workers` workers, spin accounting on or off.
pub fn wakeful_rt(workers: usize, spin_detection: bool) -> wakeful::runtime::Runtime {
    wakeful::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .spin_detection(spin_detection)
        .build()
        .expect("wakeful runtime")
}

/// A tokio runtime as tokio's own bench builds it (`enable_all`).
pub fn tokio_rt(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

pub const NUM_SPAWN: usize = 10_000;
pub const STALL_DUR: Duration = Duration::from_micros(10);

/// Burns the CPU for `STALL_DUR`, yielding the thread (tokio's `stall`).
pub fn stall() {
    let now = Instant::now();
    while now.elapsed() < STALL_DUR {
        std::thread::yield_now();
    }
}

/// The bench bodies for one runtime: `$rt` is its runtime type, `$spawn` its free spawn
/// function and `$yield_now` its yield. Both runtimes have the same method names
/// (`block_on`, `spawn`, `handle`), so the bodies are written once.
macro_rules! scheduler_benches {
    ($module:ident, rt = $rt:ty, spawn = $spawn:path, yield_now = $yield_now:path) => {
        pub mod $module {
            use super::*;
            use std::sync::atomic::Ordering::Relaxed;
            use std::sync::atomic::{AtomicBool, AtomicUsize};
            use std::sync::{mpsc, Arc};

            pub(crate) fn spawn_many_local(b: &mut impl Iterate, rt: &$rt) {
                let (tx, rx) = mpsc::sync_channel(1000);
                let rem = Arc::new(AtomicUsize::new(0));
                b.iter(|| {
                    rem.store(NUM_SPAWN, Relaxed);
                    rt.block_on(async {
                        for _ in 0..NUM_SPAWN {
                            let tx = tx.clone();
                            let rem = rem.clone();
                            $spawn(async move {
                                if 1 == rem.fetch_sub(1, Relaxed) {
                                    tx.send(()).unwrap();
                                }
                            });
                        }
                        rx.recv().unwrap();
                    });
                });
            }

            pub(crate) fn spawn_many_remote(b: &mut impl Iterate, rt: &$rt, num_spawn: usize) {
                let handle = rt.handle();
                let mut handles = Vec::with_capacity(num_spawn);
                b.iter(|| {
                    for _ in 0..num_spawn {
                        handles.push(handle.spawn(async {}));
                    }
                    rt.block_on(async {
                        for handle in handles.drain(..) {
                            handle.await.unwrap();
                        }
                    });
                });
            }

            /// Keeps the workers busy with tasks that stall and yield (busy1). Returns the
            /// flag that stops them.
            pub(crate) fn start_busy1(rt: &$rt, workers: usize) -> Arc<AtomicBool> {
                let flag = Arc::new(AtomicBool::new(true));
                for _ in 0..(2 * workers) {
                    let flag = flag.clone();
                    drop(rt.spawn(async move {
                        while flag.load(Relaxed) {
                            $yield_now().await;
                            stall();
                        }
                    }));
                }
                flag
            }

            /// Keeps the workers busy with tasks that stall and spawn their successor (busy2).
            pub(crate) fn start_busy2(rt: &$rt, workers: usize) -> Arc<AtomicBool> {
                fn iter(flag: Arc<AtomicBool>) {
                    drop($spawn(async {
                        if flag.load(Relaxed) {
                            stall();
                            iter(flag);
                        }
                    }));
                }
                let flag = Arc::new(AtomicBool::new(true));
                for _ in 0..workers {
                    let flag = flag.clone();
                    drop(rt.spawn(async {
                        iter(flag);
                    }));
                }
                flag
            }

            pub(crate) fn yield_many(b: &mut impl Iterate, rt: &$rt) {
                const NUM_YIELD: usize = 1_000;
                const TASKS: usize = 200;
                let (tx, rx) = mpsc::sync_channel(TASKS);
                b.iter(|| {
                    for _ in 0..TASKS {
                        let tx = tx.clone();
                        drop(rt.spawn(async move {
                            for _ in 0..NUM_YIELD {
                                $yield_now().await;
                            }
                            tx.send(()).unwrap();
                        }));
                    }
                    for _ in 0..TASKS {
                        rx.recv().unwrap();
                    }
                });
            }

            pub(crate) fn ping_pong(b: &mut impl Iterate, rt: &$rt) {
                const NUM_PINGS: usize = 1_000;
                let (done_tx, done_rx) = mpsc::sync_channel(1000);
                let rem = Arc::new(AtomicUsize::new(0));
                b.iter(|| {
                    let done_tx = done_tx.clone();
                    let rem = rem.clone();
                    rem.store(NUM_PINGS, Relaxed);
                    rt.block_on(async {
                        $spawn(async move {
                            for _ in 0..NUM_PINGS {
                                let rem = rem.clone();
                                let done_tx = done_tx.clone();
                                $spawn(async move {
                                    let (tx1, rx1) = futures_channel::oneshot::channel();
                                    let (tx2, rx2) = futures_channel::oneshot::channel();
                                    $spawn(async move {
                                        rx1.await.unwrap();
                                        tx2.send(()).unwrap();
                                    });
                                    tx1.send(()).unwrap();
                                    rx2.await.unwrap();
                                    if 1 == rem.fetch_sub(1, Relaxed) {
                                        done_tx.send(()).unwrap();
                                    }
                                });
                            }
                        });
                        done_rx.recv().unwrap();
                    });
                });
            }

            pub(crate) fn chained_spawn(b: &mut impl Iterate, rt: &$rt) {
                const ITER: usize = 1_000;
                fn iter(done_tx: mpsc::SyncSender<()>, n: usize) {
                    if n == 0 {
                        done_tx.send(()).unwrap();
                    } else {
                        $spawn(async move {
                            iter(done_tx, n - 1);
                        });
                    }
                }
                let (done_tx, done_rx) = mpsc::sync_channel(1000);
                b.iter(|| {
                    let done_tx = done_tx.clone();
                    rt.block_on(async {
                        $spawn(async move {
                            iter(done_tx, ITER);
                        });
                        done_rx.recv().unwrap();
                    });
                });
            }
        }
    };
}

scheduler_benches!(
    on_wakeful,
    rt = wakeful::runtime::Runtime,
    spawn = wakeful::spawn,
    yield_now = wakeful::task::yield_now
);
scheduler_benches!(
    on_tokio,
    rt = tokio::runtime::Runtime,
    spawn = tokio::spawn,
    yield_now = tokio::task::yield_now
);
