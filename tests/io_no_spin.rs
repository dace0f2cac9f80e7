//! A task reading from a socket that is always readable is never flagged as spinning: its
//! reads move bytes (progress) and its cooperative-budget yields count as progress too. A
//! task that waits for data is woken by the reactor, and the wake is attributed to I/O.
//!
//! A budget yield is its own wake source (`Budget`), not a self-wake: the poll after it is
//! never futile, even when it finds the readiness stale (the previous read drained the
//! socket to the byte), so an always-readable reader has no futile polls at all.
mod io_support;

use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use io_support::{rt, watchdog};
use std::time::Duration;
use wakeful::net::{TcpListener, TcpStream};
use wakeful::runtime::TaskReport;

fn report_of(rt: &wakeful::runtime::Runtime, id: u64) -> Option<TaskReport> {
    rt.spin_report_all().tasks.into_iter().find(|t| t.id == id)
}

#[test]
fn reader_of_a_readable_socket_is_never_flagged() {
    let _guard = watchdog("reader_of_a_readable_socket_is_never_flagged", 120);
    let rt = rt(2);
    let (client, server) = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (client, server)
    });
    const TOTAL: usize = 128 << 20;
    let writer = rt.spawn(async move {
        let mut server = server;
        let chunk = vec![3u8; 1 << 20];
        for _ in 0..TOTAL / chunk.len() {
            server.write_all(&chunk).await.unwrap();
        }
        server.close().await.unwrap();
    });
    let (release_tx, release_rx) = futures_channel::oneshot::channel::<()>();
    let reader = rt.spawn(async move {
        let mut client = client;
        // Small reads: the socket almost always has more, so the reader keeps finding it
        // ready and runs into its cooperative budget.
        let mut buf = vec![0u8; 8 * 1024];
        let mut total = 0;
        loop {
            let n = client.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            total += n;
        }
        release_rx.await.unwrap();
        total
    });

    // Sample the reports while the transfer runs.
    let mut samples = 0;
    while !writer.is_finished() {
        if let Some(r) = report_of(&rt, reader.id().as_u64()) {
            assert!(!r.flagged, "the reader was flagged mid-transfer: {r:?}");
            samples += 1;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    rt.block_on(writer).unwrap();
    // The reader is parked on `release_rx` (alive, so it is listed) once it has read EOF.
    let r = loop {
        let r = report_of(&rt, reader.id().as_u64()).expect("the reader is alive");
        if r.polls > 0 && r.wakes.task + r.wakes.io + r.wakes.self_ > 0 && samples > 0 {
            break r;
        }
        samples += 1;
        std::thread::sleep(Duration::from_millis(5));
    };
    assert!(!r.flagged, "the reader was flagged: {r:?}");
    assert_eq!(
        r.futile_polls, 0,
        "a reader that moves bytes is never futile: {r:?}"
    );
    assert_eq!(rt.spin_report().tasks.len(), 0, "something was flagged");
    release_tx.send(()).unwrap();
    assert_eq!(rt.block_on(reader).unwrap(), TOTAL);
}

#[test]
fn reactor_wakes_are_attributed_to_io() {
    let _guard = watchdog("reactor_wakes_are_attributed_to_io", 60);
    let rt = rt(2);
    let (mut client, server) = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (client, server)
    });
    let (release_tx, release_rx) = futures_channel::oneshot::channel::<()>();
    // Ping-pong: the server's reads always wait for the next byte.
    let echo = rt.spawn(async move {
        let mut server = server;
        let mut b = [0u8; 1];
        for _ in 0..100 {
            server.read_exact(&mut b).await.unwrap();
            server.write_all(&b).await.unwrap();
        }
        release_rx.await.unwrap();
    });
    rt.block_on(async {
        let mut b = [0u8; 1];
        for i in 0..100u8 {
            client.write_all(&[i]).await.unwrap();
            client.read_exact(&mut b).await.unwrap();
            assert_eq!(b[0], i);
        }
    });
    let r = report_of(&rt, echo.id().as_u64()).expect("the echo task is alive");
    assert!(r.wakes.io >= 1, "no io wake recorded: {:?}", r.wakes);
    assert_eq!(r.wakes.timer, 0);
    assert!(!r.flagged);
    assert!(r.futile_polls <= 3, "{r:?}");
    release_tx.send(()).unwrap();
    rt.block_on(echo).unwrap();
}
