//! The client side: [`TlsConnector`], its [`Connect`] future, and [`TlsStream`].
//!
//! A [`TlsStream`] exists only after a completed handshake. It follows the close contract
//! of the crate docs; its reads, writes and closes are those of the `common` state machine.
use std::sync::Arc;

use futures_io::{AsyncRead, AsyncWrite};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection};

use crate::common::handshake::MidHandshake;
use crate::common::Core;

/// Opens TLS connections with one [`ClientConfig`]. Cheap to clone.
#[derive(Clone)]
pub struct TlsConnector {
    config: Arc<ClientConfig>,
}

impl std::fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConnector").finish_non_exhaustive()
    }
}

impl From<Arc<ClientConfig>> for TlsConnector {
    fn from(config: Arc<ClientConfig>) -> Self {
        TlsConnector { config }
    }
}

impl TlsConnector {
    /// A connector for `config`.
    pub fn new(config: Arc<ClientConfig>) -> Self {
        TlsConnector { config }
    }

    /// The config every connection uses.
    pub fn config(&self) -> &Arc<ClientConfig> {
        &self.config
    }

    /// Runs the client handshake with `server_name` (sent as SNI, and the name the server's
    /// certificate must match) over `io`.
    pub fn connect<IO>(&self, server_name: ServerName<'static>, io: IO) -> Connect<IO>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        self.connect_with(server_name, io, |_| ())
    }

    /// As [`connect`](Self::connect), calling `f` on the fresh connection first.
    pub fn connect_with<IO, F>(&self, server_name: ServerName<'static>, io: IO, f: F) -> Connect<IO>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
        F: FnOnce(&mut ClientConnection),
    {
        match ClientConnection::new(self.config.clone(), server_name) {
            Ok(mut conn) => {
                f(&mut conn);
                Connect(MidHandshake::Handshaking(Core::new(io, conn)))
            }
            Err(e) => Connect(MidHandshake::Error(crate::common::invalid_data(e))),
        }
    }
}

/// The client handshake in flight ([`TlsConnector::connect`]).
///
/// Errors: `InvalidData` wrapping the `rustls::Error` (a certificate the config rejects,
/// a fatal alert from the server...), `UnexpectedEof` if the server closed first, or the
/// transport's error.
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct Connect<IO>(MidHandshake<IO, ClientConnection>);

crate::common::stream::tls_stream! {
    /// A client-side TLS stream over the transport `IO`, after the handshake.
    ///
    /// `AsyncRead`/`AsyncWrite` (futures-io; tokio's too under the `tokio-io` feature). Reads
    /// follow the close contract of the crate docs; `poll_close` sends close_notify, then shuts
    /// the transport's write side. Written bytes may wait in rustls until `poll_flush` or
    /// `poll_close`.
    pub struct TlsStream<IO> over ClientConnection, made by Connect;

    /// The transport and the rustls connection (`alpn_protocol()`,
    /// `negotiated_cipher_suite()`, `protocol_version()`, `handshake_kind()`...).
    fn get_ref;
}
