//! `UdpSocket`: datagrams through the reactor.
use crate::net::addr::{each_addr, resolve, ToSocketAddrs};
use crate::poll_evented::PollEvented;
use crate::ready::Direction;
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::task::{ready, Context, Poll};
use wakeful_executor::task::progress;

/// A UDP socket.
///
/// The `async fn` operations take `&self` and may be awaited by any number of tasks at once
/// (share the socket in an `Arc`); the `poll_*` operations keep one waker per direction.
/// Every datagram sent or received counts as progress for the task that moved it.
///
/// ```
/// # let rt = wakeful_io::rt::doc_runtime();
/// # rt.block_on(async {
/// use wakeful_io::net::UdpSocket;
///
/// let a = UdpSocket::bind("127.0.0.1:0").await?;
/// let b = UdpSocket::bind("127.0.0.1:0").await?;
/// a.send_to(b"hello", b.local_addr()?).await?;
/// let mut buf = [0; 16];
/// let (n, from) = b.recv_from(&mut buf).await?;
/// assert_eq!((&buf[..n], from), (&b"hello"[..], a.local_addr()?));
/// # Ok::<_, std::io::Error>(())
/// # }).unwrap();
/// ```
pub struct UdpSocket {
    io: PollEvented<mio::net::UdpSocket>,
}

/// Reports a datagram moved (even an empty one: it is a message delivered).
fn moved<T>(res: io::Result<T>) -> io::Result<T> {
    if res.is_ok() {
        progress();
    }
    res
}

