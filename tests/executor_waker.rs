//! Waker scenarios, after async-task's `waker_pending.rs` and `waker_ready.rs`: a wake from
//! any place (the task's own poll, another worker, a foreign thread) at any point of a task's
//! life (before its next poll, during a poll, after completion, after abort) is never lost,
//! never schedules the task twice, and never touches a task after it is freed.
//!
//! Whether a task's cell was freed is observed through the counting allocator of
//! `support::alloc`: each test that checks it gives its future a marker of an alignment no
//! other test here uses.
#![allow(
    clippy::waker_clone_wake,
    reason = "waking a clone by value is a path of its own (it consumes the clone's reference)"
)]
mod support;

use futures_channel::oneshot;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Poll, Waker};
use std::thread;
use std::time::Duration;
use support::alloc::{CountingAlloc, Marker16K, Marker4K, Marker8K};
use support::*;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// How long a freed-task check waits for the worker to drop its last reference: the worker
/// does so microseconds after the output is handed over; the bound is only a hang guard.
const FREE_GUARD: Duration = Duration::from_secs(10);

/// Runs two tasks through a single-worker runtime from outside, one after the other. Any
/// notification of another task already queued on the worker (locally or globally) is run
/// before the second one completes.
fn fence(rt: &wakeful::runtime::Runtime) {
    for _ in 0..2 {
        rt.block_on(rt.spawn(async {})).expect("fence task");
    }
}

/// A task's wake-up event that fires before the task's first poll is seen by that poll: the
/// task is spawned while the only worker is blocked, so it is provably still unpolled (no
/// waker of it exists yet) when the event fires.
#[test]
fn event_before_first_poll_is_seen_by_the_first_poll() {
    hang_guard(|| {
        let rt = runtime(1);
        let blocker = Blocker::occupy(&rt);
        let (tx, mut rx) = oneshot::channel::<u32>();
        let polls = Counter::default();
        let p = polls.clone();
        let join = rt.spawn(poll_fn(move |cx| {
            p.incr();
            Pin::new(&mut rx).poll(cx)
        }));
        tx.send(7).expect("the receiver is alive");
        assert_eq!(polls.get(), 0, "polled while the only worker was blocked");
        drop(blocker);
        assert_eq!(rt.block_on(join).expect("task ok"), Ok(7));
        assert_eq!(
            polls.get(),
            1,
            "the event was already there: one poll suffices"
        );
    });
}

/// Wakes that arrive before the task's next poll (it is idle, then notified and queued, then
/// woken again and again, from several threads) coalesce into exactly one poll.
#[test]
fn wakes_before_the_next_poll_coalesce_into_one_poll() {
    hang_guard(|| {
        let rt = runtime(1);
        let slot: Arc<Mutex<Option<Waker>>> = Arc::default();
        let polls = Counter::default();
        let (polled_tx, polled_rx) = mpsc::channel();
        let (s, p) = (slot.clone(), polls.clone());
        let join = rt.spawn(poll_fn(move |cx| {
            let n = p.incr();
            if n == 3 {
                return Poll::Ready(n);
            }
            *s.lock().unwrap() = Some(cx.waker().clone());
            polled_tx.send(n).unwrap();
            Poll::Pending
        }));
        assert_eq!(recv(&polled_rx, "first poll"), 1);
        let waker = slot.lock().unwrap().take().unwrap();

        // The task is idle. Block the only worker, then wake it many times.
        let blocker = Blocker::occupy(&rt);
        waker.wake_by_ref();
        waker.wake_by_ref();
        waker.clone().wake();
        let others: Vec<_> = (0..4)
            .map(|_| {
                let w = waker.clone();
                thread::spawn(move || {
                    w.wake_by_ref();
                    w.wake();
                })
            })
            .collect();
        for t in others {
            t.join().unwrap();
        }
        assert_eq!(polls.get(), 1, "polled while the only worker was blocked");
        drop(blocker);
        assert_eq!(recv(&polled_rx, "second poll"), 2);

        // No duplicate notification is left queued: after the fence, still two polls.
        fence(&rt);
        assert_eq!(
            polls.get(),
            2,
            "the coalesced wakes scheduled the task twice"
        );

        slot.lock().unwrap().take().unwrap().wake();
        assert_eq!(rt.block_on(join).expect("task ok"), 3);
    });
}

