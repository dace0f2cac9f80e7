//! `copy_bidirectional`: relay two streams both ways, propagating half-close.
//!
//! # Close contract
//! Each direction copies until its reader returns EOF, then flushes and closes the other
//! side's write half (`poll_close`, a TCP half-close), and is done. The relay finishes when
//! both directions are done, so a peer that half-closes keeps receiving what the other peer
//! still sends. The first error in either direction ends the relay with that error (the
//! other direction is abandoned where it stands; dropping the streams closes them).
//!
//! # Buffer sizes
//! See [`copy_bidirectional`]'s docs (the public contract). Invariant: a buffer is resized
//! only when empty (`pos == cap`), just before a read, so no byte is copied or lost.
use futures_io::{AsyncRead, AsyncWrite};
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Starting buffer size of each direction in [`copy_bidirectional`] (tokio's fixed size).
pub(crate) const SMALL_BUF_SIZE: usize = 8 * 1024;

/// Buffer size of a direction of [`copy_bidirectional`] that carries a bulk flow.
pub(crate) const BULK_BUF_SIZE: usize = 64 * 1024;

/// Reads in a row that bring less than [`SMALL_BUF_SIZE`] into a bulk buffer before it
/// shrinks: one short read (the tail of a burst, a mid-sized message) is not a quiet flow.
const SHORT_READS_TO_SHRINK: u8 = 4;

/// Copies `a` to `b` and `b` to `a` at the same time until both reach EOF, propagating each
/// EOF as a write half-close of the other side. Returns `(bytes a→b, bytes b→a)`.
///
/// # Buffer sizes
/// Each direction's buffer is sized by its flow (tokio's `copy_bidirectional` keeps a fixed
/// 8 KiB). It starts at 8 KiB and grows to 64 KiB when a read fills it (the reader had at
/// least that much waiting: a bulk flow), so a bulk flow makes up to an eighth of the reads
/// and writes. It shrinks back to 8 KiB after four reads in a row brought less than 8 KiB
/// each (the flow turned to small messages), so a flow of mid-sized messages does not
/// reallocate per message. A connection that only ever carries small messages never holds
/// more than 8 KiB per direction; one that carried bulk data and then went idle keeps
/// 64 KiB per direction until its next short reads or its end.
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
    let a_to_b = CopyBuffer::adaptive(SMALL_BUF_SIZE, BULK_BUF_SIZE);
    let b_to_a = CopyBuffer::adaptive(SMALL_BUF_SIZE, BULK_BUF_SIZE);
    relay(a, b, a_to_b, b_to_a).await
}

/// As [`copy_bidirectional`], with a fixed buffer size for each direction (bigger buffers
/// mean fewer syscalls per byte, at that much memory per connection).
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
    let a_to_b = CopyBuffer::adaptive(a_to_b_size, a_to_b_size);
    let b_to_a = CopyBuffer::adaptive(b_to_a_size, b_to_a_size);
    relay(a, b, a_to_b, b_to_a).await
}

/// Runs both directions to completion.
async fn relay<A, B>(
    a: &mut A,
    b: &mut B,
    a_to_b: CopyBuffer,
    b_to_a: CopyBuffer,
) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    let mut a_to_b = Transfer::Running(a_to_b);
    let mut b_to_a = Transfer::Running(b_to_a);
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
///
/// Its length is `small` or `bulk` (equal for a fixed size), changed only while it is
/// empty (`pos == cap`), just before a read, to what the reads so far asked for (`want`).
struct CopyBuffer {
    read_done: bool,
    need_flush: bool,
    pos: usize,
    cap: usize,
    amt: u64,
    buf: Box<[u8]>,
    small: usize,
    bulk: usize,
    /// The size to take at the next read: `small` or `bulk`.
    want: usize,
    /// Reads in a row into the big buffer that brought less than `small`.
    short_reads: u8,
}

impl CopyBuffer {
    /// A buffer of `small` bytes that grows to `bulk` for a bulk flow (module docs).
    fn adaptive(small: usize, bulk: usize) -> CopyBuffer {
        debug_assert!(0 < small && small <= bulk);
        CopyBuffer {
            read_done: false,
            need_flush: false,
            pos: 0,
            cap: 0,
            amt: 0,
            buf: vec![0; small].into_boxed_slice(),
            small,
            bulk,
            want: small,
            short_reads: 0,
        }
    }

    /// Records the size the flow a read of `n` bytes showed: it filled the small buffer
    /// (grow), or it is the [`SHORT_READS_TO_SHRINK`]th read in a row to bring less than
    /// the small size into the big one (shrink).
    fn note_read(&mut self, n: usize) {
        let len = self.buf.len();
        if n == len && len < self.bulk {
            self.want = self.bulk;
        } else if len > self.small && n < self.small {
            self.short_reads += 1;
            if self.short_reads >= SHORT_READS_TO_SHRINK {
                self.want = self.small;
                self.short_reads = 0;
            }
        } else {
            self.short_reads = 0;
        }
    }

