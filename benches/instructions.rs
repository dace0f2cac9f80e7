//! Workloads for instruction counting under `valgrind --tool=callgrind` (see
//! `benches/callgrind.py`): per spawn, per poll (a self-waking yield), per wake (a ping-pong
//! between two tasks), on wakeful or tokio, one worker thread so nothing else runs.
//!
//! `instructions <wakeful|tokio|wakeful-spin-off> <spawn|poll|wake> <n>` runs one workload;
//! with no arguments (as `cargo bench -- --test` runs it) it runs each once, small.
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

enum Rt {
    Wakeful(wakeful::runtime::Runtime),
    Tokio(tokio::runtime::Runtime),
}

impl Rt {
    fn new(kind: &str) -> Rt {
        match kind {
            "tokio" => Rt::Tokio(
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .build()
                    .unwrap(),
            ),
            // Accounting on (or off), but flagging out of reach: under valgrind a burst of
            // 40,000 yields lasts long enough to be flagged and demoted, which would measure
            // containment (backoff sleeps), not the per-poll cost of the accounting.
            "wakeful" | "wakeful-spin-off" => Rt::Wakeful(
                wakeful::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .spin_detection(kind == "wakeful")
                    .spin_min_duration(std::time::Duration::from_secs(24 * 3600))
                    .build()
                    .unwrap(),
            ),
            other => panic!("unknown runtime {other}"),
        }
    }

    fn block_on<F: Future>(&self, f: F) -> F::Output {
        match self {
            Rt::Wakeful(rt) => rt.block_on(f),
            Rt::Tokio(rt) => rt.block_on(f),
        }
    }

    fn spawn_n(&self, n: usize) {
        match self {
            Rt::Wakeful(rt) => rt.block_on(async {
                let handles: Vec<_> = (0..n).map(|_| wakeful::spawn(async {})).collect();
                for h in handles {
                    h.await.unwrap();
                }
            }),
            Rt::Tokio(rt) => rt.block_on(async {
                let handles: Vec<_> = (0..n).map(|_| tokio::spawn(async {})).collect();
                for h in handles {
                    h.await.unwrap();
                }
            }),
        }
    }

    fn spawn<F: Future<Output = ()> + Send + 'static>(
        &self,
        f: F,
    ) -> Box<dyn Future<Output = ()> + Unpin + '_> {
        match self {
            Rt::Wakeful(rt) => {
                let h = rt.spawn(f);
                Box::new(Box::pin(async move { h.await.unwrap() }))
            }
            Rt::Tokio(rt) => {
                let h = rt.spawn(f);
                Box::new(Box::pin(async move { h.await.unwrap() }))
            }
        }
    }
}

/// Yields `n` times: each poll wakes itself (a self-wake) and returns `Pending` once.
struct YieldN(usize);

impl Future for YieldN {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 == 0 {
            return Poll::Ready(());
        }
        self.0 -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// One side of a ping-pong: waits for its turn, passes it to the other side, `n` times.
struct Pong {
    turn: Arc<AtomicBool>,
    mine: bool,
    left: usize,
    slots: Arc<[std::sync::Mutex<Option<Waker>>; 2]>,
}

impl Future for Pong {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let me = usize::from(self.mine);
        while self.left > 0 {
            if self.turn.load(Relaxed) != self.mine {
                *self.slots[me].lock().unwrap() = Some(cx.waker().clone());
                if self.turn.load(Relaxed) != self.mine {
                    return Poll::Pending;
                }
            }
            self.left -= 1;
            self.turn.store(!self.mine, Relaxed);
            if let Some(w) = self.slots[1 - me].lock().unwrap().take() {
                w.wake();
            }
        }
        Poll::Ready(())
    }
}

fn run(kind: &str, workload: &str, n: usize) {
    let rt = Rt::new(kind);
    match workload {
        "spawn" => rt.spawn_n(n),
        "poll" => {
            let t = rt.spawn(YieldN(n));
            rt.block_on(t);
        }
        "wake" => {
            let turn = Arc::new(AtomicBool::new(false));
            let slots = Arc::new([std::sync::Mutex::new(None), std::sync::Mutex::new(None)]);
            let a = rt.spawn(Pong {
                turn: turn.clone(),
                mine: false,
                left: n,
                slots: slots.clone(),
            });
            let b = rt.spawn(Pong {
                turn,
                mine: true,
                left: n,
                slots,
            });
            rt.block_on(async move {
                a.await;
                b.await;
            });
        }
        other => panic!("unknown workload {other}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if args.len() == 3 {
        run(&args[0], &args[1], args[2].parse().expect("n"));
    } else {
        // `cargo bench -- --test` smoke: every combination once, small.
        for rt in ["wakeful", "wakeful-spin-off", "tokio"] {
            for w in ["spawn", "poll", "wake"] {
                run(rt, w, 100);
            }
        }
        println!("instructions: smoke ok");
    }
}
