//! Shutdown: dropping a runtime (or `shutdown_timeout`, `shutdown_background`) drops every
//! task's future exactly once, whatever the task was doing (never polled, idle, runnable,
//! inside a poll, linked to other tasks), frees every task once its handles are gone, and a
//! stale `Handle` afterwards cancels what it is given instead of hanging or leaking.
//!
//! Task cells are tracked with the counting allocator (see `support::alloc`); each test uses
//! its own marker alignment.
mod support;

use futures_channel::oneshot;
use std::future::{pending, poll_fn};
use std::sync::{mpsc, Arc};
use std::task::Poll;
use std::thread;
use std::time::Duration;
use support::alloc::{CountingAlloc, Marker16K, Marker32K, Marker4K, Marker8K};
use support::*;
use wakeful::runtime::{Builder, Handle};
use wakeful::task::JoinHandle;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Awaits each handle with no runtime, expecting a cancellation.
#[track_caller]
fn assert_all_cancelled<T: std::fmt::Debug>(joins: Vec<JoinHandle<T>>) {
    for join in joins {
        assert!(join.is_finished(), "a task survived its runtime");
        let err = block_on_plain(join).expect_err("cancelled by shutdown");
        assert!(err.is_cancelled(), "{err:?}");
    }
}

/// On drop, spawns a task through a captured handle (shutdown is under way by then, so that
/// task must be cancelled unpolled) and hands its `JoinHandle` to the test.
struct SpawnOnDrop {
    handle: Handle,
    guard: Option<DropGuard>,
    polls: Counter,
    joins: mpsc::Sender<JoinHandle<()>>,
}

impl Drop for SpawnOnDrop {
    fn drop(&mut self) {
        let guard = self.guard.take().expect("dropped once");
        let polls = self.polls.clone();
        let join = self.handle.spawn(async move {
            let _guard = guard;
            polls.incr();
        });
        let _ = self.joins.send(join);
    }
}

