//! What a proxy needs from the handshake, through the public API: session resumption
//! (TLS 1.3 tickets, TLS 1.2 session ids), ALPN (agreed, and refused), SNI (seen by the
//! server; routing with `LazyConfigAcceptor`), the negotiated suite, and tokio's traits
//! (the `tokio-io` feature).
mod tls_support;

use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use std::io;
use std::sync::Arc;
use tls_support::*;
use wakeful::net::{TcpListener, TcpStream};
use wakeful::tls::rustls::{HandshakeKind, ServerConfig, SupportedProtocolVersion};
use wakeful::tls::{LazyConfigAcceptor, TlsAcceptor, TlsConnector};

fn resumption(versions: &[&'static SupportedProtocolVersion]) {
    let _guard = watchdog("resumption", 60);
    let pki = Pki::new();
    let acceptor = TlsAcceptor::from(server_config(&pki.leaf(&["localhost"]), versions, &[]));
    let connector = TlsConnector::from(client_config(&pki, versions, &[]));
    let rt = rt();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let server = rt.spawn(async move {
        let mut kinds = Vec::new();
        for _ in 0..2 {
            let (tcp, _) = listener.accept().await?;
            let mut tls = acceptor.accept(tcp).await?;
            kinds.push(tls.get_ref().1.handshake_kind());
            let mut req = Vec::new();
            tls.read_to_end(&mut req).await?;
            tls.write_all(b"ok").await?;
            tls.close().await?;
        }
        io::Result::Ok(kinds)
    });
    let client_kinds = rt
        .block_on(async move {
            let mut kinds = Vec::new();
            for _ in 0..2 {
                let tcp = TcpStream::connect(addr).await?;
                let mut tls = connector.connect(name("localhost"), tcp).await?;
                kinds.push(tls.get_ref().1.handshake_kind());
                tls.write_all(b"hi").await?;
                tls.close().await?;
                // Reading to the end also takes in the TLS 1.3 tickets.
                let mut reply = Vec::new();
                tls.read_to_end(&mut reply).await?;
                assert_eq!(reply, b"ok");
            }
            io::Result::Ok(kinds)
        })
        .unwrap();
    let server_kinds = rt.block_on(server).unwrap().unwrap();
    let expected = vec![Some(HandshakeKind::Full), Some(HandshakeKind::Resumed)];
    assert_eq!(client_kinds, expected);
    assert_eq!(server_kinds, expected);
}

#[test]
fn session_resumption_tls13() {
    resumption(TLS13);
}

#[test]
fn session_resumption_tls12() {
    resumption(TLS12);
}

#[test]
fn alpn_is_agreed_and_visible() {
    let _guard = watchdog("alpn_is_agreed_and_visible", 60);
    let pki = Pki::new();
    let leaf = pki.leaf(&["localhost"]);
    let rt = rt();
    for versions in [TLS13, TLS12] {
        let (server, client) = pair(
            &rt,
            server_config(&leaf, versions, &[b"h2", b"http/1.1"]),
            client_config(&pki, versions, &[b"http/1.1"]),
            "localhost",
        )
        .unwrap();
        assert_eq!(server.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
        assert_eq!(client.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    }
}

#[test]
fn alpn_mismatch_fails_both_sides() {
    let _guard = watchdog("alpn_mismatch_fails_both_sides", 60);
    let pki = Pki::new();
    let rt = rt();
    let acceptor = TlsAcceptor::from(server_config(&pki.leaf(&["localhost"]), TLS13, &[b"h2"]));
    let connector = TlsConnector::from(client_config(&pki, TLS13, &[b"h3"]));
    let (server, client) = rt.block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accept = async {
            let (tcp, _) = listener.accept().await.unwrap();
            acceptor.accept(tcp).await.map(drop)
        };
        let connect = async {
            let tcp = TcpStream::connect(addr).await.unwrap();
            connector.connect(name("localhost"), tcp).await.map(drop)
        };
        futures_util::future::join(accept, connect).await
    });
    let (server, client) = (server.unwrap_err(), client.unwrap_err());
    assert_eq!(server.kind(), io::ErrorKind::InvalidData, "{server}");
    // The client learns why: the server's alert arrived before its FIN.
    assert_eq!(client.kind(), io::ErrorKind::InvalidData, "{client}");
    assert!(
        client.to_string().contains("NoApplicationProtocol"),
        "{client}"
    );
}

#[test]
fn sni_and_suite_are_visible() {
    let _guard = watchdog("sni_and_suite_are_visible", 60);
    let pki = Pki::new();
    let leaf = pki.leaf(&["a.test", "b.test"]);
    let rt = rt();
    for versions in [TLS13, TLS12] {
        let (server, client) = pair(
            &rt,
            server_config(&leaf, versions, &[]),
            client_config(&pki, versions, &[]),
            "b.test",
        )
        .unwrap();
        let (s, c) = (server.get_ref().1, client.get_ref().1);
        assert_eq!(s.server_name(), Some("b.test"));
        let suite = s.negotiated_cipher_suite().expect("a suite");
        assert_eq!(
            Some(suite.suite()),
            c.negotiated_cipher_suite().map(|c| c.suite())
        );
        assert_eq!(suite.version().version, versions[0].version);
    }
}

/// Routes on the ClientHello's SNI: each name gets its own certificate (the client checks
/// it), and an unknown name is refused.
#[test]
fn sni_routing_with_lazy_acceptor() {
    let _guard = watchdog("sni_routing_with_lazy_acceptor", 60);
    let pki = Pki::new();
    let a = server_config(&pki.leaf(&["a.test"]), TLS13, &[]);
    let b = server_config(&pki.leaf(&["b.test"]), TLS13, &[]);
    let connector = TlsConnector::from(client_config(&pki, TLS13, &[]));
    let rt = rt();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let route = move |sni: Option<&str>| -> Option<Arc<ServerConfig>> {
        match sni? {
            "a.test" => Some(a.clone()),
            "b.test" => Some(b.clone()),
            _ => None,
        }
    };
    let server = rt.spawn(async move {
        let mut seen = Vec::new();
        for _ in 0..3 {
            let (tcp, _) = listener.accept().await?;
            let start = LazyConfigAcceptor::new(tcp).await?;
            let sni = start.client_hello().server_name().map(str::to_owned);
            let Some(config) = route(sni.as_deref()) else {
                seen.push(format!("refused {sni:?}"));
                continue; // dropping the transport closes it
            };
            let mut tls = start.into_stream(config).await?;
            tls.write_all(sni.as_deref().unwrap().as_bytes()).await?;
            tls.close().await?;
            seen.push(tls.get_ref().1.server_name().unwrap().to_owned());
        }
        io::Result::Ok(seen)
    });
    let answers = rt.block_on(async move {
        let mut answers = Vec::new();
        for host in ["b.test", "a.test", "c.test"] {
            let tcp = TcpStream::connect(addr).await.unwrap();
            let res = async {
                let mut tls = connector.connect(name(host), tcp).await?;
                let mut reply = String::new();
                tls.read_to_string(&mut reply).await?;
                io::Result::Ok(reply)
            }
            .await;
            answers.push(res.map_err(|e| e.kind()));
        }
        answers
    });
    assert_eq!(answers[0], Ok("b.test".to_string()));
    assert_eq!(answers[1], Ok("a.test".to_string()));
    assert_eq!(answers[2], Err(io::ErrorKind::UnexpectedEof));
    let seen = rt.block_on(server).unwrap().unwrap();
    assert_eq!(seen, ["b.test", "a.test", "refused Some(\"c.test\")"]);
}

/// The streams implement tokio's traits too (`tokio-io`), with the same close contract.
#[test]
fn tokio_traits() {
    use tokio::io::{AsyncReadExt as TokioRead, AsyncWriteExt as TokioWrite};
    let _guard = watchdog("tokio_traits", 60);
    let pki = Pki::new();
    let rt = rt();
    let (mut server, mut client) = pair(
        &rt,
        server_config(&pki.leaf(&["localhost"]), TLS13, &[]),
        client_config(&pki, TLS13, &[]),
        "localhost",
    )
    .unwrap();
    let got = rt.block_on(async move {
        TokioWrite::write_all(&mut client, b"via tokio").await?;
        TokioWrite::shutdown(&mut client).await?;
        let mut got = Vec::new();
        TokioRead::read_to_end(&mut server, &mut got).await?;
        let mut buf = [0u8; 8];
        assert_eq!(
            TokioRead::read(&mut server, &mut buf[..]).await?,
            0,
            "EOF stays EOF"
        );
        TokioWrite::write_all(&mut server, b"!").await?;
        TokioWrite::shutdown(&mut server).await?;
        let mut reply = Vec::new();
        TokioRead::read_to_end(&mut client, &mut reply).await?;
        assert_eq!(reply, b"!");
        io::Result::Ok(got)
    });
    assert_eq!(got.unwrap(), b"via tokio");
}
