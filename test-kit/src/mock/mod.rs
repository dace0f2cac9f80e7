//! A scripted transport: [`MockIo`] implements futures-io `AsyncRead + AsyncWrite` (and
//! tokio's, with the `tokio-io` feature) and plays a script of [`Action`]s, so a test can
//! put byte-exact wire sequences under a stream: "deliver a `close_notify` and the first
//! four bytes of the next record in one read, then nothing".
//!
//! # The script
//!
//! A script has two lanes, played independently: reads consume the read actions, writes
//! the write actions, each in the order they were added.
//!
//! | action | a read / write reaching it |
//! |---|---|
//! | [`Action::Read`]`(bytes)` | one read returns these bytes (what the buffer cannot hold stays for the next read; two `Read`s are never merged into one read; an empty `Read` adds nothing, and pushed by the handle it only wakes a waiting read) |
//! | [`Action::ReadPending`] / [`Action::WritePending`] | returns `Pending`, keeping the waker, until [`Handle::release`] opens it; then wakes it |
//! | [`Action::ReadWouldBlock`] / [`Action::WriteWouldBlock`] | the same, returning `Err(WouldBlock)` instead of `Pending` |
//! | [`Action::ReadEof`] | returns `Ok(0)`, now and forever |
//! | [`Action::ReadError`]`(kind)` / [`Action::WriteError`]`(kind)` | fails with `kind`, now and forever ([`Builder::reset`] adds both, with `ConnectionReset`) |
//! | [`Action::WriteLimit`]`(n)` | from here on, each write accepts at most `n` bytes |
//! | [`Action::WriteZero`] | the next write returns `Ok(0)` |
//!
//! A read past the end of its lane behaves like an idle socket: `Pending`, woken when the
//! [`Handle`] adds an action. A write past the end of its lane accepts the bytes
//! (subject to the current limit); [`Handle::take_written`] returns them. Flush always
//! succeeds unless the write lane failed; close records that it was called
//! ([`Handle::is_closed`]).
//!
//! Gates (the `*Pending` and `*WouldBlock` actions) are numbered in the order they were
//! added, across both lanes; each [`Handle::release`] opens the next one, whether or not a
//! read or write has reached it yet (a release that comes first is simply seen as open).
//!
//! Moving bytes (a read returning data, a write accepting some) calls
//! `wakeful::task::progress()`, as wakeful's sockets do, so a stream that reads or writes
//! its transport during a poll made progress by the scheduler's rule.
//!
//! ```
//! use std::task::Poll;
//! use wakeful_test::{mock, Probe, Step};
//!
//! let (io, peer) = mock::Builder::new()
//!     .read(b"hello")
//!     .read_pending() // then nothing, until the peer releases it
//!     .read(b" world")
//!     .read_eof()
//!     .build();
//! let mut probe = Probe::io(io);
//! assert!(matches!(probe.step(), Poll::Ready(Ok(5))));
//! assert!(probe.step().is_pending());
//! peer.release(); // from any thread
//! assert!(probe.is_woken());
//! assert!(matches!(probe.step(), Poll::Ready(Ok(6))));
//! assert!(matches!(probe.step(), Poll::Ready(Ok(0))));
//! assert_eq!(probe.received(), b"hello world");
//! ```
mod script;
#[cfg(feature = "tokio-io")]
mod tokio;

use crate::loom::{Arc, Mutex};
use script::State;
use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// One step of a [`MockIo`] script (see the [module docs](self) for what each does).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// One read returns these bytes.
    Read(Vec<u8>),
    /// Reads return `Pending` until released.
    ReadPending,
    /// Reads return `Err(WouldBlock)` until released.
    ReadWouldBlock,
    /// Reads return `Ok(0)` from here on.
    ReadEof,
    /// Reads fail with this kind from here on.
    ReadError(io::ErrorKind),
    /// Each write accepts at most this many bytes from here on (at least 1).
    WriteLimit(usize),
    /// The next write returns `Ok(0)`.
    WriteZero,
    /// Writes return `Pending` until released.
    WritePending,
    /// Writes return `Err(WouldBlock)` until released.
    WriteWouldBlock,
    /// Writes, flushes and closes fail with this kind from here on.
    WriteError(io::ErrorKind),
}

/// Builds a [`MockIo`] and its [`Handle`] from a script.
#[derive(Debug, Default)]
pub struct Builder {
    actions: Vec<Action>,
}

impl Builder {
    /// An empty script: reads wait for the handle, writes accept everything.
    pub fn new() -> Self {
        Builder::default()
    }

    /// Adds any action.
    pub fn action(&mut self, action: Action) -> &mut Self {
        self.actions.push(action);
        self
    }

    /// One read returns these bytes ([`Action::Read`]).
    pub fn read(&mut self, bytes: impl AsRef<[u8]>) -> &mut Self {
        self.action(Action::Read(bytes.as_ref().to_vec()))
    }

    /// Reads return `Pending` until [`Handle::release`] ([`Action::ReadPending`]).
    pub fn read_pending(&mut self) -> &mut Self {
        self.action(Action::ReadPending)
    }

