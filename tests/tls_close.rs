//! The close contract beyond the incident (see the wakeful-tls crate docs): truncation is
//! `UnexpectedEof`, and stays so; a corrupted record is `InvalidData` after its alert went
//! out, and the error is sticky in both directions; writes after our own close fail with
//! `BrokenPipe` while reads go on; closing twice is fine. Plus the auto traits of the
//! public types.
mod tls_support;

use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use std::io::{self, Write};
use tls_support::*;
use wakeful::net::TcpListener;
use wakeful::tls::TlsAcceptor;

const POLL_CAP: u64 = 64;

/// A server reading one connection with a std rustls client on the other end; returns what
/// each read returned (data, or the error kind), up to the first error plus two more reads.
fn serve_reads(
    rt: &wakeful::runtime::Runtime,
    acceptor: TlsAcceptor,
    listener: TcpListener,
) -> Checked<(Vec<u8>, Vec<io::ErrorKind>, io::ErrorKind)> {
    spawn_checked(
        rt,
        async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut tls = acceptor.accept(tcp).await.unwrap();
            let mut got = Vec::new();
            let mut errors = Vec::new();
            let mut buf = [0u8; 1024];
            while errors.len() < 3 {
                match tls.read(&mut buf).await {
                    Ok(0) => panic!("EOF where an error was due"),
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(e) => errors.push(e.kind()),
                }
            }
            let write = tls.write_all(b"late").await.unwrap_err().kind();
            (got, errors, write)
        },
        POLL_CAP,
    )
}

#[test]
fn truncation_is_unexpected_eof_forever() {
    let _guard = watchdog("truncation_is_unexpected_eof_forever", 60);
    let pki = Pki::new();
    let acceptor = TlsAcceptor::from(server_config(&pki.leaf(&["localhost"]), TLS13, &[]));
    let rt = rt();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let server = spawn_checked(
        &rt,
        async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut tls = acceptor.accept(tcp).await.unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 1024];
            let mut errors = Vec::new();
            while errors.len() < 3 {
                match tls.read(&mut buf).await {
                    Ok(0) => panic!("a truncation reported as a clean EOF"),
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(e) => errors.push(e.kind()),
                }
            }
            // Our own direction still works: answer and close.
            tls.write_all(b"bye").await.unwrap();
            tls.close().await.unwrap();
            (got, errors)
        },
        POLL_CAP,
    );
    let (mut tcp, mut conn) = std_client(addr, client_config(&pki, TLS13, &[]));
    conn.writer().write_all(b"cut short").unwrap();
    write_once(&mut tcp, &take_tls(&mut conn));
    tcp.shutdown(std::net::Shutdown::Write).unwrap(); // FIN, no close_notify
    let (reply, ended) = std_read_to_end(&mut tcp, &mut conn);
    assert_eq!(reply, b"bye");
    ended.unwrap();
    let ((got, errors), _) = server.finish_quiet(&rt);
    assert_eq!(got, b"cut short");
    assert_eq!(errors, [io::ErrorKind::UnexpectedEof; 3]);
}

#[test]
fn corrupted_record_is_invalid_data_after_the_alert() {
    let _guard = watchdog("corrupted_record_is_invalid_data_after_the_alert", 60);
    let pki = Pki::new();
    let acceptor = TlsAcceptor::from(server_config(&pki.leaf(&["localhost"]), TLS13, &[]));
    let rt = rt();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let server = serve_reads(&rt, acceptor, listener);
    let (mut tcp, mut conn) = std_client(addr, client_config(&pki, TLS13, &[]));
    conn.writer().write_all(b"fine").unwrap();
    let mut wire = take_tls(&mut conn);
    conn.writer().write_all(b"tampered").unwrap();
    let mut bad = take_tls(&mut conn);
    let last = bad.len() - 1;
    bad[last] ^= 0x01; // the AEAD tag no longer matches
    wire.extend_from_slice(&bad);
    write_once(&mut tcp, &wire);
    let ((got, errors, write), _) = server.finish_quiet(&rt);
    assert_eq!(got, b"fine", "the record before the bad one is delivered");
    assert_eq!(errors, [io::ErrorKind::InvalidData; 3], "sticky");
    assert_eq!(write, io::ErrorKind::InvalidData, "sticky for writes too");
    // The alert reached the client before the server dropped the connection.
    let (_, ended) = std_read_to_end(&mut tcp, &mut conn);
    let e = ended.unwrap_err();
    assert!(e.to_string().contains("BadRecordMac"), "{e}");
}

#[test]
fn writes_after_close_fail_reads_go_on_close_twice_is_fine() {
    let _guard = watchdog("writes_after_close_fail", 60);
    let pki = Pki::new();
    let rt = rt();
    let (mut server, mut client) = pair(
        &rt,
        server_config(&pki.leaf(&["localhost"]), TLS13, &[]),
        client_config(&pki, TLS13, &[]),
        "localhost",
    )
    .unwrap();
    rt.block_on(async move {
        client.write_all(b"question").await.unwrap();
        client.close().await.unwrap();
        client.close().await.unwrap();
        let e = client.write_all(b"more").await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
        let mut q = Vec::new();
        server.read_to_end(&mut q).await.unwrap();
        assert_eq!(q, b"question");
        server.write_all(b"answer").await.unwrap();
        server.flush().await.unwrap();
        let mut a = [0u8; 6];
        client.read_exact(&mut a).await.unwrap();
        assert_eq!(&a, b"answer");
        server.close().await.unwrap();
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty());
    });
}

#[test]
fn public_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    use wakeful::net::TcpStream;
    use wakeful::tls::*;
    send_sync::<TlsAcceptor>();
    send_sync::<TlsConnector>();
    send_sync::<server::TlsStream<TcpStream>>();
    send_sync::<client::TlsStream<TcpStream>>();
    send::<Accept<TcpStream>>();
    send::<Connect<TcpStream>>();
    send::<LazyConfigAcceptor<TcpStream>>();
    send::<StartHandshake<TcpStream>>();
}