/// A task that wakes itself during its own poll (on the polling thread), once or a thousand
/// times, by reference or by value, is polled again exactly once, and a self-wake in the poll
/// that completes is harmless.
#[test]
fn wake_during_own_poll_reschedules_exactly_once() {
    hang_guard(|| {
        let rt = runtime(1);
        let slot: Arc<Mutex<Option<Waker>>> = Arc::default();
        let polls = Counter::default();
        let (polled_tx, polled_rx) = mpsc::channel();
        let (s, p) = (slot.clone(), polls.clone());
        let join = rt.spawn(poll_fn(move |cx| match p.incr() {
            1 => {
                for _ in 0..1000 {
                    cx.waker().wake_by_ref();
                }
                cx.waker().clone().wake();
                Poll::Pending
            }
            2 => {
                *s.lock().unwrap() = Some(cx.waker().clone());
                polled_tx.send(()).unwrap();
                Poll::Pending
            }
            n => {
                cx.waker().wake_by_ref();
                cx.waker().clone().wake();
                Poll::Ready(n)
            }
        }));
        recv(&polled_rx, "the second poll");
        fence(&rt);
        assert_eq!(
            polls.get(),
            2,
            "1,001 self-wakes in one poll must cause exactly one more poll"
        );
        slot.lock().unwrap().take().unwrap().wake();
        assert_eq!(rt.block_on(join).expect("task ok"), 3);
        fence(&rt);
        assert_eq!(polls.get(), 3, "polled after completing");
    });
}

/// A task holding another task's waker wakes it from a different worker thread: task B is
/// inside its poll (occupying its worker) when task A is spawned, so A runs on the other
/// worker; B then wakes A from its own thread.
#[test]
fn wake_from_another_worker() {
    hang_guard(|| {
        let rt = runtime(2);
        let (b_started_tx, b_started_rx) = mpsc::channel();
        let (a_waker_tx, a_waker_rx) = mpsc::channel::<(Waker, thread::ThreadId)>();
        let b = rt.spawn(async move {
            b_started_tx.send(()).unwrap();
            // Blocks this worker until A has registered its waker (bounded by the hang guard).
            let (waker, a_thread) = a_waker_rx
                .recv_timeout(HANG_GUARD)
                .expect("task A registered its waker");
            let b_thread = thread::current().id();
            waker.wake();
            (a_thread, b_thread)
        });
        recv(&b_started_rx, "task B's poll");

        let woken = Arc::new(Mutex::new(false));
        let w = woken.clone();
        let mut sent = Some(a_waker_tx);
        let a = rt.spawn(poll_fn(move |cx| {
            if let Some(tx) = sent.take() {
                tx.send((cx.waker().clone(), thread::current().id()))
                    .unwrap();
                return Poll::Pending;
            }
            *w.lock().unwrap() = true;
            Poll::Ready(())
        }));
        let (a_thread, b_thread) = rt.block_on(b).expect("task B ok");
        assert_ne!(a_thread, b_thread, "the test must wake across workers");
        rt.block_on(a).expect("task A completes once woken by B");
        assert!(*woken.lock().unwrap());
    });
}

