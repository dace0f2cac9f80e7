//! The crate's one door to synchronization primitives.
//!
//! Every atomic, `Arc`, mutex, condition variable, `UnsafeCell`, thread and work-stealing queue
//! the executor uses comes from here. In a normal build they are the real thing (std atomics,
//! parking_lot, crossbeam-deque); under `cfg(all(test, loom))` they are loom's model-checked
//! versions, and crossbeam-deque (which loom cannot see) is replaced by a `Mutex<VecDeque>`
//! stand-in with the same API, so the model checker explores every interleaving of the code
//! that uses them. `clippy.toml` forbids these types anywhere else in the crate.

#[cfg(not(all(test, loom)))]
mod std;
#[cfg(not(all(test, loom)))]
pub(crate) use self::std::*;

#[cfg(all(test, loom))]
mod mocked;
#[cfg(all(test, loom))]
pub(crate) use self::mocked::*;
