//! Handshakes that cannot succeed end in a clean error (or, for the one that can, in
//! success), never in a spin or a hang. Each server runs as a [`spawn_checked`] task: its
//! polls are capped (`CountPolls` panics past `POLL_CAP`) and the spin report is checked
//! while it is alive. Where it matters, both server entry points are tested: the plain
//! [`TlsAcceptor`] and the [`LazyConfigAcceptor`] (ClientHello first, config second).
//!
//! - an alert right behind the ClientHello, in the same TCP write (fatal, and a
//!   close_notify), while the client keeps the connection open: `InvalidData`;
//! - a partial ClientHello, then FIN: `UnexpectedEof`;
//! - garbage (an HTTP request) instead of a ClientHello: `InvalidData`, and the client
//!   receives the server's alert;
//! - a ClientHello the config cannot serve (TLS 1.2 only vs 1.3 only): `InvalidData`, and
//!   the client receives the alert (for the lazy acceptor, from `into_stream`);
//! - a transport whose `poll_write` returns `Ok(0)`: `WriteZero`;
//! - a transport whose `poll_flush` returns `Pending` once (woken later from another
//!   thread): the handshake completes and data flows;
//! - a peer that stops reading mid-handshake (a ~9 MiB certificate chain, larger than the
//!   loopback socket buffers can hold): the server waits without spinning, and fails with
//!   the transport's error once the peer goes away. (The std socket cannot shrink its
//!   receive buffer without `unsafe`/extra crates, so the chain is sized from
//!   `/proc/sys/net/ipv4/tcp_{w,r}mem` to exceed both buffers instead.)
mod tls_support;

use futures_io::{AsyncRead, AsyncWrite};
use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tls_support::*;
use wakeful::net::{TcpListener, TcpStream};
use wakeful::tls::rustls::pki_types::CertificateDer;
use wakeful::tls::rustls::ServerConfig;
use wakeful::tls::{LazyConfigAcceptor, TlsAcceptor, TlsConnector};

const POLL_CAP: u64 = 64;

#[derive(Clone, Copy, Debug)]
enum Entry {
    Plain,
    Lazy,
}

/// The server handshake through `entry`, on any transport.
async fn accept<IO>(entry: Entry, io: IO, config: Arc<ServerConfig>) -> io::Result<()>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let mut tls = match entry {
        Entry::Plain => TlsAcceptor::from(config).accept(io).await?,
        Entry::Lazy => {
            let start = LazyConfigAcceptor::new(io).await?;
            assert_eq!(start.client_hello().server_name(), Some("localhost"));
            start.into_stream(config).await?
        }
    };
    // Only the flush-pending case gets here.
    let mut got = Vec::new();
    tls.read_to_end(&mut got).await?;
    assert_eq!(got, b"hello");
    tls.write_all(b"bye").await?;
    tls.close().await
}

struct Setup {
    rt: wakeful::runtime::Runtime,
    pki: Pki,
    config: Arc<ServerConfig>,
    listener: Option<TcpListener>,
    addr: std::net::SocketAddr,
}

fn setup() -> Setup {
    let pki = Pki::new();
    let config = server_config(&pki.leaf(&["localhost"]), TLS13, &[]);
    let rt = rt();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    Setup {
        rt,
        pki,
        config,
        listener: Some(listener),
        addr,
    }
}

/// Spawns a server that accepts one connection through `entry` over `wrap(tcp)`.
fn serve<IO, W>(s: &mut Setup, entry: Entry, wrap: W) -> Checked<io::Result<()>>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    W: FnOnce(TcpStream) -> IO + Send + 'static,
{
    let listener = s.listener.take().unwrap();
    let config = s.config.clone();
    spawn_checked(
        &s.rt,
        async move {
            let (tcp, _) = listener.accept().await?;
            accept(entry, wrap(tcp), config).await
        },
        POLL_CAP,
    )
}

fn alert_after_client_hello(entry: Entry, alert: [u8; 2]) {
    let _guard = watchdog("alert_after_client_hello", 60);
    let mut s = setup();
    let server = serve(&mut s, entry, |tcp| tcp);
    let mut wire = client_hello(client_config(&s.pki, TLS13, &[]));
    wire.extend_from_slice(&[0x15, 0x03, 0x03, 0x00, 0x02, alert[0], alert[1]]);
    let mut tcp = std::net::TcpStream::connect(s.addr).unwrap();
    write_once(&mut tcp, &wire);
    // The connection stays open: the server must end on the alert alone.
    let (res, _polls) = server.finish_quiet(&s.rt);
    let err = res.expect_err("an alert ends the handshake");
    assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
    drop(tcp);
}

#[test]
fn fatal_alert_after_client_hello() {
    alert_after_client_hello(Entry::Plain, [2, 40]); // fatal handshake_failure
}

#[test]
fn fatal_alert_after_client_hello_lazy() {
    alert_after_client_hello(Entry::Lazy, [2, 40]);
}

