//! Half-close (`shutdown(Write)`) in both directions, directly and through
//! `copy_bidirectional`, which must propagate it each way and count the bytes.
mod io_support;

use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use io_support::{rt, watchdog};
use std::net::Shutdown;
use wakeful::net::{TcpListener, TcpStream};

async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

#[test]
fn client_half_closes_then_server_replies() {
    let _guard = watchdog("client_half_closes_then_server_replies", 60);
    rt(2).block_on(async {
        let (mut client, mut server) = pair().await;
        client.write_all(b"request").await.unwrap();
        client.shutdown(Shutdown::Write).unwrap();

        let mut got = Vec::new();
        server.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"request");
        // The server's write side is still open after the client's half-close.
        server.write_all(b"response").await.unwrap();
        server.close().await.unwrap();

        let mut reply = Vec::new();
        client.read_to_end(&mut reply).await.unwrap();
        assert_eq!(reply, b"response");
        // Closing twice is fine.
        client.close().await.unwrap();
    });
}

#[test]
fn server_half_closes_then_client_keeps_writing() {
    let _guard = watchdog("server_half_closes_then_client_keeps_writing", 60);
    rt(2).block_on(async {
        let (mut client, mut server) = pair().await;
        server.write_all(b"banner").await.unwrap();
        server.close().await.unwrap();

        let mut banner = Vec::new();
        client.read_to_end(&mut banner).await.unwrap();
        assert_eq!(banner, b"banner");
        // EOF stays EOF.
        assert_eq!(client.read(&mut [0; 8]).await.unwrap(), 0);

        let big = vec![7u8; 1 << 20];
        client.write_all(&big).await.unwrap();
        client.close().await.unwrap();
        let mut got = Vec::new();
        server.read_to_end(&mut got).await.unwrap();
        assert!(
            got == big,
            "the server lost data sent after its own half-close"
        );
    });
}

#[test]
fn dropping_owned_write_half_sends_eof_while_read_half_lives() {
    let _guard = watchdog("dropping_owned_write_half_sends_eof", 60);
    rt(2).block_on(async {
        let (client, mut server) = pair().await;
        let (mut rd, wr) = client.into_split();
        drop(wr);
        let mut got = Vec::new();
        server.read_to_end(&mut got).await.unwrap();
        assert!(got.is_empty());
        server.write_all(b"still here").await.unwrap();
        drop(server);
        let mut reply = Vec::new();
        rd.read_to_end(&mut reply).await.unwrap();
        assert_eq!(reply, b"still here");
    });
}

#[test]
fn copy_bidirectional_propagates_half_close_both_ways() {
    let _guard = watchdog("copy_bidirectional_propagates_half_close_both_ways", 60);
    rt(2).block_on(async {
        // client <-> [front | relay | back] <-> server
        let (mut client, mut front) = pair().await;
        let (mut back, mut server) = pair().await;
        let relay =
            wakeful::spawn(
                async move { wakeful::io::copy_bidirectional(&mut front, &mut back).await },
            );

        let up = vec![1u8; 300_000];
        client.write_all(&up).await.unwrap();
        client.close().await.unwrap();
        let mut got = Vec::new();
        server.read_to_end(&mut got).await.unwrap();
        assert!(got == up, "client -> server data corrupted");

        // After the client's half-close, the server can still answer through the relay.
        let down = vec![2u8; 200_000];
        server.write_all(&down).await.unwrap();
        assert!(
            !relay.is_finished(),
            "the relay ended before the second direction"
        );
        server.close().await.unwrap();
        let mut back_got = Vec::new();
        client.read_to_end(&mut back_got).await.unwrap();
        assert!(back_got == down, "server -> client data corrupted");

        let (a_to_b, b_to_a) = relay.await.unwrap().unwrap();
        assert_eq!((a_to_b, b_to_a), (300_000, 200_000));
    });
}

#[test]
fn copy_bidirectional_server_closes_first() {
    let _guard = watchdog("copy_bidirectional_server_closes_first", 60);
    rt(2).block_on(async {
        let (mut client, mut front) = pair().await;
        let (mut back, mut server) = pair().await;
        let relay = wakeful::spawn(async move {
            wakeful::io::copy_bidirectional_with_sizes(&mut front, &mut back, 1024, 64 * 1024).await
        });
        server.write_all(b"hello").await.unwrap();
        server.close().await.unwrap();
        let mut got = Vec::new();
        client.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"hello");

        let up = vec![9u8; 100_000];
        client.write_all(&up).await.unwrap();
        client.close().await.unwrap();
        let mut up_got = Vec::new();
        server.read_to_end(&mut up_got).await.unwrap();
        assert!(up_got == up);
        assert_eq!(relay.await.unwrap().unwrap(), (100_000, 5));
    });
}
