//! The 2025 incident, against the real tokio-rustls 0.26.0 / rustls 0.23.5: a peer sends
//! `close_notify` followed by the first four bytes of another record, in one read. rustls
//! says "closed" to `wants_read()` (so tokio-rustls stops reading the socket) and "would
//! block" to `reader().read()` (a record is incomplete), and tokio-rustls's fallback wakes
//! itself and returns `Pending`, forever. wakeful-test catches it in a plain `cargo test`.
use incident_2025::handshake;
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use tokio_rustls::server::TlsStream;
use wakeful_test::mock::{Handle, MockIo};
use wakeful_test::{assert_no_futile_loop, AsTokioIo, Probe};

/// The first four of five header bytes of a TLS 1.3 record: application data, legacy
/// version 3.3, length high byte 1. The rest never comes.
const PARTIAL_RECORD: [u8; 4] = [0x17, 0x03, 0x03, 0x01];

/// A server stream whose client sent "last words", then `close_notify` and `extra`, all in
/// one read; then the socket goes quiet.
fn server_after_close_notify(extra: &[u8]) -> (Probe<TlsStream<MockIo>, AsTokioIo>, Handle) {
    let mut c = handshake();
    c.client.writer().write_all(b"last words").unwrap();
    c.client.send_close_notify();
    let mut wire = Vec::new();
    while c.client.wants_write() {
        c.client.write_tls(&mut wire).unwrap();
    }
    wire.extend_from_slice(extra);
    c.peer.deliver(wire);
    (Probe::tokio_io(c.server), c.peer)
}

#[test]
fn the_kit_catches_the_pre_fix_tokio_rustls_close_notify_spin() {
    let (mut probe, peer) = server_after_close_notify(&PARTIAL_RECORD);
    let reads_before = peer.reads();
    let err = catch_unwind(AssertUnwindSafe(|| {
        assert_no_futile_loop!(probe, 100);
    }))
    .expect_err("wakeful-test must catch the spin");
    let msg = err.downcast_ref::<String>().expect("a formatted message");
    eprintln!("{msg}");
    assert!(
        msg.contains("futile loop in tokio_rustls::server::TlsStream<wakeful_test::mock::MockIo>"),
        "{msg}"
    );
    assert!(msg.contains("50 polls in a row"), "{msg}");
    // The site is tokio-rustls's self-wake fallback in `Stream::poll_read`.
    let site = msg
        .lines()
        .find_map(|l| l.trim().strip_prefix("self-wake at "))
        .expect("a self-wake site");
    assert!(site.contains("tokio_rustls::common::Stream"), "{site}");
    assert!(site.contains("poll_read"), "{site}");
    assert!(
        site.contains("tokio-rustls-0.26.0/src/common/mod.rs:"),
        "{site}"
    );
    // It read the data, then never read its socket again.
    assert_eq!(probe.received(), b"last words");
    assert_eq!(peer.reads(), reads_before + 1);
}

#[test]
fn without_the_partial_record_the_same_stream_reads_to_eof() {
    let (mut probe, _peer) = server_after_close_notify(&[]);
    assert!(matches!(assert_no_futile_loop!(probe, 100), Some(Ok(0))));
    assert_eq!(probe.received(), b"last words");
    assert_eq!(probe.stats().futile_polls, 0);
}
