//! Timers, side by side on wakeful and on tokio (functions `wakeful` and `tokio` in each
//! criterion group, measured in the same run).
//!
//! - `timers_10k_sleeps`: 10,000 tasks each sleep 1 to 4 ms, then finish; one iteration
//!   spawns them all and joins them. Measures registering, firing and waking 10,000 timers
//!   (plus the sleep itself, the same for both).
//! - `timers_10k_cancelled`: one task registers 10,000 far-future sleeps (one poll each)
//!   and drops them: the pure cost of arming and cancelling a timer.
//!
//! Both runtimes have 2 workers and run the same bodies (one macro); each runtime is built
//! before its function is measured and dropped right after (`support/io_runtimes.rs`).
//!
//! ```sh
//! cargo bench --bench io_timers
//! cargo bench --bench io_timers -- --test   # smoke: each function once
//! ```
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::future::{poll_fn, Future};
use std::task::Poll;
use std::time::Duration;

#[path = "support/io_runtimes.rs"]
mod io_runtimes;
use io_runtimes::{side_by_side, BenchRuntime, Group};

const TIMERS: usize = 10_000;

macro_rules! bodies {
    ($name:ident, $label:literal, $rt:expr, $spawn:path, $sleep:path) => {
        mod $name {
            use super::*;

            pub fn sleeps(group: &mut Group<'_>) {
                let rt = $rt;
                group.bench_function($label, |b| {
                    b.iter_custom(|iters| {
                        rt.time_rounds(iters, || async {
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
                        })
                    })
                });
                drop(rt);
            }

            pub fn cancelled(group: &mut Group<'_>) {
                let rt = $rt;
                group.bench_function($label, |b| {
                    b.iter_custom(|iters| {
                        rt.time_rounds(iters, || async {
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
                        })
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
    io_runtimes::wakeful_runtime(),
    ::wakeful::spawn,
    ::wakeful::time::sleep
);

bodies!(
    on_tokio,
    "tokio",
    io_runtimes::tokio_runtime(),
    ::tokio::spawn,
    ::tokio::time::sleep
);

fn timers(c: &mut Criterion) {
    let mut group = side_by_side(c, "timers_10k_sleeps", Throughput::Elements(TIMERS as u64));
    on_wakeful::sleeps(&mut group);
    on_tokio::sleeps(&mut group);
    group.finish();

    let mut group = side_by_side(
        c,
        "timers_10k_cancelled",
        Throughput::Elements(TIMERS as u64),
    );
    on_wakeful::cancelled(&mut group);
    on_tokio::cancelled(&mut group);
    group.finish();
}

criterion_group!(benches, timers);
criterion_main!(benches);