#[test]
fn dropping_the_runtime_drops_every_future_exactly_once() {
    hang_guard(|| {
        const PENDING: usize = 40;
        const DETACHED: usize = 20;
        const YIELDING: usize = 20;
        const PAIRS: usize = 10;
        const SPAWNERS: usize = 10;
        const TOTAL: usize = PENDING + DETACHED + YIELDING + 2 * PAIRS + 2 * SPAWNERS + 1;
        assert_eq!(CountingAlloc::live(4096), 0);
        let rt = runtime(2);
        let tracker = DropTracker::new(TOTAL);
        let next_index = std::cell::Cell::new(0);
        let next = || {
            let i = next_index.get();
            next_index.set(i + 1);
            i
        };
        let marker = || Marker4K(tracker.guard(next()));
        let (polled_tx, polled_rx) = mpsc::channel::<()>();
        let mut joins = Vec::new();

        for _ in 0..PENDING {
            let (m, tx) = (marker(), polled_tx.clone());
            joins.push(rt.spawn(async move {
                let _m = m;
                tx.send(()).unwrap();
                pending::<()>().await;
            }));
        }
        for _ in 0..DETACHED {
            let (m, tx) = (marker(), polled_tx.clone());
            drop(rt.spawn(async move {
                let _m = m;
                tx.send(()).unwrap();
                pending::<()>().await;
            }));
        }
        for _ in 0..YIELDING {
            let (m, tx) = (marker(), polled_tx.clone());
            joins.push(rt.spawn(async move {
                let _m = m;
                tx.send(()).unwrap();
                loop {
                    wakeful::task::yield_now().await;
                }
            }));
        }
        // Pairs: dropping A's sender (at shutdown) wakes B, which may be cancelled already.
        for _ in 0..PAIRS {
            let (tx, rx) = oneshot::channel::<()>();
            let (ma, mb) = (marker(), marker());
            let (ta, tb) = (polled_tx.clone(), polled_tx.clone());
            joins.push(rt.spawn(async move {
                let _m = ma;
                let _tx = tx;
                ta.send(()).unwrap();
                pending::<()>().await;
            }));
            joins.push(rt.spawn(async move {
                let _m = mb;
                tb.send(()).unwrap();
                let _ = rx.await;
                pending::<()>().await;
            }));
        }
        // Spawners: their futures spawn a task when dropped.
        let (spawned_tx, spawned_rx) = mpsc::channel();
        let spawned_polls = Counter::default();
        for _ in 0..SPAWNERS {
            let on_drop = SpawnOnDrop {
                handle: rt.handle().clone(),
                guard: Some(tracker.guard(next())),
                polls: spawned_polls.clone(),
                joins: spawned_tx.clone(),
            };
            let (m, tx) = (marker(), polled_tx.clone());
            joins.push(rt.spawn(async move {
                let _m = m;
                let _on_drop = on_drop;
                tx.send(()).unwrap();
                pending::<()>().await;
            }));
        }
        drop(spawned_tx);
        for _ in 0..PENDING + DETACHED + YIELDING + 2 * PAIRS + SPAWNERS {
            recv(&polled_rx, "every task's first poll");
        }
        // One task is inside a poll (a bounded blocking sleep) when the runtime is dropped.
        let (in_poll_tx, in_poll_rx) = mpsc::channel();
        let m = marker();
        joins.push(rt.spawn(poll_fn(move |_cx| -> Poll<()> {
            let _ = &m;
            let _ = in_poll_tx.send(());
            thread::sleep(Duration::from_millis(100));
            Poll::Pending
        })));
        recv(&in_poll_rx, "the sleeping poll");
        assert_eq!(next_index.get(), TOTAL, "every tracked object is in use");

        drop(rt);

        tracker.assert_each_dropped_once();
        assert_eq!(
            spawned_polls.get(),
            0,
            "a task spawned during shutdown was polled"
        );
        let spawned: Vec<_> = spawned_rx.iter().collect();
        assert_eq!(spawned.len(), SPAWNERS);
        assert_all_cancelled(spawned);
        assert_all_cancelled(joins);
        assert_eq!(
            CountingAlloc::live(4096),
            0,
            "task cells leaked after the runtime and every handle are gone"
        );
    });
}

