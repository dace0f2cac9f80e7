//! TCP over loopback, side by side on wakeful and on tokio.
//!
//! Each criterion group has the functions `wakeful` and `tokio`, measured one after the
//! other in the same run, so the ratio of the two is meaningful on a shared machine:
//!
//! - `tcp_echo_64k`, `tcp_echo_1k`: echo throughput. One connection; the client writes
//!   `chunk`-byte buffers from one future and reads the echo back (in `chunk`-byte reads)
//!   from another, joined in one task; the server echoes with a `chunk`-byte buffer.
//!   Throughput is the bytes sent per iteration (each travels twice over loopback).
//! - `tcp_connect_churn`: 300 connections per iteration, 8 in flight. Each client connects,
//!   reads the byte the server sends on accept, reads EOF (the server closes first, so
//!   TIME_WAIT stays on the server's side and does not eat ephemeral ports), and closes.
//!
//! Both runtimes have 2 workers, use `TCP_NODELAY`, and run the same bodies (one macro of
//! fixtures, each set up once and then timed): wakeful through the futures-io traits,
//! tokio through its own. Under criterion each runtime is built before its function is
//! measured and dropped right after (`support/io_runtimes.rs`); with `--interleaved` the
//! two sides are built side by side and take turns in rounds (`support/interleave.rs`):
//! steadier ratios on a machine whose load drifts.
//!
//! ```sh
//! cargo bench --bench io_tcp                 # everything
//! cargo bench --bench io_tcp -- tcp_echo_64k # one group
//! cargo bench --bench io_tcp -- --test       # smoke: each function once
//! cargo bench --bench io_tcp -- --interleaved --rounds 61
//! ```
use criterion::{criterion_group, Criterion, Throughput};

#[path = "support/interleave.rs"]
mod interleave;
#[path = "support/io_runtimes.rs"]
#[allow(
    dead_code,
    reason = "this bench times its fixtures itself, without `Group`"
)]
mod io_runtimes;
use io_runtimes::{side_by_side, BenchRuntime};

const CHURN_CONNECTS: usize = 300;
const CHURN_IN_FLIGHT: usize = 8;

