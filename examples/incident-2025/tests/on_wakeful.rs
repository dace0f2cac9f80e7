//! The 2025 incident in production shape: the pre-fix `tokio_rustls::server::TlsStream`
//! (tokio-rustls 0.26.0 over rustls 0.23.5) serving real loopback connections on the
//! wakeful runtime, through tokio's I/O traits on wakeful's sockets (`tokio-io`).
//!
//! Incident clients send a request, close_notify and the first four bytes of another record
//! in one TCP write, then go quiet: each server task wakes itself and returns `Pending`
//! forever, as the incident's proxy did. Asserted: wakeful flags every one of them within a
//! second, the report's `type_name` names `tokio_rustls::server::TlsStream`, the process
//! stays nearly idle while they spin (each is held to a backoff), and the well-behaved
//! clients that come after are all served.
//!
//! (wakeful-io and wakeful-executor directly, not the `wakeful` facade: the facade brings
//! wakeful-tls, whose rustls 0.23.46+ cannot share a build with the pinned 0.23.5.)
use incident_2025::configs;
use std::future::Future;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::server::TlsStream;
use wakeful_executor::task::Builder as TaskBuilder;
use wakeful_io::net::TcpListener;

const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
const PARTIAL_RECORD: [u8; 4] = [0x17, 0x03, 0x03, 0x01];
const SPINNERS: usize = 4;

/// A connection handler generic over its stream, as a proxy's would be: reads the request
/// to EOF, answers, shuts down. Its type name carries the stream's.
struct Serve<S> {
    stream: S,
    got: Vec<u8>,
    written: Option<usize>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Future for Serve<S> {
    type Output = io::Result<Vec<u8>>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        while this.written.is_none() {
            let mut chunk = [0u8; 1024];
            let mut buf = ReadBuf::new(&mut chunk);
            ready!(Pin::new(&mut this.stream).poll_read(cx, &mut buf))?;
            if buf.filled().is_empty() {
                this.written = Some(0);
            } else {
                this.got.extend_from_slice(buf.filled());
            }
        }
        while let Some(done) = this.written.filter(|n| *n < RESPONSE.len()) {
            let n = ready!(Pin::new(&mut this.stream).poll_write(cx, &RESPONSE[done..]))?;
            this.written = Some(done + n);
        }
        ready!(Pin::new(&mut this.stream).poll_shutdown(cx))?;
        Poll::Ready(Ok(std::mem::take(&mut this.got)))
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// User + system CPU of this process (Linux, USER_HZ = 100).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

/// A rustls client (0.23.5, std socket) with its handshake done.
fn client(
    addr: SocketAddr,
    config: Arc<rustls::ClientConfig>,
) -> (TcpStream, rustls::ClientConnection) {
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut conn = rustls::ClientConnection::new(config, "localhost".try_into().unwrap()).unwrap();
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp).unwrap();
    }
    (tcp, conn)
}

fn wire(conn: &mut rustls::ClientConnection) -> Vec<u8> {
    let mut out = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut out).unwrap();
    }
    out
}

/// A well-behaved client: request, close_notify, FIN; the answer, to the server's
/// close_notify.
fn well_behaved(addr: SocketAddr, config: Arc<rustls::ClientConfig>) -> Vec<u8> {
    let (mut tcp, mut conn) = client(addr, config);
    conn.writer().write_all(REQUEST).unwrap();
    conn.send_close_notify();
    tcp.write_all(&wire(&mut conn)).unwrap();
    tcp.shutdown(Shutdown::Write).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let mut answer = Vec::new();
    tls.read_to_end(&mut answer).unwrap();
    answer
}

#[test]
fn wakeful_flags_the_pre_fix_tokio_rustls_spin_and_keeps_serving() {
    let (server_config, client_config) = configs();
    let acceptor = tokio_rustls::TlsAcceptor::from(server_config);
    let rt = wakeful_io::rt::doc_runtime(); // two workers, the reactor installed
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move {
        while let Ok((tcp, peer)) = listener.accept().await {
            let acceptor = acceptor.clone();
            wakeful_executor::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let serve = Serve::<TlsStream<_>> {
                    stream: tls,
                    got: Vec::new(),
                    written: None,
                };
                let _ = TaskBuilder::new()
                    .name(&format!("conn {peer}"))
                    .spawn(serve);
            });
        }
    });

    // Traffic works before the incident.
    assert_eq!(well_behaved(addr, client_config.clone()), RESPONSE);

    // The incident: the pattern in one write, then silence (the sockets stay open).
    let sent_ms = now_ms();
    let quiet: Vec<TcpStream> = (0..SPINNERS)
        .map(|_| {
            let (mut tcp, mut conn) = client(addr, client_config.clone());
            conn.writer().write_all(REQUEST).unwrap();
            conn.send_close_notify();
            let mut bytes = wire(&mut conn);
            bytes.extend_from_slice(&PARTIAL_RECORD);
            assert_eq!(tcp.write(&bytes).unwrap(), bytes.len(), "one TCP write");
            tcp
        })
        .collect();

    // Hang guard only; the "within a second" check is on the report's own timestamps.
    let deadline = Instant::now() + Duration::from_secs(30);
    let flagged = loop {
        let report = rt.spin_report();
        let spinning: Vec<_> = report
            .tasks
            .iter()
            .filter(|t| t.flagged && t.type_name.contains("tokio_rustls::server::TlsStream"))
            .cloned()
            .collect();
        if spinning.len() == SPINNERS {
            break spinning;
        }
        assert!(Instant::now() < deadline, "not flagged: {report}");
        std::thread::sleep(Duration::from_millis(20));
    };
    for t in &flagged {
        let after = t.first_flagged_ms.unwrap().saturating_sub(sent_ms);
        assert!(
            after <= 1000,
            "flagged {after} ms after the incident: {t:?}"
        );
        assert!(
            t.name
                .as_deref()
                .is_some_and(|n| n.starts_with("conn 127.0.0.1:")),
            "{t:?}"
        );
        assert!(
            t.self_wake_site
                .as_deref()
                .is_some_and(|s| s.contains("tokio_rustls")),
            "the self-wake is inside tokio-rustls: {t:?}"
        );
    }

    // Contained: four tasks that would each eat a core leave the process nearly idle.
    std::thread::sleep(Duration::from_millis(300)); // let every one of them be demoted
    let (cpu0, wall0) = (cpu_time(), Instant::now());
    std::thread::sleep(Duration::from_secs(2));
    let (cpu, wall) = (cpu_time() - cpu0, wall0.elapsed());
    assert!(
        cpu.as_secs_f64() < 0.25 * wall.as_secs_f64(),
        "{cpu:?} of CPU over {wall:?} with {SPINNERS} spinners demoted: {}",
        rt.spin_report()
    );
    let report = rt.spin_report();
    assert_eq!(report.runtime.demoted_now, SPINNERS as u64, "{report}");

    // And the rest of the traffic is served while they spin.
    let served: Vec<_> = (0..8)
        .map(|_| {
            let config = client_config.clone();
            std::thread::spawn(move || well_behaved(addr, config))
        })
        .collect();
    for s in served {
        assert_eq!(s.join().unwrap(), RESPONSE);
    }
    drop(quiet);
}
