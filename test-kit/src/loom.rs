//! The kit's one door to synchronization primitives.
//!
//! The probe's wake log and the mock transport's script take their atomics, mutexes, shared
//! pointers and thread ids from here. In a normal build they are std's; under `cfg(loom)`
//! (a downstream crate's `RUSTFLAGS="--cfg loom"` run, or the kit's own models in
//! `src/tests/`) they are loom's, so `loom::model` explores every interleaving of a peer
//! thread releasing data against the stream under test deciding to return `Pending`.
//! `clippy.toml` forbids these types anywhere else in the crate.
//!
//! Under `cfg(loom)` everything built from these types (every `Probe`, every `MockIo`)
//! must be created and dropped inside `loom::model`.
//!
//! `std::task::Wake` needs std's `Arc`, so the probe's waker is a std `Arc` around loom
//! atomics: loom sees every wake, and the clone count (`Arc::strong_count`) is read only by
//! the polling thread, after its poll.
#![allow(
    clippy::disallowed_types,
    reason = "this module is the facade the lint points to"
)]

pub(crate) use self::imp::*;

#[cfg(not(loom))]
mod imp {
    pub(crate) use std::sync::atomic::Ordering;
    pub(crate) use std::sync::Arc;
    pub(crate) type AtomicBool = std::sync::atomic::AtomicBool;
    pub(crate) type AtomicUsize = std::sync::atomic::AtomicUsize;

    /// std's mutex with parking_lot's shape: `lock()` cannot fail. A panic while the lock
    /// is held (a failed assertion in a test) does not poison it for the rest of the test.
    #[derive(Debug, Default)]
    pub(crate) struct Mutex<T>(std::sync::Mutex<T>);
    pub(crate) type MutexGuard<'a, T> = std::sync::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Self {
            Mutex(std::sync::Mutex::new(value))
        }
        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        }
    }

    pub(crate) mod thread {
        pub(crate) use std::thread::{current, ThreadId};
    }
}

#[cfg(loom)]
mod imp {
    pub(crate) use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    pub(crate) use loom::sync::Arc;

    /// loom's mutex with parking_lot's shape (no poisoning).
    #[derive(Debug)]
    pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);
    pub(crate) type MutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Self {
            Mutex(loom::sync::Mutex::new(value))
        }
        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        }
    }

    impl<T: Default> Default for Mutex<T> {
        fn default() -> Self {
            Mutex::new(T::default())
        }
    }

    pub(crate) mod thread {
        pub(crate) use loom::thread::{current, ThreadId};
    }
}
