//! tokio's `AsyncRead`/`AsyncWrite` on [`MockIo`] (feature `tokio-io`), for streams written
//! against tokio's traits (tokio-rustls). Same script, same semantics as the futures-io
//! impls; `poll_shutdown` is `poll_close`.
use super::MockIo;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::ReadBuf;

impl tokio::io::AsyncRead for MockIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.read_into(cx, buf.initialize_unfilled())
            .map_ok(|n| buf.advance(n))
    }
}

impl tokio::io::AsyncWrite for MockIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.write_from(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.flush_now())
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.close_now())
    }
}
