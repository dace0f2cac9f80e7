//! The 2025 incident on the wire, for the `tls_*` and `proxy_*` tests: a request, the
//! client's close_notify, and then a trailer in the same TCP write.
//!
//! `tests/tls_support/` and `tests/proxy_support/` include this file with `#[path]` and
//! re-export it, so `tls_incident.rs` (wakeful-tls on its own) and `proxy_incident.rs` (the
//! `wakeful proxy` binary) send exactly the same bytes, built by the same code as
//! `wakeful demo` sends (`src/cli/demo/incident_wire.rs`, included here). The wrappers
//! below panic where the builder returns an error: a test has nobody to report to.
use std::io::Write;
use std::net::TcpStream;
use wakeful::tls::rustls::ClientConnection;

#[path = "../../src/cli/demo/incident_wire.rs"]
mod wire;
#[allow(unused_imports, reason = "each test binary uses a different subset")]
pub use wire::{Trailer, AFTER_CLOSE, REQUEST, TRAILERS};

/// Everything `conn` has queued to send.
pub fn take_tls(conn: &mut ClientConnection) -> Vec<u8> {
    wire::take_tls(conn).expect("rustls wrote its records")
}

/// Writes all of `bytes` with one `write` call (the incident's "same TCP write").
pub fn write_once(tcp: &mut TcpStream, bytes: &[u8]) {
    let n = tcp.write(bytes).unwrap();
    assert_eq!(n, bytes.len(), "loopback took a short write");
}

/// The bytes of the incident on `conn`, a handshaken client: [`REQUEST`], close_notify,
/// then `trailer`. Send them with [`write_once`].
pub fn incident_wire(conn: &mut ClientConnection, trailer: Trailer) -> Vec<u8> {
    wire::incident_wire(conn, trailer).expect("the incident's bytes")
}
