//! The plain-TCP backend behind each proxy: an echo server on the driver's tokio runtime.
//!
//! Every byte read is written back; at EOF it half-closes (FIN) and the connection ends, so
//! the proxy's half-close path runs on every connection. [`Upstream::received`] counts the
//! bytes it has read: the client→upstream bytes that went through the proxy, the bulk
//! workload's unit. Each proxy gets its own upstream, so that count is that proxy's alone.
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

const BUF: usize = 64 * 1024;

/// A running echo upstream; its accept loop stops on drop (open connections run to EOF).
#[derive(Debug)]
pub struct Upstream {
    addr: SocketAddr,
    received: Arc<AtomicU64>,
    accept_loop: JoinHandle<()>,
}

impl Upstream {
    /// Listens on 127.0.0.1:0. Must run inside the driver's runtime.
    pub async fn start() -> io::Result<Upstream> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let received = Arc::new(AtomicU64::new(0));
        let counter = received.clone();
        let accept_loop = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    // EMFILE and friends: let it clear rather than spin.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                tokio::spawn(echo(tcp, counter.clone()));
            }
        });
        Ok(Upstream {
            addr,
            received,
            accept_loop,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Bytes read from all connections so far.
    pub fn received(&self) -> u64 {
        self.received.load(Relaxed)
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

async fn echo(mut tcp: TcpStream, received: Arc<AtomicU64>) {
    let _ = tcp.set_nodelay(true);
    let mut buf = vec![0u8; BUF];
    loop {
        match tcp.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => {
                received.fetch_add(n as u64, Relaxed);
                if tcp.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
            Err(_) => return,
        }
    }
    let _ = tcp.shutdown().await;
}
