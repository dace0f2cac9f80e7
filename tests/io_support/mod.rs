//! Helpers shared by the `io_*` integration tests.
#![allow(dead_code, reason = "each test binary uses a different subset")]

#[path = "../support/watchdog.rs"]
mod watchdog;
#[allow(unused_imports, reason = "each test binary uses a different subset")]
pub use watchdog::{watchdog, Watchdog};

use std::sync::LazyLock;
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
