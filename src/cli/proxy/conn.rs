//! One client connection: TLS handshake (bounded), upstream connect (bounded), then a relay
//! both ways with half-close, byte counts and an idle timeout.
//!
//! # Close contract
//! - Client close_notify (or a TCP EOF without one, counted as a truncation): the upstream's
//!   write side is shut (`shutdown(Write)`, a FIN); the upstream's answer still flows back.
//! - Upstream FIN: the client gets our close_notify and a FIN; what the client still sends
//!   still reaches the upstream.
//! - Both directions done: the connection is `completed`. An error either way ends both
//!   (`client_error` / `upstream_error`); so does `--idle-timeout` without a byte moved.
//! - Nothing here logs payload bytes; per-connection events log at `debug` only, so a
//!   client cannot flood the log.
use super::limits::{Limits, Slot};
use super::log_throttle::{suppressed_note, LogThrottle};
use super::metrics::{CloseReason, HandshakeFailure, ProxyMetrics};
use crate::cli::race::{race, Either};
use prometheus_client::metrics::counter::Counter;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};
use tracing::{debug, warn};
use wakeful::io::{AsyncRead, AsyncWrite};
use wakeful::net::TcpStream;
use wakeful::time::{sleep_until, timeout};
use wakeful::tls::TlsAcceptor;

/// What every connection task shares.
#[derive(Debug)]
pub(crate) struct ConnCtx {
    pub(crate) acceptor: TlsAcceptor,
    pub(crate) upstream: String,
    pub(crate) limits: Limits,
    pub(crate) metrics: Arc<ProxyMetrics>,
    /// Upstream connect failures are logged at most every 10 s (with a count).
    pub(crate) upstream_log: LogThrottle,
    /// So are pauses at `--max-conns`.
    pub(crate) limit_log: LogThrottle,
}

/// Serves one accepted connection; `slot` is freed when it ends.
pub(crate) async fn serve(tcp: TcpStream, peer: SocketAddr, ctx: Arc<ConnCtx>, slot: Slot) {
    let reason = run(tcp, peer, &ctx).await;
    // Free the slot first: whoever sees the close counted sees the connection gone.
    drop(slot);
    ctx.metrics.closed(reason);
    debug!(%peer, reason = reason.as_str(), "connection closed");
}

async fn run(tcp: TcpStream, peer: SocketAddr, ctx: &ConnCtx) -> CloseReason {
    // Small records out at once (an interactive protocol behind us); best effort.
    let _ = tcp.set_nodelay(true);
    let limits = ctx.limits;
    let mut tls = match timeout(limits.handshake_timeout, ctx.acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            let why = classify_handshake_error(&e);
            ctx.metrics.handshake_failed(why);
            debug!(%peer, reason = why.as_str(), error = %e, "handshake failed");
            return CloseReason::HandshakeFailed;
        }
        Err(_elapsed) => {
            ctx.metrics.handshake_failed(HandshakeFailure::Timeout);
            debug!(%peer, "handshake timed out");
            return CloseReason::HandshakeFailed;
        }
    };
    // Uploads in big reads (one per 65 KiB, not per 4 KiB); the stream is never taken
    // apart, so nothing read ahead can be stranded.
    tls.set_read_ahead(true);
    let upstream = match timeout(
        limits.handshake_timeout,
        TcpStream::connect(ctx.upstream.as_str()),
    )
    .await
    {
        Ok(Ok(up)) => up,
        Ok(Err(e)) => {
            ctx.upstream_log.warn(|suppressed| {
                warn!(
                    "cannot connect to upstream {}: {e}{}",
                    ctx.upstream,
                    suppressed_note(suppressed)
                )
            });
            return CloseReason::UpstreamConnectFailed;
        }
        Err(_elapsed) => {
            ctx.upstream_log.warn(|suppressed| {
                warn!(
                    "cannot connect to upstream {}: timed out after {:?}{}",
                    ctx.upstream,
                    limits.handshake_timeout,
                    suppressed_note(suppressed)
                )
            });
            return CloseReason::UpstreamConnectFailed;
        }
    };
    let _ = upstream.set_nodelay(true);
    relay(tls, upstream, ctx).await
}

/// The handshake error's class: rustls errors arrive as `InvalidData` wrapping a
/// `rustls::Error` (the tls-adapter's contract).
fn classify_handshake_error(e: &io::Error) -> HandshakeFailure {
    use wakeful::tls::rustls::Error as TlsError;
    match e.kind() {
        io::ErrorKind::UnexpectedEof => return HandshakeFailure::Eof,
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
            return HandshakeFailure::Reset
        }
        io::ErrorKind::InvalidData => {}
        _ => return HandshakeFailure::Io,
    }
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<TlsError>())
    {
        Some(
            TlsError::InvalidMessage(_)
            | TlsError::InappropriateMessage { .. }
            | TlsError::InappropriateHandshakeMessage { .. }
            | TlsError::DecryptError,
        ) => HandshakeFailure::BadMessage,
        Some(TlsError::PeerIncompatible(_) | TlsError::NoApplicationProtocol) => {
            HandshakeFailure::Incompatible
        }
        Some(TlsError::AlertReceived(_)) => HandshakeFailure::AlertReceived,
        _ => HandshakeFailure::Tls,
    }
}

