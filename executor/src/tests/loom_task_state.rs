//! Models 1-3: the task state word under racing wakes, polls and completion.
use super::support::*;
use crate::loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
use futures_task::ArcWake;
use loom::thread;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};

/// Model 1: a wake (by value, and by reference) racing the end of a poll that returns
/// `Pending`: the task is rescheduled exactly once and polled again after the wake.
#[test]
fn model1_wake_racing_end_of_poll() {
    for by_ref in [false, true] {
        loom::model(move || {
            let sched = TestSchedule::default();
            let (probe, fut) = WaitFor::new(1, false);
            let (notified, mut join) = spawn_test(fut, &sched);
            let waker_thread = {
                let probe = probe.clone();
                thread::spawn(move || {
                    probe.signals.fetch_add(1, SeqCst);
                    let guard = probe.waker.lock();
                    if let Some(w) = guard.as_ref() {
                        if by_ref {
                            w.wake_by_ref();
                        } else {
                            // A waker consumed by `wake()`: the by-value transition.
                            #[allow(clippy::waker_clone_wake, reason = "testing wake by value")]
                            w.clone().wake();
                        }
                    }
                })
            };
            notified.run();
            waker_thread.join().unwrap();
            sched.drain();
            assert_eq!(
                probe.seen.load(SeqCst),
                1,
                "the last poll must follow the wake"
            );
            assert!(
                sched.0.scheduled.load(SeqCst) <= 1,
                "rescheduled at most once"
            );
            assert!(matches!(poll_join(&mut join), Poll::Ready(Ok(1))));
            probe.waker.lock().take();
        });
    }
}

/// Model 2: wakes from two other threads at once while the task is running.
#[test]
fn model2_two_wakers_while_running() {
    loom::model(|| {
        let sched = TestSchedule::default();
        let (probe, fut) = WaitFor::new(2, false);
        let (notified, mut join) = spawn_test(fut, &sched);
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let probe = probe.clone();
                thread::spawn(move || signal(&probe))
            })
            .collect();
        notified.run();
        for t in threads {
            t.join().unwrap();
        }
        sched.drain();
        assert_eq!(probe.seen.load(SeqCst), 2, "no wake may be lost");
        assert!(matches!(poll_join(&mut join), Poll::Ready(Ok(2))));
        probe.waker.lock().take();
    });
}

struct Flag(AtomicBool);

impl ArcWake for Flag {
    fn wake_by_ref(arc_self: &crate::loom::sync::StdArc<Self>) {
        arc_self.0.store(true, SeqCst);
    }
}

/// Model 3: a wake racing completion, a JoinHandle polled while the task completes: the
/// wake after completion is a no-op, the join waker is woken if it was registered, and the
/// output is taken exactly once.
#[test]
fn model3_wake_and_join_racing_completion() {
    loom::model(|| {
        let sched = TestSchedule::default();
        let (probe, fut) = WaitFor::new(0, false);
        let (notified, join) = spawn_test(fut, &sched);
        let waker_thread = {
            let probe = probe.clone();
            thread::spawn(move || signal(&probe))
        };
        let joiner = thread::spawn(move || {
            let flag = crate::loom::sync::StdArc::new(Flag(AtomicBool::new(false)));
            let waker = futures_task::waker(flag.clone());
            let mut cx = Context::from_waker(&waker);
            let mut join = pin!(join);
            match join.as_mut().poll(&mut cx) {
                Poll::Ready(out) => out.unwrap(),
                Poll::Pending => {
                    // Completion must wake the join waker it found registered.
                    while !flag.0.load(SeqCst) {
                        thread::yield_now();
                    }
                    match join.as_mut().poll(&mut cx) {
                        Poll::Ready(out) => out.unwrap(),
                        Poll::Pending => panic!("woken but not complete"),
                    }
                }
            }
        });
        notified.run();
        waker_thread.join().unwrap();
        let out = joiner.join().unwrap();
        assert_eq!(
            out,
            probe.seen.load(SeqCst),
            "the output of the one poll, taken once"
        );
        // A wake that raced completion may have queued a stale notification: running it
        // must not poll the finished future.
        sched.drain();
        assert_eq!(probe.polls.load(SeqCst), 1);
        assert_eq!(probe.drops.load(SeqCst), 1);
        probe.waker.lock().take();
    });
}
