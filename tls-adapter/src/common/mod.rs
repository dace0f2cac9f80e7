//! The stream state machine shared by the server and client streams.
//!
//! [`Core`] owns the transport and the rustls connection and moves bytes between them. It
//! is a plain struct polled by `&mut`: the public streams and the handshake futures wrap it.
//!
//! # The one rule: `Pending` only from the transport
//! Every `poll_*` here returns `Poll::Pending` **only** after the transport itself returned
//! `Pending` in the same call (seen through [`adapter`]'s views, which record it), so a
//! waker is registered with a real event source. There is no `wake_by_ref()` anywhere in
//! this crate. Whenever rustls holds work (plaintext to hand out, TLS to send), the code
//! loops instead of waking itself; whenever rustls wants nothing and has nothing (the 2025
//! incident state), the terminal states below answer instead.
//!
//! # Read states ([`ReadState`])
//! | state       | entered when | `poll_read` answers (once buffered plaintext is drained) |
//! |-------------|--------------|---------------------------------------------------|
//! | `Open`      | start        | reads the transport |
//! | `Closed`    | rustls reports `peer_has_closed` (a close_notify was processed) | `Ok(0)` forever, without touching the transport again |
//! | `Truncated` | the transport hit EOF with no close_notify | `UnexpectedEof` forever |
//!
//! Plaintext that rustls decrypted is always delivered before the terminal answer: it
//! preceded the close_notify, because rustls (0.23.46, the workspace's minimum) stops
//! processing records at the close_notify and discards the rest of its buffer
//! (`ConnectionCore::process_new_packets`), and this machine never feeds rustls another
//! byte once `Closed`. `tests/tls_incident.rs` checks it with a genuine record after the
//! close_notify in the same socket read.
//!
//! # Failure
//! A rustls error (`process_new_packets`) is fatal and sticky (`failed`): once the
//! plaintext of the records authenticated before the bad one is read, every `poll_read`
//! returns `InvalidData` with the same error, and so does every write-direction `poll_*`. When it happens
//! the alert rustls queued is written once without waiting ([`Core::last_gasp`]): from the
//! read direction only if no writer is parked on the transport's write slot
//! (`write_parked`), so a reader never steals a concurrent writer's wakeup.
//!
//! # Write states ([`WriteState`])
//! `Open` → (`poll_close`: close_notify queued) `Closing` → (TLS flushed, transport's
//! `poll_close` done) `Shut`. Writes are refused (`BrokenPipe`) once not `Open`: rustls
//! would encrypt data after our close_notify, which the peer must ignore. Reading is
//! independent: after the peer's close_notify the stream still writes and closes.
//!
//! # Direction discipline
//! `poll_read` touches only the transport's read side (plus the last gasp above);
//! `poll_write`/`poll_flush`/`poll_close` only its write side. The io-driver keeps one waker
//! slot per direction, so a stream shared by a reader and a writer task (behind a lock)
//! wakes each for its own direction.
pub(crate) mod adapter;
pub(crate) mod handshake;
pub(crate) mod read_ahead;
pub(crate) mod stream;

use std::io::{self, IoSlice, Read, Write};
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use rustls::{ConnectionCommon, IoState, SideData};
use wakeful_executor::task::progress;

use adapter::{IoOutcome, IoView};
use read_ahead::ReadAhead;

/// What `poll_read` answers once buffered plaintext is drained; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadState {
    /// Records are still coming: read the transport.
    Open,
    /// The peer's close_notify was processed: `Ok(0)` forever.
    Closed,
    /// Transport EOF without close_notify: `UnexpectedEof` forever.
    Truncated,
}

/// Our side's closing progress; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteState {
    /// Writes are accepted.
    Open,
    /// Our close_notify is queued in rustls; flushing it and shutting the transport remain.
    Closing,
    /// The transport's write side is shut.
    Shut,
}

