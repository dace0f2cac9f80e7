//! Dropping pending accept/read/write/connect/recv futures (directly, or by aborting the
//! task awaiting them) and then the sockets returns the process's open file descriptors
//! (`/proc/self/fd`) exactly to the baseline: nothing leaks, nothing stays registered.
//!
//! One test in this binary, so no other test opens descriptors meanwhile.
mod io_support;

use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use io_support::{fd_count, rt, watchdog};
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::Poll;
use wakeful::io::AsyncWrite;
use wakeful::net::{TcpListener, TcpStream, UdpSocket};

/// Polls `f` once and asserts it is pending (so it has registered its waker), then drops it.
async fn drop_while_pending<F: Future>(f: F) {
    assert!(poll_once_then_drop(f).await, "expected a pending future");
}

/// Polls `f` once, drops it, and says whether that poll was pending.
async fn poll_once_then_drop<F: Future>(f: F) -> bool {
    let mut f = Box::pin(f);
    let pending = poll_fn(|cx| Poll::Ready(f.as_mut().poll(cx).is_pending())).await;
    drop(f);
    pending
}

async fn one_round() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();

    // accept: nobody is connecting yet.
    drop_while_pending(listener.accept()).await;

    let mut client = TcpStream::connect(addr).await.unwrap();
    let (mut server, _) = listener.accept().await.unwrap();

    // read: nothing was sent.
    let mut buf = [0u8; 64];
    drop_while_pending(client.read(&mut buf)).await;

    // write: fill the send and receive buffers until a write is pending. The kernel may
    // still grow the socket buffers (TCP autotuning, ACKs freeing send space) right after a
    // write would block, so the next write can complete: then fill again and retry.
    let chunk = vec![1u8; 256 * 1024];
    let mut dropped_pending_write = false;
    for _ in 0..100 {
        poll_fn(|cx| loop {
            match Pin::new(&mut server).poll_write(cx, &chunk) {
                Poll::Ready(Ok(_)) => continue,
                Poll::Ready(Err(e)) => panic!("{e}"),
                Poll::Pending => return Poll::Ready(()),
            }
        })
        .await;
        if poll_once_then_drop(server.write_all(&chunk)).await {
            dropped_pending_write = true;
            break;
        }
    }
    assert!(
        dropped_pending_write,
        "no write stayed pending after 100 fills"
    );

    // connect: dropped after one poll, whatever its state.
    {
        let mut connect = Box::pin(TcpStream::connect(addr));
        poll_fn(|cx| {
            let _ = connect.as_mut().poll(cx);
            Poll::Ready(())
        })
        .await;
    }

    // recv_from: nothing was sent.
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut dgram = [0u8; 64];
    drop_while_pending(udp.recv_from(&mut dgram)).await;

    // A task blocked in a read, aborted from outside: its future (and socket) is dropped by
    // the runtime.
    let (other, _) = {
        let c = TcpStream::connect(addr).await.unwrap();
        let s = listener.accept().await.unwrap();
        (c, s)
    };
    let reader = wakeful::spawn(async move {
        let mut other = other;
        let mut buf = [0u8; 8];
        other.read(&mut buf).await
    });
    let acceptor = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        wakeful::spawn(async move { listener.accept().await.map(drop) })
    };
    reader.abort();
    acceptor.abort();
    assert!(reader.await.unwrap_err().is_cancelled());
    assert!(acceptor.await.unwrap_err().is_cancelled());
}

#[test]
fn dropped_pending_futures_leak_no_fd() {
    let _guard = watchdog("dropped_pending_futures_leak_no_fd", 120);
    let rt = rt(2);
    rt.block_on(async {
        // Warm up anything created lazily on first use, then take the baseline.
        one_round().await;
        let baseline = fd_count();
        for round in 0..50 {
            one_round().await;
            assert_eq!(fd_count(), baseline, "fd leak after round {round}");
        }
    });
}