/// `shutdown_timeout` returns while a worker is stuck inside a poll: the stuck poll waits for
/// a message the test only sends after `shutdown_timeout` has returned. The stuck task's
/// future is then dropped, once, by its worker when the poll returns.
#[test]
fn shutdown_timeout_returns_while_a_poll_is_blocked() {
    hang_guard(|| {
        assert_eq!(CountingAlloc::live(8192), 0);
        let rt = runtime(2);
        let tracker = DropTracker::new(3);
        let (in_poll_tx, in_poll_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let (outcome_tx, outcome_rx) = mpsc::channel();
        let m = Marker8K(tracker.guard(0));
        let stuck = rt.spawn(poll_fn(move |_cx| -> Poll<()> {
            let _ = &m;
            in_poll_tx.send(()).unwrap();
            // Bounded: if shutdown_timeout waited for this poll, this times out instead.
            let released = release_rx.recv_timeout(Duration::from_secs(30)).is_ok();
            outcome_tx.send(released).unwrap();
            Poll::Pending
        }));
        let m = Marker8K(tracker.guard(1));
        let idle = rt.spawn(async move {
            let _m = m;
            pending::<()>().await;
        });
        recv(&in_poll_rx, "the stuck poll");
        let handle = rt.handle().clone();

        rt.shutdown_timeout(Duration::from_millis(50));

        // A stale handle spawns while the stuck worker is still alive: cancelled at once.
        let m = Marker8K(tracker.guard(2));
        let late = handle.spawn(async move {
            let _m = m;
        });
        release_tx.send(()).unwrap();
        assert!(
            recv(&outcome_rx, "the stuck poll's outcome"),
            "shutdown_timeout did not return until the stuck poll ended"
        );
        wait_until("the stuck future is dropped by its worker", || {
            tracker.total() == 3
        });
        // The worker drops the future, then marks the task complete: wait for the latter.
        wait_until("the stuck task completes", || stuck.is_finished());
        assert_all_cancelled(vec![stuck, idle, late]);
        tracker.assert_each_dropped_once();
        wait_until("every task cell freed", || CountingAlloc::live(8192) == 0);
    });
}

/// `shutdown_background` does not wait at all; everything is still dropped exactly once.
#[test]
fn shutdown_background_drops_every_future_once() {
    hang_guard(|| {
        let rt = runtime(2);
        let tracker = DropTracker::new(11);
        let (in_poll_tx, in_poll_rx) = mpsc::channel();
        let guard = tracker.guard(0);
        let mut joins = vec![rt.spawn(poll_fn(move |_cx| -> Poll<()> {
            let _ = &guard;
            let _ = in_poll_tx.send(());
            thread::sleep(Duration::from_millis(50));
            Poll::Pending
        }))];
        for i in 1..11 {
            let guard = tracker.guard(i);
            joins.push(rt.spawn(async move {
                let _guard = guard;
                pending::<()>().await;
            }));
        }
        recv(&in_poll_rx, "the sleeping poll");
        rt.shutdown_background();
        wait_until("every future dropped", || tracker.total() == 11);
        tracker.assert_each_dropped_once();
        assert_all_cancelled(joins);
    });
}

/// After the runtime is gone, a stale `Handle` cancels whatever it is given (futures and
/// blocking closures, through every spawn path): the `JoinHandle` resolves to a cancelled
/// error, the future is dropped unpolled, and nothing leaks.
#[test]
fn spawn_after_shutdown_via_stale_handle_is_cancelled() {
    hang_guard(|| {
        assert_eq!(CountingAlloc::live(16384), 0);
        let rt = runtime(2);
        let handle = rt.handle().clone();
        drop(rt);

        let tracker = DropTracker::new(4);
        let ran = Counter::default();
        let mut joins = Vec::new();
        let (m, r) = (Marker16K(tracker.guard(0)), ran.clone());
        joins.push(handle.spawn(async move {
            let _m = m;
            r.incr();
        }));
        let (m, r) = (Marker16K(tracker.guard(1)), ran.clone());
        joins.push(
            wakeful::task::Builder::new()
                .name("after shutdown")
                .spawn_on(
                    async move {
                        let _m = m;
                        r.incr();
                    },
                    &handle,
                )
                .expect("spawn_on returns a handle even after shutdown"),
        );
        {
            let _enter = handle.enter();
            let (m, r) = (Marker16K(tracker.guard(2)), ran.clone());
            joins.push(wakeful::spawn(async move {
                let _m = m;
                r.incr();
            }));
        }
        let (g, r) = (tracker.guard(3), ran.clone());
        let blocking = handle.spawn_blocking(move || {
            let _g = g;
            r.incr();
        });

        assert_all_cancelled(joins);
        assert_all_cancelled(vec![blocking]);
        assert_eq!(ran.get(), 0, "work submitted after shutdown ran");
        tracker.assert_each_dropped_once();
        assert_eq!(handle.num_alive_tasks(), 0);
        wait_until("every task cell freed", || CountingAlloc::live(16384) == 0);
    });
}

/// Dropping the runtime waits for a running blocking call (its result is delivered) and
/// cancels the queued ones (their closures are dropped without running). The running call
/// returns only once the pool refuses new calls, i.e. once shutdown has reached the pool.
#[test]
fn drop_waits_for_running_blocking_calls_and_cancels_queued_ones() {
    hang_guard(|| {
        assert_eq!(CountingAlloc::live(32768), 0);
        let rt = Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(1)
            .build()
            .unwrap();
        let tracker = DropTracker::new(1);
        let (started_tx, started_rx) = mpsc::channel();
        let handle = rt.handle().clone();
        let running = rt.spawn_blocking(move || {
            started_tx.send(()).unwrap();
            // Probe the pool until it cancels a new call on the spot (it is shut down).
            // Probes made before that queue up behind this call and are cancelled with it.
            wait_until("the blocking pool to shut down", || {
                handle.spawn_blocking(|| ()).is_finished()
            });
            "finished"
        });
        recv(&started_rx, "the blocking call");
        let ran = Counter::default();
        let (m, r) = (Marker32K(tracker.guard(0)), ran.clone());
        let queued = rt.spawn_blocking(move || {
            let _m = m;
            r.incr();
        });
        drop(rt);
        assert_eq!(
            block_on_plain(running).expect("ran to completion"),
            "finished"
        );
        assert_eq!(ran.get(), 0, "a queued blocking call ran during shutdown");
        assert_all_cancelled(vec![queued]);
        tracker.assert_each_dropped_once();
        wait_until("the queued call's cell freed", || {
            CountingAlloc::live(32768) == 0
        });
    });
}

/// Spawns (async and blocking) from another thread race with the runtime's drop: each one is
/// either run or cancelled, never lost; every future or closure is dropped exactly once and
/// every `JoinHandle` resolves.
#[test]
fn spawns_racing_with_shutdown_are_run_or_cancelled() {
    hang_guard(|| {
        const N: usize = 4000;
        let rt = runtime(2);
        let handle = rt.handle().clone();
        let tracker = DropTracker::new(N);
        let ran = Counter::default();
        let (started_tx, started_rx) = mpsc::channel();
        let spawner = {
            let (tracker, ran) = (tracker.clone(), ran.clone());
            thread::spawn(move || {
                let mut joins = Vec::with_capacity(N);
                for i in 0..N {
                    if i == N / 4 {
                        started_tx.send(()).unwrap();
                    }
                    let (g, r) = (tracker.guard(i), ran.clone());
                    joins.push(if i % 8 == 0 {
                        handle.spawn_blocking(move || {
                            let _g = g;
                            r.incr();
                        })
                    } else {
                        handle.spawn(async move {
                            let _g = g;
                            r.incr();
                        })
                    });
                }
                joins
            })
        };
        recv(&started_rx, "the spawner under way");
        drop(rt);
        let joins = spawner.join().unwrap();
        let mut completed = 0;
        for join in joins {
            match block_on_plain(join) {
                Ok(()) => completed += 1,
                Err(e) => assert!(e.is_cancelled(), "{e:?}"),
            }
        }
        assert_eq!(
            completed,
            ran.get(),
            "a task ran but reported cancelled, or vice versa"
        );
        tracker.assert_each_dropped_once();
    });
}

/// Dropping the last reference to a runtime from inside one of its own tasks must not hang:
/// the worker doing it cannot wait for itself to exit. (tokio refuses with a panic, "Cannot
/// drop a runtime in a context where blocking is not allowed"; shutting down without waiting
/// for the current worker would do too.) Either way the drop returns.
#[test]
fn dropping_the_runtime_inside_its_own_task_does_not_hang() {
    hang_guard(|| {
        let rt = Arc::new(runtime(2));
        let inner = rt.clone();
        let (go_tx, go_rx) = oneshot::channel::<()>();
        let (returned_tx, returned_rx) = mpsc::channel();
        drop(rt.spawn(async move {
            let _ = go_rx.await;
            // The last reference: `Runtime::drop` runs here, on a worker.
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(inner)));
            returned_tx
                .send(outcome.map_err(|p| panic_message(&*p)))
                .unwrap();
        }));
        drop(rt);
        go_tx.send(()).unwrap();
        match returned_rx.recv_timeout(Duration::from_secs(20)) {
            Ok(Ok(())) => {}
            Ok(Err(msg)) => assert!(msg.contains("runtime"), "unclear panic message: {msg:?}"),
            Err(_) => panic!("dropping the runtime from inside its own task deadlocked"),
        }
    });
}