/// A foreign thread wakes a task right after the task registered its waker, racing with the
/// end of the task's poll. Repeated so that the wake lands in every phase: a lost wake hangs.
#[test]
fn wake_from_foreign_thread_is_never_lost() {
    hang_guard(|| {
        let rt = runtime(2);
        for i in 0..1000u32 {
            // (ready, waker) under one lock: the task cannot miss the flag.
            let shared: Arc<Mutex<(bool, Option<Waker>)>> = Arc::default();
            let (registered_tx, registered_rx) = mpsc::channel();
            let s = shared.clone();
            let join = rt.spawn(poll_fn(move |cx| {
                let mut g = s.lock().unwrap();
                if g.0 {
                    return Poll::Ready(i);
                }
                g.1 = Some(cx.waker().clone());
                let _ = registered_tx.send(());
                Poll::Pending
            }));
            let s = shared.clone();
            let waker_thread = thread::spawn(move || {
                recv(&registered_rx, "the waker registration");
                let waker = {
                    let mut g = s.lock().unwrap();
                    g.0 = true;
                    g.1.take()
                };
                if let Some(w) = waker {
                    w.wake();
                }
            });
            assert_eq!(rt.block_on(join).expect("task ok"), i);
            waker_thread.join().unwrap();
        }
    });
}

/// Waking a completed task is a no-op (no poll, no crash), and the task's memory lives
/// exactly as long as the last waker of it.
#[test]
fn wake_after_completion_is_a_noop_and_the_last_waker_frees_the_task() {
    hang_guard(|| {
        let rt = runtime(2);
        assert_eq!(CountingAlloc::live(8192), 0);
        let tracker = DropTracker::new(1);
        let marker = Marker8K(tracker.guard(0));
        let polls = Counter::default();
        let p = polls.clone();
        let (waker_tx, waker_rx) = mpsc::channel();
        let join = rt.spawn(poll_fn(move |cx| {
            let _ = &marker;
            p.incr();
            waker_tx.send(cx.waker().clone()).unwrap();
            Poll::Ready(5)
        }));
        assert_eq!(rt.block_on(join).expect("task ok"), 5);
        let waker = recv(&waker_rx, "the task's waker");
        assert_eq!(tracker.drops(0), 1, "the future is dropped on completion");

        waker.wake_by_ref();
        waker.clone().wake();
        let w = waker.clone();
        thread::spawn(move || w.wake()).join().unwrap();
        rt.block_on(async {
            let w = waker.clone();
            wakeful::spawn(async move { w.wake() }).await.unwrap();
        });
        assert_eq!(polls.get(), 1, "a completed task was polled again");
        assert_eq!(CountingAlloc::live(8192), 1, "freed while a waker is alive");
        drop(waker);
        wait_until_within(FREE_GUARD, "the task freed after its last waker", || {
            CountingAlloc::live(8192) == 0
        });
        assert_eq!(tracker.drops(0), 1);
    });
}

/// Waking an aborted task is a no-op: it is not polled again, its future was dropped once,
/// and the last waker frees it.
#[test]
fn wake_after_abort_is_a_noop() {
    hang_guard(|| {
        let rt = runtime(2);
        assert_eq!(CountingAlloc::live(16384), 0);
        let tracker = DropTracker::new(1);
        let marker = Marker16K(tracker.guard(0));
        let polls = Counter::default();
        let p = polls.clone();
        let (waker_tx, waker_rx) = mpsc::channel();
        let join = rt.spawn(poll_fn(move |cx| -> Poll<()> {
            let _ = &marker;
            p.incr();
            waker_tx.send(cx.waker().clone()).unwrap();
            Poll::Pending
        }));
        let waker = recv(&waker_rx, "the task's waker");
        join.abort();
        let err = rt.block_on(join).expect_err("aborted");
        assert!(err.is_cancelled(), "{err:?}");
        assert_eq!(tracker.drops(0), 1, "abort drops the future");

        waker.wake_by_ref();
        waker.clone().wake();
        let w = waker.clone();
        thread::spawn(move || w.wake()).join().unwrap();
        fence_any(&rt);
        assert_eq!(polls.get(), 1, "an aborted task was polled again");
        assert_eq!(tracker.drops(0), 1);
        assert_eq!(
            CountingAlloc::live(16384),
            1,
            "freed while a waker is alive"
        );
        drop(waker);
        wait_until_within(FREE_GUARD, "the task freed after its last waker", || {
            CountingAlloc::live(16384) == 0
        });
    });
}