/// The transport, the rustls connection, and the states of the module docs.
#[derive(Debug)]
pub(crate) struct Core<IO, C> {
    pub(crate) io: IO,
    pub(crate) conn: C,
    pub(crate) read: ReadState,
    pub(crate) write: WriteState,
    /// The first rustls error; sticky.
    pub(crate) failed: Option<rustls::Error>,
    /// The last write-direction `poll_*` returned `Pending`: a writer waits on the
    /// transport's write slot.
    write_parked: bool,
    /// Bytes went to the transport since its last completed `poll_flush`.
    pub(crate) need_flush: bool,
    /// Transport bytes read ahead of rustls (bulk flows only; see [`read_ahead`]).
    ahead: ReadAhead,
    /// A transport error a read met after it already had bytes to return: the next
    /// `poll_read`'s answer (once, like any transport error).
    deferred: Option<io::Error>,
}

impl<IO, C, SD> Core<IO, C>
where
    C: DerefMut + Deref<Target = ConnectionCommon<SD>>,
    SD: SideData,
{
    /// See `TlsStream::set_read_ahead`.
    pub(crate) fn set_read_ahead(&mut self, enabled: bool) {
        self.ahead.set_enabled(enabled);
    }

    /// Takes the stream apart: the transport, the connection, and the TLS bytes read from
    /// the transport ahead of rustls (they come before the transport's next bytes).
    pub(crate) fn into_parts(mut self) -> (IO, C, Vec<u8>) {
        let rest = self.ahead.take();
        (self.io, self.conn, rest)
    }

    /// Takes the stream apart, handing rustls as much as it takes of the bytes read ahead
    /// (see `TlsStream::into_inner`).
    pub(crate) fn into_inner(mut self) -> (IO, C) {
        while !self.ahead.buffered().is_empty() {
            match self.feed_from_ahead() {
                Ok(n) if n > 0 => {}
                _ => break,
            }
            if self.conn.process_new_packets().is_err() {
                break;
            }
        }
        (self.io, self.conn)
    }

    /// One `read_tls` from the read-ahead buffer (never the transport); returns the bytes
    /// rustls took.
    fn feed_from_ahead(&mut self) -> io::Result<usize> {
        let mut buffered = self.ahead.buffered();
        let n = self.conn.read_tls(&mut buffered)?;
        self.ahead.consume(n);
        Ok(n)
    }
}

pub(crate) fn invalid_data(e: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

pub(crate) fn truncated() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "peer closed the connection without sending TLS close_notify",
    )
}

