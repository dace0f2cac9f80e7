//! The server side: [`TlsAcceptor`], its [`Accept`] future, and [`TlsStream`].
//!
//! A [`TlsStream`] exists only after a completed handshake. It follows the close contract
//! of the crate docs; its reads, writes and closes are those of the `common` state machine.
use std::sync::Arc;

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

crate::common::stream::tls_stream! {
    /// A server-side TLS stream over the transport `IO`, after the handshake.
    ///
    /// `AsyncRead`/`AsyncWrite` (futures-io; tokio's too under the `tokio-io` feature). Reads
    /// follow the close contract of the crate docs; `poll_close` sends close_notify, then shuts
    /// the transport's write side. Written bytes may wait in rustls until `poll_flush` or
    /// `poll_close`.
    pub struct TlsStream<IO> over ServerConnection, made by Accept;

    /// The transport and the rustls connection (SNI: `server_name()`, ALPN:
    /// `alpn_protocol()`, `negotiated_cipher_suite()`, `protocol_version()`...).
    fn get_ref;
}
