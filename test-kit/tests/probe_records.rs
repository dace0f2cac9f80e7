//! What a probe records about each poll: self-wakes vs wakes from other threads, waker
//! clones held, wakes between polls, progress, the futile rule and its streaks.
#![cfg(not(loom))]
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use wakeful_test::Probe;

/// A future driven by a closure, for one-off behaviours.
struct FnFuture<F>(F);

impl<F: FnMut(&mut Context<'_>) -> Poll<()> + Unpin> Future for FnFuture<F> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        (self.0)(cx)
    }
}

#[test]
fn a_self_wake_is_recorded_and_a_wake_from_another_thread_is_not_one() {
    let mut probe = Probe::new(FnFuture(|cx: &mut Context<'_>| {
        cx.waker().wake_by_ref();
        let w = cx.waker().clone();
        std::thread::spawn(move || w.wake()).join().unwrap();
        Poll::Pending
    }));
    assert!(probe.poll().is_pending());
    let r = *probe.last().unwrap();
    assert_eq!((r.self_wakes, r.other_wakes), (1, 1), "{r}");
    assert!(r.futile && !r.ready && !r.progress);
    assert_eq!(probe.wakes_since_last_poll(), 2);
}

#[test]
fn only_a_wake_from_another_thread_makes_no_futile_poll() {
    let mut probe = Probe::new(FnFuture(|cx: &mut Context<'_>| {
        let w = cx.waker().clone();
        std::thread::spawn(move || w.wake()).join().unwrap();
        Poll::Pending
    }));
    assert!(probe.poll().is_pending());
    let r = *probe.last().unwrap();
    assert_eq!((r.self_wakes, r.other_wakes), (0, 1));
    assert!(!r.futile);
    assert!(probe.is_woken());
}

#[test]
fn clones_held_counts_the_wakers_the_target_keeps_and_drops() {
    let mut kept: Vec<Waker> = Vec::new();
    let mut polls = 0;
    let mut probe = Probe::new(FnFuture(move |cx: &mut Context<'_>| {
        polls += 1;
        if polls == 1 {
            kept.push(cx.waker().clone());
            kept.push(cx.waker().clone());
        } else {
            kept.clear();
        }
        Poll::Pending
    }));
    assert!(probe.poll().is_pending());
    assert_eq!(probe.last().unwrap().clones_held, 2);
    assert_eq!(probe.waker_clones(), 2);
    assert!(probe.poll().is_pending());
    assert_eq!(probe.last().unwrap().clones_held, 0);
}

#[test]
fn wakes_between_polls_are_counted_before_the_next_poll() {
    let shared = std::rc::Rc::new(std::cell::RefCell::new(None::<Waker>));
    let inner = shared.clone();
    let mut probe = Probe::new(FnFuture(move |cx: &mut Context<'_>| {
        *inner.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }));
    assert!(probe.poll().is_pending());
    assert!(!probe.is_woken());
    let w = shared.borrow_mut().take().unwrap();
    w.wake_by_ref();
    w.wake();
    assert_eq!(probe.wakes_since_last_poll(), 2);
    assert!(probe.poll().is_pending());
    let r = *probe.last().unwrap();
    assert_eq!((r.number, r.woken_before, r.self_wakes), (2, 2, 0));
    assert!(!probe.is_woken());
}

#[test]
fn progress_reported_during_a_poll_makes_a_self_wake_legitimate() {
    let mut probe = Probe::new(FnFuture(|cx: &mut Context<'_>| {
        wakeful_executor::task::progress(); // e.g. a record decrypted
        cx.waker().wake_by_ref(); // budget spent: yield
        Poll::Pending
    }));
    for _ in 0..3 {
        assert!(probe.poll().is_pending());
    }
    let r = *probe.last().unwrap();
    assert!(r.progress && r.self_woken() && !r.futile, "{r}");
    let s = probe.stats();
    assert_eq!((s.polls, s.progress_polls, s.futile_polls), (3, 3, 0));
}

#[test]
fn streaks_count_consecutive_futile_polls_and_reset_on_progress() {
    let mut n = 0;
    let mut probe = Probe::new(FnFuture(move |cx: &mut Context<'_>| {
        n += 1;
        if n == 4 {
            wakeful_executor::task::progress();
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }));
    for _ in 0..6 {
        assert!(probe.poll().is_pending());
    }
    let s = probe.stats();
    assert_eq!(
        (s.futile_polls, s.futile_streak, s.max_futile_streak),
        (5, 2, 3)
    );
    assert_eq!(s.self_wakes, 6);
}

#[test]
fn the_self_wake_site_is_the_line_that_woke() {
    const WAKE_LINE: u32 = line!() + 2;
    fn spin(cx: &mut Context<'_>) -> Poll<()> {
        cx.waker().wake_by_ref();
        Poll::Pending
    }
    let mut probe = Probe::new(FnFuture(spin));
    assert!(probe.poll().is_pending());
    let site = probe.self_wake_site().expect("a futile streak has a site");
    assert!(
        site.contains("spin") && site.contains(&format!("probe_records.rs:{WAKE_LINE}:")),
        "{site}"
    );
    assert!(probe
        .self_wake_stack()
        .iter()
        .all(|f| !f.contains("wakeful_test::")));
}

#[test]
fn a_panicking_poll_leaves_no_poll_open() {
    let mut first = true;
    let mut probe = Probe::new(FnFuture(move |cx: &mut Context<'_>| {
        if first {
            first = false;
            panic!("boom");
        }
        let _ = cx;
        Poll::Pending
    }));
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| probe.poll()));
    assert!(caught.is_err());
    // A wake from this thread outside any poll is not a self-wake of a later poll.
    probe.waker().wake_by_ref();
    assert!(probe.poll().is_pending());
    let r = *probe.last().unwrap();
    assert_eq!((r.woken_before, r.self_wakes), (1, 0));
}

#[test]
#[should_panic(expected = "polled again after it returned Ready")]
fn polling_a_finished_future_again_is_refused() {
    let mut probe = Probe::new(std::future::ready(()));
    assert!(probe.poll().is_ready());
    let _ = probe.poll();
}
