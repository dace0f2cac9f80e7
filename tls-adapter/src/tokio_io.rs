//! tokio's `AsyncRead`/`AsyncWrite` on the TLS streams (the `tokio-io` feature), for code
//! written against tokio's traits (hyper-util's `TokioIo`, tokio-util codecs).
//!
//! Each impl forwards to the stream's futures-io impl: same state machine, same close
//! contract; `poll_shutdown` is `poll_close` (close_notify, then the transport's write
//! half-close). The transport itself is still a futures-io one.
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use tokio::io::ReadBuf;

macro_rules! tokio_traits {
    ($($t:ty),*) => {$(
        impl<IO: AsyncRead + AsyncWrite + Unpin> tokio::io::AsyncRead for $t {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                let n = ready!(AsyncRead::poll_read(self, cx, buf.initialize_unfilled()))?;
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
        }

        impl<IO: AsyncRead + AsyncWrite + Unpin> tokio::io::AsyncWrite for $t {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                AsyncWrite::poll_write(self, cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                AsyncWrite::poll_write_vectored(self, cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                AsyncWrite::poll_flush(self, cx)
            }

            fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                AsyncWrite::poll_close(self, cx)
            }
        }
    )*};
}

tokio_traits!(crate::server::TlsStream<IO>, crate::client::TlsStream<IO>);
