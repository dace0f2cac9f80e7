//! `TcpStream`: a connected TCP socket.
use crate::net::addr::{each_addr, ToSocketAddrs};
use crate::net::tcp::split::{split, ReadHalf, WriteHalf};
use crate::net::tcp::split_owned::{split_owned, OwnedReadHalf, OwnedWriteHalf};
use crate::poll_evented::PollEvented;
use crate::ready::{Direction, Ready};
use std::fmt;
use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use wakeful_executor::driver::poll_budget;
use wakeful_executor::task::progress;

/// A TCP connection.
///
/// Implements the futures-io [`AsyncRead`](futures_io::AsyncRead) and
/// [`AsyncWrite`](futures_io::AsyncWrite) traits (and tokio's, with the `tokio-io` feature).
/// Reads and writes that move bytes count as progress for the task doing them, so a task
/// busy with a fast socket is never mistaken for a spinning one; a task whose socket is
/// always ready yields every 128 operations.
///
/// ```
/// # let rt = wakeful_io::rt::doc_runtime();
/// # rt.block_on(async {
/// use futures_util::io::{AsyncReadExt, AsyncWriteExt};
/// use wakeful_io::net::{TcpListener, TcpStream};
///
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let mut client = TcpStream::connect(listener.local_addr()?).await?;
/// let (mut server, _) = listener.accept().await?;
///
/// client.write_all(b"ping").await?;
/// client.close().await?; // half-close: the server reads EOF after "ping"
/// let mut got = Vec::new();
/// server.read_to_end(&mut got).await?;
/// assert_eq!(got, b"ping");
/// # Ok::<_, std::io::Error>(())
/// # }).unwrap();
/// ```
pub struct TcpStream {
    io: PollEvented<mio::net::TcpStream>,
}