/// The fixtures for one runtime: each is set up once (runtime, server task, connection)
/// and then timed by `run`, from criterion or from interleaved rounds. `$ext` imports the
/// read/write extension traits; the runtime and socket types have the same method names
/// on both sides.
macro_rules! bodies {
    ($name:ident, $rt:expr, $rt_ty:ty, $spawn:path, $net:path, $ext:item) => {
        mod $name {
            use super::*;
            use $net as net;
            use futures_util::future::join;
            use net::tcp::{OwnedReadHalf, OwnedWriteHalf};
            use std::net::SocketAddr;
            use std::time::{Duration, Instant};
            $ext

            /// Echo over one connection: `per_iter` bytes per iteration, in `chunk`-byte
            /// writes and reads.
            pub struct Echo {
                // Declared before the runtime, so its sockets close while the runtime still runs.
                halves: Option<(OwnedReadHalf, OwnedWriteHalf)>,
                chunk: usize,
                per_iter: usize,
                rt: $rt_ty,
            }

            impl Echo {
                pub fn new(chunk: usize, per_iter: usize) -> Self {
                    let rt = $rt;
                    let halves = Some(rt.block_on(async move {
                        let listener = net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                        let addr = listener.local_addr().unwrap();
                        $spawn(async move {
                            let (socket, _) = listener.accept().await.unwrap();
                            socket.set_nodelay(true).unwrap();
                            let (mut rd, mut wr) = socket.into_split();
                            let mut buf = vec![0u8; chunk];
                            loop {
                                let n = rd.read(&mut buf).await.unwrap();
                                if n == 0 {
                                    break;
                                }
                                wr.write_all(&buf[..n]).await.unwrap();
                            }
                        });
                        let client = net::TcpStream::connect(addr).await.unwrap();
                        client.set_nodelay(true).unwrap();
                        client.into_split()
                    }));
                    Echo {
                        rt,
                        halves,
                        chunk,
                        per_iter,
                    }
                }

                /// `iters` iterations: their wall time, measured inside the runtime.
                pub fn run(&mut self, iters: u64) -> Duration {
                    let (mut rd, mut wr) = self.halves.take().expect("the halves came back");
                    let (chunk, per_iter) = (self.chunk, self.per_iter);
                    let task = self.rt.spawn(async move {
                        let out = vec![7u8; chunk];
                        let mut inb = vec![0u8; chunk];
                        let start = Instant::now();
                        for _ in 0..iters {
                            let w = async {
                                let mut sent = 0;
                                while sent < per_iter {
                                    wr.write_all(&out).await.unwrap();
                                    sent += chunk;
                                }
                            };
                            let r = async {
                                let mut got = 0;
                                while got < per_iter {
                                    let n = rd.read(&mut inb).await.unwrap();
                                    assert!(n > 0, "unexpected EOF");
                                    got += n;
                                }
                            };
                            join(w, r).await;
                        }
                        (start.elapsed(), rd, wr)
                    });
                    let (elapsed, rd, wr) = self.rt.block_on(task).unwrap();
                    self.halves = Some((rd, wr));
                    elapsed
                }
            }

            /// [`CHURN_CONNECTS`] connections per iteration, [`CHURN_IN_FLIGHT`] at a time.
            pub struct Churn {
                rt: $rt_ty,
                addr: SocketAddr,
            }

            impl Churn {
                pub fn new() -> Self {
                    let rt = $rt;
                    let addr = rt.block_on(async {
                        let listener = net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                        let addr = listener.local_addr().unwrap();
                        $spawn(async move {
                            loop {
                                let (mut socket, _) = listener.accept().await.unwrap();
                                // A fresh socket's send buffer is empty: this does not block.
                                socket.write_all(b"x").await.unwrap();
                                drop(socket);
                            }
                        });
                        addr
                    });
                    Churn { rt, addr }
                }

                /// `iters` iterations: their wall time, measured inside the runtime.
                pub fn run(&mut self, iters: u64) -> Duration {
                    let addr = self.addr;
                    self.rt.time_rounds(iters, move || async move {
                        let clients: Vec<_> = (0..CHURN_IN_FLIGHT)
                            .map(|c| {
                                let n = CHURN_CONNECTS / CHURN_IN_FLIGHT
                                    + usize::from(c < CHURN_CONNECTS % CHURN_IN_FLIGHT);
                                $spawn(async move {
                                    let mut byte = [0u8; 1];
                                    for _ in 0..n {
                                        let mut s = net::TcpStream::connect(addr).await.unwrap();
                                        s.read_exact(&mut byte).await.unwrap();
                                        assert_eq!(s.read(&mut byte).await.unwrap(), 0);
                                    }
                                })
                            })
                            .collect();
                        for c in clients {
                            c.await.unwrap();
                        }
                    })
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
    use futures_util::io::{AsyncReadExt, AsyncWriteExt};
);

bodies!(
    on_tokio,
    io_runtimes::tokio_runtime(),
    ::tokio::runtime::Runtime,
    ::tokio::spawn,
    ::tokio::net,
    use ::tokio::io::{AsyncReadExt, AsyncWriteExt};
);

/// The echo workloads: name, chunk, bytes per iteration, iterations per interleaved round
/// (about 10-20 ms a side here).
const ECHOES: [(&str, usize, usize, u64); 2] = [
    ("tcp_echo_64k", 64 * 1024, 16 << 20, 2),
    ("tcp_echo_1k", 1024, 2 << 20, 2),
];
/// Churn iterations per interleaved round (300 connections each, about 15 ms).
const CHURN_PER_ROUND: u64 = 1;

fn tcp_echo(c: &mut Criterion) {
    for (name, chunk, per_iter, _) in ECHOES {
        let mut group = side_by_side(c, name, Throughput::Bytes(per_iter as u64));
        let mut side = on_wakeful::Echo::new(chunk, per_iter);
        group.bench_function("wakeful", |b| b.iter_custom(|n| side.run(n)));
        drop(side);
        let mut side = on_tokio::Echo::new(chunk, per_iter);
        group.bench_function("tokio", |b| b.iter_custom(|n| side.run(n)));
        group.finish();
    }
}

fn tcp_churn(c: &mut Criterion) {
    let mut group = side_by_side(
        c,
        "tcp_connect_churn",
        Throughput::Elements(CHURN_CONNECTS as u64),
    );
    let mut side = on_wakeful::Churn::new();
    group.bench_function("wakeful", |b| b.iter_custom(|n| side.run(n)));
    drop(side);
    let mut side = on_tokio::Churn::new();
    group.bench_function("tokio", |b| b.iter_custom(|n| side.run(n)));
    group.finish();
}

/// `--interleaved`: every workload in interleaved rounds (`support/interleave.rs`).
fn interleaved(opts: &interleave::Options) {
    interleave::print_header(opts);
    for (name, chunk, per_iter, iters) in ECHOES {
        if !opts.wants(name) {
            continue;
        }
        let mut w = on_wakeful::Echo::new(chunk, per_iter);
        let mut t = on_tokio::Echo::new(chunk, per_iter);
        interleave::Pair {
            name,
            unit: "MiB",
            units_per_iter: per_iter as f64 / 1048576.0,
            wakeful: |n| w.run(n),
            tokio: |n| t.run(n),
        }
        .measure(opts, iters);
    }
    if opts.wants("tcp_connect_churn") {
        let (mut w, mut t) = (on_wakeful::Churn::new(), on_tokio::Churn::new());
        interleave::Pair {
            name: "tcp_connect_churn",
            unit: "connection",
            units_per_iter: CHURN_CONNECTS as f64,
            wakeful: |n| w.run(n),
            tokio: |n| t.run(n),
        }
        .measure(opts, CHURN_PER_ROUND);
    }
}

criterion_group!(benches, tcp_echo, tcp_churn);

fn main() {
    interleave::main("io_tcp", benches, interleaved);
}
