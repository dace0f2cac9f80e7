//! Model 4: `JoinHandle` drop and abort racing completion and a running poll.
use super::support::*;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::Arc;
use loom::thread;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// An output that counts its drops and holds a loom `Arc` (so a leak is reported).
struct Output(Arc<AtomicUsize>);

impl Drop for Output {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Completes at once; first leaks a clone of its waker to `keep`, which keeps the task
/// allocated after completion, so "dropped at deallocation" cannot pass for "dropped".
struct ReadyOutput(
    Option<Output>,
    Arc<crate::loom::sync::Mutex<Option<std::task::Waker>>>,
);

impl Future for ReadyOutput {
    type Output = Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Output> {
        *self.1.lock() = Some(cx.waker().clone());
        Poll::Ready(self.0.take().expect("polled once"))
    }
}

/// Dropping the handle while the task completes: the output is dropped exactly once, by
/// the completing thread (handle already gone) or by the handle (task already complete),
/// before both are done, not later by whoever frees the task.
#[test]
fn model4_join_handle_drop_racing_completion() {
    loom::model(|| {
        let sched = TestSchedule::default();
        let drops = Arc::new(AtomicUsize::new(0));
        let keep = Arc::new(crate::loom::sync::Mutex::new(None));
        let fut = ReadyOutput(Some(Output(drops.clone())), keep.clone());
        let (notified, join) = spawn_test(fut, &sched);
        let dropper = thread::spawn(move || drop(join));
        notified.run();
        dropper.join().unwrap();
        assert_eq!(
            drops.load(SeqCst),
            1,
            "the output is dropped exactly once, on time"
        );
        keep.lock().take();
    });
}

/// Aborting while the task is being polled (it never completes on its own): the future is
/// dropped exactly once and the handle sees a cancellation.
#[test]
fn model4_abort_racing_running_poll() {
    loom::model(|| {
        let sched = TestSchedule::default();
        let (probe, fut) = WaitFor::new(1, false);
        let (notified, join) = spawn_test(fut, &sched);
        let abort = join.abort_handle();
        let aborter = thread::spawn(move || abort.abort());
        notified.run();
        aborter.join().unwrap();
        sched.drain();
        assert_eq!(
            probe.drops.load(SeqCst),
            1,
            "the future is dropped exactly once"
        );
        let mut join = join;
        match poll_join(&mut join) {
            Poll::Ready(Err(e)) => assert!(e.is_cancelled()),
            other => panic!(
                "expected a cancellation, got {:?}",
                other.map(|r| r.map(|_| ()))
            ),
        }
        probe.waker.lock().take();
    });
}
