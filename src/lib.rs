//! # wakeful
//!
//! An async runtime that knows which of its tasks are burning CPU for nothing.
//!
//! wakeful is a work-stealing multi-threaded runtime whose API mirrors tokio's. Every task
//! natively tracks its polls, the sources of its wakes (itself, I/O, timers, other tasks,
//! foreign threads) and whether each poll made progress. A task that keeps waking itself
//! and returning `Pending` without doing anything is flagged within a fraction of a second,
//! demoted (its self-wakes wait out an exponential backoff, so it cannot eat a core) and
//! named in a spin report: id, name, future type, spawn site, counters, poll times, and the
//! stack of its self-wake.
//!
//! ```
//! let rt = wakeful::runtime::Runtime::new().unwrap();
//! rt.block_on(async {
//!     let handle = wakeful::spawn(async { "hello" });
//!     assert_eq!(handle.await.unwrap(), "hello");
//! });
//! // Nothing spun:
//! assert!(rt.spin_report().tasks.is_empty());
//! ```
//!
//! Crates: `wakeful-executor` (scheduler, tasks, spin detection) is re-exported here.
#![deny(unsafe_code)]

#[cfg(feature = "hyper")]
#[path = "hyper_rt.rs"]
pub mod hyper;
pub mod runtime;
pub use wakeful_executor::sync;
pub use wakeful_executor::{spawn, task};
pub use wakeful_io::{io, net, time};
pub use wakeful_macros::{main, test};
#[cfg(feature = "test-util")]
pub use wakeful_test as test;
pub use wakeful_tls as tls;
