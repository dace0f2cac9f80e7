//! `JoinHandle`: output, panics, abort at every point of a task's life (after async-task's
//! `cancel.rs`), detaching, `is_finished`, ids; and a panicking task never takes its worker
//! down.
mod support;

use futures_channel::oneshot;
use std::collections::HashSet;
use std::future::{pending, poll_fn};
use std::sync::mpsc;
use std::task::Poll;
use support::*;

#[test]
fn join_handle_returns_output() {
    hang_guard(|| {
        let rt = runtime(2);
        assert_eq!(rt.block_on(rt.spawn(async { 6 * 7 })).unwrap(), 42);
        let s = rt
            .block_on(rt.spawn(async { String::from("owned output") }))
            .unwrap();
        assert_eq!(s, "owned output");
        // Awaited from another task, on a worker.
        let inner = rt.spawn(async { vec![1, 2, 3] });
        let outer = rt.spawn(async move { inner.await.unwrap().iter().sum::<i32>() });
        assert_eq!(rt.block_on(outer).unwrap(), 6);
        // Spawned and awaited inside `block_on`.
        let v = rt.block_on(async { wakeful::spawn(async { 'x' }).await.unwrap() });
        assert_eq!(v, 'x');
    });
}

#[test]
fn join_handle_reports_panic_with_payload() {
    hang_guard(|| {
        let rt = runtime(2);
        let n = std::hint::black_box(7);
        let join = rt.spawn(async move {
            if n == 7 {
                panic!("boom {n}");
            }
        });
        let id = join.id();
        let err = rt.block_on(join).expect_err("the task panicked");
        assert!(err.is_panic() && !err.is_cancelled(), "{err:?}");
        assert_eq!(err.id(), id);
        let payload = err.into_panic();
        assert_eq!(payload.downcast_ref::<String>().unwrap(), "boom 7");

        let join = rt.spawn(async {
            if true {
                panic!("static str payload");
            }
        });
        let err = rt.block_on(join).unwrap_err();
        let payload = err.try_into_panic().expect("a panic error");
        assert_eq!(
            *payload.downcast_ref::<&'static str>().unwrap(),
            "static str payload"
        );

        // A non-string payload survives the trip too.
        let join = rt.spawn(async {
            if true {
                std::panic::panic_any(17_u64);
            }
        });
        let payload = rt.block_on(join).unwrap_err().into_panic();
        assert_eq!(payload.downcast_ref::<u64>(), Some(&17));
    });
}

/// Aborted while queued and never polled: the future is dropped without ever being polled.
#[test]
fn abort_before_first_poll() {
    hang_guard(|| {
        let rt = runtime(1);
        let tracker = DropTracker::new(1);
        let polls = Counter::default();
        let blocker = Blocker::occupy(&rt);
        let (guard, p) = (tracker.guard(0), polls.clone());
        let join = rt.spawn(async move {
            let _guard = guard;
            p.incr();
        });
        let id = join.id();
        join.abort();
        assert!(!join.is_finished(), "the only worker is blocked");
        drop(blocker);
        let err = rt.block_on(join).expect_err("aborted");
        assert!(err.is_cancelled() && !err.is_panic(), "{err:?}");
        assert_eq!(err.id(), id);
        assert_eq!(polls.get(), 0, "an aborted task was polled");
        assert_eq!(tracker.drops(0), 1);
        let err = err
            .try_into_panic()
            .expect_err("a cancellation is not a panic");
        assert!(err.is_cancelled());
    });
}

/// Aborted while idle, awaiting something that never completes.
#[test]
fn abort_while_awaiting_forever() {
    hang_guard(|| {
        let rt = runtime(2);
        let tracker = DropTracker::new(1);
        let (polled_tx, polled_rx) = mpsc::channel();
        let guard = tracker.guard(0);
        let join = rt.spawn(async move {
            let _guard = guard;
            polled_tx.send(()).unwrap();
            pending::<()>().await;
        });
        recv(&polled_rx, "the first poll");
        assert_eq!(tracker.drops(0), 0);
        join.abort();
        let err = rt.block_on(join).expect_err("aborted");
        assert!(err.is_cancelled(), "{err:?}");
        assert_eq!(
            tracker.drops(0),
            1,
            "the future's Drop must run exactly once"
        );
    });
}