    /// Gives the empty buffer the size the flow wants.
    fn fit_to_flow(&mut self) {
        debug_assert_eq!(self.pos, self.cap);
        if self.buf.len() != self.want {
            self.buf = vec![0; self.want].into_boxed_slice();
            (self.pos, self.cap) = (0, 0);
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
                self.fit_to_flow();
                match reader.as_mut().poll_read(cx, &mut self.buf) {
                    Poll::Ready(Ok(0)) => self.read_done = true,
                    Poll::Ready(Ok(n)) => {
                        self.note_read(n);
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::task::Waker;

    /// A reader that returns scripted read sizes (then EOF), each read's bytes counting up
    /// from the last, and records the size of every buffer it was offered.
    struct Script {
        reads: VecDeque<usize>,
        offered: Vec<usize>,
        next: u8,
    }

    impl AsyncRead for Script {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            self.offered.push(buf.len());
            let n = self.reads.pop_front().unwrap_or(0).min(buf.len());
            for b in &mut buf[..n] {
                *b = self.next;
                self.next = self.next.wrapping_add(1);
            }
            Poll::Ready(Ok(n))
        }
    }

    /// Runs `buf` over the script to EOF; returns the offered sizes and what was written.
    fn copy(mut buf: CopyBuffer, reads: &[usize]) -> (Vec<usize>, Vec<u8>) {
        let mut reader = Script {
            reads: reads.iter().copied().collect(),
            offered: Vec::new(),
            next: 0,
        };
        let mut written = Vec::new();
        let mut cx = Context::from_waker(Waker::noop());
        let res = buf.poll_copy(&mut cx, Pin::new(&mut reader), Pin::new(&mut written));
        let total: usize = reads.iter().sum();
        assert!(matches!(res, Poll::Ready(Ok(n)) if n == total as u64));
        (reader.offered, written)
    }

    fn counting(len: usize) -> Vec<u8> {
        (0..len).map(|i| i as u8).collect()
    }

    #[test]
    fn a_read_that_fills_the_small_buffer_grows_it_and_four_short_reads_shrink_it() {
        let (small, bulk) = (SMALL_BUF_SIZE, BULK_BUF_SIZE);
        let short = small - 1;
        let reads = [
            small,
            bulk,
            bulk - 1,
            small,
            short,
            short,
            short,
            short,
            10,
            small,
        ];
        let (offered, written) = copy(CopyBuffer::adaptive(small, bulk), &reads);
        // The full small read grows the next; reads of at least `small` keep the big
        // buffer; the fourth short read in a row shrinks the next, which then stays small
        // until a read fills it; the EOF read is offered what the last full read asked for.
        assert_eq!(
            offered,
            [small, bulk, bulk, bulk, bulk, bulk, bulk, bulk, small, small, bulk]
        );
        assert_eq!(
            written,
            counting(reads.iter().sum()),
            "bytes lost or reordered"
        );
    }

    #[test]
    fn mid_sized_messages_do_not_resize_per_message() {
        let (small, bulk) = (SMALL_BUF_SIZE, BULK_BUF_SIZE);
        // 12 KiB messages: the first fills the small buffer; afterwards each arrives whole
        // (not short) or split into a short 4 KiB and a longer read (which resets the
        // count): never four short reads in a row.
        let reads = [small, 4096, 12288, 4096, 12288, 4096, 4096, 4096, 12288];
        let (offered, written) = copy(CopyBuffer::adaptive(small, bulk), &reads);
        assert_eq!(offered[0], small);
        assert!(offered[1..].iter().all(|&len| len == bulk), "{offered:?}");
        assert_eq!(written, counting(reads.iter().sum()));
    }

    #[test]
    fn small_messages_never_grow_the_buffer() {
        let reads = [1024; 50];
        let (offered, _) = copy(CopyBuffer::adaptive(SMALL_BUF_SIZE, BULK_BUF_SIZE), &reads);
        assert!(
            offered.iter().all(|&len| len == SMALL_BUF_SIZE),
            "{offered:?}"
        );
    }

    #[test]
    fn a_fixed_size_never_changes() {
        let reads = [512, 512, 512, 3, 512];
        let (offered, written) = copy(CopyBuffer::adaptive(512, 512), &reads);
        assert!(offered.iter().all(|&len| len == 512), "{offered:?}");
        assert_eq!(written, counting(reads.iter().sum()));
    }
}
