//! Helpers shared by the `tls_*` integration tests: certificates made at test time (rcgen,
//! ECDSA P-256), rustls configs on the aws-lc-rs provider, a runtime, hang guards, fd
//! counts, a poll-counting future, and a blocking rustls client on a std socket.
#![allow(dead_code, reason = "each test binary uses a different subset")]

#[path = "../support/incident.rs"]
mod incident;
#[path = "../support/watchdog.rs"]
mod watchdog;
#[allow(unused_imports, reason = "each test binary uses a different subset")]
pub use incident::*;
#[allow(unused_imports, reason = "each test binary uses a different subset")]
pub use watchdog::{watchdog, Watchdog};

use std::future::Future;
use std::io::{self, Read};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{
    ClientConfig, ClientConnection, RootCertStore, ServerConfig, SupportedProtocolVersion,
};
use wakeful::runtime::{Builder, Runtime, TaskReport};

/// The one provider of the build (see the crate docs of wakeful-tls).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A test CA and certificates it issued.
pub struct Pki {
    pub ca: CertificateDer<'static>,
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A leaf certificate chain and its key.
pub struct Leaf {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl Pki {
    /// A fresh CA (ECDSA P-256).
    pub fn new() -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "wakeful test CA");
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Pki {
            ca: issuer.der().clone(),
            issuer,
        }
    }

    /// A leaf for `names` (ECDSA P-256), chain = [leaf, CA].
    pub fn leaf(&self, names: &[&str]) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            chain: vec![cert.der().clone(), self.ca.clone()],
            key: key.into(),
        }
    }

    pub fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.add(self.ca.clone()).unwrap();
        roots
    }
}

pub const TLS13: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13];
pub const TLS12: &[&SupportedProtocolVersion] = &[&rustls::version::TLS12];

/// A server config for `leaf`.
pub fn server_config(
    leaf: &Leaf,
    versions: &[&'static SupportedProtocolVersion],
    alpn: &[&[u8]],
) -> Arc<ServerConfig> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(leaf.chain.clone(), leaf.key.clone_key())
        .unwrap();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

/// A client config trusting `pki`'s CA.
pub fn client_config(
    pki: &Pki,
    versions: &[&'static SupportedProtocolVersion],
    alpn: &[&[u8]],
) -> Arc<ClientConfig> {
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(pki.roots())
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

pub fn name(s: &str) -> ServerName<'static> {
    ServerName::try_from(s.to_string()).unwrap()
}

/// A runtime with two workers.
pub fn rt() -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("tls-test")
        .build()
        .expect("runtime")
}

/// Open file descriptors of this process.
pub fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

static SERIAL: Mutex<()> = Mutex::new(());

/// Serializes the tests of one binary that count file descriptors.
pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Counts the polls of a future, and panics past `cap` of them: a spinning future is
/// stopped (and the test fails) within a fraction of a second instead of hanging.
pub struct CountPolls<F> {
    inner: Pin<Box<F>>,
    polls: Arc<AtomicU64>,
    cap: u64,
}

impl<F: Future> CountPolls<F> {
    pub fn new(inner: F, cap: u64) -> (Self, Arc<AtomicU64>) {
        let polls = Arc::new(AtomicU64::new(0));
        (
            CountPolls {
                inner: Box::pin(inner),
                polls: polls.clone(),
                cap,
            },
            polls,
        )
    }
}

impl<F: Future> Future for CountPolls<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let n = self.polls.fetch_add(1, Ordering::Relaxed) + 1;
        assert!(
            n <= self.cap,
            "polled {n} times (cap {}): the task is spinning",
            self.cap
        );
        self.inner.as_mut().poll(cx)
    }
}

/// The runtime's report of task `id` (it must be alive).
pub fn report(rt: &Runtime, id: u64) -> TaskReport {
    rt.spin_report_all()
        .task(id)
        .cloned()
        .expect("the task is alive, so it is listed")
}

/// Asserts the spin detector never saw task `id` spin, and returns its report. (Self-wakes
/// alone are no spin: the cooperative budget's yields are self-wakes that made progress.)
pub fn assert_not_spinning(rt: &Runtime, id: u64) -> TaskReport {
    let r = report(rt, id);
    assert!(!r.flagged, "flagged: {r:?}");
    assert_eq!(r.times_demoted, 0, "demoted: {r:?}");
    assert!(r.max_futile_streak <= 2, "futile polls in a row: {r:?}");
    assert!(r.futile_polls * 4 <= r.polls, "futile polls: {r:?}");
    assert!(
        rt.spin_report().tasks.is_empty(),
        "something was flagged: {}",
        rt.spin_report()
    );
    r
}

/// A blocking rustls client on a std socket, handshake complete.
pub fn std_client(
    addr: std::net::SocketAddr,
    config: Arc<ClientConfig>,
) -> (std::net::TcpStream, ClientConnection) {
    let mut tcp = std::net::TcpStream::connect(addr).unwrap();
    let mut conn = ClientConnection::new(config, name("localhost")).unwrap();
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp).unwrap();
    }
    (tcp, conn)
}

