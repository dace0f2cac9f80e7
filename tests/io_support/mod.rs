//! Helpers shared by the `io_*` integration tests.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::sync::mpsc;
use std::sync::LazyLock;
use std::time::Duration;
use wakeful::runtime::{Builder, Runtime};

/// A runtime with `workers` worker threads.
pub fn rt(workers: usize) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("io-test")
        .build()
        .expect("runtime")
}

/// Open file descriptors of this process.
pub fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

/// Aborts the whole test process if not dropped within `secs`: a hang guard that works
/// even when the runtime under test is stuck. Never a timing assertion: the limits are
/// many times what the tests need.
#[must_use = "the guard is disarmed when dropped"]
pub struct Watchdog(Option<mpsc::Sender<()>>);

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

/// Period of the test pattern: a prime, so chunk boundaries never line up with it.
pub const PATTERN_PERIOD: usize = 1_048_573;

/// Two periods of a pseudo-random byte pattern, so any window of up to one period is a
/// contiguous slice.
static PATTERN: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let period: Vec<u8> = (0..PATTERN_PERIOD)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let mut doubled = period.clone();
    doubled.extend_from_slice(&period);
    doubled
});

/// The `len` bytes of the endless pattern stream starting at `offset` (`len` at most one
/// period).
pub fn pattern(offset: u64, len: usize) -> &'static [u8] {
    assert!(len <= PATTERN_PERIOD);
    let start = (offset % PATTERN_PERIOD as u64) as usize;
    &PATTERN[start..start + len]
}
