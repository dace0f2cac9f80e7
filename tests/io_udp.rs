//! UDP: `send_to`/`recv_from`, connected `send`/`recv`, and many tasks awaiting one socket.
mod io_support;

use io_support::{rt, watchdog};
use std::io::ErrorKind;
use std::sync::Arc;
use wakeful::net::UdpSocket;

#[test]
fn send_to_and_recv_from() {
    let _guard = watchdog("send_to_and_recv_from", 60);
    rt(2).block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut buf = [0u8; 64];
        assert_eq!(
            b.try_recv_from(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        for i in 0..100u8 {
            let msg = [i; 17];
            assert_eq!(a.send_to(&msg, b.local_addr().unwrap()).await.unwrap(), 17);
            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!((&buf[..n], from), (&msg[..], a.local_addr().unwrap()));
        }
        // A string address is resolved too.
        let target = format!("127.0.0.1:{}", b.local_addr().unwrap().port());
        a.send_to(b"str", target.as_str()).await.unwrap();
        let (n, _) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"str");
    });
}

#[test]
fn connected_send_and_recv() {
    let _guard = watchdog("connected_send_and_recv", 60);
    rt(2).block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.connect(b.local_addr().unwrap()).await.unwrap();
        b.connect(a.local_addr().unwrap()).await.unwrap();
        assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
        let echo = {
            wakeful::spawn(async move {
                let mut buf = [0u8; 32];
                for _ in 0..50 {
                    let n = b.recv(&mut buf).await.unwrap();
                    b.send(&buf[..n]).await.unwrap();
                }
            })
        };
        let mut buf = [0u8; 32];
        for i in 0..50u8 {
            a.send(&[i, i]).await.unwrap();
            let n = a.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], &[i, i]);
        }
        echo.await.unwrap();
    });
}

#[test]
fn many_tasks_receive_on_one_socket() {
    let _guard = watchdog("many_tasks_receive_on_one_socket", 60);
    rt(2).block_on(async {
        let rx = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let tx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        // Eight receivers wait at once: each must get a datagram (one waker each, none
        // overwritten by another).
        let receivers: Vec<_> = (0..8)
            .map(|_| {
                let rx = rx.clone();
                wakeful::spawn(async move {
                    let mut buf = [0u8; 8];
                    let (n, _) = rx.recv_from(&mut buf).await.unwrap();
                    buf[..n].to_vec()
                })
            })
            .collect();
        // Give them time to wait (not required for correctness: datagrams queue).
        wakeful::time::sleep(std::time::Duration::from_millis(20)).await;
        for i in 0..8u8 {
            tx.send_to(&[i], rx.local_addr().unwrap()).await.unwrap();
        }
        let mut got: Vec<u8> = Vec::new();
        for r in receivers {
            got.extend(r.await.unwrap());
        }
        got.sort_unstable();
        assert_eq!(got, (0..8).collect::<Vec<u8>>());
    });
}
