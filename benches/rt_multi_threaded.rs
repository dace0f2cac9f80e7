//! The scheduler benchmarks of tokio's `benches/rt_multi_threaded.rs`, run side by side on
//! wakeful and on tokio.
//!
//! Every bench runs at 2 and 4 workers. Each `(bench, workers)` pair is one criterion group,
//! `<bench>/<workers>w`, whose functions `wakeful` and `tokio` are measured one after the
//! other in the same run, on the same machine state. `yield_many` and `ping_pong` also have
//! `wakeful_spin_off`: wakeful with spin accounting and detection turned off
//! (`Builder::spin_detection(false)`), to price the instrumentation.
//!
//! The bodies are tokio's, with tokio's parameters (10,000 spawns; 200 tasks x 1,000 yields;
//! 1,000 ping-pongs; a chain of 1,000 spawns; busy workers stalling 10 µs per poll), written
//! once and instantiated for each runtime. Both sides use the same synchronization: std
//! `mpsc` and atomics, and futures-channel's `oneshot` where tokio uses `tokio::sync::oneshot`.
//! tokio's runtime is built as its own bench builds it (`enable_all`). Each runtime is built
//! before its function is measured and dropped right after, so only one runtime exists at a
//! time.
//!
//! ```sh
//! cargo bench --bench rt_multi_threaded                   # everything (minutes)
//! cargo bench --bench rt_multi_threaded -- 'ping_pong/'   # one bench, both worker counts
//! cargo bench --bench rt_multi_threaded -- --test         # smoke: each function once
//! python3 benches/ratio.py                                # the wakeful/tokio table
//! ```
#[path = "support/scheduler.rs"]
mod scheduler;

use criterion::{criterion_group, criterion_main, Bencher, Criterion};
use scheduler::{on_tokio, on_wakeful, tokio_rt, wakeful_rt, NUM_SPAWN};
use std::sync::atomic::Ordering::Relaxed;

const WORKER_COUNTS: [usize; 2] = [2, 4];

/// What a bench needs running in the background while it is measured.
#[derive(Clone, Copy)]
enum Background {
    None,
    Busy1,
    Busy2,
}

/// One bench at one worker count: the group `<name>/<workers>w` with `wakeful`, optionally
/// `wakeful_spin_off`, and `tokio`, each on a runtime of its own built just before it runs.
struct Bench {
    name: &'static str,
    background: Background,
    spin_off_pair: bool,
    wakeful: fn(&mut Bencher<'_>, &wakeful::runtime::Runtime),
    tokio: fn(&mut Bencher<'_>, &tokio::runtime::Runtime),
}

impl Bench {
    fn run(&self, c: &mut Criterion, workers: usize) {
        let mut group = c.benchmark_group(format!("{}/{workers}w", self.name));
        let mut sides = vec![("wakeful", true)];
        if self.spin_off_pair {
            sides.push(("wakeful_spin_off", false));
        }
        for (function, spin) in sides {
            let rt = wakeful_rt(workers, spin);
            let flag = match self.background {
                Background::None => None,
                Background::Busy1 => Some(on_wakeful::start_busy1(&rt, workers)),
                Background::Busy2 => Some(on_wakeful::start_busy2(&rt, workers)),
            };
            group.bench_function(function, |b| (self.wakeful)(b, &rt));
            if let Some(flag) = flag {
                flag.store(false, Relaxed);
            }
            drop(rt);
        }
        let rt = tokio_rt(workers);
        let flag = match self.background {
            Background::None => None,
            Background::Busy1 => Some(on_tokio::start_busy1(&rt, workers)),
            Background::Busy2 => Some(on_tokio::start_busy2(&rt, workers)),
        };
        group.bench_function("tokio", |b| (self.tokio)(b, &rt));
        if let Some(flag) = flag {
            flag.store(false, Relaxed);
        }
        drop(rt);
        group.finish();
    }
}

fn bench(
    c: &mut Criterion,
    name: &'static str,
    background: Background,
    spin_off_pair: bool,
    wakeful: fn(&mut Bencher<'_>, &wakeful::runtime::Runtime),
    tokio: fn(&mut Bencher<'_>, &tokio::runtime::Runtime),
) {
    let bench = Bench {
        name,
        background,
        spin_off_pair,
        wakeful,
        tokio,
    };
    for workers in WORKER_COUNTS {
        bench.run(c, workers);
    }
}

fn rt_multi_spawn_many_local(c: &mut Criterion) {
    bench(
        c,
        "spawn_many_local",
        Background::None,
        false,
        |b, rt| on_wakeful::spawn_many_local(b, rt),
        |b, rt| on_tokio::spawn_many_local(b, rt),
    );
}

fn rt_multi_spawn_many_remote_idle(c: &mut Criterion) {
    bench(
        c,
        "spawn_many_remote_idle",
        Background::None,
        false,
        |b, rt| on_wakeful::spawn_many_remote(b, rt, NUM_SPAWN),
        |b, rt| on_tokio::spawn_many_remote(b, rt, NUM_SPAWN),
    );
}

/// The runtime is busy with tasks that stall and yield: yielding is a lower notification
/// priority than spawning.
fn rt_multi_spawn_many_remote_busy1(c: &mut Criterion) {
    bench(
        c,
        "spawn_many_remote_busy1",
        Background::Busy1,
        false,
        |b, rt| on_wakeful::spawn_many_remote(b, rt, NUM_SPAWN),
        |b, rt| on_tokio::spawn_many_remote(b, rt, NUM_SPAWN),
    );
}

/// The runtime is busy with tasks that stall and spawn their successors: spawning goes via a
/// higher notification priority than yielding. tokio spawns 1,000 here, not 10,000.
fn rt_multi_spawn_many_remote_busy2(c: &mut Criterion) {
    const NUM_SPAWN: usize = 1_000;
    bench(
        c,
        "spawn_many_remote_busy2",
        Background::Busy2,
        false,
        |b, rt| on_wakeful::spawn_many_remote(b, rt, NUM_SPAWN),
        |b, rt| on_tokio::spawn_many_remote(b, rt, NUM_SPAWN),
    );
}

fn rt_multi_yield_many(c: &mut Criterion) {
    bench(
        c,
        "yield_many",
        Background::None,
        true,
        |b, rt| on_wakeful::yield_many(b, rt),
        |b, rt| on_tokio::yield_many(b, rt),
    );
}

fn rt_multi_ping_pong(c: &mut Criterion) {
    bench(
        c,
        "ping_pong",
        Background::None,
        true,
        |b, rt| on_wakeful::ping_pong(b, rt),
        |b, rt| on_tokio::ping_pong(b, rt),
    );
}

fn rt_multi_chained_spawn(c: &mut Criterion) {
    bench(
        c,
        "chained_spawn",
        Background::None,
        false,
        |b, rt| on_wakeful::chained_spawn(b, rt),
        |b, rt| on_tokio::chained_spawn(b, rt),
    );
}

criterion_group!(
    rt_multi_scheduler,
    rt_multi_spawn_many_local,
    rt_multi_spawn_many_remote_idle,
    rt_multi_spawn_many_remote_busy1,
    rt_multi_spawn_many_remote_busy2,
    rt_multi_ping_pong,
    rt_multi_yield_many,
    rt_multi_chained_spawn,
);

criterion_main!(rt_multi_scheduler);
