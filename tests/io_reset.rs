//! A peer that resets the connection (RST) while a read is pending: the read fails with
//! `ConnectionReset`, later operations fail or see EOF, and nothing hangs.
mod io_support;

use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use io_support::{rt, watchdog};
use std::io::ErrorKind;
use wakeful::net::{TcpListener, TcpStream};

#[test]
fn peer_reset_mid_read_fails_the_pending_read() {
    let _guard = watchdog("peer_reset_mid_read_fails_the_pending_read", 60);
    rt(2).block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();

        // Two bytes for the server, which will read only one: closing a socket with unread
        // data makes the kernel send RST instead of FIN.
        client.write_all(b"xy").await.unwrap();
        let mut one = [0u8; 1];
        server.read_exact(&mut one).await.unwrap();

        const BODY: usize = 100_000;
        let (read_all_tx, read_all_rx) = futures_channel::oneshot::channel::<()>();
        let reader = wakeful::spawn(async move {
            let mut buf = vec![0u8; 16 * 1024];
            let mut got = 0;
            let mut tx = Some(read_all_tx);
            loop {
                match client.read(&mut buf).await {
                    Ok(0) => return Err(format!("EOF instead of a reset after {got} bytes")),
                    Ok(n) => {
                        got += n;
                        if got == BODY {
                            // Everything arrived: the next read is pending when the RST comes.
                            tx.take().unwrap().send(()).unwrap();
                        }
                    }
                    Err(e) => return Ok((got, e, client)),
                }
            }
        });

        server.write_all(&vec![5u8; BODY]).await.unwrap();
        read_all_rx.await.unwrap();
        drop(server); // RST

        let (got, err, mut client) = reader.await.unwrap().unwrap();
        assert_eq!(got, BODY);
        assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
        // The connection is dead: writes fail instead of hanging, reads see EOF.
        let mut write_failed = false;
        for _ in 0..4 {
            if client.write_all(&[0u8; 1024]).await.is_err() {
                write_failed = true;
                break;
            }
        }
        assert!(write_failed, "writes to a reset connection kept succeeding");
        assert_eq!(client.read(&mut [0u8; 8]).await.unwrap(), 0);
    });
}

#[test]
fn connect_to_a_closed_port_is_refused() {
    let _guard = watchdog("connect_to_a_closed_port_is_refused", 60);
    rt(1).block_on(async {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            l.local_addr().unwrap()
        };
        let err = TcpStream::connect(port).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    });
}