#[test]
fn close_notify_after_client_hello() {
    alert_after_client_hello(Entry::Plain, [1, 0]); // warning close_notify
}

#[test]
fn close_notify_after_client_hello_lazy() {
    alert_after_client_hello(Entry::Lazy, [1, 0]);
}

fn partial_client_hello_then_fin(entry: Entry) {
    let _guard = watchdog("partial_client_hello_then_fin", 60);
    let mut s = setup();
    let server = serve(&mut s, entry, |tcp| tcp);
    let hello = client_hello(client_config(&s.pki, TLS13, &[]));
    let mut tcp = std::net::TcpStream::connect(s.addr).unwrap();
    write_once(&mut tcp, &hello[..hello.len() / 2]);
    tcp.shutdown(std::net::Shutdown::Write).unwrap();
    let (res, _) = server.finish_quiet(&s.rt);
    let err = res.expect_err("half a ClientHello");
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{err}");
}

#[test]
fn partial_client_hello_then_fin_plain() {
    partial_client_hello_then_fin(Entry::Plain);
}

#[test]
fn partial_client_hello_then_fin_lazy() {
    partial_client_hello_then_fin(Entry::Lazy);
}

fn garbage_instead_of_client_hello(entry: Entry) {
    let _guard = watchdog("garbage_instead_of_client_hello", 60);
    let mut s = setup();
    let server = serve(&mut s, entry, |tcp| tcp);
    let mut tcp = std::net::TcpStream::connect(s.addr).unwrap();
    write_once(&mut tcp, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let (res, _) = server.finish_quiet(&s.rt);
    let err = res.expect_err("not TLS");
    assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
    // The alert went out before the error was reported; then the server closed.
    let mut answer = Vec::new();
    let _ = tcp.read_to_end(&mut answer);
    assert_eq!(answer.first(), Some(&0x15), "an alert record: {answer:?}");
}

#[test]
fn garbage_instead_of_client_hello_plain() {
    garbage_instead_of_client_hello(Entry::Plain);
}

#[test]
fn garbage_instead_of_client_hello_lazy() {
    garbage_instead_of_client_hello(Entry::Lazy);
}

/// A ClientHello the chosen config cannot serve (TLS 1.2 only, against TLS 1.3 only): for
/// the lazy acceptor this fails in `into_stream` (rustls's `into_connection`), whose alert
/// must still reach the client.
fn version_mismatch(entry: Entry) {
    let _guard = watchdog("version_mismatch", 60);
    let mut s = setup();
    let server = serve(&mut s, entry, |tcp| tcp);
    let mut tcp = std::net::TcpStream::connect(s.addr).unwrap();
    write_once(&mut tcp, &client_hello(client_config(&s.pki, TLS12, &[])));
    let (res, _) = server.finish_quiet(&s.rt);
    let err = res.expect_err("no common version");
    assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
    let mut answer = Vec::new();
    let _ = tcp.read_to_end(&mut answer);
    assert_eq!(answer.first(), Some(&0x15), "an alert record: {answer:?}");
}

#[test]
fn version_mismatch_plain() {
    version_mismatch(Entry::Plain);
}

#[test]
fn version_mismatch_lazy() {
    version_mismatch(Entry::Lazy);
}

/// A transport that accepts no bytes: `poll_write` returns `Ok(0)`.
struct ZeroWrite(TcpStream);

impl AsyncRead for ZeroWrite {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for ZeroWrite {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, _: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(0))
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_close(cx)
    }
}

fn transport_write_returns_zero(entry: Entry) {
    let _guard = watchdog("transport_write_returns_zero", 60);
    let mut s = setup();
    let server = serve(&mut s, entry, ZeroWrite);
    let hello = client_hello(client_config(&s.pki, TLS13, &[]));
    let mut tcp = std::net::TcpStream::connect(s.addr).unwrap();
    write_once(&mut tcp, &hello);
    let (res, _) = server.finish_quiet(&s.rt);
    let err = res.expect_err("the transport takes nothing");
    assert_eq!(err.kind(), io::ErrorKind::WriteZero, "{err}");
}

#[test]
fn transport_write_returns_zero_plain() {
    transport_write_returns_zero(Entry::Plain);
}

#[test]
fn transport_write_returns_zero_lazy() {
    transport_write_returns_zero(Entry::Lazy);
}

/// A transport whose first `poll_flush` returns `Pending`; another thread wakes the task a
/// moment later (a real event source, as a reactor would be).
struct FlushPendingOnce {
    inner: TcpStream,
    pended: Arc<AtomicU64>,
}

impl AsyncRead for FlushPendingOnce {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for FlushPendingOnce {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.pended.fetch_add(1, Ordering::Relaxed) == 0 {
            let waker = cx.waker().clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(5));
                waker.wake();
            });
            return Poll::Pending;
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

