//! `TcpListener`: accepts TCP connections.
use crate::net::addr::{each_addr, ToSocketAddrs};
use crate::net::tcp::TcpStream;
use crate::poll_evented::PollEvented;
use crate::ready::{Direction, Ready};
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::task::{ready, Context, Poll};
use wakeful_executor::task::progress;

/// A TCP socket server, listening for connections.
///
/// ```
/// # let rt = wakeful_io::rt::doc_runtime();
/// # rt.block_on(async {
/// use wakeful_io::net::{TcpListener, TcpStream};
///
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let addr = listener.local_addr()?;
/// let client = TcpStream::connect(addr).await?;
/// let (server, peer) = listener.accept().await?;
/// assert_eq!(peer, client.local_addr()?);
/// assert_eq!(server.peer_addr()?, client.local_addr()?);
/// # Ok::<_, std::io::Error>(())
/// # }).unwrap();
/// ```
///
/// # Errors
/// `accept` returns every error of `accept(2)` to the caller, including `EMFILE`/`ENFILE`
/// (out of file descriptors): the listener stays ready, so calling `accept` again at once
/// fails again. Back off before retrying; the driver itself never loops on it.
pub struct TcpListener {
    io: PollEvented<mio::net::TcpListener>,
}

impl TcpListener {
    /// Binds to `addr` (trying each resolved address in turn) and listens, with
    /// `SO_REUSEADDR` set and a backlog of 128 (as `std` and mio do).
    ///
    /// # Errors
    /// The last address's error, or `InvalidInput` if `addr` resolved to nothing; an
    /// error outside a wakeful runtime.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        each_addr(addr, |addr| async move {
            TcpListener::new(mio::net::TcpListener::bind(addr)?)
        })
        .await
    }

    fn new(listener: mio::net::TcpListener) -> io::Result<TcpListener> {
        Ok(TcpListener {
            io: PollEvented::new(listener, mio::Interest::READABLE)?,
        })
    }

    /// Wraps a listening std socket (which is switched to non-blocking mode).
    ///
    /// # Errors
    /// Outside a wakeful runtime, or if the socket cannot be registered.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        TcpListener::new(mio::net::TcpListener::from_std(listener))
    }

    /// Deregisters the listener and returns it as a std socket, still non-blocking.
    ///
    /// # Errors
    /// If deregistration fails.
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        self.io.into_inner().map(std::net::TcpListener::from)
    }

    /// Accepts a new connection. Any number of tasks may wait in `accept` at once.
    ///
    /// Cancel-safe: dropping the future never loses a connection (it stays in the
    /// kernel's queue).
    ///
    /// # Errors
    /// Errors of `accept(2)` (see the type's docs on `EMFILE`), or of registering the new
    /// socket with the reactor (the socket is closed then).
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, addr) = self
            .io
            .registration()
            .async_io(Ready::READABLE | Ready::ERROR, || self.io.accept())
            .await?;
        progress();
        Ok((TcpStream::from_accepted(stream)?, addr))
    }

    /// Polls for a new connection (one task at a time: the last waker registered wins).
    ///
    /// # Errors
    /// As [`accept`](Self::accept).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let (stream, addr) = ready!(self
            .io
            .registration()
            .poll_io(cx, Direction::Read, || self.io.accept()))?;
        progress();
        Poll::Ready(TcpStream::from_accepted(stream).map(|s| (s, addr)))
    }

    /// The local address the listener is bound to.
    ///
    /// # Errors
    /// As `getsockname(2)`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr()
    }

    /// Sets `IP_TTL` on the listening socket (inherited by accepted sockets).
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
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local_addr", &self.io.local_addr().ok())
            .finish()
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.as_raw_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for TcpListener {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.as_fd()
    }
}
