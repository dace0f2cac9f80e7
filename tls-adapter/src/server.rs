//! The server side: [`TlsAcceptor`], its [`Accept`] future, and [`TlsStream`].
//!
//! A [`TlsStream`] exists only after a completed handshake. It follows the close contract
//! of the crate docs; its reads, writes and closes are those of the `common` state machine.
use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use rustls::{ServerConfig, ServerConnection};

use crate::common::handshake::MidHandshake;
use crate::common::Core;

/// Accepts TLS connections with one [`ServerConfig`]. Cheap to clone.
///
/// For a config chosen per connection from the ClientHello (SNI routing), see
/// [`LazyConfigAcceptor`](crate::LazyConfigAcceptor).
#[derive(Clone)]
pub struct TlsAcceptor {
    config: Arc<ServerConfig>,
}

impl std::fmt::Debug for TlsAcceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsAcceptor").finish_non_exhaustive()
    }
}

impl From<Arc<ServerConfig>> for TlsAcceptor {
    fn from(config: Arc<ServerConfig>) -> Self {
        TlsAcceptor { config }
    }
}

impl TlsAcceptor {
    /// An acceptor for `config`.
    pub fn new(config: Arc<ServerConfig>) -> Self {
        TlsAcceptor { config }
    }

    /// The config every accepted connection uses.
    pub fn config(&self) -> &Arc<ServerConfig> {
        &self.config
    }

    /// Runs the server handshake over `io`. The future resolves to the stream once the
    /// handshake is complete and its last flight (session tickets) is flushed.
    pub fn accept<IO>(&self, io: IO) -> Accept<IO>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        self.accept_with(io, |_| ())
    }

    /// As [`accept`](Self::accept), calling `f` on the fresh connection first (to set
    /// buffer limits, for example).
    pub fn accept_with<IO, F>(&self, io: IO, f: F) -> Accept<IO>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
        F: FnOnce(&mut ServerConnection),
    {
        match ServerConnection::new(self.config.clone()) {
            Ok(mut conn) => {
                f(&mut conn);
                Accept(MidHandshake::Handshaking(Core::new(io, conn)))
            }
            Err(e) => Accept(MidHandshake::Error(crate::common::invalid_data(e))),
        }
    }
}

/// The server handshake in flight ([`TlsAcceptor::accept`],
/// [`StartHandshake::into_stream`](crate::StartHandshake::into_stream)).
///
/// Errors: `InvalidData` wrapping the `rustls::Error` (after its alert was written, if the
/// transport took it), `UnexpectedEof` if the peer closed first, or the transport's error.
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct Accept<IO>(pub(crate) MidHandshake<IO, ServerConnection>);

impl<IO> Future for Accept<IO>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    type Output = io::Result<TlsStream<IO>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map_ok(|core| TlsStream { core })
    }
}

/// A server-side TLS stream over the transport `IO`, after the handshake.
///
/// `AsyncRead`/`AsyncWrite` (futures-io; tokio's too under the `tokio-io` feature). Reads
/// follow the close contract of the crate docs; `poll_close` sends close_notify, then shuts
/// the transport's write side. Written bytes may wait in rustls until `poll_flush` or
/// `poll_close`.
#[derive(Debug)]
pub struct TlsStream<IO> {
    pub(crate) core: Core<IO, ServerConnection>,
}

impl<IO> TlsStream<IO> {
    /// The transport and the rustls connection (SNI: `server_name()`, ALPN:
    /// `alpn_protocol()`, `negotiated_cipher_suite()`, `protocol_version()`...).
    pub fn get_ref(&self) -> (&IO, &ServerConnection) {
        (&self.core.io, &self.core.conn)
    }

    /// Mutable access to both. Reading or writing the transport directly corrupts the
    /// TLS stream.
    pub fn get_mut(&mut self) -> (&mut IO, &mut ServerConnection) {
        (&mut self.core.io, &mut self.core.conn)
    }

    /// Takes the transport and the connection apart.
    pub fn into_inner(self) -> (IO, ServerConnection) {
        (self.core.io, self.core.conn)
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsStream<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.core.poll_read(cx, buf)
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsStream<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.core.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.core.poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.core.poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.core.poll_close(cx)
    }
}
