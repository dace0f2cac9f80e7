//! The 2025 incident on the wire: a request, the client's close_notify, and then a trailer,
//! all to be sent in one TCP write.
//!
//! One builder for the demo (`super::incident`) and the tests: `tests/support/incident.rs`
//! includes this file with `#[path]`, so `tls_incident.rs`, `proxy_incident.rs` and
//! `wakeful demo` send exactly the same bytes. It needs nothing but std and rustls (through
//! `wakeful::tls::rustls`), and returns errors instead of panicking: the demo reports them.
use std::io::{self, Write};
use wakeful::tls::rustls::ClientConnection;

/// The request before the close_notify.
pub const REQUEST: &[u8] = b"GET /incident HTTP/1.1\r\nHost: localhost\r\n\r\n";
/// Plaintext encrypted after the close_notify: it must never surface.
pub const AFTER_CLOSE: &[u8] = b"POST-CLOSE BYTES THAT MUST NEVER SURFACE";

/// What follows the close_notify in the same write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

impl Trailer {
    /// What the trailer is, in words (the demo's report).
    pub fn describe(self) -> &'static str {
        match self {
            Trailer::HeaderCut => "a record header cut short",
            Trailer::HeaderAndTenBytes => "a header and 10 of its 256 bytes",
            Trailer::RecordMinusOne => "a real record minus its last byte",
            Trailer::Record => "a complete record",
            Trailer::Nothing => "nothing",
        }
    }
}

/// Everything `conn` has queued to send.
pub fn take_tls(conn: &mut ClientConnection) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut out)?;
    }
    Ok(out)
}

/// The bytes of the incident on `conn`, a handshaken client: [`REQUEST`], close_notify,
/// then `trailer`. Send them in one write.
pub fn incident_wire(conn: &mut ClientConnection, trailer: Trailer) -> io::Result<Vec<u8>> {
    conn.writer().write_all(REQUEST)?;
    conn.send_close_notify();
    let mut wire = take_tls(conn)?;
    match trailer {
        Trailer::HeaderCut => wire.extend_from_slice(&[0x17, 0x03, 0x03, 0x01]),
        Trailer::HeaderAndTenBytes => {
            wire.extend_from_slice(&[0x17, 0x03, 0x03, 0x01, 0x00]);
            wire.extend_from_slice(&[0xAB; 10]);
        }
        Trailer::RecordMinusOne | Trailer::Record => {
            // rustls encrypts after its own close_notify: a genuine record, with the next
            // sequence number, that a careless reader would decrypt.
            conn.writer().write_all(AFTER_CLOSE)?;
            let record = take_tls(conn)?;
            if record.first() != Some(&0x17) {
                return Err(io::Error::other(
                    "rustls sealed no application-data record after its close_notify",
                ));
            }
            let keep = match trailer {
                Trailer::Record => record.len(),
                _ => record.len() - 1,
            };
            wire.extend_from_slice(&record[..keep]);
        }
        Trailer::Nothing => {}
    }
    Ok(wire)
}
