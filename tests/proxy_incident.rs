//! The 2025 incident, sent at `wakeful proxy`.
//!
//! A rustls client on a std socket finishes a TLS 1.3 handshake through the proxy, then
//! sends in **one TCP write** a request, its close_notify and a trailer:
//!
//! | trailer after the close_notify |
//! |--------------------------------|
//! | `17 03 03 01` (a record header cut short) |
//! | `17 03 03 01 00` + 10 bytes (a header announcing 256 bytes, and 10 of them) |
//! | a real application-data record, encrypted after the close_notify, minus its last byte |
//! | the same record, complete |
//! | nothing |
//!
//! and then a FIN (and reads the answer) or a RST. Asserted: the upstream receives exactly
//! the request, then EOF (the bytes after the close_notify never reach it); a FIN client
//! gets the upstream's answer and the proxy's close_notify; afterwards
//! `/debug/spin.json` shows no task ever flagged, `/debug/tasks.json` no flagged task, and
//! the proxy's descriptors (`/proc/<pid>/fd`) are back to where they started.
mod proxy_support;

use proxy_support::*;
use std::io::Read;
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

const ANSWER: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/// Sends the incident pattern; with `fin`, returns what the client read to the proxy's
/// close_notify.
fn incident(proxy: &Proxy, certs: &Certs, trailer: Trailer, fin: bool) -> Option<Vec<u8>> {
    let mut tcp = TcpStream::connect(proxy.addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut conn = rustls::ClientConnection::new(certs.client.clone(), localhost()).unwrap();
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp).unwrap();
    }
    assert_eq!(
        conn.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_3)
    );
    let wire = incident_wire(&mut conn, trailer);
    write_once(&mut tcp, &wire);
    if !fin {
        // Wait for bytes we will not read (session tickets, or the answer), so that
        // closing resets the connection.
        let mut one = [0u8; 1];
        assert_eq!(tcp.peek(&mut one).unwrap(), 1);
        return None;
    }
    tcp.shutdown(Shutdown::Write).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let mut answer = Vec::new();
    tls.read_to_end(&mut answer)
        .expect("the answer, ended by the proxy's close_notify");
    Some(answer)
}

#[test]
fn incident_pattern_with_every_trailer_is_served_and_nothing_spins() {
    let _guard = watchdog("incident_pattern", 120);
    let certs = Certs::new();
    let (up, received) = upstream::recording();
    let proxy = Proxy::start(ProxyOpts::new(up, &certs));

    // Warm up (first connection, first admin request), then take the fd baseline.
    assert_eq!(
        incident(&proxy, &certs, Trailer::Nothing, true).unwrap(),
        ANSWER
    );
    assert_eq!(received.recv().unwrap(), REQUEST);
    let _ = proxy.metrics();
    wait_until("the warm-up connection closed", 20, || {
        proxy.metric("wakeful_proxy_connections_active") == 0.0
    });
    let baseline = proxy.resting_fd_count();

    for trailer in TRAILERS {
        for fin in [true, false] {
            let answer = incident(&proxy, &certs, trailer, fin);
            let got = received
                .recv_timeout(Duration::from_secs(30))
                .expect("the upstream saw the connection end");
            if fin {
                assert_eq!(answer.unwrap(), ANSWER, "{trailer:?}: the answer");
                assert_eq!(got, REQUEST, "{trailer:?}: exactly the request, then EOF");
            } else {
                // A reset may cut the request short; the bytes after the close_notify
                // never surface either way.
                assert!(REQUEST.starts_with(&got), "{trailer:?} (RST): {got:?}");
            }
        }
    }

    wait_until("every incident connection closed", 30, || {
        proxy.metric("wakeful_proxy_connections_active") == 0.0
    });
    let spin = proxy.spin_json();
    assert_eq!(spin["runtime"]["flagged_total"], 0, "{spin:#}");
    assert_eq!(spin["tasks"].as_array().unwrap().len(), 0, "{spin:#}");
    let (status, tasks) = proxy.get("/debug/tasks.json");
    assert_eq!(status, 200);
    let tasks: serde_json::Value = serde_json::from_str(&tasks).unwrap();
    for t in tasks["tasks"].as_array().unwrap() {
        assert_eq!(t["flagged"], false, "{t:#}");
        assert_eq!(t["times_demoted"], 0, "{t:#}");
    }
    let m = proxy.metrics();
    let closed = |r: &str| m[&format!(r#"wakeful_proxy_connections_closed_total{{reason="{r}"}}"#)];
    // The warm-up and the five FIN clients completed; a reset client ends as a client
    // error, or as completed if the proxy had already answered and closed.
    assert!(closed("completed") >= 6.0, "{m:?}");
    assert_eq!(closed("completed") + closed("client_error"), 11.0, "{m:?}");
    assert_eq!(closed("handshake_failed"), 0.0, "{m:?}");
    proxy.wait_fds(baseline);
}