impl<IO, C, SD> Core<IO, C>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: DerefMut + Deref<Target = ConnectionCommon<SD>>,
    SD: SideData,
{
    pub(crate) fn new(io: IO, conn: C) -> Self {
        Core {
            io,
            conn,
            read: ReadState::Open,
            write: WriteState::Open,
            failed: None,
            write_parked: false,
            need_flush: false,
            ahead: ReadAhead::default(),
            deferred: None,
        }
    }

    /// One `read_tls` from the transport: `Done(0)` is transport EOF (or rustls declining
    /// to read after a close_notify). With read-ahead on, rustls is fed from the buffer,
    /// which one transport read refills when empty.
    pub(crate) fn read_tls(&mut self, cx: &mut Context<'_>) -> io::Result<IoOutcome> {
        if !self.ahead.is_on() {
            let mut view = IoView::new(&mut self.io, cx);
            let res = self.conn.read_tls(&mut view);
            let out = view.outcome(res)?;
            if let IoOutcome::Done(n) = out {
                self.ahead.after_direct_read(n);
            }
            return Ok(out);
        }
        if self.ahead.buffered().is_empty() {
            match Pin::new(&mut self.io).poll_read(cx, self.ahead.spare()) {
                Poll::Pending => return Ok(IoOutcome::Pending),
                Poll::Ready(res) => self.ahead.filled(res?),
            }
        }
        // An empty buffer here is transport EOF: rustls reads 0 from it and records EOF,
        // as it would from the transport.
        Ok(IoOutcome::Done(self.feed_from_ahead()?))
    }

    /// One `write_tls` to the transport.
    pub(crate) fn write_tls(&mut self, cx: &mut Context<'_>) -> io::Result<IoOutcome> {
        let mut view = IoView::new(&mut self.io, cx);
        let res = self.conn.write_tls(&mut view);
        let out = view.outcome(res)?;
        if let IoOutcome::Done(n) = out {
            if n > 0 {
                self.need_flush = true;
            }
        }
        Ok(out)
    }

    /// `process_new_packets`, with its error made fatal (last gasp, `InvalidData`) and a
    /// close_notify recorded as [`ReadState::Closed`].
    pub(crate) fn process(&mut self, cx: &mut Context<'_>) -> io::Result<IoState> {
        match self.conn.process_new_packets() {
            Ok(state) => {
                if state.peer_has_closed() {
                    self.read = ReadState::Closed;
                }
                Ok(state)
            }
            Err(e) => {
                self.failed = Some(e.clone());
                if !self.write_parked {
                    self.last_gasp(cx);
                }
                Err(invalid_data(e))
            }
        }
    }

    /// Writes what rustls queued (an alert) as far as the transport takes it now, and
    /// flushes; never waits. Errors are dropped: the caller reports the primary one.
    pub(crate) fn last_gasp(&mut self, cx: &mut Context<'_>) {
        while self.conn.wants_write() {
            match self.write_tls(cx) {
                Ok(IoOutcome::Done(n)) if n > 0 => {}
                _ => return,
            }
        }
        let _ = Pin::new(&mut self.io).poll_flush(cx);
    }

    /// The sticky error, after one more try at sending its alert (write direction only).
    fn fail_write(&mut self, cx: &mut Context<'_>) -> Option<io::Error> {
        let e = self.failed.clone()?;
        self.last_gasp(cx);
        Some(invalid_data(e))
    }

    /// Sends everything rustls holds. `Pending` only from the transport.
    pub(crate) fn poll_write_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.conn.wants_write() {
            match self.write_tls(cx)? {
                IoOutcome::Done(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                IoOutcome::Done(_) => {}
                IoOutcome::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Records whether a write-direction call leaves a writer parked.
    fn park<T>(&mut self, p: Poll<T>) -> Poll<T> {
        self.write_parked = p.is_pending();
        p
    }

    pub(crate) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        // Each turn returns, or enters a terminal state, or fed rustls new transport bytes.
        loop {
            // 1. Plaintext rustls already holds preceded any close_notify: it goes first.
            match self.conn.reader().read(buf) {
                Ok(0) => {
                    // rustls's own clean-EOF answer (close_notify, nothing buffered).
                    self.read = ReadState::Closed;
                    return Poll::Ready(Ok(0));
                }
                Ok(n) => {
                    progress();
                    return Poll::Ready(Ok(self.top_up(cx, buf, n)));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    self.read = ReadState::Truncated;
                    return Poll::Ready(Err(truncated()));
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
            // 2. Nothing buffered. A transport error met after the last call's bytes
            //    (`top_up`) is this call's answer. A terminal state answers without touching
            //    the transport: this is what makes the incident state (rustls: no
            //    plaintext, no wish to read, `WouldBlock`) an EOF instead of a self-wake.
            if let Some(e) = self.deferred.take() {
                return Poll::Ready(Err(e));
            }
            if let Some(e) = &self.failed {
                return Poll::Ready(Err(invalid_data(e.clone())));
            }
            match self.read {
                ReadState::Closed => return Poll::Ready(Ok(0)),
                ReadState::Truncated => return Poll::Ready(Err(truncated())),
                ReadState::Open => {}
            }
            // 3. The transport's next bytes. `Pending` here is the transport's own.
            if !self.pull(cx)? {
                return Poll::Pending;
            }
        }
    }

    /// Feeds rustls the transport's next bytes (`read_tls`, then `process`): `false` if the
    /// transport is pending. A close_notify enters `Closed`; a rustls error is recorded in
    /// `failed` and reported by `poll_read` after the plaintext of the records before it;
    /// transport EOF without close_notify enters `Truncated`.
    fn pull(&mut self, cx: &mut Context<'_>) -> io::Result<bool> {
        let got = match self.read_tls(cx)? {
            IoOutcome::Pending => return Ok(false),
            IoOutcome::Done(n) => n,
        };
        let _ = self.process(cx);
        if got == 0 && self.read == ReadState::Open {
            // rustls reads 0 after a close_notify only in `Closed`, so this is the
            // transport's EOF.
            self.read = ReadState::Truncated;
        }
        Ok(true)
    }

    /// After a read put `filled` bytes of plaintext in `buf`, adds the plaintext of the
    /// records the transport (or the read-ahead buffer) has ready, until `buf` is full or
    /// the transport is pending: a bulk reader with a big buffer gets several records per
    /// call, so it writes them on in one call too (tokio-rustls 0.26.6 fills a read the
    /// same way). On wakeful's `TcpStream` it costs a small read no system call: a socket
    /// read that returns less than asked clears the socket's readiness, so the next one is
    /// `Pending` at once (another transport may make one more read). Each transport read
    /// here spends cooperative budget like any other; once it is spent the transport
    /// answers `Pending` (the task is woken to go on) and the read returns what it has. Stops
    /// at the first thing that is not more plaintext (a close_notify, a rustls error, EOF,
    /// a transport error); the next `poll_read` answers it, as if this call had returned
    /// after the first record. A transport error is kept for that call (`deferred`), and a
    /// record that fails still gets its alert written, as in `poll_read`.
    fn top_up(&mut self, cx: &mut Context<'_>, buf: &mut [u8], mut filled: usize) -> usize {
        while filled < buf.len() {
            match self.conn.reader().read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => {
                    filled += n;
                    continue;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => break,
            }
            if self.failed.is_some() || self.read != ReadState::Open {
                break;
            }
            match self.pull(cx) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    self.deferred = Some(e);
                    break;
                }
            }
        }
        filled
    }

    pub(crate) fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_with(cx, |w| w.write(buf), buf.is_empty())
    }

    pub(crate) fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let empty = bufs.iter().all(|b| b.is_empty());
        self.poll_write_with(cx, |w| w.write_vectored(bufs), empty)
    }

    /// Hands plaintext to rustls (`put`) after pushing out what it already holds, then
    /// pushes the new records without waiting (`poll_flush` finishes the job).
    fn poll_write_with(
        &mut self,
        cx: &mut Context<'_>,
        put: impl FnOnce(&mut rustls::Writer<'_>) -> io::Result<usize>,
        empty: bool,
    ) -> Poll<io::Result<usize>> {
        if let Some(e) = self.fail_write(cx) {
            return self.park(Poll::Ready(Err(e)));
        }
        if self.write != WriteState::Open {
            let e = io::Error::new(io::ErrorKind::BrokenPipe, "TLS stream already closed");
            return self.park(Poll::Ready(Err(e)));
        }
        if empty {
            return self.park(Poll::Ready(Ok(0)));
        }
        let before = match self.poll_write_tls(cx) {
            Poll::Ready(Err(e)) => return self.park(Poll::Ready(Err(e))),
            p => p,
        };
        let n = match put(&mut self.conn.writer()) {
            Ok(n) => n,
            Err(e) => return self.park(Poll::Ready(Err(e))),
        };
        if n == 0 {
            // rustls's send buffer is full: only when the transport would not take it.
            return self.park(match before {
                Poll::Pending => Poll::Pending,
                Poll::Ready(_) => Poll::Ready(Err(io::Error::other(
                    "rustls accepted no plaintext although its send buffer was flushed",
                ))),
            });
        }
        progress();
        if let Poll::Ready(Err(e)) = self.poll_write_tls(cx) {
            return self.park(Poll::Ready(Err(e)));
        }
        self.park(Poll::Ready(Ok(n)))
    }

    pub(crate) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let p = self.poll_flush_inner(cx);
        self.park(p)
    }

    fn poll_flush_inner(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(e) = self.fail_write(cx) {
            return Poll::Ready(Err(e));
        }
        ready!(self.poll_write_tls(cx))?;
        ready!(Pin::new(&mut self.io).poll_flush(cx))?;
        self.need_flush = false;
        Poll::Ready(Ok(()))
    }

    pub(crate) fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let p = self.poll_close_inner(cx);
        self.park(p)
    }

    fn poll_close_inner(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(e) = self.fail_write(cx) {
            return Poll::Ready(Err(e));
        }
        if self.write == WriteState::Open {
            self.conn.send_close_notify();
            self.write = WriteState::Closing;
        }
        if self.write == WriteState::Closing {
            ready!(self.poll_write_tls(cx))?;
            match ready!(Pin::new(&mut self.io).poll_close(cx)) {
                Ok(()) => {}
                // Already gone counts as shut (closing twice, or the peer reset).
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
            self.need_flush = false;
            self.write = WriteState::Shut;
        }
        Poll::Ready(Ok(()))
    }
}
