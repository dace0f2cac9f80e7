//! Driving a handshake to completion: the future behind `accept` and `connect`.
//!
//! # Invariants
//! - The handshake is done when rustls is no longer handshaking **and** everything it
//!   queued (the client's Finished, the server's session tickets) is on the transport and
//!   flushed.
//! - Each turn of [`poll_handshake`]'s loop writes, flushes or reads something, or returns.
//!   It returns `Pending` only when a transport call returned `Pending` and nothing moved in
//!   that turn (the rule of the `common` module docs).
//! - Bytes rustls already holds are processed before the transport is read: a
//!   `LazyConfigAcceptor` may have read records past the ClientHello (an alert, say) that
//!   `Accepted::into_connection` leaves unprocessed.
//! - Every way out is final: transport EOF before the end is `UnexpectedEof`; a rustls error
//!   is `InvalidData` after a last gasp to send its alert; a transport that accepts zero
//!   bytes is `WriteZero`; a handshake in which rustls wants neither to read nor to write
//!   (a close_notify mid-handshake) is `UnexpectedEof`.
use std::future::Future;
use std::io;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use rustls::server::AcceptedAlert;
use rustls::{ConnectionCommon, SideData};
use wakeful_executor::task::progress;

use super::adapter::{IoOutcome, IoView};
use super::Core;

/// Drives `core`'s handshake; see the module docs.
pub(crate) fn poll_handshake<IO, C, SD>(
    core: &mut Core<IO, C>,
    cx: &mut Context<'_>,
) -> Poll<io::Result<()>>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: DerefMut + Deref<Target = ConnectionCommon<SD>>,
    SD: SideData,
{
    // Records already buffered in rustls (after the ClientHello that a
    // `LazyConfigAcceptor` read, say) are processed before the transport is asked for more.
    core.process(cx)?;
    loop {
        let mut moved = false;
        let mut blocked = false;

        // 1. Send what rustls queued, and flush it.
        while core.conn.wants_write() {
            match core.write_tls(cx)? {
                IoOutcome::Done(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                IoOutcome::Done(_) => moved = true,
                IoOutcome::Pending => {
                    blocked = true;
                    break;
                }
            }
        }
        if !blocked && core.need_flush {
            match Pin::new(&mut core.io).poll_flush(cx) {
                Poll::Ready(Ok(())) => core.need_flush = false,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => blocked = true,
            }
        }

        if !core.conn.is_handshaking() {
            if !core.conn.wants_write() && !core.need_flush {
                return Poll::Ready(Ok(()));
            }
            // Step 1 stops early only on a `Pending` write or flush.
            debug_assert!(blocked);
            return Poll::Pending;
        }

        // 2. Feed rustls the peer's next flight.
        if core.conn.wants_read() {
            match core.read_tls(cx)? {
                IoOutcome::Pending => blocked = true,
                IoOutcome::Done(0) => {
                    // Whatever came before the EOF may explain it (an alert, garbage).
                    core.process(cx)?;
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "peer closed the connection during the TLS handshake",
                    )));
                }
                IoOutcome::Done(_) => {
                    core.process(cx)?;
                    progress();
                    moved = true;
                }
            }
        } else if !core.conn.wants_write() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "peer sent close_notify during the TLS handshake",
            )));
        }

        if moved {
            continue;
        }
        if blocked {
            return Poll::Pending;
        }
        // Unreachable by the invariants (each branch above moved, blocked or returned);
        // an error rather than a spin if rustls ever disagrees.
        return Poll::Ready(Err(io::Error::other("TLS handshake made no progress")));
    }
}

/// A handshake in flight, or the reason it cannot start.
pub(crate) enum MidHandshake<IO, C> {
    Handshaking(Core<IO, C>),
    /// The connection could not be created; report `error` after a last try at `alert`.
    SendAlert {
        io: IO,
        alert: AcceptedAlert,
        error: io::Error,
    },
    /// The connection could not be created.
    Error(io::Error),
    Done,
}

impl<IO, C> std::fmt::Debug for MidHandshake<IO, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MidHandshake::Handshaking(_) => "MidHandshake::Handshaking",
            MidHandshake::SendAlert { .. } => "MidHandshake::SendAlert",
            MidHandshake::Error(_) => "MidHandshake::Error",
            MidHandshake::Done => "MidHandshake::Done",
        })
    }
}

impl<IO, C, SD> Future for MidHandshake<IO, C>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: DerefMut + Deref<Target = ConnectionCommon<SD>> + Unpin,
    SD: SideData,
{
    type Output = io::Result<Core<IO, C>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match std::mem::replace(this, MidHandshake::Done) {
            MidHandshake::Handshaking(mut core) => match poll_handshake(&mut core, cx) {
                Poll::Ready(Ok(())) => Poll::Ready(Ok(core)),
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                Poll::Pending => {
                    *this = MidHandshake::Handshaking(core);
                    Poll::Pending
                }
            },
            MidHandshake::SendAlert {
                mut io,
                mut alert,
                error,
            } => {
                send_alert_once(&mut io, &mut alert, cx);
                Poll::Ready(Err(error))
            }
            MidHandshake::Error(e) => Poll::Ready(Err(e)),
            MidHandshake::Done => Poll::Ready(Err(io::Error::other(
                "TLS handshake future polled after completion",
            ))),
        }
    }
}

/// Writes `alert` as far as `io` takes it now, and flushes; never waits.
pub(crate) fn send_alert_once<IO: AsyncWrite + Unpin>(
    io: &mut IO,
    alert: &mut AcceptedAlert,
    cx: &mut Context<'_>,
) {
    loop {
        let mut view = IoView::new(io, cx);
        let res = alert.write(&mut view);
        match view.outcome(res) {
            Ok(IoOutcome::Done(n)) if n > 0 => {}
            _ => break,
        }
    }
    let _ = Pin::new(io).poll_flush(cx);
}
