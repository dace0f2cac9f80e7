//! Split streams: owned halves driven from two tasks at once (full duplex), borrowed halves
//! joined in one task, and reuniting.
mod io_support;

use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use io_support::{pattern, rt, watchdog};
use wakeful::net::{TcpListener, TcpStream};

const TOTAL: u64 = 32 << 20;

async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

async fn read_and_check<R: futures_io::AsyncRead + Unpin>(rd: &mut R) -> u64 {
    let mut buf = vec![0u8; 64 * 1024];
    let mut got = 0u64;
    loop {
        let n = rd.read(&mut buf).await.unwrap();
        if n == 0 {
            return got;
        }
        assert!(buf[..n] == *pattern(got, n), "corrupted at {got}");
        got += n as u64;
    }
}

async fn write_pattern<W: futures_io::AsyncWrite + Unpin>(wr: &mut W, chunk: usize) {
    let mut sent = 0u64;
    while sent < TOTAL {
        let len = chunk.min((TOTAL - sent) as usize);
        wr.write_all(pattern(sent, len)).await.unwrap();
        sent += len as u64;
    }
    wr.close().await.unwrap();
}

#[test]
fn owned_halves_in_two_tasks_full_duplex() {
    let _guard = watchdog("owned_halves_in_two_tasks_full_duplex", 120);
    rt(2).block_on(async {
        let (client, server) = pair().await;
        let (mut c_rd, mut c_wr) = client.into_split();
        let (mut s_rd, mut s_wr) = server.into_split();
        // Four tasks: each side writes its stream while reading the other's.
        let tasks = [
            wakeful::spawn(async move {
                write_pattern(&mut c_wr, 100_000).await;
                0
            }),
            wakeful::spawn(async move {
                write_pattern(&mut s_wr, 7_000).await;
                0
            }),
            wakeful::spawn(async move { read_and_check(&mut c_rd).await }),
            wakeful::spawn(async move { read_and_check(&mut s_rd).await }),
        ];
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.unwrap());
        }
        assert_eq!(results, [0, 0, TOTAL, TOTAL]);
    });
}

#[test]
fn borrowed_halves_joined_in_one_task() {
    let _guard = watchdog("borrowed_halves_joined_in_one_task", 120);
    rt(2).block_on(async {
        let (mut client, mut server) = pair().await;
        let echo = wakeful::spawn(async move {
            let (mut rd, mut wr) = TcpStream::split(&mut server);
            futures_util::io::copy(&mut rd, &mut wr).await.unwrap();
            wr.close().await.unwrap();
        });
        let (mut rd, mut wr) = TcpStream::split(&mut client);
        let (got, ()) =
            futures_util::future::join(read_and_check(&mut rd), write_pattern(&mut wr, 65_536))
                .await;
        assert_eq!(got, TOTAL);
        echo.await.unwrap();
    });
}

#[test]
fn reunite_checks_the_halves_belong_together() {
    let _guard = watchdog("reunite_checks_the_halves_belong_together", 60);
    rt(1).block_on(async {
        let (a, mut b) = pair().await;
        let (c, _d) = pair().await;
        let (a_rd, a_wr) = a.into_split();
        let (c_rd, c_wr) = c.into_split();
        let err = a_rd.reunite(c_wr).unwrap_err();
        let (a_rd, c_wr) = (err.0, err.1);
        let mut a = a_rd.reunite(a_wr).unwrap();
        drop((c_rd, c_wr));
        // Reuniting did not shut the write side down.
        a.write_all(b"whole again").await.unwrap();
        a.close().await.unwrap();
        let mut got = Vec::new();
        b.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"whole again");
    });
}
