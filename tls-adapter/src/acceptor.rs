//! Start a handshake before choosing its config: read the ClientHello first (SNI routing,
//! ALPN-based dispatch, per-tenant certificates), then finish with the chosen
//! `ServerConfig`.
//!
//! # Invariants
//! - [`LazyConfigAcceptor`] reads only until rustls's `Acceptor` has a complete ClientHello;
//!   bytes after it stay in the `Accepted` state and feed the handshake that follows.
//! - It returns `Pending` only when the transport's read did (the rule of the `common`
//!   module docs); EOF before a complete ClientHello is `UnexpectedEof`; a malformed one is
//!   `InvalidData` after one try at writing rustls's alert.
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use rustls::server::{Accepted, Acceptor, ClientHello};
use rustls::{ServerConfig, ServerConnection};
use wakeful_executor::task::progress;

use crate::common::adapter::{IoOutcome, IoView};
use crate::common::handshake::{send_alert_once, MidHandshake};
use crate::common::{invalid_data, Core};
use crate::server::Accept;

/// Reads a ClientHello from `io` and resolves to a [`StartHandshake`] that shows it.
///
/// Bound the wait with a timeout (`wakeful::time::timeout`): a peer may send nothing.
#[must_use = "futures do nothing unless polled"]
pub struct LazyConfigAcceptor<IO> {
    acceptor: Acceptor,
    io: Option<IO>,
}

impl<IO> std::fmt::Debug for LazyConfigAcceptor<IO> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyConfigAcceptor")
            .field("done", &self.io.is_none())
            .finish_non_exhaustive()
    }
}

impl<IO> LazyConfigAcceptor<IO>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    /// Starts reading a ClientHello from `io`.
    pub fn new(io: IO) -> Self {
        LazyConfigAcceptor {
            acceptor: Acceptor::default(),
            io: Some(io),
        }
    }

    /// Takes the transport back (after an error or a timeout, to answer in plaintext or
    /// close). `None` once the future resolved successfully or if taken already.
    pub fn take_io(&mut self) -> Option<IO> {
        self.io.take()
    }
}

impl<IO> Future for LazyConfigAcceptor<IO>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    type Output = io::Result<StartHandshake<IO>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let Some(io) = this.io.as_mut() else {
            return Poll::Ready(Err(io::Error::other(
                "LazyConfigAcceptor polled after completion (or its transport was taken)",
            )));
        };
        // Each turn reads bytes from the transport or returns.
        loop {
            let mut view = IoView::new(io, cx);
            let res = this.acceptor.read_tls(&mut view);
            match view.outcome(res)? {
                IoOutcome::Pending => return Poll::Pending,
                IoOutcome::Done(0) => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "peer closed the connection before a complete ClientHello",
                    )))
                }
                IoOutcome::Done(_) => progress(),
            }
            match this.acceptor.accept() {
                Ok(None) => {}
                Ok(Some(accepted)) => {
                    let io = this.io.take().expect("checked above");
                    return Poll::Ready(Ok(StartHandshake { accepted, io }));
                }
                Err((e, mut alert)) => {
                    send_alert_once(io, &mut alert, cx);
                    return Poll::Ready(Err(invalid_data(e)));
                }
            }
        }
    }
}

/// A ClientHello has arrived: inspect it, choose a config, finish the handshake.
///
/// ```no_run
/// # async fn route(io: wakeful_io::net::TcpStream,
/// #                a: std::sync::Arc<rustls::ServerConfig>,
/// #                b: std::sync::Arc<rustls::ServerConfig>) -> std::io::Result<()> {
/// let start = wakeful_tls::LazyConfigAcceptor::new(io).await?;
/// let config = match start.client_hello().server_name() {
///     Some("b.example") => b,
///     _ => a,
/// };
/// let stream = start.into_stream(config).await?;
/// # drop(stream); Ok(()) }
/// ```
pub struct StartHandshake<IO> {
    accepted: Accepted,
    io: IO,
}

impl<IO> std::fmt::Debug for StartHandshake<IO> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StartHandshake").finish_non_exhaustive()
    }
}

impl<IO> StartHandshake<IO>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    /// The ClientHello: `server_name()` (SNI), `alpn()`, `cipher_suites()`...
    pub fn client_hello(&self) -> ClientHello<'_> {
        self.accepted.client_hello()
    }

    /// Finishes the handshake with `config`.
    pub fn into_stream(self, config: Arc<ServerConfig>) -> Accept<IO> {
        self.into_stream_with(config, |_| ())
    }

    /// As [`into_stream`](Self::into_stream), calling `f` on the connection first.
    pub fn into_stream_with<F>(self, config: Arc<ServerConfig>, f: F) -> Accept<IO>
    where
        F: FnOnce(&mut ServerConnection),
    {
        match self.accepted.into_connection(config) {
            Ok(mut conn) => {
                f(&mut conn);
                Accept(MidHandshake::Handshaking(Core::new(self.io, conn)))
            }
            Err((e, alert)) => Accept(MidHandshake::SendAlert {
                io: self.io,
                alert,
                error: invalid_data(e),
            }),
        }
    }

    /// The transport, giving up on the handshake.
    pub fn into_io(self) -> IO {
        self.io
    }
}
