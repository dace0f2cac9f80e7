//! The work-stealing scheduler of the [wakeful] runtime, with per-task spin accounting.
//!
//! Users depend on the `wakeful` facade crate, which re-exports this one. The API mirrors
//! tokio's where the concept is the same:
//!
//! ```
//! use wakeful_executor::runtime::Builder;
//!
//! let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
//! let sum = rt.block_on(async {
//!     let tasks: Vec<_> = (0..10u64).map(|i| wakeful_executor::spawn(async move { i * i })).collect();
//!     let mut sum = 0;
//!     for t in tasks {
//!         sum += t.await.unwrap();
//!     }
//!     sum
//! });
//! assert_eq!(sum, 285);
//! ```
//!
//! Every task counts its polls, the sources of its wakes and the polls that made progress.
//! A task that keeps waking itself and returning `Pending` without progress is flagged,
//! demoted (its self-wakes wait out a backoff) and listed in [`runtime::Handle::spin_report`].
//!
//! [wakeful]: https://example.invalid/wakeful
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod blocking;
mod context;
pub mod driver;
mod instrument;
mod loom;
pub mod runtime;
mod scheduler;
pub mod sync;
pub mod task;

pub use task::spawn;

/// For `wakeful-test`: the frames of a captured backtrace, as spin reports read them.
#[doc(hidden)]
pub use instrument::frames::backtrace_frames;

#[cfg(all(test, loom))]
mod tests;
