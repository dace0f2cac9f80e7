//! `std::io::Read`/`Write` views of an async transport, for rustls's `read_tls`/`write_tls`.
//!
//! # Invariant
//! A view turns the transport's `Poll::Pending` into `io::ErrorKind::WouldBlock` **and
//! records that it did** (`pending`). The stream state machine returns `Pending` only when
//! the view's flag is set: a `WouldBlock` the transport itself returned as
//! `Ready(Err(WouldBlock))` (a broken transport) is an ordinary error, never a reason to
//! wait, because no waker was registered for it.
use std::io::{self, IoSlice, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

/// Outcome of one rustls call that went through a view.
#[derive(Debug)]
pub(crate) enum IoOutcome {
    /// The call returned this many bytes.
    Done(usize),
    /// The transport returned `Pending`: its waker is registered, the caller may wait.
    Pending,
}

/// Reads from or writes to `io` in `cx` (rustls's `read_tls` or `write_tls`); see the
/// module docs.
pub(crate) struct IoView<'a, 'b, IO> {
    io: &'a mut IO,
    cx: &'a mut Context<'b>,
    pending: bool,
}

impl<'a, 'b, IO: Unpin> IoView<'a, 'b, IO> {
    pub(crate) fn new(io: &'a mut IO, cx: &'a mut Context<'b>) -> Self {
        IoView {
            io,
            cx,
            pending: false,
        }
    }

    /// Maps the result of a rustls call that used this view.
    pub(crate) fn outcome(&self, res: io::Result<usize>) -> io::Result<IoOutcome> {
        match res {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && self.pending => {
                Ok(IoOutcome::Pending)
            }
            Err(e) => Err(e),
            Ok(n) => Ok(IoOutcome::Done(n)),
        }
    }

    /// Runs one poll of the transport; `Pending` becomes a recorded `WouldBlock`.
    fn poll_with<T>(
        &mut self,
        f: impl FnOnce(Pin<&mut IO>, &mut Context<'_>) -> Poll<io::Result<T>>,
    ) -> io::Result<T> {
        match f(Pin::new(&mut *self.io), self.cx) {
            Poll::Ready(res) => res,
            Poll::Pending => {
                self.pending = true;
                Err(io::ErrorKind::WouldBlock.into())
            }
        }
    }
}

impl<IO: AsyncRead + Unpin> Read for IoView<'_, '_, IO> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.poll_with(|io, cx| io.poll_read(cx, buf))
    }
}

impl<IO: AsyncWrite + Unpin> Write for IoView<'_, '_, IO> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.poll_with(|io, cx| io.poll_write(cx, buf))
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.poll_with(|io, cx| io.poll_write_vectored(cx, bufs))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.poll_with(|io, cx| io.poll_flush(cx))
    }
}
