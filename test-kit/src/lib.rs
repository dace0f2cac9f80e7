//! # wakeful-test
//!
//! Test the waker contract of your own futures and streams: catch **self-wake loops** (the
//! task spins a core forever) and **lost wakeups** (the task hangs forever), deterministically
//! and under loom, with the futile-poll rule the wakeful scheduler uses.
//!
//! The contract: a `poll` that returns `Pending` must leave a way to be woken (keep
//! `cx.waker()`, or pass `cx` to an inner poll that returned `Pending`), and a `poll` that
//! wakes itself before returning `Pending` must have made progress, or it will be polled
//! again, and again, for nothing. In 2025 a TLS stream broke the second rule after a
//! `close_notify` followed by a partial record: it stopped reading its socket and woke
//! itself forever. The runtime saw a healthy task. This crate lets the authors of such
//! libraries (TLS streams, codecs, channels, protocol state machines) find that in a unit
//! test.
//!
//! With the `wakeful` facade, enable its `test-util` feature and use `wakeful::test`.
//!
//! ## 1. Probe a poll
//!
//! A [`Probe`] polls a future (or a stream) by hand with an instrumented waker and tells,
//! after each poll, what the waker saw:
//!
//! ```
//! use std::task::Poll;
//! use wakeful_test::Probe;
//!
//! // Yields once (wakes itself, returns Pending), then completes.
//! let mut yielded = false;
//! let mut probe = Probe::new(std::future::poll_fn(move |cx| {
//!     if yielded {
//!         return Poll::Ready("done");
//!     }
//!     yielded = true;
//!     cx.waker().wake_by_ref();
//!     Poll::Pending
//! }));
//!
//! assert!(probe.poll().is_pending());
//! let first = *probe.last().unwrap();
//! assert!(first.self_woken() && first.futile); // self-woken, Pending, no progress
//! assert!(probe.is_woken()); // an executor would poll again
//! assert_eq!(probe.poll(), Poll::Ready("done"));
//! ```
//!
//! A poll is **futile** if the waker was woken during it on the polling thread, it returned
//! `Pending`, and it made no progress (`Ready`, or a call to `wakeful::task::progress()`).
//! One futile poll is a yield; a streak of them is a spin.
//!
//! ## 2. Catch a self-wake loop
//!
//! [`assert_no_futile_loop!`] polls like an executor (again only while woken), at most `n`
//! times, and fails on a futile streak with the site of the self-wake and its stack:
//!
//! ```
//! use std::task::Poll;
//! use wakeful_test::{assert_no_futile_loop, Probe, ViolationKind};
//!
//! fn spin(cx: &mut std::task::Context<'_>) -> Poll<()> {
//!     cx.waker().wake_by_ref(); // "try again", forever
//!     Poll::Pending
//! }
//!
//! let mut probe = Probe::new(std::future::poll_fn(spin));
//! let violation = probe.check_no_futile_loop(100).unwrap_err(); // what the macro panics with
//! assert_eq!(violation.kind, ViolationKind::FutileLoop);
//! assert!(violation.message.contains("50 polls in a row"));
//! assert!(violation.self_wake_site.unwrap().contains("spin"));
//!
//! // A future that yields now and then but finishes passes:
//! let mut yields = 3;
//! let mut probe = Probe::new(std::future::poll_fn(move |cx| {
//!     if yields == 0 {
//!         return Poll::Ready(());
//!     }
//!     yields -= 1;
//!     cx.waker().wake_by_ref();
//!     Poll::Pending
//! }));
//! assert_eq!(assert_no_futile_loop!(probe, 100), Some(()));
//! ```
//!
//! ## 3. Catch a lost wakeup
//!
//! [`assert_pending_and_registered!`] polls once and requires `Pending` *with* a way to be
//! woken: a clone of the waker still held somewhere, or a wake already made.
//!
//! ```
//! use std::task::Poll;
//! use wakeful_test::{Probe, ViolationKind};
//!
//! // Returns Pending and forgets the waker.
//! let mut probe = Probe::new(std::future::poll_fn(|_cx| Poll::<()>::Pending));
//! let violation = probe.check_pending_and_registered().unwrap_err();
//! assert_eq!(violation.kind, ViolationKind::LostWakeup);
//!
//! // Keeps it: fine.
//! let mut kept = Vec::new();
//! let mut probe = Probe::new(std::future::poll_fn(move |cx| {
//!     kept.push(cx.waker().clone());
//!     Poll::<()>::Pending
//! }));
//! wakeful_test::assert_pending_and_registered!(probe);
//! assert_eq!(probe.waker_clones(), 1);
//! ```
//!
//! [`assert_woken!`] and [`assert_not_woken!`] check the wakes since the last poll began.
//!
//! ## 4. Streams over a scripted transport
//!
//! [`mock::MockIo`] is an `AsyncRead + AsyncWrite` transport that plays a script (deliver
//! these bytes, `Pending` or `WouldBlock` until released, EOF, reset, short writes, `Ok(0)`
//! writes), with a [`mock::Handle`] that plays the peer from any thread. [`Probe::io`]
//! drives a stream: its default step reads into [`Probe::received`].
//!
//! ```
//! use std::task::Poll;
//! use wakeful_test::{assert_no_futile_loop, assert_pending_and_registered, mock, Probe};
//!
//! let (io, peer) = mock::Builder::new().read(b"ping").read_pending().build();
//! let mut probe = Probe::io(io); // your stream over `io`, in a real test
//! assert_no_futile_loop!(probe, 16); // reads "ping", then waits without spinning
//! assert_eq!(probe.received(), b"ping");
//! assert_pending_and_registered!(probe);
//! peer.release();
//! peer.deliver(b"pong");
//! assert!(matches!(wakeful_test::Step::step(&mut probe), Poll::Ready(Ok(4))));
//! ```
//!
//! ## 5. Under loom
//!
//! The probe and the mock transport take their synchronization from a facade that switches
//! to loom's primitives under `cfg(loom)`, so a loom thread can play the peer while your
//! stream decides to return `Pending`, and `loom::model` explores every interleaving. After
//! the peer has finished, a `Pending` probe that is not woken is a lost wakeup:
//!
//! ```text
//! #[cfg(loom)]
//! #[test]
//! fn loom_peer_data_racing_pending() {
//!     loom::model(|| {
//!         let (io, peer) = wakeful_test::mock::Builder::new().read_pending().read(b"ping").build();
//!         let mut probe = wakeful_test::Probe::io(MyStream::new(io));
//!         let t = loom::thread::spawn(move || { peer.release(); });
//!         let first = wakeful_test::Step::step(&mut probe);
//!         t.join().unwrap();
//!         if first.is_pending() {
//!             wakeful_test::assert_woken!(probe, "the peer delivered and finished");
//!         }
//!     });
//! }
//! ```
//!
//! In your crate: `[target.'cfg(loom)'.dev-dependencies] loom = "0.7"`, declare the cfg
//! (`[lints.rust] unexpected_cfgs = { level = "warn", check-cfg = ["cfg(loom)"] }`), gate
//! the loom tests with `#[cfg(loom)]` and the others with `#[cfg(not(loom))]`, and run only
//! the package that needs it, in its own target directory (`--cfg loom` reaches every crate
//! in the build):
//!
//! ```text
//! RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 CARGO_TARGET_DIR=target/loom \
//!     cargo test -p my-stream --release --lib loom
//! ```
//!
//! Under `cfg(loom)` every `Probe` and `MockIo` must be created inside `loom::model`.
//! Progress is observed on the polling OS thread; loom runs its threads on one, so a peer
//! thread should not call `wakeful::task::progress()` itself.
//!
//! ## Features
//!
//! - `tokio-io`: tokio's `AsyncRead`/`AsyncWrite` on [`mock::MockIo`], and
//!   `Probe::tokio_io` for streams written against tokio's traits (tokio-rustls).
//!
//! The guide with worked examples (a TLS stream, a broken stream, the 2025 incident) is
//! wakeful's `docs/testing-wakers.md`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod check;
mod loom;
mod macros;
pub mod mock;
pub mod probe;
mod stack;
mod step;
mod waker;

#[cfg(test)]
mod tests;

pub use check::{Violation, ViolationKind};
pub use probe::{AsFuture, AsIo, AsTokioIo, PollRecord, Probe, ProbeStats};
pub use step::Step;
