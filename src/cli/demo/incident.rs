//! The 2025 incident pattern, sent at the proxy by raw rustls clients on std sockets.
//!
//! Each client finishes a TLS 1.3 handshake, then sends in **one TCP write** a request, its
//! close_notify, and a trailer (the five of `incident_wire`), and ends with a FIN (then
//! reads the answer) or a RST. Against tokio-rustls 0.26.0 over rustls 0.23.5 that input
//! made the server task wake itself forever; against wakeful-tls the proxy reads EOF after
//! the request, relays the answer, and closes.
use super::cert::server_name;
use super::incident_wire::{incident_wire, Trailer, TRAILERS};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;
use wakeful::tls::rustls::{ClientConfig, ClientConnection};

/// The outcome of one run of every trailer with a FIN and with a RST.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// FIN clients that got the upstream's answer and the proxy's close_notify.
    pub(crate) answered: usize,
    pub(crate) fin_sent: usize,
    pub(crate) rst_sent: usize,
    pub(crate) failures: Vec<String>,
}

/// Runs the ten connections one after the other (blocking: call it off the runtime).
pub(crate) fn run(proxy: SocketAddr, tls: Arc<ClientConfig>) -> Outcome {
    let mut out = Outcome::default();
    for trailer in TRAILERS {
        let what = trailer.describe();
        for fin in [true, false] {
            match one(proxy, tls.clone(), trailer, fin) {
                Ok(true) => out.answered += 1,
                Ok(false) => {}
                Err(e) => out
                    .failures
                    .push(format!("{what}, {}: {e}", if fin { "FIN" } else { "RST" })),
            }
            if fin {
                out.fin_sent += 1;
            } else {
                out.rst_sent += 1;
            }
        }
    }
    out
}

/// One connection; `Ok(true)` if a FIN client got a 200 and a close_notify.
fn one(proxy: SocketAddr, tls: Arc<ClientConfig>, trailer: Trailer, fin: bool) -> io::Result<bool> {
    let mut tcp = TcpStream::connect(proxy)?;
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut conn = ClientConnection::new(tls, server_name()).map_err(io::Error::other)?;
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp)?;
    }
    let wire = incident_wire(&mut conn, trailer)?;
    if tcp.write(&wire)? != wire.len() {
        return Err(io::Error::other("loopback took a short write"));
    }
    if !fin {
        // Wait for bytes we will not read (session tickets, or the answer): closing with
        // them unread makes the kernel send a RST.
        let mut one = [0u8; 1];
        tcp.peek(&mut one)?;
        return Ok(false);
    }
    tcp.shutdown(Shutdown::Write)?;
    let answer = read_to_close_notify(&mut tcp, &mut conn)?;
    if answer.starts_with(b"HTTP/1.1 200") {
        Ok(true)
    } else {
        Err(io::Error::other("the answer was not a 200"))
    }
}

/// The plaintext up to the peer's close_notify (an error if the TCP stream ends first).
fn read_to_close_notify(tcp: &mut TcpStream, conn: &mut ClientConnection) -> io::Result<Vec<u8>> {
    let mut plain = Vec::new();
    loop {
        let mut chunk = [0u8; 4096];
        match conn.reader().read(&mut chunk) {
            Ok(0) => return Ok(plain),
            Ok(n) => {
                plain.extend_from_slice(&chunk[..n]);
                continue;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
        if conn.read_tls(tcp)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the proxy closed without close_notify",
            ));
        }
        conn.process_new_packets().map_err(io::Error::other)?;
    }
}