/// Relays until both directions are done, an error, or the idle timeout.
async fn relay<C, U>(client: C, upstream: U, ctx: &ConnCtx) -> CloseReason
where
    C: AsyncRead + AsyncWrite + Unpin,
    U: AsyncRead + AsyncWrite + Unpin,
{
    let activity = Activity::new();
    let mut client = Metered::new(
        client,
        ctx.metrics.client_to_upstream.clone(),
        &activity,
        true,
    );
    let mut upstream = Metered::new(
        upstream,
        ctx.metrics.upstream_to_client.clone(),
        &activity,
        false,
    );
    let outcome = race(
        wakeful::io::copy_bidirectional(&mut client, &mut upstream),
        activity.idle(ctx.limits.idle_timeout),
    )
    .await;
    if client.truncated {
        ctx.metrics.client_truncations.inc();
    }
    match outcome {
        Either::Left(Ok(_)) => CloseReason::Completed,
        Either::Left(Err(e)) => {
            let reason = if upstream.failed && !client.failed {
                CloseReason::UpstreamError
            } else {
                CloseReason::ClientError
            };
            debug!(error = %e, reason = reason.as_str(), "relay ended");
            reason
        }
        Either::Right(()) => {
            // Tell the client politely (close_notify), without waiting on it for long.
            let _ = timeout(Duration::from_secs(1), futures_close(&mut client)).await;
            CloseReason::IdleTimeout
        }
    }
}

async fn futures_close<S: AsyncWrite + Unpin>(s: &mut S) -> io::Result<()> {
    std::future::poll_fn(|cx| Pin::new(&mut *s).poll_close(cx)).await
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

    /// Resolves once `idle` has passed without a [`touch`](Self::touch): one timer per
    /// idle period, re-armed from the last activity.
    async fn idle(&self, idle: Duration) {
        loop {
            let last = self.start + Duration::from_millis(self.last_ms.load(Relaxed));
            let deadline = last + idle;
            if Instant::now() >= deadline {
                return;
            }
            sleep_until(deadline.into()).await;
        }
    }
}

/// A stream whose reads are counted, timestamped, and whose errors are remembered.
struct Metered<'a, S> {
    io: S,
    read_bytes: Counter,
    activity: &'a Activity,
    /// Client side: a TCP EOF without close_notify reads as EOF (and is remembered).
    tolerate_truncation: bool,
    truncated: bool,
    failed: bool,
}

impl<'a, S> Metered<'a, S> {
    fn new(io: S, read_bytes: Counter, activity: &'a Activity, client: bool) -> Self {
        Metered {
            io,
            read_bytes,
            activity,
            tolerate_truncation: client,
            truncated: false,
            failed: false,
        }
    }

    fn note<T>(&mut self, res: io::Result<T>) -> io::Result<T> {
        if res.is_err() {
            self.failed = true;
        }
        res
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Metered<'_, S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match ready!(Pin::new(&mut this.io).poll_read(cx, buf)) {
            Ok(n) => {
                if n > 0 {
                    this.read_bytes.inc_by(n as u64);
                    this.activity.touch();
                }
                Poll::Ready(Ok(n))
            }
            Err(e) if this.tolerate_truncation && e.kind() == io::ErrorKind::UnexpectedEof => {
                this.truncated = true;
                Poll::Ready(Ok(0))
            }
            Err(e) => Poll::Ready(this.note(Err(e))),
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
        Poll::Ready(this.note(res))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let res = ready!(Pin::new(&mut this.io).poll_flush(cx));
        Poll::Ready(this.note(res))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let res = ready!(Pin::new(&mut this.io).poll_close(cx));
        Poll::Ready(this.note(res))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_errors_are_classified() {
        use wakeful::tls::rustls;
        let tls = |e: rustls::Error| io::Error::new(io::ErrorKind::InvalidData, e);
        let cases = [
            (
                io::Error::from(io::ErrorKind::UnexpectedEof),
                HandshakeFailure::Eof,
            ),
            (
                io::Error::from(io::ErrorKind::ConnectionReset),
                HandshakeFailure::Reset,
            ),
            (
                tls(rustls::Error::InvalidMessage(
                    rustls::InvalidMessage::InvalidContentType,
                )),
                HandshakeFailure::BadMessage,
            ),
            (
                tls(rustls::Error::PeerIncompatible(
                    rustls::PeerIncompatible::NoCipherSuitesInCommon,
                )),
                HandshakeFailure::Incompatible,
            ),
            (
                tls(rustls::Error::AlertReceived(
                    rustls::AlertDescription::BadCertificate,
                )),
                HandshakeFailure::AlertReceived,
            ),
            (
                tls(rustls::Error::General("x".into())),
                HandshakeFailure::Tls,
            ),
            (io::Error::other("x"), HandshakeFailure::Io),
        ];
        for (e, want) in cases {
            assert_eq!(classify_handshake_error(&e), want, "{e:?}");
        }
    }
}