    /// Reads return `Err(WouldBlock)` until [`Handle::release`] ([`Action::ReadWouldBlock`]).
    pub fn read_would_block(&mut self) -> &mut Self {
        self.action(Action::ReadWouldBlock)
    }

    /// Reads return `Ok(0)` from here on ([`Action::ReadEof`]).
    pub fn read_eof(&mut self) -> &mut Self {
        self.action(Action::ReadEof)
    }

    /// The peer resets the connection: reads and writes fail with `ConnectionReset` from
    /// here on.
    pub fn reset(&mut self) -> &mut Self {
        self.action(Action::ReadError(io::ErrorKind::ConnectionReset))
            .action(Action::WriteError(io::ErrorKind::ConnectionReset))
    }

    /// Each write accepts at most `n` bytes from here on ([`Action::WriteLimit`]).
    pub fn write_limit(&mut self, n: usize) -> &mut Self {
        self.action(Action::WriteLimit(n))
    }

    /// The next write returns `Ok(0)` ([`Action::WriteZero`]).
    pub fn write_zero(&mut self) -> &mut Self {
        self.action(Action::WriteZero)
    }

    /// Writes return `Pending` until [`Handle::release`] ([`Action::WritePending`]).
    pub fn write_pending(&mut self) -> &mut Self {
        self.action(Action::WritePending)
    }

    /// The stream and the handle that plays the peer.
    pub fn build(&mut self) -> (MockIo, Handle) {
        let mut state = State::default();
        for action in self.actions.drain(..) {
            drop(state.push(action));
        }
        let shared = Arc::new(Mutex::new(state));
        (
            MockIo {
                shared: shared.clone(),
            },
            Handle { shared },
        )
    }
}

/// The scripted stream. Dropping it leaves the handle usable.
pub struct MockIo {
    shared: Arc<Mutex<State>>,
}

/// The peer's side of a [`MockIo`]: releases gates, adds actions, collects what was
/// written. Cheap to clone; usable from any thread (or loom thread).
#[derive(Clone)]
pub struct Handle {
    shared: Arc<Mutex<State>>,
}

impl Handle {
    /// Opens the next closed gate (`*Pending`/`*WouldBlock` action) in script order and
    /// wakes the read or write waiting on it. Returns `false` if every gate was already
    /// open.
    pub fn release(&self) -> bool {
        let (released, waker) = self.shared.lock().release();
        wake(waker);
        released
    }

    /// Appends an action to the script and wakes a read or write waiting at the end of
    /// its lane.
    pub fn push(&self, action: Action) {
        let waker = self.shared.lock().push(action);
        wake(waker);
    }

    /// Appends [`Action::Read`]`(bytes)`: the peer sends these bytes.
    pub fn deliver(&self, bytes: impl AsRef<[u8]>) {
        self.push(Action::Read(bytes.as_ref().to_vec()));
    }

    /// Appends [`Action::ReadEof`]: the peer closes its side.
    pub fn eof(&self) {
        self.push(Action::ReadEof);
    }

    /// Takes the bytes written to the stream so far.
    pub fn take_written(&self) -> Vec<u8> {
        std::mem::take(&mut self.shared.lock().written)
    }

    /// Calls to `poll_read` so far (a stream that stopped reading its transport stops
    /// this count).
    pub fn reads(&self) -> u64 {
        self.shared.lock().read.calls
    }

    /// Calls to `poll_write` so far.
    pub fn writes(&self) -> u64 {
        self.shared.lock().write.calls
    }

    /// Whether `poll_close` (or tokio's `poll_shutdown`) was called.
    pub fn is_closed(&self) -> bool {
        self.shared.lock().closed
    }
}

fn wake(waker: Option<Waker>) {
    if let Some(w) = waker {
        w.wake();
    }
}

fn progress_if(out: &Poll<io::Result<usize>>) {
    if let Poll::Ready(Ok(n)) = out {
        if *n > 0 {
            wakeful_executor::task::progress();
        }
    }
}

impl MockIo {
    pub(crate) fn read_into(&self, cx: &Context<'_>, dst: &mut [u8]) -> Poll<io::Result<usize>> {
        let out = self.shared.lock().read(cx.waker(), dst);
        progress_if(&out);
        out
    }

    pub(crate) fn write_from(&self, cx: &Context<'_>, src: &[u8]) -> Poll<io::Result<usize>> {
        let out = self.shared.lock().write(cx.waker(), src);
        progress_if(&out);
        out
    }

    pub(crate) fn flush_now(&self) -> io::Result<()> {
        self.shared.lock().flush()
    }

    pub(crate) fn close_now(&self) -> io::Result<()> {
        let mut state = self.shared.lock();
        state.closed = true;
        state.flush()
    }

    /// A handle to this stream's peer side.
    pub fn handle(&self) -> Handle {
        Handle {
            shared: self.shared.clone(),
        }
    }
}

impl futures_io::AsyncRead for MockIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.read_into(cx, buf)
    }
}

impl futures_io::AsyncWrite for MockIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.write_from(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.flush_now())
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.close_now())
    }
}

impl fmt::Debug for MockIo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockIo")
            .field("state", &*self.shared.lock())
            .finish()
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle").finish_non_exhaustive()
    }
}
