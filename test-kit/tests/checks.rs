//! The checks behind the assertion macros: what passes, what fails, and what the failure
//! says.
#![cfg(not(loom))]
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::task::{Context, Poll, Waker};
use wakeful_test::{
    assert_no_futile_loop, assert_not_woken, assert_pending_and_registered, assert_woken, mock,
    Probe, ViolationKind,
};

fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("the assertion must fail");
    match err.downcast::<String>() {
        Ok(s) => *s,
        Err(e) => (*e.downcast::<&str>().expect("a message")).to_owned(),
    }
}

const SPIN_LINE: u32 = line!() + 2;
fn spin(cx: &mut Context<'_>) -> Poll<()> {
    cx.waker().wake_by_ref();
    Poll::Pending
}

#[test]
fn a_spinner_fails_after_half_the_budget_with_its_site_and_stack() {
    let mut probe = Probe::new(std::future::poll_fn(spin));
    let msg = panic_message(|| {
        assert_no_futile_loop!(probe, 20);
    });
    assert!(msg.contains("futile loop in "), "{msg}");
    assert!(msg.contains("10 polls in a row"), "{msg}");
    let site = format!("checks.rs:{SPIN_LINE}:");
    assert!(
        msg.contains("self-wake at ") && msg.contains(&site),
        "{msg}"
    );
    // The stack continues into the test that drove it.
    assert!(
        msg.contains("a_spinner_fails_after_half_the_budget"),
        "{msg}"
    );
    assert_eq!(probe.stats().polls, 10, "it stops at the first long streak");
}

#[test]
fn the_violation_names_the_self_wake_site() {
    let mut probe = Probe::new(std::future::poll_fn(spin));
    let v = probe.check_no_futile_loop(4).unwrap_err();
    assert_eq!(v.kind, ViolationKind::FutileLoop);
    let site = v.self_wake_site.expect("symbols in test builds");
    assert!(site.contains("checks::spin"), "{site}");
}

#[test]
fn yields_with_progress_between_them_are_not_a_loop() {
    // Budget-style yields: each poll does work, reports it, and yields.
    let mut left = 50;
    let mut probe = Probe::new(std::future::poll_fn(move |cx| {
        if left == 0 {
            return Poll::Ready(());
        }
        left -= 1;
        wakeful_executor::task::progress();
        cx.waker().wake_by_ref();
        Poll::Pending
    }));
    // The budget runs out before the future ends, without a streak: a pass.
    assert_eq!(assert_no_futile_loop!(probe, 10), None);
    assert_eq!(probe.stats().polls, 10);
    assert_eq!(assert_no_futile_loop!(probe, 100), Some(()));
}

#[test]
fn a_short_streak_of_yields_is_not_a_loop() {
    let mut left = 4;
    let mut probe = Probe::new(std::future::poll_fn(move |cx| {
        if left == 0 {
            return Poll::Ready(7);
        }
        left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }));
    assert_eq!(assert_no_futile_loop!(probe, 10), Some(7));
    assert_eq!(probe.stats().max_futile_streak, 4);
}

#[test]
fn a_future_waiting_for_an_outside_wake_ends_the_check() {
    let mut kept = Vec::<Waker>::new();
    let mut probe = Probe::new(std::future::poll_fn(move |cx| {
        kept.push(cx.waker().clone());
        Poll::<()>::Pending
    }));
    assert_eq!(assert_no_futile_loop!(probe, 100), None);
    assert_eq!(probe.stats().polls, 1);
}

#[test]
fn a_check_with_an_explicit_operation_stops_at_ready() {
    let (io, _peer) = mock::Builder::new().write_pending().build();
    let mut probe = Probe::io(io);
    let out = assert_no_futile_loop!(probe, 10, |io, cx| {
        futures_io::AsyncWrite::poll_write(io, cx, b"x")
    });
    assert!(out.is_none());
    let msg = panic_message(|| {
        let mut p = Probe::new(std::future::pending::<()>());
        assert_no_futile_loop!(p, 6, |_, cx: &mut Context<'_>| {
            cx.waker().wake_by_ref();
            Poll::<()>::Pending
        });
    });
    assert!(msg.contains("3 polls in a row"), "{msg}");
}

#[test]
#[should_panic(expected = "needs n >= 2")]
fn a_futile_loop_check_needs_two_polls() {
    let mut probe = Probe::new(std::future::ready(()));
    assert_no_futile_loop!(probe, 1);
}

#[test]
fn pending_without_a_kept_waker_is_a_lost_wakeup() {
    let mut probe = Probe::new(std::future::poll_fn(|_| Poll::<()>::Pending));
    let msg = panic_message(|| assert_pending_and_registered!(probe));
    assert!(msg.contains("lost wakeup in "), "{msg}");
    assert!(msg.contains("no clone of its waker is held"), "{msg}");
}

#[test]
fn pending_with_a_kept_waker_or_a_wake_is_registered() {
    let mut kept = Vec::<Waker>::new();
    let mut probe = Probe::new(std::future::poll_fn(move |cx| {
        kept.push(cx.waker().clone());
        Poll::<()>::Pending
    }));
    assert_pending_and_registered!(probe);
    let mut probe = Probe::new(std::future::poll_fn(|cx| {
        cx.waker().wake_by_ref();
        Poll::<()>::Pending
    }));
    assert_pending_and_registered!(probe);
}

#[test]
fn ready_where_pending_was_expected_fails() {
    let mut probe = Probe::new(std::future::ready(1));
    let v = probe.check_pending_and_registered().unwrap_err();
    assert_eq!(v.kind, ViolationKind::UnexpectedReady);
    let (io, _peer) = mock::Builder::new().build();
    let mut probe = Probe::io(io);
    let msg = panic_message(|| {
        assert_pending_and_registered!(probe, |io, cx| {
            futures_io::AsyncWrite::poll_flush(io, cx)
        })
    });
    assert!(
        msg.contains("expected wakeful_test::mock::MockIo to return Pending"),
        "{msg}"
    );
}

#[test]
fn woken_and_not_woken() {
    let (io, peer) = mock::Builder::new().read_pending().read(b"x").build();
    let mut probe = Probe::io(io);
    assert_not_woken!(probe);
    assert_pending_and_registered!(probe);
    assert_not_woken!(probe, "nothing was released yet");
    let msg = panic_message(|| assert_woken!(probe, "after {} polls", 1));
    assert!(
        msg.starts_with("after 1 polls: wakeful-test: expected the waker"),
        "{msg}"
    );
    assert!(msg.contains("lost wakeup"), "{msg}");
    assert!(peer.release());
    assert_woken!(probe);
    let msg = panic_message(|| assert_not_woken!(probe));
    assert!(msg.contains("woken 1 time(s)"), "{msg}");
}
