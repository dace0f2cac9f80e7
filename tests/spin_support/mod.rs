//! Helpers for the spin-detection tests: waiting for a report condition, and the spinners.
#![allow(dead_code, reason = "each test file uses a different subset")]

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use wakeful::runtime::{Runtime, SpinReport, TaskReport};

/// Hang guard: generous, only there so a broken runtime fails instead of hanging CI.
pub const HANG_GUARD: Duration = Duration::from_secs(60);

/// A runtime with `workers` workers and default spin settings.
pub fn runtime(workers: usize) -> Runtime {
    wakeful::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .build()
        .unwrap()
}

/// Polls `rt.spin_report_all()` until `pred` holds for the task with `id`; returns that report.
/// Panics (with the last report) if the hang guard expires.
pub fn wait_for_task(
    rt: &Runtime,
    id: u64,
    what: &str,
    pred: impl Fn(&TaskReport) -> bool,
) -> TaskReport {
    let start = Instant::now();
    loop {
        let report = rt.spin_report_all();
        if let Some(t) = report.task(id) {
            if pred(t) {
                return t.clone();
            }
        }
        if start.elapsed() > HANG_GUARD {
            panic!("task {id} never became {what}; last report:\n{report}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits until `pred(report)` holds.
pub fn wait_for_report(rt: &Runtime, what: &str, pred: impl Fn(&SpinReport) -> bool) -> SpinReport {
    let start = Instant::now();
    loop {
        let report = rt.spin_report_all();
        if pred(&report) {
            return report;
        }
        if start.elapsed() > HANG_GUARD {
            panic!("never saw {what}; last report:\n{report}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Runs `f` on a thread and fails if it does not finish within the hang guard.
pub fn with_hang_guard<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(HANG_GUARD)
        .expect("the operation hung (hang guard expired)")
}

/// The 2025 bug in miniature: wakes itself and returns `Pending`, forever.
pub struct Spinner;

impl Future for Spinner {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
