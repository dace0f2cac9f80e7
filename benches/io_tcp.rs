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
//! Both runtimes have 2 workers, use `TCP_NODELAY`, and run the same bodies (one macro):
//! wakeful through the futures-io traits, tokio through its own. Each runtime is built
//! before its function is measured and dropped right after (`support/io_runtimes.rs`).
//!
//! ```sh
//! cargo bench --bench io_tcp                 # everything
//! cargo bench --bench io_tcp -- tcp_echo_64k # one group
//! cargo bench --bench io_tcp -- --test       # smoke: each function once
//! ```
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

#[path = "support/io_runtimes.rs"]
mod io_runtimes;
use io_runtimes::{side_by_side, BenchRuntime, Group};

const CHURN_CONNECTS: usize = 300;
const CHURN_IN_FLIGHT: usize = 8;

/// The bench bodies for one runtime. `$ext` imports the read/write extension traits; the
/// runtime and socket types have the same method names on both sides.
macro_rules! bodies {
    ($name:ident, $label:literal, $rt:expr, $spawn:path, $net:path, $ext:item) => {
        mod $name {
            use super::*;
            use $net as net;
            use futures_util::future::join;
            use std::time::Instant;
            $ext

            /// Bytes echoed per iteration: `per_iter` in `chunk`-byte writes and reads.
            pub fn echo(group: &mut Group<'_>, chunk: usize, per_iter: usize) {
                let rt = $rt;
                let mut halves = Some(rt.block_on(async move {
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
                group.bench_function($label, |b| {
                    b.iter_custom(|iters| {
                        let (mut rd, mut wr) = halves.take().expect("halves returned");
                        let task = rt.spawn(async move {
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
                        let (elapsed, rd, wr) = rt.block_on(task).unwrap();
                        halves = Some((rd, wr));
                        elapsed
                    })
                });
                drop(halves);
                drop(rt);
            }

            pub fn churn(group: &mut Group<'_>) {
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
                group.bench_function($label, |b| {
                    b.iter_custom(|iters| {
                        rt.time_rounds(iters, move || async move {
                            let clients: Vec<_> = (0..CHURN_IN_FLIGHT)
                                .map(|c| {
                                    let n = CHURN_CONNECTS / CHURN_IN_FLIGHT
                                        + usize::from(c < CHURN_CONNECTS % CHURN_IN_FLIGHT);
                                    $spawn(async move {
                                        let mut byte = [0u8; 1];
                                        for _ in 0..n {
                                            let mut s =
                                                net::TcpStream::connect(addr).await.unwrap();
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
                    })
                });
                drop(rt);
            }
        }
    };
}

bodies!(
    on_wakeful,
    "wakeful",
    io_runtimes::wakeful_runtime(),
    ::wakeful::spawn,
    ::wakeful::net,
    use futures_util::io::{AsyncReadExt, AsyncWriteExt};
);

bodies!(
    on_tokio,
    "tokio",
    io_runtimes::tokio_runtime(),
    ::tokio::spawn,
    ::tokio::net,
    use ::tokio::io::{AsyncReadExt, AsyncWriteExt};
);

fn tcp_echo(c: &mut Criterion) {
    for (name, chunk, per_iter) in [
        ("tcp_echo_64k", 64 * 1024, 16 << 20),
        ("tcp_echo_1k", 1024, 2 << 20),
    ] {
        let mut group = side_by_side(c, name, Throughput::Bytes(per_iter as u64));
        on_wakeful::echo(&mut group, chunk, per_iter);
        on_tokio::echo(&mut group, chunk, per_iter);
        group.finish();
    }
}

fn tcp_churn(c: &mut Criterion) {
    let mut group = side_by_side(
        c,
        "tcp_connect_churn",
        Throughput::Elements(CHURN_CONNECTS as u64),
    );
    on_wakeful::churn(&mut group);
    on_tokio::churn(&mut group);
    group.finish();
}

criterion_group!(benches, tcp_echo, tcp_churn);
criterion_main!(benches);
