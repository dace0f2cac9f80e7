//! The LIFO slot cannot starve the run queue: on a single worker, two tasks that wake each
//! other forever (each wake lands in the LIFO slot) must still let a third task run, whether
//! that task waits in the worker's local queue or in the global queue.
mod support;

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Poll, Waker};
use support::*;
use wakeful::runtime::{Builder, Runtime};
use wakeful::task::JoinHandle;

/// Two tasks that wake each other from inside their polls until `stop`.
#[derive(Default)]
struct PingPong {
    stop: AtomicBool,
    wakers: Mutex<[Option<Waker>; 2]>,
    rounds: AtomicUsize,
}

impl PingPong {
    /// Spawns both players; `on_round(n)` runs inside player 0's poll on round `n`.
    fn start(
        rt: &Runtime,
        on_round: impl FnMut(usize) + Send + 'static,
    ) -> (Arc<PingPong>, [JoinHandle<()>; 2]) {
        let game = Arc::new(PingPong::default());
        let player = |me: usize, mut hook: Option<Box<dyn FnMut(usize) + Send>>| {
            let game = game.clone();
            rt.spawn(poll_fn(move |cx| {
                if game.stop.load(SeqCst) {
                    return Poll::Ready(());
                }
                let round = game.rounds.fetch_add(1, SeqCst);
                if let Some(hook) = hook.as_mut() {
                    hook(round);
                }
                let other = {
                    let mut w = game.wakers.lock().unwrap();
                    w[me] = Some(cx.waker().clone());
                    w[1 - me].take()
                };
                if let Some(other) = other {
                    other.wake();
                }
                Poll::Pending
            }))
        };
        let a = player(0, Some(Box::new(on_round)));
        let b = player(1, None);
        (game, [a, b])
    }

    fn stop(&self, rt: &Runtime, players: [JoinHandle<()>; 2]) {
        self.stop.store(true, SeqCst);
        // A player that went idle holds its waker in its slot: keep waking until both saw
        // the flag (one may park after a single round of wakes was taken).
        wait_until("both players to stop", || {
            let wakers = std::mem::take(&mut *self.wakers.lock().unwrap());
            for w in wakers.into_iter().flatten() {
                w.wake();
            }
            players.iter().all(JoinHandle::is_finished)
        });
        for p in players {
            rt.block_on(p).expect("player stops");
        }
    }
}

fn single_worker(spin_detection: bool) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(1)
        .spin_detection(spin_detection)
        .build()
        .unwrap()
}

/// The third task is spawned by a player from inside its poll: it waits in the local queue.
fn local_queue_task_runs(spin_detection: bool) {
    hang_guard(move || {
        let rt = single_worker(spin_detection);
        let (done_tx, done_rx) = mpsc::channel();
        let mut done_tx = Some(done_tx);
        let (game, players) = PingPong::start(&rt, move |round| {
            if round == 1000 {
                let tx = done_tx.take().expect("spawned once");
                drop(wakeful::spawn(async move { tx.send(()).unwrap() }));
            }
        });
        recv(
            &done_rx,
            "the third task, starved by the ping-pong in the LIFO slot",
        );
        assert!(game.rounds.load(SeqCst) > 1000);
        game.stop(&rt, players);
    });
}

/// The third task is spawned from outside while the players run: it waits in the global
/// queue.
fn global_queue_task_runs(spin_detection: bool) {
    hang_guard(move || {
        let rt = single_worker(spin_detection);
        let (game, players) = PingPong::start(&rt, |_| {});
        wait_until("the ping-pong to get going", || {
            game.rounds.load(SeqCst) >= 1000
        });
        let (done_tx, done_rx) = mpsc::channel();
        let third = rt.spawn(async move { done_tx.send(()).unwrap() });
        recv(
            &done_rx,
            "the third task, starved by the ping-pong in the LIFO slot",
        );
        rt.block_on(third).unwrap();
        game.stop(&rt, players);
    });
}

#[test]
fn lifo_slot_cannot_starve_the_local_queue() {
    local_queue_task_runs(true);
}

#[test]
fn lifo_slot_cannot_starve_the_local_queue_without_spin_detection() {
    local_queue_task_runs(false);
}

#[test]
fn lifo_slot_cannot_starve_the_global_queue() {
    global_queue_task_runs(true);
}

#[test]
fn lifo_slot_cannot_starve_the_global_queue_without_spin_detection() {
    global_queue_task_runs(false);
}
