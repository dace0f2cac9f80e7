//! # wakeful-tls
//!
//! Async TLS for the [wakeful] runtime: [rustls] 0.23 streams over any futures-io
//! transport, correct on every close path. Users reach it as `wakeful::tls`.
//!
//! ```
//! # let rt = wakeful_io::rt::doc_runtime();
//! # rt.block_on(async {
//! use futures_util::io::{AsyncReadExt, AsyncWriteExt};
//! use std::sync::Arc;
//! use wakeful_io::net::{TcpListener, TcpStream};
//! use wakeful_tls::rustls::{self, pki_types::ServerName};
//! use wakeful_tls::{TlsAcceptor, TlsConnector};
//!
//! // A certificate for "localhost" (made here with rcgen; a server loads its own).
//! let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
//! let server_config = rustls::ServerConfig::builder()
//!     .with_no_client_auth()
//!     .with_single_cert(vec![cert.cert.der().clone()], cert.signing_key.into())
//!     .unwrap();
//! let mut roots = rustls::RootCertStore::empty();
//! roots.add(cert.cert.der().clone()).unwrap();
//! let client_config = rustls::ClientConfig::builder()
//!     .with_root_certificates(roots)
//!     .with_no_client_auth();
//! let acceptor = TlsAcceptor::from(Arc::new(server_config));
//! let connector = TlsConnector::from(Arc::new(client_config));
//!
//! // The server reads a request up to the client's close_notify, then answers and closes.
//! let listener = TcpListener::bind("127.0.0.1:0").await?;
//! let addr = listener.local_addr()?;
//! let server = wakeful_executor::spawn(async move {
//!     let (tcp, _) = listener.accept().await?;
//!     let mut tls = acceptor.accept(tcp).await?;
//!     let mut request = Vec::new();
//!     tls.read_to_end(&mut request).await?; // Ok(0) after the peer's close_notify
//!     tls.write_all(b"pong").await?; // writing after the peer's close_notify is fine
//!     tls.close().await?; // our close_notify, then the transport's FIN
//!     Ok::<_, std::io::Error>(request)
//! });
//!
//! let tcp = TcpStream::connect(addr).await?;
//! let name = ServerName::try_from("localhost").unwrap();
//! let mut tls = connector.connect(name, tcp).await?;
//! assert_eq!(tls.get_ref().1.protocol_version(), Some(rustls::ProtocolVersion::TLSv1_3));
//! tls.write_all(b"ping").await?;
//! tls.close().await?; // close_notify: the server's read_to_end ends
//! let mut reply = Vec::new();
//! tls.read_to_end(&mut reply).await?; // reading still works after our own close
//! assert_eq!(reply, b"pong");
//! assert_eq!(server.await.unwrap()?, b"ping");
//! # Ok::<_, std::io::Error>(())
//! # }).unwrap();
//! ```
//!
//! - [`TlsAcceptor`] / [`TlsConnector`] wrap an `Arc<ServerConfig>` / `Arc<ClientConfig>`;
//!   [`accept`](TlsAcceptor::accept) and [`connect`](TlsConnector::connect) return
//!   futures that resolve to a [`server::TlsStream`] / [`client::TlsStream`] once the
//!   handshake is complete and flushed.
//! - The streams are futures-io `AsyncRead + AsyncWrite` over any futures-io
//!   `AsyncRead + AsyncWrite + Unpin` transport, and tokio's too under the `tokio-io`
//!   feature. `get_ref().1` is the rustls connection: SNI (`server_name()`), ALPN
//!   (`alpn_protocol()`), `negotiated_cipher_suite()`, `protocol_version()`,
//!   `handshake_kind()` (full or resumed).
//! - [`LazyConfigAcceptor`] reads the ClientHello before a config is chosen (SNI routing);
//!   [`StartHandshake::into_stream`] finishes with the chosen one.
//!
//! # The close contract
//!
//! In 2025 a TLS proxy spun for hours: rustls <= 0.23.5 processed a close_notify followed
//! by a partial record in the same socket read, then reported `wants_read() == false` and
//! `WouldBlock`; tokio-rustls answered with `wake_by_ref()` + `Pending`, so the task woke
//! itself forever and never read its socket again. Here:
//!
//! 1. **`Pending` only from the transport.** A `poll_*` of this crate returns `Pending`
//!    only after the transport returned `Pending` in the same call, which registered the
//!    waker with a real event source (the reactor). There is no self-wake anywhere. When
//!    rustls holds work the stream loops; when rustls wants nothing and has nothing, the
//!    states below answer.
//! 2. **After the peer's close_notify**, reads deliver exactly the plaintext that preceded
//!    it, then `Ok(0)` (EOF) on every later read. The transport is never read again, and
//!    bytes after the close_notify (even in the same socket read, even a complete record)
//!    are never delivered: rustls discards them, and the stream feeds it nothing more.
//! 3. **TCP EOF without close_notify** (a truncation: the peer, or an attacker, cut the
//!    stream) is an error: once the plaintext that did arrive is drained, every read
//!    returns `Err` of kind `io::ErrorKind::UnexpectedEof`. Protocols that delimit their
//!    own messages (HTTP with a length) may choose to treat it as EOF; this crate never
//!    silently does.
//! 4. **Writing after the peer's close_notify** works: a server can still send its response
//!    and then its own close_notify. Closing is per direction: `poll_close` sends our
//!    close_notify, flushes it, and shuts the transport's write side (`poll_close` of the
//!    transport: a TCP FIN); reads go on until the peer's close_notify. Writes after our
//!    own `poll_close` fail with `BrokenPipe`.
//! 5. **Errors.** A rustls error (bad record, fatal alert received, failed certificate
//!    check) becomes `io::Error` of kind `InvalidData` wrapping the `rustls::Error`, after
//!    one attempt to write and flush the alert rustls queued (without waiting for a slow
//!    peer). It is sticky: reads first deliver the plaintext of the records authenticated
//!    before the bad one, then return it on every call; writes, flushes and closes return
//!    it at once.
//!    A transport whose `poll_write` returns `Ok(0)` yields `WriteZero`.
//! 6. **Flush.** `poll_write` hands plaintext to rustls and pushes what the transport takes
//!    at once; rustls buffers the rest (up to its 64 KiB limit, then `poll_write` waits for
//!    the transport). Call `flush` or `close` to be sure bytes left: dropping a stream drops
//!    what rustls still holds, and sends no close_notify.
//! 7. **Progress.** Decrypting plaintext for a reader, encrypting a writer's plaintext and
//!    processing handshake bytes call `wakeful::task::progress()`, so the runtime's spin
//!    accounting sees TLS work as work.
//!
//! Handshakes follow the same rules: EOF before the end is `UnexpectedEof`, a close_notify
//! mid-handshake is `UnexpectedEof`, rustls errors are `InvalidData` after their alert.
//!
//! # Crypto provider
//!
//! The workspace builds rustls with **aws-lc-rs** and no other provider (`aws_lc_rs` and
//! `prefer-post-quantum` features; rcgen and tokio-rustls likewise). Why:
//! - it is rustls's default, so `ServerConfig::builder()` works without installing a
//!   process-wide provider, and tokio-rustls (the benchmark's baseline) uses the same one
//!   with its defaults; enabling exactly one provider in the build avoids rustls's
//!   "no process-level CryptoProvider" panic that two providers cause;
//! - it negotiates the post-quantum hybrid key exchange X25519MLKEM768 (a proxy's traffic
//!   recorded today should not be decryptable later), which *ring* does not implement;
//! - its ECDSA P-256 signing and AES-GCM are at least as fast as *ring*'s here, and a FIPS
//!   build (`fips` feature) is available for deployments that need it.
//!
//! The cost is build time: aws-lc-sys compiles a C library (about 90 s on 2 cores, with
//! gcc alone; no cmake, nasm or bindgen needed on Linux x86-64). This crate itself names
//! no provider: it takes whatever configs it is given, so a `ring` build of rustls works
//! unchanged.
//!
//! [wakeful]: https://example.invalid/wakeful
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod acceptor;
pub mod client;
mod common;
pub mod server;
#[cfg(feature = "tokio-io")]
mod tokio_io;

pub use acceptor::{LazyConfigAcceptor, StartHandshake};
pub use client::{Connect, TlsConnector};
pub use rustls;
pub use server::{Accept, TlsAcceptor};
