//! Swap-in: unmodified tokio-rustls runs on wakeful (through the `tokio-io` traits of
//! `wakeful::net::TcpStream`), and the ported proxy of `docs/porting-from-tokio.md` builds,
//! proxies real TLS traffic, and differs from its tokio original by fewer than 30 lines.
mod tls_support;

#[allow(
    dead_code,
    reason = "its `main` is the example's entry point, unused here"
)]
#[path = "../examples/wakeful_tls_proxy.rs"]
mod ported;

use std::io::{Read, Write};
use tls_support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// tokio-rustls server and client, both on wakeful sockets and tasks.
#[test]
fn tokio_rustls_server_and_client_run_on_wakeful() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["localhost"]);
    let acceptor = tokio_rustls::TlsAcceptor::from(server_config(&leaf, TLS13, &[]));
    let connector = tokio_rustls::TlsConnector::from(client_config(&pki, TLS13, &[]));
    let rt = rt();
    let echoed = rt.block_on(async move {
        let listener = wakeful::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let server = wakeful::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut tls = acceptor.accept(tcp).await.unwrap();
            let mut buf = vec![0u8; 5];
            tls.read_exact(&mut buf).await.unwrap();
            tls.write_all(&buf).await.unwrap();
            tls.shutdown().await.unwrap();
        });
        let tcp = wakeful::net::TcpStream::connect(addr).await.unwrap();
        let mut tls = connector.connect(name("localhost"), tcp).await.unwrap();
        tls.write_all(b"hello").await.unwrap();
        let mut out = Vec::new();
        tls.read_to_end(&mut out).await.unwrap();
        server.await.unwrap();
        out
    });
    assert_eq!(echoed, b"hello");
    assert_eq!(rt.spin_report().runtime.flagged_total, 0);
}

/// The ported example proxies TLS traffic to a plain upstream, both ways.
#[test]
fn ported_proxy_example_proxies_traffic() {
    let pki = Pki::new();
    let leaf = pki.leaf(&["localhost"]);
    let acceptor = tokio_rustls::TlsAcceptor::from(server_config(&leaf, TLS13, &[]));
    // Upstream: a plain echo server on a std thread.
    let upstream = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream_addr = upstream.local_addr().unwrap();
    std::thread::spawn(move || {
        let (mut s, _) = upstream.accept().unwrap();
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => s.write_all(&buf[..n]).unwrap(),
            }
        }
    });
    let rt = rt();
    let listener = rt
        .block_on(wakeful::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let proxy_addr = listener.local_addr().unwrap();
    rt.spawn(ported::serve(listener, upstream_addr, acceptor));
    // A rustls client on a std socket, through the proxy.
    let conn =
        rustls::ClientConnection::new(client_config(&pki, TLS13, &[]), name("localhost")).unwrap();
    let tcp = std::net::TcpStream::connect(proxy_addr).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let msg = b"through the ported proxy";
    tls.write_all(msg).unwrap();
    let mut got = vec![0u8; msg.len()];
    tls.read_exact(&mut got).unwrap();
    assert_eq!(&got, msg);
    // The connection task is named as the port names it, and nothing spun.
    let report = rt.spin_report_all();
    assert!(
        report.tasks.iter().any(|t| t
            .name
            .as_deref()
            .is_some_and(|n| n.starts_with("conn 127.0.0.1:"))),
        "{report}"
    );
    assert_eq!(report.runtime.flagged_total, 0);
}

/// Lines changed between two texts: the lines of each not in their longest common subsequence.
fn changed_lines(a: &str, b: &str) -> usize {
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    (a.len() - lcs[0][0]) + (b.len() - lcs[0][0])
}

#[test]
fn the_port_changes_fewer_than_30_lines() {
    let tokio = include_str!("../examples/tokio_tls_proxy.rs");
    let wakeful = include_str!("../examples/wakeful_tls_proxy.rs");
    let changed = changed_lines(tokio, wakeful);
    assert!(changed > 0 && changed < 30, "{changed} changed lines");
    assert_eq!(changed_lines("a\nb\nc", "a\nx\nc"), 2, "the counter itself");
}
