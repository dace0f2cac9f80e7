//! The 2025 incident bytes against wakeful-tls, through `wakeful::test`: the server stream,
//! over the scripted transport, receives "last words", a `close_notify` and the first four
//! bytes of another record in one read. The pre-fix tokio-rustls spins on exactly this
//! (`examples/incident-2025/`); wakeful-tls must pass `assert_no_futile_loop!`, read the
//! plaintext, then return EOF on every read without touching its transport again.
use std::io::Write;
use std::sync::Arc;
use std::task::Poll;
use wakeful::test::mock::{Builder, Handle, MockIo};
use wakeful::test::{assert_no_futile_loop, assert_pending_and_registered, AsIo, Probe, Step};
use wakeful::tls::server::TlsStream;

/// The first four of five header bytes of a TLS 1.3 record: application data, legacy
/// version 3.3, length high byte 1. The rest never comes.
const PARTIAL_RECORD: [u8; 4] = [0x17, 0x03, 0x03, 0x01];

fn configs() -> (Arc<rustls::ServerConfig>, Arc<rustls::ClientConfig>) {
    let key = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = key.cert.der().clone();
    let private =
        rustls::pki_types::PrivatePkcs8KeyDer::from(key.signing_key.serialize_der()).into();
    let server = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], private)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let client = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (Arc::new(server), Arc::new(client))
}

/// Delivers everything the client has to send, in one read.
fn client_to_server(client: &mut rustls::ClientConnection, peer: &Handle) {
    let mut wire = Vec::new();
    while client.wants_write() {
        client.write_tls(&mut wire).unwrap();
    }
    if !wire.is_empty() {
        peer.deliver(wire);
    }
}

/// Feeds the client everything the server wrote.
fn server_to_client(client: &mut rustls::ClientConnection, peer: &Handle) {
    let written = peer.take_written();
    let mut rd = &written[..];
    while !rd.is_empty() {
        client.read_tls(&mut rd).unwrap();
        client.process_new_packets().unwrap();
    }
}

/// `wakeful::tls::TlsAcceptor::accept` over the mock transport, driven by a probe (which
/// checks every round for a futile loop), against an in-memory rustls client.
fn handshake() -> (TlsStream<MockIo>, rustls::ClientConnection, Handle) {
    let (server_config, client_config) = configs();
    let (io, peer) = Builder::new().build();
    let mut client =
        rustls::ClientConnection::new(client_config, "localhost".try_into().unwrap()).unwrap();
    let mut accept = Probe::new(wakeful::tls::TlsAcceptor::from(server_config).accept(io));
    for _ in 0..16 {
        client_to_server(&mut client, &peer);
        let done = assert_no_futile_loop!(accept, 16);
        server_to_client(&mut client, &peer);
        if let Some(stream) = done {
            assert!(!client.is_handshaking());
            return (stream.unwrap(), client, peer);
        }
        assert!(
            accept.waker_clones() > 0,
            "the handshake waits on its transport"
        );
    }
    panic!("the handshake did not complete in 16 round trips");
}

/// A server stream whose client sent "last words", a close_notify and `extra`, in one read.
fn server_after_close_notify(extra: &[u8]) -> (Probe<TlsStream<MockIo>, AsIo>, Handle) {
    let (server, mut client, peer) = handshake();
    client.writer().write_all(b"last words").unwrap();
    client.send_close_notify();
    let mut wire = Vec::new();
    while client.wants_write() {
        client.write_tls(&mut wire).unwrap();
    }
    wire.extend_from_slice(extra);
    peer.deliver(wire);
    (Probe::io(server), peer)
}

#[test]
fn close_notify_and_a_partial_record_in_one_read_is_eof_not_a_spin() {
    let (mut probe, peer) = server_after_close_notify(&PARTIAL_RECORD);
    let reads_before = peer.reads();
    assert!(matches!(assert_no_futile_loop!(probe, 100), Some(Ok(0))));
    assert_eq!(probe.received(), b"last words");
    assert_eq!(probe.stats().futile_polls, 0);
    // EOF on every later read, and the transport is never read again.
    for _ in 0..3 {
        assert!(matches!(probe.step(), Poll::Ready(Ok(0))));
    }
    assert_eq!(peer.reads(), reads_before + 1);
}

#[test]
fn a_complete_record_after_close_notify_is_never_delivered() {
    let (server, mut client, peer) = handshake();
    client.writer().write_all(b"before").unwrap();
    client.send_close_notify();
    let mut wire = Vec::new();
    while client.wants_write() {
        client.write_tls(&mut wire).unwrap();
    }
    // A well-formed record of the same connection after the close_notify: rustls can no
    // longer send one, so replay the bytes of the "before" record.
    let first_record_len = 5 + u16::from_be_bytes([wire[3], wire[4]]) as usize;
    let replay = wire[..first_record_len].to_vec();
    wire.extend_from_slice(&replay);
    peer.deliver(wire);
    let mut probe = Probe::io(server);
    assert!(matches!(assert_no_futile_loop!(probe, 100), Some(Ok(0))));
    assert_eq!(probe.received(), b"before");
}

#[test]
fn a_partial_record_without_close_notify_waits_on_the_transport() {
    let (server, _client, peer) = handshake();
    peer.deliver(PARTIAL_RECORD);
    let mut probe = Probe::io(server);
    assert!(assert_no_futile_loop!(probe, 100).is_none());
    assert_pending_and_registered!(probe);
    assert!(!probe.last().unwrap().self_woken());
    // The rest of the record arrives: the transport wakes the stream.
    peer.deliver([0u8; 1]);
    assert!(probe.is_woken());
}
