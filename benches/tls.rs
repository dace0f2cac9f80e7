//! TLS over loopback, side by side: wakeful-tls on wakeful vs tokio-rustls on tokio.
//!
//! Each criterion group has the functions `wakeful` and `tokio`, measured one after the
//! other in the same run, so their ratio is meaningful on a shared machine. Both sides use
//! the same rustls (the workspace's 0.23) with the same provider (aws-lc-rs), the same
//! configs (built once, shared), 2 worker threads, `TCP_NODELAY`, and the same bodies.
//!
//! - `tls_handshake`: full TLS 1.3 handshakes, ECDSA P-256 certificate (rcgen), resumption
//!   off on both ends (no session cache, no tickets), default key exchange
//!   (X25519MLKEM768). One client task connects, handshakes and reads the one byte the
//!   server sends before it closes (server closes first, so TIME_WAIT stays on the
//!   server's side), one connection at a time. Throughput: handshakes.
//! - `tls_bulk`: a TLS echo. The client writes 64 KiB, flushes, reads the 64 KiB echo back,
//!   8 MiB per iteration; the server echoes each read. Throughput: bytes sent (each crosses
//!   loopback twice, encrypted and decrypted twice).
//!
//! Besides criterion's wall-clock numbers, each function prints the process CPU time per
//! handshake / per MiB over everything it ran (`/proc/self/stat`, 10 ms ticks).
//!
//! Both sides run the same bodies (one macro of fixtures, each set up once and then timed):
//! wakeful through the futures-io traits, tokio through its own; the runtimes are
//! `support/io_runtimes.rs`'s. With `--interleaved` the two sides take turns in rounds
//! instead of criterion's seconds each (`support/interleave.rs`): steadier ratios on a
//! machine whose load drifts.
//!
//! ```sh
//! cargo bench --bench tls                  # everything
//! cargo bench --bench tls -- tls_bulk      # one group
//! cargo bench --bench tls -- --test        # smoke: each function once
//! cargo bench --bench tls -- --interleaved # interleaved rounds, a markdown table
//! ```
use criterion::{criterion_group, Criterion, Throughput};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ServerConfig};
use std::sync::Arc;
use std::time::Duration;

#[path = "support/io_runtimes.rs"]
#[allow(
    dead_code,
    reason = "this bench uses the two runtimes and `Group`, not the rest"
)]
mod io_runtimes;
use io_runtimes::Group;

#[path = "support/interleave.rs"]
mod interleave;
use interleave::process_cpu as cpu_time;
const CHUNK: usize = 64 * 1024;
const BULK_PER_ITER: usize = 8 << 20;

/// Server and client configs: ECDSA P-256, TLS 1.3, resumption off.
fn configs() -> (Arc<ServerConfig>, Arc<ClientConfig>) {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let mut server = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], cert.signing_key.into())
        .unwrap();
    server.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    server.send_tls13_tickets = 0;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let mut client = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    client.resumption = rustls::client::Resumption::disabled();
    (Arc::new(server), Arc::new(client))
}

fn server_name() -> ServerName<'static> {
    ServerName::try_from("localhost").unwrap()
}

/// CPU spent per unit, over every measured iteration of one criterion function.
struct CpuMeter {
    what: String,
    unit: &'static str,
    per_iter: f64,
    cpu: Duration,
    iters: u64,
}

impl Drop for CpuMeter {
    fn drop(&mut self) {
        let units = self.iters as f64 * self.per_iter;
        if units > 0.0 {
            eprintln!(
                "{}: {:.1} us CPU per {} ({} {}s)",
                self.what,
                self.cpu.as_secs_f64() * 1e6 / units,
                self.unit,
                units,
                self.unit
            );
        }
    }
}

/// The criterion function `label` of group `group_name`, timing `run` (a fixture's), and
/// printing the process CPU it spent per `unit` (`per_iter` of them per iteration) when
/// criterion is done with it.
fn bench_side(
    group: &mut Group<'_>,
    group_name: &str,
    label: &'static str,
    unit: &'static str,
    per_iter: f64,
    mut run: impl FnMut(u64) -> Duration,
) {
    let mut meter = CpuMeter {
        what: format!("{group_name}/{label}"),
        unit,
        per_iter,
        cpu: Duration::ZERO,
        iters: 0,
    };
    group.bench_function(label, |b| {
        b.iter_custom(|iters| {
            let cpu = cpu_time();
            let wall = run(iters);
            meter.cpu += cpu_time() - cpu;
            meter.iters += iters;
            wall
        })
    });
}

