//! Spinner containment: one task that wakes itself and returns `Pending` forever, beside
//! real work (tokio's `ping_pong` and `yield_many` shapes), on wakeful and on tokio, in the
//! same run. Criterion measures the victims' time with and without the spinner; the
//! spinner's poll rate (how much CPU it got) is printed after each group.
//!
//! ```sh
//! cargo bench --bench spin_containment
//! python3 benches/ratio.py          # wakeful/tokio ratios
//! ```
use criterion::{criterion_group, criterion_main, Criterion};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

const WORKERS: usize = 2;
const NUM_PINGS: usize = 1_000;
const NUM_YIELD_TASKS: usize = 200;
const NUM_YIELDS: usize = 1_000;

/// The bug: wakes itself and returns `Pending` until told to stop. Counts its polls.
struct Spinner {
    polls: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Future for Spinner {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls.fetch_add(1, Relaxed);
        if self.stop.load(Relaxed) {
            return Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Spawns, runs and awaits the workload on one runtime. Both runtimes get the same code.
trait Rt {
    fn block_on<F: Future>(&self, f: F) -> F::Output;
    fn spawn<F: Future<Output = ()> + Send + 'static>(&self, f: F);
}

struct Wakeful(wakeful::runtime::Runtime);
struct Tokio(tokio::runtime::Runtime);

impl Rt for Wakeful {
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.0.block_on(f)
    }
    fn spawn<F: Future<Output = ()> + Send + 'static>(&self, f: F) {
        drop(self.0.spawn(f));
    }
}

impl Rt for Tokio {
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.0.block_on(f)
    }
    fn spawn<F: Future<Output = ()> + Send + 'static>(&self, f: F) {
        drop(self.0.spawn(f));
    }
}

/// tokio's `ping_pong`: 1,000 pairs of tasks exchanging two oneshot messages.
fn ping_pong<R: Rt>(rt: &R, spawn_inner: fn(Pin<Box<dyn Future<Output = ()> + Send>>)) {
    let (done_tx, done_rx) = mpsc::sync_channel(1);
    let rem = Arc::new(AtomicUsize::new(NUM_PINGS));
    for _ in 0..NUM_PINGS {
        let (done_tx, rem) = (done_tx.clone(), rem.clone());
        rt.spawn(async move {
            let (tx1, rx1) = futures_channel::oneshot::channel::<()>();
            let (tx2, rx2) = futures_channel::oneshot::channel::<()>();
            spawn_inner(Box::pin(async move {
                rx1.await.unwrap();
                tx2.send(()).unwrap();
            }));
            tx1.send(()).unwrap();
            rx2.await.unwrap();
            if rem.fetch_sub(1, Relaxed) == 1 {
                done_tx.send(()).unwrap();
            }
        });
    }
    done_rx.recv().unwrap();
}

/// tokio's `yield_many`: 200 tasks yielding 1,000 times each.
fn yield_many<R: Rt>(rt: &R, yield_now: fn() -> Pin<Box<dyn Future<Output = ()> + Send>>) {
    let (tx, rx) = mpsc::sync_channel(NUM_YIELD_TASKS);
    for _ in 0..NUM_YIELD_TASKS {
        let tx = tx.clone();
        rt.spawn(async move {
            for _ in 0..NUM_YIELDS {
                yield_now().await;
            }
            tx.send(()).unwrap();
        });
    }
    for _ in 0..NUM_YIELD_TASKS {
        rx.recv().unwrap();
    }
}

fn wakeful_rt() -> Wakeful {
    Wakeful(
        wakeful::runtime::Builder::new_multi_thread()
            .worker_threads(WORKERS)
            .build()
            .unwrap(),
    )
}

fn tokio_rt() -> Tokio {
    Tokio(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKERS)
            .build()
            .unwrap(),
    )
}

/// Benchmarks `work` on `rt`, optionally beside a spinner; returns the spinner's polls/s.
fn bench_one<R: Rt>(
    c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    rt: &R,
    with_spinner: bool,
    work: &dyn Fn(&R),
) -> Option<f64> {
    let polls = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    if with_spinner {
        rt.spawn(Spinner {
            polls: polls.clone(),
            stop: stop.clone(),
        });
    }
    let mut rate = None;
    c.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let p0 = polls.load(Relaxed);
            let start = Instant::now();
            for _ in 0..iters {
                work(rt);
            }
            let elapsed = start.elapsed();
            rate = Some((polls.load(Relaxed) - p0) as f64 / elapsed.as_secs_f64());
            elapsed
        })
    });
    stop.store(true, Relaxed);
    // Let the spinner see `stop` (on wakeful it may be waiting out a backoff).
    rt.block_on(async {});
    std::thread::sleep(Duration::from_millis(20));
    rate.filter(|_| with_spinner)
}

fn containment(c: &mut Criterion) {
    let w = wakeful_rt();
    let t = tokio_rt();
    let w_inner: fn(Pin<Box<dyn Future<Output = ()> + Send>>) = |f| drop(wakeful::spawn(f));
    let t_inner: fn(Pin<Box<dyn Future<Output = ()> + Send>>) = |f| drop(tokio::spawn(f));
    let w_yield: fn() -> Pin<Box<dyn Future<Output = ()> + Send>> =
        || Box::pin(wakeful::task::yield_now());
    let t_yield: fn() -> Pin<Box<dyn Future<Output = ()> + Send>> =
        || Box::pin(tokio::task::yield_now());

    let mut rates = Vec::new();
    {
        let mut g = c.benchmark_group("spin_containment_ping_pong");
        let wp = move |rt: &Wakeful| ping_pong(rt, w_inner);
        let tp = move |rt: &Tokio| ping_pong(rt, t_inner);
        bench_one(&mut g, "wakeful_alone", &w, false, &wp);
        bench_one(&mut g, "tokio_alone", &t, false, &tp);
        rates.push((
            "ping_pong",
            "wakeful",
            bench_one(&mut g, "wakeful", &w, true, &wp),
        ));
        rates.push((
            "ping_pong",
            "tokio",
            bench_one(&mut g, "tokio", &t, true, &tp),
        ));
        g.finish();
    }
    {
        let mut g = c.benchmark_group("spin_containment_yield_many");
        let wy = move |rt: &Wakeful| yield_many(rt, w_yield);
        let ty = move |rt: &Tokio| yield_many(rt, t_yield);
        bench_one(&mut g, "wakeful_alone", &w, false, &wy);
        bench_one(&mut g, "tokio_alone", &t, false, &ty);
        rates.push((
            "yield_many",
            "wakeful",
            bench_one(&mut g, "wakeful", &w, true, &wy),
        ));
        rates.push((
            "yield_many",
            "tokio",
            bench_one(&mut g, "tokio", &t, true, &ty),
        ));
        g.finish();
    }
    for (work, rt, rate) in rates {
        if let Some(rate) = rate {
            eprintln!("spinner beside {work} on {rt}: {rate:.0} polls/s");
        }
    }
}

criterion_group!(benches, containment);
criterion_main!(benches);
