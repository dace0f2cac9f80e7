//! The in-memory peer for the incident tests: a rustls client that handshakes with a
//! `tokio_rustls::server::TlsStream` over [`wakeful_test::mock::MockIo`], byte for byte,
//! without a socket.
//!
//! This crate pins tokio-rustls 0.26.0 and rustls 0.23.5, the versions with the
//! close_notify spin, on purpose: see `README.md`.
use std::sync::Arc;
use std::task::Poll;
use tokio_rustls::server::TlsStream;
use wakeful_test::mock::{self, Handle, MockIo};
use wakeful_test::Probe;

/// A server stream that completed its handshake, and the client on the other side.
pub struct Connected {
    /// The server stream under test, over the mock transport.
    pub server: TlsStream<MockIo>,
    /// The client, in memory.
    pub client: rustls::ClientConnection,
    /// The transport's peer side: deliver the client's bytes, collect the server's.
    pub peer: Handle,
}

/// A self-signed certificate for `localhost`, its server config and a client config that
/// trusts it.
pub fn configs() -> (Arc<rustls::ServerConfig>, Arc<rustls::ClientConfig>) {
    let key = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
        .expect("rcgen makes a certificate");
    let cert = key.cert.der().clone();
    let private =
        rustls::pki_types::PrivatePkcs8KeyDer::from(key.signing_key.serialize_der()).into();
    let server = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], private)
        .expect("a valid server config");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).expect("a valid root");
    let client = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (Arc::new(server), Arc::new(client))
}

/// Runs `tokio_rustls::TlsAcceptor::accept` over a mock transport, driven by a probe,
/// shuttling bytes to and from an in-memory rustls client until the handshake completes.
pub fn handshake() -> Connected {
    let (server_config, client_config) = configs();
    let (io, peer) = mock::Builder::new().build();
    let mut client = rustls::ClientConnection::new(client_config, "localhost".try_into().unwrap())
        .expect("a client");
    let acceptor = tokio_rustls::TlsAcceptor::from(server_config);
    let mut accept = Probe::new(acceptor.accept(io));
    for _ in 0..16 {
        pump_client_to_server(&mut client, &peer);
        if let Poll::Ready(out) = accept.poll() {
            let server = out.expect("the handshake succeeds");
            pump_server_to_client(&mut client, &peer);
            assert!(
                !client.is_handshaking(),
                "the client finished its handshake"
            );
            return Connected {
                server,
                client,
                peer,
            };
        }
        assert!(
            accept.last().unwrap().clones_held > 0,
            "accept waits on the transport"
        );
        pump_server_to_client(&mut client, &peer);
    }
    panic!("the handshake did not complete in 16 round trips");
}

/// Delivers what the client has to send, in one read.
pub fn pump_client_to_server(client: &mut rustls::ClientConnection, peer: &Handle) {
    let mut wire = Vec::new();
    while client.wants_write() {
        client.write_tls(&mut wire).expect("writes to a Vec");
    }
    if !wire.is_empty() {
        peer.deliver(wire);
    }
}

/// Feeds the client what the server wrote.
pub fn pump_server_to_client(client: &mut rustls::ClientConnection, peer: &Handle) {
    let written = peer.take_written();
    let mut rd = &written[..];
    while !rd.is_empty() {
        client.read_tls(&mut rd).expect("reads from a slice");
        client
            .process_new_packets()
            .expect("the server's bytes are valid TLS");
    }
}