fn transport_flush_pending_once(entry: Entry) {
    let _guard = watchdog("transport_flush_pending_once", 60);
    let mut s = setup();
    let pended = Arc::new(AtomicU64::new(0));
    let p = pended.clone();
    let server = serve(&mut s, entry, move |inner| FlushPendingOnce {
        inner,
        pended: p,
    });
    let connector = TlsConnector::from(client_config(&s.pki, TLS13, &[]));
    let addr = s.addr;
    let reply = s.rt.block_on(async move {
        let tcp = TcpStream::connect(addr).await?;
        let mut tls = connector.connect(name("localhost"), tcp).await?;
        tls.write_all(b"hello").await?;
        tls.close().await?;
        let mut reply = Vec::new();
        tls.read_to_end(&mut reply).await?;
        io::Result::Ok(reply)
    });
    assert_eq!(reply.unwrap(), b"bye");
    let (res, _) = server.finish_quiet(&s.rt);
    res.expect("a flush that waits once is no failure");
    assert!(
        pended.load(Ordering::Relaxed) >= 2,
        "the Pending flush was retried"
    );
}

#[test]
fn transport_flush_pending_once_plain() {
    transport_flush_pending_once(Entry::Plain);
}

#[test]
fn transport_flush_pending_once_lazy() {
    transport_flush_pending_once(Entry::Lazy);
}

/// The `i`-th field of a `tcp_wmem`/`tcp_rmem` sysctl (min, default, max).
fn sysctl(path: &str, i: usize) -> usize {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| s.split_whitespace().nth(i)?.parse().ok())
        .unwrap_or(4 << 20)
}

#[test]
fn peer_stops_reading_mid_handshake() {
    let _guard = watchdog("peer_stops_reading_mid_handshake", 60);
    // What loopback can absorb: the server's send buffer (at most the `tcp_wmem` maximum)
    // plus the client's receive buffer, which stays near the `tcp_rmem` default while the
    // client reads nothing (autotuning grows it on reads). The chain must exceed it, and
    // fit TLS's 16 MiB limit.
    let wmem_max = sysctl("/proc/sys/net/ipv4/tcp_wmem", 2);
    let absorb = wmem_max + 4 * sysctl("/proc/sys/net/ipv4/tcp_rmem", 1);
    let pad = 1 << 20;
    let count = absorb / pad + 4;
    assert!(
        count * pad < 16 << 20,
        "socket buffers too large for this test: {absorb}"
    );
    let pki = Pki::new();
    let mut leaf = pki.leaf(&["localhost"]);
    // Extra chain entries are sent as they are; the peer never gets to parse them.
    leaf.chain
        .extend((0..count).map(|i| CertificateDer::from(vec![i as u8; pad])));
    let config = server_config(&leaf, TLS13, &[]);

    let rt = rt();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let server = spawn_checked(
        &rt,
        async move {
            let (tcp, _) = listener.accept().await?;
            TlsAcceptor::from(config).accept(tcp).await.map(drop)
        },
        POLL_CAP,
    );
    let mut tcp = std::net::TcpStream::connect(addr).unwrap();
    write_once(&mut tcp, &client_hello(client_config(&pki, TLS13, &[])));
    // Give the server time to fill the buffers and wait (not an assertion on time: it
    // cannot finish while we do not read, however long this takes).
    std::thread::sleep(Duration::from_millis(300));
    // The server is stuck writing: what reached us plus the most its send buffer can
    // hold is less than the chain.
    let mut window = vec![0u8; 16 << 20];
    let arrived = tcp.peek(&mut window).unwrap();
    assert!(
        arrived + wmem_max < count * pad,
        "the chain fit in the buffers: {arrived}"
    );
    let r = report(&rt, server.id());
    assert!(!r.flagged && r.wakes.self_ <= 4, "{r:?}");
    assert!(
        server.polls() <= 16,
        "{} polls while blocked",
        server.polls()
    );
    // The peer goes away with unread bytes: a reset.
    drop(tcp);
    let (res, polls) = server.finish_quiet(&rt);
    let err = res.expect_err("the peer is gone");
    assert!(
        matches!(
            err.kind(),
            io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
        ),
        "{err:?}"
    );
    assert!(polls <= POLL_CAP);
}

/// The client side of a handshake failure: a server that answers with garbage.
#[test]
fn client_gets_garbage_from_server() {
    let _guard = watchdog("client_gets_garbage_from_server", 60);
    let pki = Pki::new();
    let connector = TlsConnector::from(client_config(&pki, TLS13, &[]));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut tcp, _) = listener.accept().unwrap();
        let mut hello = [0u8; 16];
        let _ = tcp.read(&mut hello).unwrap();
        tcp.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").unwrap();
        // Keep the connection open until the client is done with it.
        let mut rest = Vec::new();
        let _ = tcp.read_to_end(&mut rest);
    });
    let rt = rt();
    let client = spawn_checked(
        &rt,
        async move {
            let tcp = TcpStream::connect(addr).await?;
            connector.connect(name("localhost"), tcp).await.map(drop)
        },
        POLL_CAP,
    );
    let (res, _) = client.finish_quiet(&rt);
    let err = res.expect_err("garbage");
    assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
    peer.join().unwrap();
}
