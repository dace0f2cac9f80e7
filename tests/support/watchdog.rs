//! The process-aborting hang guard of the `io_*`, `tls_*` and `proxy_*` tests.
//!
//! Those areas' support modules (`tests/io_support/`, `tests/tls_support/`,
//! `tests/proxy_support/`) include this file with `#[path]` and re-export it, so call
//! sites write `io_support::watchdog(..)` and the like. (The `executor_*` tests use
//! `support::hang_guard` instead, which fails the test with a panic.)
//!
//! # Contract
//! - [`watchdog`] starts a thread that aborts the whole test process, after printing
//!   ``hang guard: `{what}` did not finish within {secs} s; aborting``, unless the returned
//!   [`Watchdog`] is dropped within `secs`. Abort rather than panic: it works even when the
//!   runtime under test is stuck, or the test thread is blocked in a join.
//! - Dropping the guard disarms it (the thread sees its channel close and exits).
//! - Never a timing assertion: the limits are many times what the tests need.
use std::sync::mpsc;
use std::time::Duration;

/// Aborts the process unless dropped in time; see the module docs.
#[must_use = "the guard is disarmed when dropped"]
pub struct Watchdog(Option<mpsc::Sender<()>>);

/// Arms a [`Watchdog`] for `what`, which must finish within `secs`.
pub fn watchdog(what: &'static str, secs: u64) -> Watchdog {
    let (tx, rx) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(Duration::from_secs(secs)) {
            eprintln!("hang guard: `{what}` did not finish within {secs} s; aborting");
            std::process::abort();
        }
    });
    Watchdog(Some(tx))
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        drop(self.0.take());
    }
}
