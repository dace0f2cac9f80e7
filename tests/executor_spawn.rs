//! Spawning at scale and from everywhere: 100,000 tasks, tasks spawning tasks, plain threads
//! through a `Handle`, and the bounded blocking pool.
mod support;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;
use support::*;
use wakeful::runtime::{Builder, Handle};

#[test]
fn hundred_thousand_tasks_spawned_and_awaited() {
    hang_guard(|| {
        const N: u64 = 100_000;
        let rt = runtime(2);
        let sum = rt.block_on(async {
            let tasks: Vec<_> = (0..N).map(|i| wakeful::spawn(async move { i })).collect();
            let mut sum = 0;
            for t in tasks {
                sum += t.await.unwrap();
            }
            sum
        });
        assert_eq!(sum, N * (N - 1) / 2);
        wait_until("every finished task leaves the registry", || {
            rt.handle().num_alive_tasks() == 0
        });
    });
}

/// Each task spawns two children down to depth 12 (8,191 tasks) and awaits them; the tree is
/// spawned through `wakeful::spawn`, `Handle::current().spawn` and `task::spawn` in turn.
#[test]
fn nested_spawns_from_inside_tasks() {
    fn tree(depth: u32) -> wakeful::task::JoinHandle<u64> {
        let fut = async move {
            if depth == 0 {
                return 1;
            }
            let (a, b) = (tree(depth - 1), tree(depth - 1));
            1 + a.await.unwrap() + b.await.unwrap()
        };
        match depth % 3 {
            0 => wakeful::spawn(fut),
            1 => Handle::current().spawn(fut),
            _ => wakeful::task::spawn(fut),
        }
    }
    hang_guard(|| {
        let rt = runtime(2);
        let count = rt.block_on(async { tree(12).await.unwrap() });
        assert_eq!(count, (1 << 13) - 1);
    });
}

/// A runtime entered on a plain thread (or reached through a cloned `Handle`) accepts spawns
/// from it; leaving it restores "no runtime".
#[test]
fn spawn_from_plain_threads_through_a_handle() {
    hang_guard(|| {
        let rt = runtime(2);
        assert!(Handle::try_current().is_err());
        let (tx, rx) = mpsc::channel();
        {
            let _enter = rt.enter();
            assert_eq!(Handle::current().num_workers(), 2);
            let tx = tx.clone();
            drop(wakeful::spawn(async move { tx.send("entered").unwrap() }));
        }
        assert!(Handle::try_current().is_err(), "the enter guard leaked");
        assert_eq!(recv(&rx, "the entered spawn"), "entered");

        let handle = rt.handle().clone();
        let from_thread = thread::spawn(move || {
            let joins: Vec<_> = (0..100u32)
                .map(|i| handle.spawn(async move { i }))
                .collect();
            handle.block_on(async {
                let mut sum = 0;
                for j in joins {
                    sum += j.await.unwrap();
                }
                sum
            })
        });
        assert_eq!(from_thread.join().unwrap(), 4950);
    });
}

#[test]
fn spawn_blocking_returns_its_result() {
    hang_guard(|| {
        let rt = runtime(2);
        let worker_thread = rt.block_on(async { thread::current().id() });
        let (v, blocking_thread) = rt.block_on(async {
            wakeful::task::spawn_blocking(|| (6 * 7, thread::current().id()))
                .await
                .unwrap()
        });
        assert_eq!(v, 42);
        assert_ne!(blocking_thread, worker_thread);
        // The blocking thread belongs to the runtime: it can spawn and block_on.
        let nested = rt
            .block_on(rt.spawn_blocking(|| {
                let handle = Handle::current();
                handle.block_on(wakeful::spawn(async { "from a blocking thread" }))
            }))
            .unwrap()
            .unwrap();
        assert_eq!(nested, "from a blocking thread");
    });
}

#[test]
fn spawn_blocking_panic_is_a_join_error() {
    hang_guard(|| {
        let rt = runtime(1);
        let join = rt.spawn_blocking(|| {
            if true {
                panic!("blocking boom");
            }
        });
        let err = rt.block_on(join).expect_err("panicked");
        assert!(err.is_panic() && !err.is_cancelled(), "{err:?}");
        assert_eq!(panic_message(&*err.into_panic()), "blocking boom");
        // The pool survives it.
        assert_eq!(rt.block_on(rt.spawn_blocking(|| 1)).unwrap(), 1);
    });
}

/// With `max_blocking_threads(2)`, ten overlapping blocking calls all complete, and never
/// more than two run at once.
#[test]
fn bounded_blocking_pool_runs_every_call() {
    hang_guard(|| {
        let rt = Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(2)
            .build()
            .unwrap();
        let active = Arc::new(AtomicUsize::new(0));
        let max_active = Arc::new(AtomicUsize::new(0));
        let joins: Vec<_> = (0..10u32)
            .map(|i| {
                let (active, max_active) = (active.clone(), max_active.clone());
                rt.spawn_blocking(move || {
                    let now = active.fetch_add(1, SeqCst) + 1;
                    max_active.fetch_max(now, SeqCst);
                    thread::sleep(Duration::from_millis(5));
                    active.fetch_sub(1, SeqCst);
                    i
                })
            })
            .collect();
        let results: Vec<u32> = rt.block_on(async {
            let mut out = Vec::new();
            for j in joins {
                out.push(j.await.unwrap());
            }
            out
        });
        assert_eq!(results, (0..10).collect::<Vec<_>>());
        let max = max_active.load(SeqCst);
        assert!(
            (1..=2).contains(&max),
            "{max} blocking calls ran at once with max_blocking_threads(2)"
        );
    });
}
