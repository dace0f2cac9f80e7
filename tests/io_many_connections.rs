//! 10,000 concurrent TCP connections: a wakeful server in this process, wakeful clients in
//! a child process (this same test binary, re-run with an environment variable), since both
//! ends in one process would need more file descriptors than the limit of 20,000 allows.
//!
//! The child opens all 10,000 connections (at most 100 connects in flight: the listen
//! backlog is 128), echoes one message on each, then — with all of them still open —
//! echoes a second message on every one, and only then closes them. The server counts
//! connections open at once and must see 10,000.
mod io_support;

use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use io_support::{rt, watchdog};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use wakeful::net::{TcpListener, TcpStream};

const CONNS: usize = 10_000;
const IN_FLIGHT: usize = 100;
const ADDR_ENV: &str = "WAKEFUL_IO_MANY_CONNECTIONS_SERVER";
const TEST_NAME: &str = "ten_thousand_concurrent_connections";

async fn roundtrip(stream: &mut TcpStream, msg: u64) -> std::io::Result<()> {
    stream.write_all(&msg.to_le_bytes()).await?;
    let mut back = [0u8; 8];
    stream.read_exact(&mut back).await?;
    assert_eq!(u64::from_le_bytes(back), msg, "echo mismatch");
    Ok(())
}

/// The child: the client side.
fn clients(addr: String) {
    let _guard = watchdog("the client process", 240);
    let rt = rt(2);
    rt.block_on(async {
        let mut open: Vec<TcpStream> = Vec::with_capacity(CONNS);
        while open.len() < CONNS {
            let base = open.len();
            let batch: Vec<_> = (base..(base + IN_FLIGHT).min(CONNS))
                .map(|i| {
                    let addr = addr.clone();
                    wakeful::spawn(async move {
                        let mut s = TcpStream::connect(addr.as_str()).await?;
                        roundtrip(&mut s, i as u64).await?;
                        Ok::<_, std::io::Error>(s)
                    })
                })
                .collect();
            for t in batch {
                open.push(t.await.unwrap().expect("connect and first echo"));
            }
        }
        // Every connection is open: echo once more on each, all at once.
        let tasks: Vec<_> = open
            .into_iter()
            .enumerate()
            .map(|(i, mut s)| {
                wakeful::spawn(async move {
                    roundtrip(&mut s, (CONNS + i) as u64).await?;
                    Ok::<_, std::io::Error>(s)
                })
            })
            .collect();
        let mut open = Vec::with_capacity(CONNS);
        for t in tasks {
            open.push(t.await.unwrap().expect("second echo"));
        }
        assert_eq!(open.len(), CONNS);
        drop(open);
    });
}

#[test]
fn ten_thousand_concurrent_connections() {
    if let Ok(addr) = std::env::var(ADDR_ENV) {
        return clients(addr);
    }
    let _guard = watchdog(TEST_NAME, 300);
    let rt = rt(2);
    let active = Arc::new(AtomicUsize::new(0));
    let max_active = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::new(AtomicUsize::new(0));
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let server = {
        let (active, max_active, accepted) = (active.clone(), max_active.clone(), accepted.clone());
        rt.spawn(async move {
            loop {
                let (mut socket, _) = listener.accept().await?;
                accepted.fetch_add(1, SeqCst);
                let now = active.fetch_add(1, SeqCst) + 1;
                max_active.fetch_max(now, SeqCst);
                let active = active.clone();
                wakeful::spawn(async move {
                    let mut msg = [0u8; 8];
                    while socket.read_exact(&mut msg).await.is_ok() {
                        if socket.write_all(&msg).await.is_err() {
                            break;
                        }
                    }
                    active.fetch_sub(1, SeqCst);
                });
            }
            #[allow(unreachable_code, reason = "the accept loop only ends on an error")]
            Ok::<(), std::io::Error>(())
        })
    };

    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", TEST_NAME, "--nocapture", "--test-threads=1"])
        .env(ADDR_ENV, addr.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the client process");
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the client process failed: {}\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(accepted.load(SeqCst), CONNS);
    assert_eq!(
        max_active.load(SeqCst),
        CONNS,
        "the server never had every connection open at once"
    );
    assert!(!server.is_finished(), "the accept loop failed");
    server.abort();
}