/// Reads `tcp` to EOF through `conn`: the plaintext, and whether a close_notify ended it
/// (`Ok`) or the transport did (`Err(UnexpectedEof)`).
pub fn std_read_to_end(
    tcp: &mut std::net::TcpStream,
    conn: &mut ClientConnection,
) -> (Vec<u8>, io::Result<()>) {
    let mut plain = Vec::new();
    loop {
        let mut chunk = [0u8; 4096];
        match conn.reader().read(&mut chunk) {
            Ok(0) => return (plain, Ok(())),
            Ok(n) => {
                plain.extend_from_slice(&chunk[..n]);
                continue;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return (plain, Err(e)),
        }
        match conn.read_tls(tcp) {
            Ok(_) => {
                if let Err(e) = conn.process_new_packets() {
                    return (plain, Err(io::Error::new(io::ErrorKind::InvalidData, e)));
                }
            }
            Err(e) => return (plain, Err(e)),
        }
    }
}

/// Deterministic test bytes: the byte at stream offset `i`.
pub fn pattern_byte(i: u64) -> u8 {
    let x = i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (x >> 56) as u8 ^ (i as u8)
}

pub fn fill_pattern(offset: u64, buf: &mut [u8]) {
    for (k, b) in buf.iter_mut().enumerate() {
        *b = pattern_byte(offset + k as u64);
    }
}

/// A task whose polls are counted (capped) and whose spin report is checked while it is
/// still alive: it signals when its future is done and waits for [`Checked::finish`].
pub struct Checked<T> {
    handle: wakeful::task::JoinHandle<T>,
    done: mpsc::Receiver<()>,
    release: futures_channel::oneshot::Sender<()>,
    polls: Arc<AtomicU64>,
}

pub fn spawn_checked<F>(rt: &Runtime, fut: F, cap: u64) -> Checked<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (done_tx, done) = mpsc::channel();
    let (release, release_rx) = futures_channel::oneshot::channel::<()>();
    let (fut, polls) = CountPolls::new(
        async move {
            let out = fut.await;
            done_tx.send(()).unwrap();
            let _ = release_rx.await;
            out
        },
        cap,
    );
    Checked {
        handle: rt.spawn(fut),
        done,
        release,
        polls,
    }
}

impl<T> Checked<T> {
    pub fn id(&self) -> u64 {
        self.handle.id().as_u64()
    }

    /// Polls so far.
    pub fn polls(&self) -> u64 {
        self.polls.load(Ordering::Relaxed)
    }

    /// Waits for the future's output, asserts the task never spun, returns the output and
    /// the poll count.
    pub fn finish(self, rt: &Runtime) -> (T, u64) {
        let (out, polls, _) = self.finish_with_report(rt);
        (out, polls)
    }

    /// As [`finish`](Self::finish), with the task's last report.
    pub fn finish_with_report(self, rt: &Runtime) -> (T, u64, TaskReport) {
        self.done.recv().expect("the task finished (or panicked)");
        let r = assert_not_spinning(rt, self.handle.id().as_u64());
        self.release.send(()).unwrap();
        let out = rt.block_on(self.handle).expect("the task did not panic");
        (out, self.polls.load(Ordering::Relaxed), r)
    }

    /// As [`finish`](Self::finish), for a short task that must never have woken itself
    /// (too few operations for a cooperative-budget yield).
    pub fn finish_quiet(self, rt: &Runtime) -> (T, u64) {
        let (out, polls, r) = self.finish_with_report(rt);
        assert_eq!(r.wakes.self_, 0, "self-wakes: {r:?}");
        (out, polls)
    }
}

/// The ClientHello a rustls client sends first.
pub fn client_hello(config: Arc<ClientConfig>) -> Vec<u8> {
    let mut conn = ClientConnection::new(config, name("localhost")).unwrap();
    take_tls(&mut conn)
}

/// A handshake between a wakeful-tls server and client over loopback, both inside `rt`.
pub fn pair(
    rt: &Runtime,
    server: Arc<ServerConfig>,
    client: Arc<ClientConfig>,
    server_name: &str,
) -> io::Result<(
    wakeful::tls::server::TlsStream<wakeful::net::TcpStream>,
    wakeful::tls::client::TlsStream<wakeful::net::TcpStream>,
)> {
    let server_name = name(server_name);
    rt.block_on(async move {
        let listener = wakeful::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let accept = async {
            let (tcp, _) = listener.accept().await?;
            wakeful::tls::TlsAcceptor::from(server).accept(tcp).await
        };
        let connect = async {
            let tcp = wakeful::net::TcpStream::connect(addr).await?;
            wakeful::tls::TlsConnector::from(client)
                .connect(server_name, tcp)
                .await
        };
        futures_util::future::try_join(accept, connect).await
    })
}

/// Period of the transfer pattern: a prime, so chunk boundaries never line up with it.
pub const PATTERN_PERIOD: usize = 1_048_573;

static PATTERN: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
    let mut doubled: Vec<u8> = (0..PATTERN_PERIOD as u64).map(pattern_byte).collect();
    doubled.extend_from_within(..);
    doubled
});

/// The `len` bytes of the endless pattern stream at `offset` (`len` at most one period).
pub fn pattern(offset: u64, len: usize) -> &'static [u8] {
    assert!(len <= PATTERN_PERIOD);
    let start = (offset % PATTERN_PERIOD as u64) as usize;
    &PATTERN[start..start + len]
}
