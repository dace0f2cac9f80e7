//! The production side of the facade: std atomics, parking_lot, crossbeam-deque.
#![allow(
    clippy::disallowed_types,
    reason = "this module is the facade the lint points to"
)]

pub(crate) mod sync {
    pub(crate) type Arc<T> = std::sync::Arc<T>;
    /// std's `Arc` even under loom: for type erasure (`Arc<dyn Any>`) and `ArcWake`, which
    /// loom's `Arc` cannot do, in code no model exercises.
    pub(crate) type StdArc<T> = std::sync::Arc<T>;

    pub(crate) mod atomic {
        pub(crate) use std::sync::atomic::{fence, Ordering};
        pub(crate) type AtomicBool = std::sync::atomic::AtomicBool;
        pub(crate) type AtomicU64 = std::sync::atomic::AtomicU64;
        pub(crate) type AtomicUsize = std::sync::atomic::AtomicUsize;
    }

    /// A mutex with parking_lot's shape: `lock()` cannot fail (no poisoning).
    #[derive(Debug, Default)]
    pub(crate) struct Mutex<T>(parking_lot::Mutex<T>);
    pub(crate) type MutexGuard<'a, T> = parking_lot::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Self {
            Mutex(parking_lot::Mutex::new(value))
        }
        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            self.0.lock()
        }
        pub(crate) fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
            self.0.try_lock()
        }
    }

    /// A condition variable with parking_lot's shape.
    #[derive(Debug, Default)]
    pub(crate) struct Condvar(parking_lot::Condvar);

    impl Condvar {
        pub(crate) fn new() -> Self {
            Condvar(parking_lot::Condvar::new())
        }
        pub(crate) fn wait<T>(&self, guard: &mut MutexGuard<'_, T>) {
            self.0.wait(guard)
        }
        /// Returns `true` if the wait timed out.
        pub(crate) fn wait_for<T>(
            &self,
            guard: &mut MutexGuard<'_, T>,
            timeout: std::time::Duration,
        ) -> bool {
            self.0.wait_for(guard, timeout).timed_out()
        }
        pub(crate) fn notify_one(&self) {
            self.0.notify_one();
        }
        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }
    }
}

pub(crate) mod cell {
    /// `UnsafeCell` with loom's closure-based access, so loom can check every access.
    #[derive(Debug)]
    pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(data: T) -> UnsafeCell<T> {
            UnsafeCell(std::cell::UnsafeCell::new(data))
        }
        #[inline(always)]
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }
        #[inline(always)]
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}

pub(crate) mod deque {
    pub(crate) use crossbeam_deque::Steal;
    pub(crate) type Worker<T> = crossbeam_deque::Worker<T>;
    pub(crate) type Stealer<T> = crossbeam_deque::Stealer<T>;
    pub(crate) type Injector<T> = crossbeam_deque::Injector<T>;
}

pub(crate) use std::thread_local;

/// The number of CPUs the machine offers, for the default worker count.
pub(crate) fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A seed for a worker's victim-selection RNG; distinct per call.
pub(crate) fn rng_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0x9e37_79b9_7f4a_7c15);
    h.finish() | 1
}