/// Lets every worker of `rt` run a task: with two workers, enough tasks that each worker
/// runs some of them, so notifications queued before are drained.
fn fence_any(rt: &wakeful::runtime::Runtime) {
    rt.block_on(async {
        let tasks: Vec<_> = (0..64).map(|_| wakeful::spawn(async {})).collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
}

/// A waker cloned 10,000 times (clones dropped on several threads) leaves the reference count
/// right: the task is still woken and completes, its future is dropped once, and its memory
/// is released afterwards.
#[test]
fn waker_cloned_ten_thousand_times_then_dropped() {
    hang_guard(|| {
        let rt = runtime(2);
        assert_eq!(CountingAlloc::live(4096), 0);
        let tracker = DropTracker::new(1);
        let marker = Marker4K(tracker.guard(0));
        let (clones_tx, clones_rx) = mpsc::channel::<Vec<Waker>>();
        let polls = Counter::default();
        let p = polls.clone();
        let join = rt.spawn(poll_fn(move |cx| {
            let _ = &marker;
            if p.incr() == 1 {
                let clones = (0..10_001).map(|_| cx.waker().clone()).collect();
                clones_tx.send(clones).unwrap();
                Poll::Pending
            } else {
                Poll::Ready("done")
            }
        }));
        let mut clones = recv(&clones_rx, "the clones");
        assert_eq!(CountingAlloc::live(4096), 1, "the task cell is tracked");
        let last = clones.pop().unwrap();
        let droppers: Vec<_> = clones
            .chunks(2_500)
            .map(<[Waker]>::to_vec)
            .map(|chunk| thread::spawn(move || drop(chunk)))
            .collect();
        drop(clones);
        for t in droppers {
            t.join().unwrap();
        }
        assert_eq!(tracker.drops(0), 0, "the future is still pending");
        last.wake();
        assert_eq!(rt.block_on(join).expect("task ok"), "done");
        assert_eq!(polls.get(), 2);
        assert_eq!(tracker.drops(0), 1);
        wait_until_within(FREE_GUARD, "the task cell freed", || {
            CountingAlloc::live(4096) == 0
        });
    });
}

/// `will_wake` holds between a task's waker in every poll and every clone of it, and not
/// between wakers of two different tasks.
#[test]
fn will_wake_is_stable_across_polls_and_clones() {
    hang_guard(|| {
        let rt = runtime(2);
        let (other_tx, other_rx) = mpsc::channel();
        let mut sent = Some(other_tx);
        let other = rt.spawn(poll_fn(move |cx| -> Poll<()> {
            if let Some(tx) = sent.take() {
                tx.send(cx.waker().clone()).unwrap();
            }
            Poll::Pending
        }));
        let other_waker: Waker = recv(&other_rx, "the other task's waker");

        let mut first: Option<Waker> = None;
        let mut polls = 0;
        let mut same = Vec::new();
        let mut different = Vec::new();
        let join = rt.spawn(poll_fn(move |cx| {
            polls += 1;
            let first = first.get_or_insert_with(|| cx.waker().clone());
            let clone_of_clone = first.clone();
            same.push(cx.waker().will_wake(first));
            same.push(first.will_wake(cx.waker()));
            same.push(clone_of_clone.will_wake(cx.waker()));
            same.push(cx.waker().clone().will_wake(&clone_of_clone));
            different.push(cx.waker().will_wake(&other_waker));
            different.push(other_waker.will_wake(cx.waker()));
            if polls < 4 {
                cx.waker().wake_by_ref();
                Poll::Pending
            } else {
                Poll::Ready((std::mem::take(&mut same), std::mem::take(&mut different)))
            }
        }));
        let (same, different) = rt.block_on(join).expect("task ok");
        assert_eq!(same.len(), 16);
        assert!(
            same.iter().all(|&b| b),
            "will_wake false for one task: {same:?}"
        );
        assert!(
            different.iter().all(|&b| !b),
            "will_wake true across tasks: {different:?}"
        );
        other.abort();
        assert!(rt.block_on(other).unwrap_err().is_cancelled());
    });
}
