//! Timers, side by side on wakeful and on tokio (functions `wakeful` and `tokio` in each
//! criterion group, measured in the same run).
//!
//! - `timers_10k_sleeps`: 10,000 tasks each sleep 1 to 4 ms, then finish; one iteration
//!   spawns them all and joins them. Measures registering, firing and waking 10,000 timers
//!   (plus the sleep itself, the same for both).
//! - `timers_10k_cancelled`: one task registers 10,000 far-future sleeps (one poll each)
//!   and drops them: the pure cost of arming and cancelling a timer.
//!
//! Both runtimes have 2 workers and run the same bodies (one macro).
//!
//! ```sh
//! cargo bench --bench io_timers
//! cargo bench --bench io_timers -- --test   # smoke: each function once
//! ```
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use std::future::{poll_fn, Future};
use std::task::Poll;
use std::time::Duration;

const WORKERS: usize = 2;
const TIMERS: usize = 10_000;

type Group<'a> = BenchmarkGroup<'a, criterion::measurement::WallTime>;

macro_rules! bodies {
    ($name:ident, $label:literal, $rt:expr, $spawn:path, $sleep:path) => {
        mod $name {
            use super::*;
            use std::time::Instant;

            pub fn sleeps(group: &mut Group<'_>) {
                let rt = $rt;
                group.bench_function($label, |b| {
                    b.iter_custom(|iters| {
                        let task = rt.spawn(async move {
                            let start = Instant::now();
                            for _ in 0..iters {
                                let tasks: Vec<_> = (0..TIMERS)
                                    .map(|i| {
                                        $spawn(async move {
                                            $sleep(Duration::from_millis(1 + (i % 4) as u64)).await;
                                        })
                                    })
                                    .collect();
                                for t in tasks {
                                    t.await.unwrap();
                                }
                            }
                            start.elapsed()
                        });
                        rt.block_on(task).unwrap()
                    })
                });
                drop(rt);
            }

            pub fn cancelled(group: &mut Group<'_>) {
                let rt = $rt;
                group.bench_function($label, |b| {
                    b.iter_custom(|iters| {
                        let task = rt.spawn(async move {
                            let start = Instant::now();
                            for _ in 0..iters {
                                let mut sleeps: Vec<_> = (0..TIMERS)
                                    .map(|i| Box::pin($sleep(Duration::from_secs(60 + i as u64))))
                                    .collect();
                                // Poll each once (arming it), in slices that stay within both
                                // runtimes' cooperative budgets.
                                for slice in sleeps.chunks_mut(100) {
                                    poll_fn(|cx| {
                                        for s in slice.iter_mut() {
                                            assert!(s.as_mut().poll(cx).is_pending());
                                        }
                                        Poll::Ready(())
                                    })
                                    .await;
                                }
                                drop(sleeps);
                            }
                            start.elapsed()
                        });
                        rt.block_on(task).unwrap()
                    })
                });
                drop(rt);
            }
        }
    };
}

bodies!(
    on_wakeful,
    "wakeful",
    ::wakeful::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .build()
        .expect("wakeful runtime"),
    ::wakeful::spawn,
    ::wakeful::time::sleep
);

bodies!(
    on_tokio,
    "tokio",
    ::tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_all()
        .build()
        .expect("tokio runtime"),
    ::tokio::spawn,
    ::tokio::time::sleep
);

fn timers(c: &mut Criterion) {
    let mut group = c.benchmark_group("timers_10k_sleeps");
    group
        .throughput(Throughput::Elements(TIMERS as u64))
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    on_wakeful::sleeps(&mut group);
    on_tokio::sleeps(&mut group);
    group.finish();

    let mut group = c.benchmark_group("timers_10k_cancelled");
    group
        .throughput(Throughput::Elements(TIMERS as u64))
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    on_wakeful::cancelled(&mut group);
    on_tokio::cancelled(&mut group);
    group.finish();
}

criterion_group!(benches, timers);
criterion_main!(benches);
