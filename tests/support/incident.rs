//! The 2025 incident on the wire, for the `tls_*` and `proxy_*` tests: a request, the
//! client's close_notify, and then a trailer in the same TCP write.
//!
//! `tests/tls_support/` and `tests/proxy_support/` include this file with `#[path]` and
//! re-export it, so `tls_incident.rs` (wakeful-tls on its own) and `proxy_incident.rs` (the
//! `wakeful proxy` binary) send exactly the same bytes.
use rustls::ClientConnection;
use std::io::Write;
use std::net::TcpStream;

/// The request before the close_notify.
pub const REQUEST: &[u8] = b"GET /incident HTTP/1.1\r\nHost: localhost\r\n\r\n";
/// Plaintext encrypted after the close_notify: it must never surface.
pub const AFTER_CLOSE: &[u8] = b"POST-CLOSE BYTES THAT MUST NEVER SURFACE";

/// What follows the close_notify in the same write.
#[derive(Clone, Copy, Debug)]
pub enum Trailer {
    /// 4 of a record header's 5 bytes.
    HeaderCut,
    /// A whole header announcing 256 bytes, and 10 of them.
    HeaderAndTenBytes,
    /// A genuine application-data record sealed after the close_notify, less its last byte.
    RecordMinusOne,
    /// The same record, whole.
    Record,
    /// Nothing: a clean close.
    Nothing,
}

/// Every trailer.
pub const TRAILERS: [Trailer; 5] = [
    Trailer::HeaderCut,
    Trailer::HeaderAndTenBytes,
    Trailer::RecordMinusOne,
    Trailer::Record,
    Trailer::Nothing,
];

/// Everything `conn` has queued to send.
pub fn take_tls(conn: &mut ClientConnection) -> Vec<u8> {
    let mut out = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut out).unwrap();
    }
    out
}

/// Writes all of `bytes` with one `write` call (the incident's "same TCP write").
pub fn write_once(tcp: &mut TcpStream, bytes: &[u8]) {
    let n = tcp.write(bytes).unwrap();
    assert_eq!(n, bytes.len(), "loopback took a short write");
}

/// The bytes of the incident on `conn`, a handshaken client: [`REQUEST`], close_notify,
/// then `trailer`. Send them with [`write_once`].
pub fn incident_wire(conn: &mut ClientConnection, trailer: Trailer) -> Vec<u8> {
    conn.writer().write_all(REQUEST).unwrap();
    conn.send_close_notify();
    let mut wire = take_tls(conn);
    match trailer {
        Trailer::HeaderCut => wire.extend_from_slice(&[0x17, 0x03, 0x03, 0x01]),
        Trailer::HeaderAndTenBytes => {
            wire.extend_from_slice(&[0x17, 0x03, 0x03, 0x01, 0x00]);
            wire.extend_from_slice(&[0xAB; 10]);
        }
        Trailer::RecordMinusOne | Trailer::Record => {
            // rustls encrypts after its own close_notify: a genuine record, with the next
            // sequence number, that a careless reader would decrypt.
            conn.writer().write_all(AFTER_CLOSE).unwrap();
            let record = take_tls(conn);
            assert_eq!(record[0], 0x17, "an application-data record");
            let keep = match trailer {
                Trailer::Record => record.len(),
                _ => record.len() - 1,
            };
            wire.extend_from_slice(&record[..keep]);
        }
        Trailer::Nothing => {}
    }
    wire
}