/// Aborted while a worker is inside the task's poll: the poller cancels it when the poll
/// returns `Pending`.
#[test]
fn abort_during_poll() {
    hang_guard(|| {
        let rt = runtime(2);
        let tracker = DropTracker::new(1);
        let polls = Counter::default();
        let (in_poll_tx, in_poll_rx) = mpsc::channel();
        let (aborted_tx, aborted_rx) = mpsc::channel::<()>();
        let (guard, p) = (tracker.guard(0), polls.clone());
        let join = rt.spawn(poll_fn(move |_cx| -> Poll<()> {
            let _ = &guard;
            p.incr();
            in_poll_tx.send(()).unwrap();
            aborted_rx
                .recv_timeout(HANG_GUARD)
                .expect("the test aborts");
            // Pending without arranging a wake: only the abort can finish the task.
            Poll::Pending
        }));
        recv(&in_poll_rx, "the poll");
        join.abort();
        assert_eq!(tracker.drops(0), 0, "dropped under the running poll");
        aborted_tx.send(()).unwrap();
        let err = rt.block_on(join).expect_err("aborted");
        assert!(err.is_cancelled(), "{err:?}");
        assert_eq!(polls.get(), 1);
        assert_eq!(tracker.drops(0), 1);
    });
}

/// A task that aborts itself from inside its poll is cancelled once that poll returns.
#[test]
fn task_aborting_itself() {
    hang_guard(|| {
        let rt = runtime(2);
        let tracker = DropTracker::new(1);
        let (handle_tx, handle_rx) = oneshot::channel::<wakeful::task::AbortHandle>();
        let guard = tracker.guard(0);
        let join = rt.spawn(async move {
            let _guard = guard;
            let me = handle_rx.await.unwrap();
            me.abort();
            pending::<()>().await;
        });
        handle_tx.send(join.abort_handle()).unwrap();
        let err = rt.block_on(join).expect_err("aborted itself");
        assert!(err.is_cancelled(), "{err:?}");
        assert_eq!(tracker.drops(0), 1);
    });
}

/// Aborting a finished task changes nothing: its output is still there.
#[test]
fn abort_after_completion_keeps_output() {
    hang_guard(|| {
        let rt = runtime(2);
        let join = rt.spawn(async { String::from("kept") });
        wait_until("the task finishes", || join.is_finished());
        join.abort();
        join.abort();
        join.abort_handle().abort();
        assert_eq!(rt.block_on(join).expect("output survives abort"), "kept");
    });
}

/// Dropping the `JoinHandle` detaches the task: it still runs to completion (and signals),
/// and its output is dropped exactly once by the runtime.
#[test]
fn dropped_join_handle_detaches_task() {
    hang_guard(|| {
        let rt = runtime(2);
        let tracker = DropTracker::new(2);
        let (go_tx, go_rx) = oneshot::channel::<u32>();
        let (done_tx, done_rx) = mpsc::channel();
        let (future_guard, output_guard) = (tracker.guard(0), tracker.guard(1));
        let join = rt.spawn(async move {
            let _guard = future_guard;
            let n = go_rx.await.unwrap();
            done_tx.send(n).unwrap();
            output_guard
        });
        drop(join);
        go_tx.send(9).unwrap();
        assert_eq!(recv(&done_rx, "the detached task's signal"), 9);
        wait_until("the detached task's output is dropped", || {
            tracker.drops(1) == 1
        });
        drop(rt);
        tracker.assert_each_dropped_once();
    });
}

/// The output of a finished task whose handle is dropped unread is dropped exactly once, at
/// the handle's drop; an output that was awaited belongs to the awaiter.
#[test]
fn output_is_dropped_once_whoever_holds_it() {
    hang_guard(|| {
        let rt = runtime(2);
        let tracker = DropTracker::new(2);
        let guard = tracker.guard(0);
        let unread = rt.spawn(async move { guard });
        wait_until("the task finishes", || unread.is_finished());
        assert_eq!(
            tracker.drops(0),
            0,
            "the output was dropped before its handle"
        );
        drop(unread);
        assert_eq!(
            tracker.drops(0),
            1,
            "dropping the handle drops the stored output"
        );

        let guard = tracker.guard(1);
        let output = rt.block_on(rt.spawn(async move { guard })).unwrap();
        assert_eq!(tracker.drops(1), 0);
        drop(output);
        drop(rt);
        tracker.assert_each_dropped_once();
    });
}