/// The fixtures for one runtime: each is set up once (runtime, server task, configs) and
/// then timed by `run`, from criterion or from interleaved rounds. `$ext` imports the
/// read/write extension traits and `$close` is the name of their graceful close (`close`
/// in futures-io, `shutdown` in tokio); the runtime, socket and TLS types have the same
/// method names on both sides.
macro_rules! bodies {
    ($name:ident, $rt:expr, $rt_ty:ty, $spawn:path, $net:path, $tls:path, $close:ident,
     $ext:item) => {
        mod $name {
            use super::*;
            use std::net::SocketAddr;
            use std::time::Instant;
            use $net::{TcpListener, TcpStream};
            use $tls::{client::TlsStream, TlsAcceptor, TlsConnector};
            $ext

            /// Full handshakes, one connection at a time.
            pub struct Handshake {
                connector: TlsConnector,
                addr: SocketAddr,
                rt: $rt_ty,
            }

            impl Handshake {
                pub fn new() -> Self {
                    let (server, client) = configs();
                    let rt = $rt;
                    let acceptor = TlsAcceptor::from(server);
                    let addr = rt.block_on(async {
                        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                        let addr = listener.local_addr().unwrap();
                        $spawn(async move {
                            loop {
                                let Ok((tcp, _)) = listener.accept().await else {
                                    continue;
                                };
                                tcp.set_nodelay(true).unwrap();
                                let acceptor = acceptor.clone();
                                $spawn(async move {
                                    if let Ok(mut tls) = acceptor.accept(tcp).await {
                                        let _ = tls.write_all(b"x").await;
                                        let _ = tls.$close().await;
                                    }
                                });
                            }
                        });
                        addr
                    });
                    Handshake {
                        rt,
                        connector: TlsConnector::from(client),
                        addr,
                    }
                }

                /// `iters` handshakes: their wall time, measured inside the runtime.
                pub fn run(&mut self, iters: u64) -> Duration {
                    let (connector, addr) = (self.connector.clone(), self.addr);
                    let task = self.rt.spawn(async move {
                        let start = Instant::now();
                        for _ in 0..iters {
                            let tcp = TcpStream::connect(addr).await.unwrap();
                            tcp.set_nodelay(true).unwrap();
                            let mut tls = connector.connect(server_name(), tcp).await.unwrap();
                            let mut byte = [0u8; 1];
                            tls.read_exact(&mut byte).await.unwrap();
                        }
                        start.elapsed()
                    });
                    self.rt.block_on(task).unwrap()
                }
            }

            /// A TLS echo over one connection.
            pub struct Bulk {
                // Declared before the runtime, so its sockets close while the runtime still runs.
                stream: Option<TlsStream<TcpStream>>,
                rt: $rt_ty,
            }

            impl Bulk {
                pub fn new() -> Self {
                    let (server, client) = configs();
                    let rt = $rt;
                    let acceptor = TlsAcceptor::from(server);
                    let connector = TlsConnector::from(client);
                    let stream = Some(rt.block_on(async move {
                        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                        let addr = listener.local_addr().unwrap();
                        $spawn(async move {
                            let (tcp, _) = listener.accept().await.unwrap();
                            tcp.set_nodelay(true).unwrap();
                            let mut tls = acceptor.accept(tcp).await.unwrap();
                            let mut buf = vec![0u8; CHUNK];
                            // Ends when the client goes away (dropped without close_notify).
                            while let Ok(n @ 1..) = tls.read(&mut buf).await {
                                if tls.write_all(&buf[..n]).await.is_err()
                                    || tls.flush().await.is_err()
                                {
                                    break;
                                }
                            }
                        });
                        let tcp = TcpStream::connect(addr).await.unwrap();
                        tcp.set_nodelay(true).unwrap();
                        connector.connect(server_name(), tcp).await.unwrap()
                    }));
                    Bulk { rt, stream }
                }

                /// `iters` times [`BULK_PER_ITER`] echoed: the wall time, measured inside
                /// the runtime.
                pub fn run(&mut self, iters: u64) -> Duration {
                    let mut tls = self.stream.take().expect("the stream came back");
                    let task = self.rt.spawn(async move {
                        let out = vec![7u8; CHUNK];
                        let mut back = vec![0u8; CHUNK];
                        let start = Instant::now();
                        for _ in 0..iters {
                            for _ in 0..BULK_PER_ITER / CHUNK {
                                tls.write_all(&out).await.unwrap();
                                tls.flush().await.unwrap();
                                tls.read_exact(&mut back).await.unwrap();
                            }
                        }
                        (start.elapsed(), tls)
                    });
                    let (wall, tls) = self.rt.block_on(task).unwrap();
                    self.stream = Some(tls);
                    wall
                }
            }
        }
    };
}