impl TcpStream {
    /// Opens a connection to `addr`, trying each resolved address in turn.
    ///
    /// # Errors
    /// The last address's connect error, or `InvalidInput` if `addr` resolved to nothing;
    /// an error outside a wakeful runtime.
    pub async fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        each_addr(addr, TcpStream::connect_addr).await
    }

    async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = TcpStream::from_mio(mio::net::TcpStream::connect(addr)?)?;
        let reg = stream.io.registration();
        loop {
            // Writable means the connect finished, one way or the other.
            let ev = std::future::poll_fn(|cx| reg.poll_ready(cx, Direction::Write)).await?;
            if let Some(e) = stream.io.take_error()? {
                return Err(e);
            }
            match stream.io.peer_addr() {
                Ok(_) => return Ok(stream),
                // A spurious event: still connecting.
                Err(e) if e.kind() == io::ErrorKind::NotConnected => reg.clear_readiness(ev),
                Err(e) => return Err(e),
            }
        }
    }

    pub(crate) fn from_mio(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: PollEvented::new(stream, mio::Interest::READABLE | mio::Interest::WRITABLE)?,
        })
    }

    /// A stream `accept` returned: assumed readable and writable, so its first read and
    /// write try the socket at once instead of waiting a turn of the reactor for its first
    /// event (a server writes to, or reads the request from, a new connection without an
    /// extra trip through the reactor; under load that first event would queue behind
    /// every other connection's). A wrong guess costs one `WouldBlock`.
    pub(crate) fn from_accepted(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        let stream = TcpStream::from_mio(stream)?;
        stream
            .io
            .registration()
            .assume_ready(Ready::READABLE | Ready::WRITABLE);
        Ok(stream)
    }

    /// Wraps a connected std socket (which is switched to non-blocking mode).
    ///
    /// # Errors
    /// Outside a wakeful runtime, or if the socket cannot be registered.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_mio(mio::net::TcpStream::from_std(stream))
    }

    /// Deregisters the stream and returns it as a std socket, still non-blocking.
    ///
    /// # Errors
    /// If deregistration fails.
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        self.io.into_inner().map(std::net::TcpStream::from)
    }

    /// The local address of the connection.
    ///
    /// # Errors
    /// As `getsockname(2)`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr()
    }

    /// The remote address of the connection.
    ///
    /// # Errors
    /// As `getpeername(2)`.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.peer_addr()
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm when `true`).
    ///
    /// # Errors
    /// As `setsockopt(2)`.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.set_nodelay(nodelay)
    }

    /// The value of `TCP_NODELAY`.
    ///
    /// # Errors
    /// As `getsockopt(2)`.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.nodelay()
    }

    /// Sets `IP_TTL`.
    ///
    /// # Errors
    /// As `setsockopt(2)`.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.set_ttl(ttl)
    }

    /// The value of `IP_TTL`.
    ///
    /// # Errors
    /// As `getsockopt(2)`.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.ttl()
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    ///
    /// # Errors
    /// As `getsockopt(2)`.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.take_error()
    }

    /// Shuts down the read side, the write side, or both (`shutdown(2)`).
    ///
    /// `Shutdown::Write` is the half-close: the peer reads EOF once it has read everything
    /// sent before, and this side can still read what the peer sends.
    ///
    /// # Errors
    /// As `shutdown(2)` (`NotConnected` if the connection is already gone).
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.shutdown(how)
    }

    /// Waits until the stream may be readable (spurious readiness is possible: a following
    /// [`try_read`](Self::try_read) may still return `WouldBlock`).
    ///
    /// # Errors
    /// If the runtime has shut down.
    pub async fn readable(&self) -> io::Result<()> {
        self.io
            .registration()
            .readiness(Direction::Read.mask())
            .await
            .map(drop)
    }

    /// Waits until the stream may be writable (see [`readable`](Self::readable)).
    ///
    /// # Errors
    /// If the runtime has shut down.
    pub async fn writable(&self) -> io::Result<()> {
        self.io
            .registration()
            .readiness(Direction::Write.mask())
            .await
            .map(drop)
    }

    /// Reads without waiting: `WouldBlock` if no data is ready.
    ///
    /// # Errors
    /// `WouldBlock`, or as `read(2)`.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self
            .io
            .registration()
            .try_io(Direction::Read.mask(), || (&*self.io).read(buf))?;
        if n > 0 {
            progress();
        }
        Ok(n)
    }

    /// Writes without waiting: `WouldBlock` if the send buffer is full.
    ///
    /// # Errors
    /// `WouldBlock`, or as `write(2)`.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        let n = self
            .io
            .registration()
            .try_io(Direction::Write.mask(), || (&*self.io).write(buf))?;
        if n > 0 {
            progress();
        }
        Ok(n)
    }

    /// Writes several buffers without waiting (`writev(2)`).
    ///
    /// # Errors
    /// `WouldBlock`, or as `writev(2)`.
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let n = self
            .io
            .registration()
            .try_io(Direction::Write.mask(), || (&*self.io).write_vectored(bufs))?;
        if n > 0 {
            progress();
        }
        Ok(n)
    }

    /// Reads without removing the data from the socket's queue (`MSG_PEEK`), waiting for
    /// data if there is none.
    ///
    /// # Errors
    /// As `recv(2)`.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .registration()
            .async_io(Direction::Read.mask(), || self.io.peek(buf))
            .await
    }

    /// Polls for read readiness (one task at a time: the last waker registered wins).
    ///
    /// # Errors
    /// If the runtime has shut down.
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io
            .registration()
            .poll_ready(cx, Direction::Read)
            .map_ok(drop)
    }

    /// Polls for write readiness (one task at a time: the last waker registered wins).
    ///
    /// # Errors
    /// If the runtime has shut down.
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io
            .registration()
            .poll_ready(cx, Direction::Write)
            .map_ok(drop)
    }

    /// Splits into a read half and a write half borrowing the stream, usable concurrently
    /// (for example in `join!`) from one task.
    ///
    /// With futures-util's `AsyncReadExt` in scope, `stream.split()` resolves to that
    /// trait's by-value `split` instead (method lookup tries by-value receivers first);
    /// write `TcpStream::split(&mut stream)` to get these halves.
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        split(self)
    }

    /// Splits into owned read and write halves, which can move to two tasks. Dropping the
    /// write half shuts down the write side (see [`OwnedWriteHalf`]).
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split_owned(self)
    }

    /// `read`, through the reactor. A partial read means the receive buffer was drained,
    /// so readiness is cleared without another syscall (the tick protocol still catches a
    /// racing event, see `scheduled_io`).
    pub(crate) fn poll_read_priv(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let reg = self.io.registration();
        let mut budgeted = false;
        loop {
            let ev = ready!(reg.poll_ready(cx, Direction::Read))?;
            if !budgeted {
                ready!(poll_budget(cx));
                budgeted = true;
            }
            match (&*self.io).read(buf) {
                Ok(n) => {
                    if n > 0 {
                        progress();
                        if n < buf.len() {
                            reg.clear_readiness(ev);
                        }
                    }
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => reg.clear_readiness(ev),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// `write`/`writev`, through the reactor (a partial write clears readiness, as reads do).
    pub(crate) fn poll_write_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let reg = self.io.registration();
        let len: usize = bufs.iter().map(|b| b.len()).sum();
        let mut budgeted = false;
        loop {
            let ev = ready!(reg.poll_ready(cx, Direction::Write))?;
            if !budgeted {
                ready!(poll_budget(cx));
                budgeted = true;
            }
            let res = match bufs {
                [one] => (&*self.io).write(one),
                _ => (&*self.io).write_vectored(bufs),
            };
            match res {
                Ok(n) => {
                    if n > 0 {
                        progress();
                        if n < len {
                            reg.clear_readiness(ev);
                        }
                    }
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => reg.clear_readiness(ev),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// The write half-close of `poll_close`/`poll_shutdown`. A connection already gone
    /// (`NotConnected`) counts as closed, so closing twice is fine.
    pub(crate) fn shutdown_write(&self) -> io::Result<()> {
        match self.io.shutdown(Shutdown::Write) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            res => res,
        }
    }
}

impl futures_io::AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_priv(cx, buf)
    }
}

impl futures_io::AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_priv(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_priv(cx, bufs)
    }

    /// Nothing is buffered in user space: always ready.
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Half-closes: `shutdown(Write)`. Reading still works.
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.shutdown_write())
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local_addr", &self.io.local_addr().ok())
            .field("peer_addr", &self.io.peer_addr().ok())
            .finish()
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.as_raw_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for TcpStream {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.as_fd()
    }
}
