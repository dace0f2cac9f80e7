//! The reactor, sockets and clocks of the [wakeful] runtime, and the progress signal that
//! tells real work from futile polls.
//!
//! Users depend on the `wakeful` facade, which re-exports this crate's modules as
//! `wakeful::net`, `wakeful::io` and `wakeful::time`, and whose `wakeful::runtime::Builder`
//! installs the driver. The API mirrors tokio's where the concept is the same:
//!
//! ```
//! # let rt = wakeful_io::rt::doc_runtime();
//! # rt.block_on(async {
//! use futures_util::io::{AsyncReadExt, AsyncWriteExt};
//! use std::time::Duration;
//! use wakeful_io::net::{TcpListener, TcpStream};
//! use wakeful_io::time::timeout;
//!
//! // An echo server...
//! let listener = TcpListener::bind("127.0.0.1:0").await?;
//! let addr = listener.local_addr()?;
//! wakeful_executor::spawn(async move {
//!     let (mut socket, _) = listener.accept().await?;
//!     // `TcpStream::split`: futures-util's `AsyncReadExt::split` would shadow the method.
//!     let (mut rd, mut wr) = TcpStream::split(&mut socket);
//!     futures_util::io::copy(&mut rd, &mut wr).await?;
//!     Ok::<_, std::io::Error>(())
//! });
//!
//! // ...and a client, with a deadline.
//! let mut client = TcpStream::connect(addr).await?;
//! client.write_all(b"hello").await?;
//! let mut buf = [0; 5];
//! timeout(Duration::from_secs(10), client.read_exact(&mut buf)).await??;
//! assert_eq!(&buf, b"hello");
//! # Ok::<_, std::io::Error>(())
//! # }).unwrap();
//! ```
//!
//! # How it fits the runtime
//! - **Reactor** (`driver.rs`, `park.rs`): one `mio::Poll` per runtime. Idle
//!   workers park in it through the executor's `Park` trait — one at a time in
//!   `epoll_wait`, the others on a condvar — and busy workers poll it without blocking
//!   every 61 scheduler ticks, so events and timers are dispatched either way.
//! - **Readiness** (`scheduled_io.rs`): one atomic word per socket holds its readiness bits
//!   and a tick; an operation that hits `WouldBlock` clears readiness only if no event
//!   arrived since it looked, so no wakeup is ever lost. Edge-triggered: operations retry
//!   until `WouldBlock`, and events may be spurious.
//! - **Accounting**: the reactor wakes tasks as `io` wakes and the wheel as `timer` wakes;
//!   every read or write that moves bytes (and every accepted connection) reports progress
//!   for the task doing it, and every operation takes one unit of the task's cooperative
//!   budget (128 per poll), so a task on an always-ready socket yields instead of
//!   monopolising a worker — and is never mistaken for a spinning one.
//! - **Errors** are `std::io::Error`, always. `accept` errors such as `EMFILE` go to the
//!   caller; the driver never retries anything in a loop on its own.
//!
//! [wakeful]: https://example.invalid/wakeful
#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod driver;
pub mod io;
mod io_slab;
mod loom;
pub mod net;
mod park;
mod poll_evented;
mod ready;
mod registration;
mod scheduled_io;
pub mod time;
mod wake_list;

#[doc(hidden)]
pub mod rt;

#[cfg(test)]
mod tests;
