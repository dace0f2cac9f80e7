//! TCP echo of 1 GiB, byte-exact, through the public API: a client writes a deterministic
//! pattern from one task and checks every byte it reads back in another, while the server
//! echoes with a split stream.
mod io_support;

use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use io_support::{pattern, rt, watchdog};
use wakeful::net::{TcpListener, TcpStream};

const TOTAL: u64 = 1 << 30;
const CHUNK: usize = 256 * 1024;

async fn echo_server(listener: TcpListener) -> std::io::Result<u64> {
    let (mut socket, _) = listener.accept().await?;
    let (mut rd, mut wr) = TcpStream::split(&mut socket);
    let mut buf = vec![0u8; CHUNK];
    let mut echoed = 0u64;
    loop {
        let n = rd.read(&mut buf).await?;
        if n == 0 {
            wr.close().await?;
            return Ok(echoed);
        }
        wr.write_all(&buf[..n]).await?;
        echoed += n as u64;
    }
}

#[test]
fn echo_one_gib_byte_exact() {
    let _guard = watchdog("echo_one_gib_byte_exact", 300);
    let rt = rt(2);
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = wakeful::spawn(echo_server(listener));

        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (mut rd, mut wr) = stream.into_split();
        let writer = wakeful::spawn(async move {
            let mut sent = 0u64;
            while sent < TOTAL {
                // Odd sizes, so writes straddle the pattern period and the reader's chunks.
                let len = (CHUNK - (sent % 4093) as usize).min((TOTAL - sent) as usize);
                wr.write_all(pattern(sent, len)).await?;
                sent += len as u64;
            }
            wr.close().await?;
            Ok::<_, std::io::Error>(sent)
        });

        let mut buf = vec![0u8; CHUNK];
        let mut received = 0u64;
        loop {
            let n = rd.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            assert!(
                buf[..n] == *pattern(received, n),
                "byte mismatch in the {n} bytes at offset {received}"
            );
            received += n as u64;
        }
        assert_eq!(received, TOTAL, "EOF before every byte came back");
        assert_eq!(writer.await.unwrap().unwrap(), TOTAL);
        assert_eq!(server.await.unwrap().unwrap(), TOTAL);
    });
}
