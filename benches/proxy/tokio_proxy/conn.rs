//! One client connection of the tokio proxy, as `src/cli/proxy/conn.rs` serves it on
//! wakeful: `TCP_NODELAY`, the TLS handshake and then the upstream connect (each bounded by
//! the handshake timeout), `TCP_NODELAY` upstream, then a relay both ways with half-close
//! (`copy_bidirectional`, tokio's fixed 8 KiB per direction where wakeful's grows to 64 KiB
//! for bulk flows; `--copy-buf` sets a size by hand), raced against the idle
//! timeout, every read counted and timestamped, a client TCP EOF without close_notify
//! tolerated as an EOF (a truncation).
//!
//! # Close contract (the same as wakeful's)
//! Client EOF → upstream `shutdown(Write)`; upstream EOF → client close_notify + FIN; both
//! done → completed. An error either way ends both; so does the idle timeout, after a
//! close_notify to the client (given 1 s).
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::timeout;
use tokio_rustls::TlsAcceptor;

/// What every connection task shares: the counters stand in for wakeful's metrics (the
/// same atomic increments per read and per close).
pub struct ConnCtx {
    acceptor: TlsAcceptor,
    upstream: String,
    handshake_timeout: Duration,
    idle_timeout: Duration,
    /// The relay's buffer size per direction; `None`: `copy_bidirectional`'s 8 KiB.
    copy_buf: Option<usize>,
    accepted: AtomicU64,
    closed: [AtomicU64; Reason::COUNT],
    client_to_upstream: AtomicU64,
    upstream_to_client: AtomicU64,
    client_truncations: AtomicU64,
}

impl ConnCtx {
    pub fn new(
        tls: Arc<rustls::ServerConfig>,
        upstream: String,
        handshake_timeout: Duration,
        idle_timeout: Duration,
        copy_buf: Option<usize>,
    ) -> ConnCtx {
        ConnCtx {
            copy_buf,
            acceptor: TlsAcceptor::from(tls),
            upstream,
            handshake_timeout,
            idle_timeout,
            accepted: AtomicU64::new(0),
            closed: Default::default(),
            client_to_upstream: AtomicU64::new(0),
            upstream_to_client: AtomicU64::new(0),
            client_truncations: AtomicU64::new(0),
        }
    }

    pub fn accepted(&self) {
        self.accepted.fetch_add(1, Relaxed);
    }
}

/// Why a connection ended (wakeful's `CloseReason`).
#[derive(Debug, Clone, Copy)]
enum Reason {
    Completed,
    HandshakeFailed,
    UpstreamConnectFailed,
    IdleTimeout,
    Error,
}

impl Reason {
    const COUNT: usize = 5;
}

/// Serves one accepted connection; `slot` is freed when it ends.
pub async fn serve(
    tcp: TcpStream,
    _peer: SocketAddr,
    ctx: Arc<ConnCtx>,
    slot: OwnedSemaphorePermit,
) {
    let reason = run(tcp, &ctx).await;
    drop(slot);
    ctx.closed[reason as usize].fetch_add(1, Relaxed);
}

async fn run(tcp: TcpStream, ctx: &ConnCtx) -> Reason {
    let _ = tcp.set_nodelay(true);
    let tls = match timeout(ctx.handshake_timeout, ctx.acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(_)) | Err(_) => return Reason::HandshakeFailed,
    };
    let upstream = match timeout(
        ctx.handshake_timeout,
        TcpStream::connect(ctx.upstream.as_str()),
    )
    .await
    {
        Ok(Ok(up)) => up,
        Ok(Err(e)) => {
            eprintln!("cannot connect to upstream {}: {e}", ctx.upstream);
            return Reason::UpstreamConnectFailed;
        }
        Err(_) => return Reason::UpstreamConnectFailed,
    };
    let _ = upstream.set_nodelay(true);
    relay(tls, upstream, ctx).await
}

async fn relay<C, U>(client: C, upstream: U, ctx: &ConnCtx) -> Reason
where
    C: AsyncRead + AsyncWrite + Unpin,
    U: AsyncRead + AsyncWrite + Unpin,
{
    let activity = Activity::new();
    let mut client = Metered::new(client, &ctx.client_to_upstream, &activity, true);
    let mut upstream = Metered::new(upstream, &ctx.upstream_to_client, &activity, false);
    let copy = async {
        match ctx.copy_buf {
            None => tokio::io::copy_bidirectional(&mut client, &mut upstream).await,
            Some(size) => {
                tokio::io::copy_bidirectional_with_sizes(&mut client, &mut upstream, size, size)
                    .await
            }
        }
    };
    // `biased`: the relay first, as wakeful's `race` polls its left side first.
    let reason = tokio::select! {
        biased;
        res = copy => match res {
            Ok(_) => Reason::Completed,
            Err(_) => Reason::Error,
        },
        () = activity.idle(ctx.idle_timeout) => {
            let _ = timeout(Duration::from_secs(1), client.shutdown()).await;
            Reason::IdleTimeout
        }
    };
    if client.truncated {
        ctx.client_truncations.fetch_add(1, Relaxed);
    }
    reason
}

/// When a byte last moved on a connection, for the idle timeout.
struct Activity {
    start: Instant,
    /// Milliseconds after `start`.
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        self.last_ms
            .store(self.start.elapsed().as_millis() as u64, Relaxed);
    }

    /// Resolves once `idle` has passed without a touch: one timer per idle period.
    async fn idle(&self, idle: Duration) {
        loop {
            let last = self.start + Duration::from_millis(self.last_ms.load(Relaxed));
            let deadline = last + idle;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline.into()).await;
        }
    }
}

/// A stream whose reads are counted and timestamped (wakeful's `Metered`).
struct Metered<'a, S> {
    io: S,
    read_bytes: &'a AtomicU64,
    activity: &'a Activity,
    /// Client side: a TCP EOF without close_notify reads as EOF (and is remembered).
    tolerate_truncation: bool,
    truncated: bool,
}

impl<'a, S> Metered<'a, S> {
    fn new(io: S, read_bytes: &'a AtomicU64, activity: &'a Activity, client: bool) -> Self {
        Metered {
            io,
            read_bytes,
            activity,
            tolerate_truncation: client,
            truncated: false,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Metered<'_, S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match ready!(Pin::new(&mut this.io).poll_read(cx, buf)) {
            Ok(()) => {
                let n = buf.filled().len() - before;
                if n > 0 {
                    this.read_bytes.fetch_add(n as u64, Relaxed);
                    this.activity.touch();
                }
                Poll::Ready(Ok(()))
            }
            Err(e) if this.tolerate_truncation && e.kind() == io::ErrorKind::UnexpectedEof => {
                this.truncated = true;
                Poll::Ready(Ok(()))
            }
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Metered<'_, S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let res = ready!(Pin::new(&mut this.io).poll_write(cx, buf));
        if matches!(res, Ok(n) if n > 0) {
            this.activity.touch();
        }
        Poll::Ready(res)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}
