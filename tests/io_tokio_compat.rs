//! The `tokio-io` feature: wakeful's TCP types implement tokio's `AsyncRead`/`AsyncWrite`,
//! so code written against tokio's traits (tokio-rustls, hyper-util's `TokioIo`, tokio's own
//! `io-util` helpers) runs on wakeful unchanged. The tests and benches always build it (a
//! dev-dependency feature), so this file runs in every `cargo test`.
mod io_support;

use io_support::{pattern, rt, watchdog};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use wakeful::net::{TcpListener, TcpStream};

const TOTAL: usize = 8 << 20;

/// Anything generic over tokio's traits, as a TLS or HTTP library would be.
async fn echo_via_tokio_traits<S: AsyncRead + AsyncWrite + Unpin + Send>(
    stream: S,
) -> std::io::Result<u64> {
    let (mut rd, mut wr) = tokio::io::split(stream);
    let n = tokio::io::copy(&mut rd, &mut wr).await?;
    wr.shutdown().await?;
    Ok(n)
}

#[test]
fn echo_through_tokio_traits() {
    let _guard = watchdog("echo_through_tokio_traits", 120);
    rt(2).block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = wakeful::spawn(async move {
            let (socket, _) = listener.accept().await?;
            echo_via_tokio_traits(socket).await
        });

        let client = TcpStream::connect(addr).await.unwrap();
        let (mut rd, mut wr) = client.into_split();
        let writer = wakeful::spawn(async move {
            let mut sent = 0;
            while sent < TOTAL {
                let len = 50_000.min(TOTAL - sent);
                wr.write_all(pattern(sent as u64, len)).await?;
                sent += len;
            }
            // tokio's `shutdown` is the half-close.
            wr.shutdown().await
        });
        let mut got = Vec::with_capacity(TOTAL);
        rd.read_to_end(&mut got).await.unwrap();
        assert_eq!(got.len(), TOTAL);
        for (i, chunk) in got.chunks(1 << 19).enumerate() {
            assert!(
                chunk == pattern((i << 19) as u64, chunk.len()),
                "echo corrupted"
            );
        }
        writer.await.unwrap().unwrap();
        assert_eq!(server.await.unwrap().unwrap(), TOTAL as u64);
    });
}

#[test]
fn borrowed_halves_and_vectored_writes_through_tokio_traits() {
    let _guard = watchdog("borrowed_halves_through_tokio_traits", 60);
    rt(2).block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        {
            let (_rd, mut wr) = client.split();
            assert!(wr.is_write_vectored());
            let bufs = [
                std::io::IoSlice::new(b"hello "),
                std::io::IoSlice::new(b"world"),
            ];
            let mut written = 0;
            while written < 11 {
                let n = wr.write_vectored(&bufs).await.unwrap();
                assert_eq!(n, 11, "a vectored write of 11 bytes to an empty socket");
                written += n;
            }
            wr.shutdown().await.unwrap();
        }
        let (mut rd, _wr) = server.split();
        let mut s = String::new();
        rd.read_to_string(&mut s).await.unwrap();
        assert_eq!(s, "hello world");
    });
}