#[test]
fn is_finished_tracks_completion() {
    hang_guard(|| {
        let rt = runtime(2);
        let (tx, rx) = oneshot::channel::<u8>();
        let mut join = rt.spawn(async move { rx.await.unwrap() });
        let abort = join.abort_handle();
        for _ in 0..100 {
            assert!(!join.is_finished() && !abort.is_finished());
            std::thread::yield_now();
        }
        tx.send(3).unwrap();
        wait_until("is_finished", || join.is_finished());
        assert!(abort.is_finished());
        assert_eq!(rt.block_on(&mut join).unwrap(), 3);
        assert!(join.is_finished());

        let mut panicked = rt.spawn(async {
            if true {
                panic!("finished by panicking");
            }
        });
        assert!(rt.block_on(&mut panicked).unwrap_err().is_panic());
        assert!(panicked.is_finished());

        let mut aborted = rt.spawn(pending::<()>());
        aborted.abort();
        assert!(rt.block_on(&mut aborted).unwrap_err().is_cancelled());
        assert!(aborted.is_finished());
    });
}

#[test]
fn ids_are_unique_and_consistent() {
    hang_guard(|| {
        let rt = runtime(2);
        let joins: Vec<_> = (0..1000).map(|i| rt.spawn(async move { i })).collect();
        let ids: HashSet<_> = joins.iter().map(|j| j.id()).collect();
        assert_eq!(ids.len(), joins.len(), "task ids repeat");
        for j in &joins {
            assert_eq!(j.abort_handle().id(), j.id());
        }
        // Ids are not reused after tasks finish.
        rt.block_on(async {
            for j in joins {
                j.await.unwrap();
            }
        });
        let later: Vec<_> = (0..1000).map(|_| rt.spawn(async {}).id()).collect();
        assert!(later.iter().all(|id| !ids.contains(id)), "an id was reused");
        let join = rt.spawn(pending::<()>());
        let id = join.id();
        join.abort();
        assert_eq!(rt.block_on(join).unwrap_err().id(), id);
    });
}

/// 100 panicking tasks on a single worker: the worker survives them all and keeps running
/// tasks afterwards.
#[test]
fn panicking_tasks_do_not_take_down_the_worker() {
    hang_guard(|| {
        let rt = runtime(1);
        assert_eq!(rt.handle().num_workers(), 1);
        for i in 0..100 {
            let join = rt.spawn(async move {
                if i < 100 {
                    panic!("task {i} panics");
                }
            });
            let err = rt.block_on(join).expect_err("panicked");
            assert!(err.is_panic());
            assert_eq!(
                panic_message(&*err.into_panic()),
                format!("task {i} panics")
            );
        }
        let results = rt.block_on(async {
            let tasks: Vec<_> = (0..100).map(|i| wakeful::spawn(async move { i })).collect();
            let mut out = Vec::new();
            for t in tasks {
                out.push(t.await.unwrap());
            }
            out
        });
        assert_eq!(results, (0..100).collect::<Vec<_>>());
        // Panics inside tasks spawned from tasks, too.
        let survived = rt.block_on(async {
            let inner = wakeful::spawn(async {
                if true {
                    panic!("nested");
                }
            });
            assert!(inner.await.unwrap_err().is_panic());
            wakeful::spawn(async { "still running" }).await.unwrap()
        });
        assert_eq!(survived, "still running");
    });
}

/// An `AbortHandle` aborts the task without the `JoinHandle`, even after the handle is gone.
#[test]
fn abort_handle_aborts_a_detached_task() {
    hang_guard(|| {
        let rt = runtime(2);
        let tracker = DropTracker::new(1);
        let (polled_tx, polled_rx) = mpsc::channel();
        let guard = tracker.guard(0);
        let join = rt.spawn(async move {
            let _guard = guard;
            polled_tx.send(()).unwrap();
            pending::<()>().await;
        });
        let abort = join.abort_handle();
        assert_eq!(abort.id(), join.id());
        drop(join);
        recv(&polled_rx, "the first poll");
        assert!(!abort.is_finished());
        abort.abort();
        wait_until("the aborted task finishes", || abort.is_finished());
        wait_until("the aborted future is dropped", || tracker.drops(0) == 1);
        drop(rt);
        tracker.assert_each_dropped_once();
    });
}
