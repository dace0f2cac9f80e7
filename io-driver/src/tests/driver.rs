//! Driver internals that the public API cannot see: slab slots and timer entries are freed
//! when sockets and pending futures are dropped.
use crate::driver::Driver;
use crate::net::{TcpListener, TcpStream, UdpSocket};
use crate::time::{sleep, Sleep};
use futures_io::{AsyncRead, AsyncWrite};
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

/// Polls `f` once (registering its wakers) and returns it, still pending.
async fn poll_once_pending<F: Future + Unpin>(mut f: F) -> F {
    poll_fn(|cx| {
        assert!(Pin::new(&mut f).poll(cx).is_pending(), "expected pending");
        Poll::Ready(())
    })
    .await;
    f
}

#[test]
fn slab_slots_are_freed_with_pending_operations() {
    let rt = crate::rt::doc_runtime();
    rt.block_on(async {
        let driver = Driver::current().unwrap();
        assert_eq!(driver.num_registered(), 0);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        {
            // A pending accept, dropped.
            let accept = poll_once_pending(Box::pin(listener.accept())).await;
            drop(accept);
        }
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        assert_eq!(driver.num_registered(), 3);
        // A pending read (nothing sent), and a pending write (send buffer filled).
        let mut buf = [0u8; 16];
        poll_fn(|cx| {
            assert!(Pin::new(&mut client).poll_read(cx, &mut buf).is_pending());
            let chunk = vec![0u8; 1 << 16];
            loop {
                match Pin::new(&mut client).poll_write(cx, &chunk) {
                    Poll::Ready(Ok(_)) => continue,
                    Poll::Ready(Err(e)) => panic!("{e}"),
                    Poll::Pending => break,
                }
            }
            Poll::Ready(())
        })
        .await;
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut dgram = [0u8; 8];
        drop(poll_once_pending(Box::pin(udp.recv_from(&mut dgram))).await);
        assert_eq!(driver.num_registered(), 4);
        drop((client, server, listener, udp));
        assert_eq!(driver.num_registered(), 0, "a slab slot leaked");
    });
}

#[test]
fn cancelled_timers_leave_no_entries() {
    let rt = crate::rt::doc_runtime();
    rt.block_on(async {
        let driver = Driver::current().unwrap();
        for _ in 0..10 {
            let mut sleeps: Vec<Sleep> = (0..1_000)
                .map(|i| sleep(Duration::from_secs(60 + i)))
                .collect();
            poll_fn(|cx| {
                for s in &mut sleeps {
                    assert!(Pin::new(s).poll(cx).is_pending());
                }
                Poll::Ready(())
            })
            .await;
            assert_eq!(driver.timers.len(), 1_000);
            drop(sleeps);
            assert_eq!(
                driver.timers.len(),
                0,
                "a dropped Sleep left its timer behind"
            );
        }
        // Fired timers are removed as well.
        sleep(Duration::from_millis(2)).await;
        assert_eq!(driver.timers.len(), 0);
    });
}

#[test]
fn shutdown_fails_pending_io() {
    let rt = crate::rt::doc_runtime();
    let listener = rt.block_on(async { TcpListener::bind("127.0.0.1:0").await.unwrap() });
    let driver = rt.block_on(async { Driver::current().unwrap() });
    drop(rt);
    assert_eq!(driver.num_registered(), 0);
    // The listener outlived its runtime: operations fail instead of hanging.
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    match listener.poll_accept(&mut cx) {
        Poll::Ready(Err(e)) => assert!(e.to_string().contains("shut down"), "{e}"),
        other => panic!("expected an error, got {other:?}"),
    }
}

/// An accepted socket is assumed readable and writable: its first read and write go to the
/// socket without waiting for a turn of the reactor. The reactor is held here, so no event
/// can arrive: a stream registered the ordinary way waits (checked on the client's end).
#[test]
fn an_accepted_stream_reads_and_writes_before_any_event() {
    let rt = crate::rt::doc_runtime();
    rt.block_on(async {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut std_client =
            std::net::TcpStream::connect(std_listener.local_addr().unwrap()).unwrap();
        std::io::Write::write_all(&mut std_client, b"hello").unwrap();
        let (accepted, _) = std_listener.accept().unwrap();
        accepted.set_nonblocking(true).unwrap();
        std_client.set_nonblocking(true).unwrap();

        let driver = Driver::current().unwrap();
        let mut sockets = Some((accepted, std_client));
        poll_fn(|cx| {
            // An idle worker may be blocked in the reactor: wake it until it lets go.
            let reactor = loop {
                if let Some(core) = driver.try_lock_core() {
                    break core;
                }
                driver.unpark();
                std::thread::yield_now();
            };
            let (accepted, std_client) = sockets.take().expect("polled once");
            let mut server =
                TcpStream::from_accepted(mio::net::TcpStream::from_std(accepted)).unwrap();
            let mut client = TcpStream::from_std(std_client).unwrap();
            let mut buf = [0u8; 8];
            match Pin::new(&mut server).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(n)) => assert_eq!(&buf[..n], b"hello"),
                other => panic!("the accepted stream's first read waited: {other:?}"),
            }
            match Pin::new(&mut server).poll_write(cx, b"hi") {
                Poll::Ready(Ok(2)) => {}
                other => panic!("the accepted stream's first write waited: {other:?}"),
            }
            // Registered without a guess: nothing until the reactor reports an event.
            assert!(Pin::new(&mut client).poll_write(cx, b"x").is_pending());
            drop(reactor);
            Poll::Ready(())
        })
        .await;
    });
}
