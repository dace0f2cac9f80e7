//! The 2025 incident, replayed over a real loopback socket.
//!
//! A client built on rustls's `ClientConnection` and a std `TcpStream` completes a TLS 1.3
//! handshake with a wakeful-tls server, then sends, **in one TCP write**: a small request,
//! its close_notify, and a trailer:
//!
//! | case | trailer after the close_notify |
//! |------|--------------------------------|
//! | a    | `17 03 03 01` (a record header cut short) |
//! | b    | `17 03 03 01 00` + 10 bytes (a header announcing 256 bytes, and 10 of them) |
//! | c    | a real application-data record, encrypted after the close_notify, minus its last byte |
//! | d    | the same record, complete |
//! | e    | nothing |
//!
//! and then either a FIN (`shutdown(Write)`, after which the client reads the server's
//! answer to its end) or a RST (closing with unread bytes in its receive buffer, which
//! makes Linux reset the connection).
//!
//! The server task reads to EOF, reads three more times, writes a response and closes.
//! Asserted: it reads exactly the request and then EOF on every read; the post-close
//! bytes never surface; it finishes; its polls are few (`CountPolls` panics past
//! `POLL_CAP`, stopping a spinning task at once); the spin detector never flags or demotes
//! it (the report is taken while it is alive); with a FIN, the client receives the
//! response and the server's close_notify; and no file descriptor stays open.
mod tls_support;

use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use std::sync::atomic::Ordering;
use tls_support::*;
use wakeful::net::TcpListener;
use wakeful::tls::TlsAcceptor;

const RESPONSE: &[u8] = b"HTTP/1.1 204 No Content\r\n\r\n";
/// A handshake, a read or two and a close take well under 30 polls; a spin takes millions.
const POLL_CAP: u64 = 64;

#[derive(Clone, Copy, Debug, PartialEq)]
enum End {
    Fin,
    Rst,
}

fn incident(trailer: Trailer, end: End) {
    let _serial = serial();
    let _guard = watchdog("tls incident case", 60);
    let pki = Pki::new();
    let leaf = pki.leaf(&["localhost"]);
    let acceptor = TlsAcceptor::from(server_config(&leaf, TLS13, &[]));
    let client_config = client_config(&pki, TLS13, &[]);
    let fds_at_start = fd_count();
    let rt = rt();
    let fds_before = fd_count();

    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let (release_tx, release_rx) = futures_channel::oneshot::channel::<()>();
    let (server, polls) = CountPolls::new(
        async move {
            let (tcp, _) = listener.accept().await.unwrap();
            drop(listener);
            let mut tls = acceptor.accept(tcp).await.unwrap();
            let mut got = Vec::new();
            tls.read_to_end(&mut got).await.unwrap();
            let mut buf = [0u8; 256];
            for _ in 0..3 {
                assert_eq!(tls.read(&mut buf).await.unwrap(), 0, "EOF is final");
            }
            // Answer after the peer's close_notify, then close_notify + FIN of our own.
            let answered = async {
                tls.write_all(RESPONSE).await?;
                tls.close().await
            }
            .await;
            done_tx.send(()).unwrap();
            release_rx.await.unwrap();
            (got, answered)
        },
        POLL_CAP,
    );
    let server = rt.spawn(server);

    // The client: handshake, then request + close_notify + trailer in one write.
    let (mut tcp, mut conn) = std_client(addr, client_config);
    let wire = incident_wire(&mut conn, trailer);
    write_once(&mut tcp, &wire);

    let client_saw = match end {
        End::Fin => {
            tcp.shutdown(std::net::Shutdown::Write).unwrap();
            Some(std_read_to_end(&mut tcp, &mut conn))
        }
        End::Rst => {
            // Wait for bytes we will not read (the server's session tickets), so that
            // closing resets the connection.
            let mut one = [0u8; 1];
            assert_eq!(tcp.peek(&mut one).unwrap(), 1);
            None
        }
    };
    drop(tcp);

    done_rx.recv().unwrap();
    let r = assert_not_spinning(&rt, server.id().as_u64());
    assert_eq!(r.wakes.self_, 0, "self-wakes: {r:?}");
    release_tx.send(()).unwrap();
    let (got, answered) = rt.block_on(server).unwrap();

    assert_eq!(got, REQUEST, "exactly the request, then EOF");
    let polls = polls.load(Ordering::Relaxed);
    assert!(polls <= POLL_CAP, "{polls} polls");
    match end {
        End::Fin => {
            answered.expect("the response and close_notify after the peer's close_notify");
            let (plain, ended) = client_saw.unwrap();
            assert_eq!(plain, RESPONSE);
            ended.expect("the server's close_notify ended the stream");
        }
        // The reset may reach the server before or after it answers: either is fine, as
        // long as it finished.
        End::Rst => drop(answered),
    }

    assert_eq!(fd_count(), fds_before, "a socket stayed open");
    drop(rt);
    assert_eq!(fd_count(), fds_at_start, "a file descriptor stayed open");
}

#[test]
fn header_cut_fin() {
    incident(Trailer::HeaderCut, End::Fin);
}

#[test]
fn header_cut_rst() {
    incident(Trailer::HeaderCut, End::Rst);
}

#[test]
fn header_and_ten_bytes_fin() {
    incident(Trailer::HeaderAndTenBytes, End::Fin);
}

#[test]
fn header_and_ten_bytes_rst() {
    incident(Trailer::HeaderAndTenBytes, End::Rst);
}

#[test]
fn record_minus_one_byte_fin() {
    incident(Trailer::RecordMinusOne, End::Fin);
}

#[test]
fn record_minus_one_byte_rst() {
    incident(Trailer::RecordMinusOne, End::Rst);
}

#[test]
fn complete_record_fin() {
    incident(Trailer::Record, End::Fin);
}

#[test]
fn complete_record_rst() {
    incident(Trailer::Record, End::Rst);
}

#[test]
fn no_trailer_fin() {
    incident(Trailer::Nothing, End::Fin);
}

#[test]
fn no_trailer_rst() {
    incident(Trailer::Nothing, End::Rst);
}