impl UdpSocket {
    /// Binds to `addr` (trying each resolved address in turn).
    ///
    /// # Errors
    /// The last address's error, or `InvalidInput` if `addr` resolved to nothing; an
    /// error outside a wakeful runtime.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        each_addr(addr, |addr| async move {
            UdpSocket::new(mio::net::UdpSocket::bind(addr)?)
        })
        .await
    }

    fn new(socket: mio::net::UdpSocket) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
            io: PollEvented::new(socket, mio::Interest::READABLE | mio::Interest::WRITABLE)?,
        })
    }

    /// Wraps a bound std socket (which is switched to non-blocking mode).
    ///
    /// # Errors
    /// Outside a wakeful runtime, or if the socket cannot be registered.
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        UdpSocket::new(mio::net::UdpSocket::from_std(socket))
    }

    /// Deregisters the socket and returns it as a std socket, still non-blocking.
    ///
    /// # Errors
    /// If deregistration fails.
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        self.io.into_inner().map(std::net::UdpSocket::from)
    }

    /// The local address of the socket.
    ///
    /// # Errors
    /// As `getsockname(2)`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr()
    }

    /// The address the socket is connected to.
    ///
    /// # Errors
    /// `NotConnected`, or as `getpeername(2)`.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.peer_addr()
    }

    /// Sets the default destination of [`send`](Self::send) and the only source
    /// [`recv`](Self::recv) accepts (trying each resolved address in turn).
    ///
    /// # Errors
    /// The last address's error.
    pub async fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        each_addr(addr, |addr| async move { self.io.connect(addr) }).await
    }

    /// Sends a datagram to the connected address.
    ///
    /// # Errors
    /// As `send(2)`.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        let reg = self.io.registration();
        moved(
            reg.async_io(Direction::Write.mask(), || self.io.send(buf))
                .await,
        )
    }

    /// Receives a datagram from the connected address.
    ///
    /// # Errors
    /// As `recv(2)`.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        let reg = self.io.registration();
        moved(
            reg.async_io(Direction::Read.mask(), || self.io.recv(buf))
                .await,
        )
    }

    /// Sends a datagram to `target` (its first resolved address).
    ///
    /// # Errors
    /// As `sendto(2)`, or `InvalidInput` if `target` resolved to nothing.
    pub async fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], target: A) -> io::Result<usize> {
        let Some(target) = resolve(target).await?.next() else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "no addresses to send data to",
            ));
        };
        let reg = self.io.registration();
        moved(
            reg.async_io(Direction::Write.mask(), || self.io.send_to(buf, target))
                .await,
        )
    }

    /// Receives a datagram and the address it came from.
    ///
    /// # Errors
    /// As `recvfrom(2)`.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let reg = self.io.registration();
        moved(
            reg.async_io(Direction::Read.mask(), || self.io.recv_from(buf))
                .await,
        )
    }

    /// Receives a datagram without removing it from the queue (`MSG_PEEK`).
    ///
    /// # Errors
    /// As `recvfrom(2)`.
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let reg = self.io.registration();
        reg.async_io(Direction::Read.mask(), || self.io.peek_from(buf))
            .await
    }

    /// Polls to send a datagram to `target`.
    ///
    /// # Errors
    /// As `sendto(2)`.
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        let reg = self.io.registration();
        let res = ready!(reg.poll_io(cx, Direction::Write, || self.io.send_to(buf, target)));
        Poll::Ready(moved(res))
    }

    /// Polls to receive a datagram and its source address.
    ///
    /// # Errors
    /// As `recvfrom(2)`.
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        let reg = self.io.registration();
        let res = ready!(reg.poll_io(cx, Direction::Read, || self.io.recv_from(buf)));
        Poll::Ready(moved(res))
    }

    /// Polls to send a datagram to the connected address.
    ///
    /// # Errors
    /// As `send(2)`.
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let reg = self.io.registration();
        let res = ready!(reg.poll_io(cx, Direction::Write, || self.io.send(buf)));
        Poll::Ready(moved(res))
    }

    /// Polls to receive a datagram from the connected address.
    ///
    /// # Errors
    /// As `recv(2)`.
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let reg = self.io.registration();
        let res = ready!(reg.poll_io(cx, Direction::Read, || self.io.recv(buf)));
        Poll::Ready(moved(res))
    }

    /// Sends to `target` without waiting: `WouldBlock` if the socket is not ready.
    ///
    /// # Errors
    /// `WouldBlock`, or as `sendto(2)`.
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        let reg = self.io.registration();
        moved(reg.try_io(Direction::Write.mask(), || self.io.send_to(buf, target)))
    }

    /// Receives without waiting: `WouldBlock` if no datagram is queued.
    ///
    /// # Errors
    /// `WouldBlock`, or as `recvfrom(2)`.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let reg = self.io.registration();
        moved(reg.try_io(Direction::Read.mask(), || self.io.recv_from(buf)))
    }

    /// Waits until the socket may be readable (spurious readiness is possible).
    ///
    /// # Errors
    /// If the runtime has shut down.
    pub async fn readable(&self) -> io::Result<()> {
        let reg = self.io.registration();
        reg.readiness(Direction::Read.mask()).await.map(drop)
    }

    /// Waits until the socket may be writable (spurious readiness is possible).
    ///
    /// # Errors
    /// If the runtime has shut down.
    pub async fn writable(&self) -> io::Result<()> {
        let reg = self.io.registration();
        reg.readiness(Direction::Write.mask()).await.map(drop)
    }

    /// Sets `SO_BROADCAST`.
    ///
    /// # Errors
    /// As `setsockopt(2)`.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.set_broadcast(on)
    }

    /// The value of `SO_BROADCAST`.
    ///
    /// # Errors
    /// As `getsockopt(2)`.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.io.broadcast()
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

    /// Joins an IPv4 multicast group on `interface`.
    ///
    /// # Errors
    /// As `setsockopt(2)`.
    pub fn join_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.join_multicast_v4(&multiaddr, &interface)
    }

    /// Leaves an IPv4 multicast group.
    ///
    /// # Errors
    /// As `setsockopt(2)`.
    pub fn leave_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.leave_multicast_v4(&multiaddr, &interface)
    }

    /// Joins an IPv6 multicast group on interface index `interface`.
    ///
    /// # Errors
    /// As `setsockopt(2)`.
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.join_multicast_v6(multiaddr, interface)
    }

    /// Leaves an IPv6 multicast group.
    ///
    /// # Errors
    /// As `setsockopt(2)`.
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.leave_multicast_v6(multiaddr, interface)
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    ///
    /// # Errors
    /// As `getsockopt(2)`.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.take_error()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("local_addr", &self.io.local_addr().ok())
            .finish()
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.as_raw_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for UdpSocket {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.as_fd()
    }
}