bodies!(
    on_wakeful,
    io_runtimes::wakeful_runtime(),
    ::wakeful::runtime::Runtime,
    ::wakeful::spawn,
    ::wakeful::net,
    ::wakeful::tls,
    close,
    use futures_util::io::{AsyncReadExt, AsyncWriteExt};
);

bodies!(
    on_tokio,
    io_runtimes::tokio_runtime(),
    ::tokio::runtime::Runtime,
    ::tokio::spawn,
    ::tokio::net,
    ::tokio_rustls,
    shutdown,
    use ::tokio::io::{AsyncReadExt, AsyncWriteExt};
);

/// Handshakes per interleaved round (about 25 ms on each side here).
const HANDSHAKES_PER_ROUND: u64 = 20;
/// Bulk iterations per interleaved round (8 MiB each, about 15 ms).
const BULK_PER_ROUND: u64 = 2;

fn tls_handshake(c: &mut Criterion) {
    let mut group = c.benchmark_group("tls_handshake");
    group.throughput(Throughput::Elements(1));
    group.sample_size(20);
    let mut side = on_wakeful::Handshake::new();
    bench_side(
        &mut group,
        "tls_handshake",
        "wakeful",
        "handshake",
        1.0,
        |n| side.run(n),
    );
    drop(side);
    let mut side = on_tokio::Handshake::new();
    bench_side(
        &mut group,
        "tls_handshake",
        "tokio",
        "handshake",
        1.0,
        |n| side.run(n),
    );
    group.finish();
}

fn tls_bulk(c: &mut Criterion) {
    let mut group = c.benchmark_group("tls_bulk");
    group.throughput(Throughput::Bytes(BULK_PER_ITER as u64));
    group.sample_size(10);
    let mib = BULK_PER_ITER as f64 / 1048576.0;
    let mut side = on_wakeful::Bulk::new();
    bench_side(&mut group, "tls_bulk", "wakeful", "MiB", mib, |n| {
        side.run(n)
    });
    drop(side);
    let mut side = on_tokio::Bulk::new();
    bench_side(&mut group, "tls_bulk", "tokio", "MiB", mib, |n| side.run(n));
    group.finish();
}

/// `--interleaved`: both workloads in interleaved rounds (`support/interleave.rs`).
fn interleaved(opts: &interleave::Options) {
    interleave::print_header(opts);
    if opts.wants("tls_handshake") {
        let (mut w, mut t) = (on_wakeful::Handshake::new(), on_tokio::Handshake::new());
        interleave::Pair {
            name: "tls_handshake",
            unit: "handshake",
            units_per_iter: 1.0,
            wakeful: |n| w.run(n),
            tokio: |n| t.run(n),
        }
        .measure(opts, HANDSHAKES_PER_ROUND);
    }
    if opts.wants("tls_bulk") {
        let (mut w, mut t) = (on_wakeful::Bulk::new(), on_tokio::Bulk::new());
        interleave::Pair {
            name: "tls_bulk",
            unit: "MiB",
            units_per_iter: BULK_PER_ITER as f64 / 1048576.0,
            wakeful: |n| w.run(n),
            tokio: |n| t.run(n),
        }
        .measure(opts, BULK_PER_ROUND);
    }
}

criterion_group!(benches, tls_handshake, tls_bulk);

fn main() {
    interleave::main("tls", benches, interleaved);
}
