//! `copy_bidirectional`: relay two streams both ways, propagating half-close.
//!
//! # Close contract
//! Each direction copies until its reader returns EOF, then flushes and closes the other
//! side's write half (`poll_close`, a TCP half-close), and is done. The relay finishes when
//! both directions are done, so a peer that half-closes keeps receiving what the other peer
//! still sends. The first error in either direction ends the relay with that error (the
//! other direction is abandoned where it stands; dropping the streams closes them).
use futures_io::{AsyncRead, AsyncWrite};
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Buffer size of each direction in [`copy_bidirectional`] (tokio's default too).
const DEFAULT_BUF_SIZE: usize = 8 * 1024;

/// Copies `a` to `b` and `b` to `a` at the same time until both reach EOF, propagating each
/// EOF as a write half-close of the other side. Returns `(bytes a→b, bytes b→a)`.
///
/// ```
/// # let rt = wakeful_io::rt::doc_runtime();
/// # rt.block_on(async {
/// use futures_util::io::{AsyncReadExt, AsyncWriteExt};
/// use wakeful_io::net::{TcpListener, TcpStream};
///
/// // client <-> (relay: s1 <-> c2) <-> server
/// let front = TcpListener::bind("127.0.0.1:0").await?;
/// let back = TcpListener::bind("127.0.0.1:0").await?;
/// let mut client = TcpStream::connect(front.local_addr()?).await?;
/// let (mut s1, _) = front.accept().await?;
/// let mut c2 = TcpStream::connect(back.local_addr()?).await?;
/// let (mut server, _) = back.accept().await?;
///
/// let relay = wakeful_executor::spawn(async move {
///     wakeful_io::io::copy_bidirectional(&mut s1, &mut c2).await
/// });
/// client.write_all(b"hello").await?;
/// client.close().await?; // half-close travels through the relay
/// let mut got = Vec::new();
/// server.read_to_end(&mut got).await?;
/// assert_eq!(got, b"hello");
/// server.write_all(b"bye").await?;
/// server.close().await?;
/// let mut back_got = Vec::new();
/// client.read_to_end(&mut back_got).await?;
/// assert_eq!(back_got, b"bye");
/// assert_eq!(relay.await.unwrap()?, (5, 3));
/// # Ok::<_, std::io::Error>(())
/// # }).unwrap();
/// ```
///
/// # Errors
/// The first read, write, flush or close error of either direction.
pub async fn copy_bidirectional<A, B>(a: &mut A, b: &mut B) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    copy_bidirectional_with_sizes(a, b, DEFAULT_BUF_SIZE, DEFAULT_BUF_SIZE).await
}

/// As [`copy_bidirectional`], with the buffer size of each direction (bigger buffers mean
/// fewer syscalls per byte, at that much memory per connection).
///
/// # Errors
/// The first read, write, flush or close error of either direction.
///
/// # Panics
/// If a size is zero.
pub async fn copy_bidirectional_with_sizes<A, B>(
    a: &mut A,
    b: &mut B,
    a_to_b_size: usize,
    b_to_a_size: usize,
) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    assert!(
        a_to_b_size > 0 && b_to_a_size > 0,
        "buffer sizes must be non-zero"
    );
    let mut a_to_b = Transfer::Running(CopyBuffer::new(a_to_b_size));
    let mut b_to_a = Transfer::Running(CopyBuffer::new(b_to_a_size));
    poll_fn(|cx| {
        let ab = a_to_b.poll(cx, &mut *a, &mut *b)?;
        let ba = b_to_a.poll(cx, &mut *b, &mut *a)?;
        let ab = ready!(ab);
        let ba = ready!(ba);
        Poll::Ready(Ok((ab, ba)))
    })
    .await
}

/// One direction of the relay.
enum Transfer {
    Running(CopyBuffer),
    /// EOF read and everything written: closing the writer.
    ShuttingDown(u64),
    Done(u64),
}

impl Transfer {
    fn poll<R, W>(&mut self, cx: &mut Context<'_>, r: &mut R, w: &mut W) -> Poll<io::Result<u64>>
    where
        R: AsyncRead + Unpin + ?Sized,
        W: AsyncWrite + Unpin + ?Sized,
    {
        loop {
            match self {
                Transfer::Running(buf) => {
                    let count = ready!(buf.poll_copy(cx, Pin::new(&mut *r), Pin::new(&mut *w)))?;
                    *self = Transfer::ShuttingDown(count);
                }
                Transfer::ShuttingDown(count) => {
                    ready!(Pin::new(&mut *w).poll_close(cx))?;
                    *self = Transfer::Done(*count);
                }
                Transfer::Done(count) => return Poll::Ready(Ok(*count)),
            }
        }
    }
}

/// A buffer between a reader and a writer: `buf[pos..cap]` is read and not yet written.
struct CopyBuffer {
    read_done: bool,
    need_flush: bool,
    pos: usize,
    cap: usize,
    amt: u64,
    buf: Box<[u8]>,
}

impl CopyBuffer {
    fn new(size: usize) -> CopyBuffer {
        CopyBuffer {
            read_done: false,
            need_flush: false,
            pos: 0,
            cap: 0,
            amt: 0,
            buf: vec![0; size].into_boxed_slice(),
        }
    }

    /// Copies until the reader's EOF has been reached and everything is written and
    /// flushed; returns the bytes copied.
    fn poll_copy<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        mut reader: Pin<&mut R>,
        mut writer: Pin<&mut W>,
    ) -> Poll<io::Result<u64>>
    where
        R: AsyncRead + ?Sized,
        W: AsyncWrite + ?Sized,
    {
        loop {
            if self.pos == self.cap && !self.read_done {
                match reader.as_mut().poll_read(cx, &mut self.buf) {
                    Poll::Ready(Ok(0)) => self.read_done = true,
                    Poll::Ready(Ok(n)) => {
                        self.pos = 0;
                        self.cap = n;
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => {
                        // Nothing to read: flush what was written, in case the peer waits
                        // for it before sending more.
                        if self.need_flush {
                            ready!(writer.as_mut().poll_flush(cx))?;
                            self.need_flush = false;
                        }
                        return Poll::Pending;
                    }
                }
            }
            while self.pos < self.cap {
                let n = ready!(writer
                    .as_mut()
                    .poll_write(cx, &self.buf[self.pos..self.cap]))?;
                if n == 0 {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "write zero bytes into writer",
                    )));
                }
                if n > self.cap - self.pos {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "writer reported more bytes written than it was given",
                    )));
                }
                self.pos += n;
                self.amt += n as u64;
                self.need_flush = true;
            }
            if self.read_done {
                ready!(writer.as_mut().poll_flush(cx))?;
                return Poll::Ready(Ok(self.amt));
            }
        }
    }
}
