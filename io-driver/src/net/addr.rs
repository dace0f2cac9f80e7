//! `ToSocketAddrs`: what `bind`, `connect` and `send_to` accept, resolved without blocking
//! a worker (names go through the blocking pool; literal addresses resolve in place).
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// Converts or resolves to one or more socket addresses (tokio's trait of the same name).
///
/// Implemented for `SocketAddr` and its variants, `(IpAddr, u16)` and its variants,
/// `&[SocketAddr]`, `"host:port"` strings (`&str`, `String`), `(&str, u16)` and
/// `(String, u16)`, and references to all of these. A host name is looked up on the
/// runtime's blocking pool. Sealed: it cannot be implemented outside this crate.
pub trait ToSocketAddrs: sealed::ToSocketAddrsPriv {}

pub(crate) mod sealed {
    use std::io;
    use std::net::SocketAddr;

    /// Addresses already known, or a name to look up.
    #[derive(Debug)]
    pub enum Resolved {
        Ready(io::Result<Addrs>),
        Lookup(String),
    }

    /// Resolved addresses: one without allocating (the common case), or several.
    #[derive(Debug)]
    pub enum Addrs {
        One(Option<SocketAddr>),
        Many(std::vec::IntoIter<SocketAddr>),
    }

    impl Iterator for Addrs {
        type Item = SocketAddr;
        fn next(&mut self) -> Option<SocketAddr> {
            match self {
                Addrs::One(a) => a.take(),
                Addrs::Many(it) => it.next(),
            }
        }
    }

    /// The private half of [`ToSocketAddrs`](super::ToSocketAddrs).
    pub trait ToSocketAddrsPriv {
        /// The addresses, or the `host:port` to look up.
        fn to_socket_addrs_priv(&self) -> Resolved;
    }
}

use sealed::{Addrs, Resolved, ToSocketAddrsPriv};

/// Resolves `addr` to its socket addresses.
pub(crate) fn resolve<A: ToSocketAddrs>(addr: A) -> impl Future<Output = io::Result<Addrs>> {
    let resolved = addr.to_socket_addrs_priv();
    async move {
        match resolved {
            Resolved::Ready(addrs) => addrs,
            Resolved::Lookup(host) => {
                let lookup = wakeful_executor::task::spawn_blocking(move || {
                    std::net::ToSocketAddrs::to_socket_addrs(&host)
                        .map(|it| Addrs::Many(it.collect::<Vec<_>>().into_iter()))
                });
                match lookup.await {
                    Ok(addrs) => addrs,
                    Err(e) => Err(io::Error::other(format!("address lookup failed: {e}"))),
                }
            }
        }
    }
}

/// Looks up the socket addresses of `host` (a `"host:port"` string or anything else that is
/// [`ToSocketAddrs`]), on the blocking pool.
///
/// # Panics
/// Outside a wakeful runtime, when `host` needs a lookup.
pub async fn lookup_host<A: ToSocketAddrs>(
    host: A,
) -> io::Result<impl Iterator<Item = SocketAddr>> {
    resolve(host).await
}

/// Runs `f` on each address in turn; returns the first success or the last error.
pub(crate) async fn each_addr<A, T, F, Fut>(addr: A, mut f: F) -> io::Result<T>
where
    A: ToSocketAddrs,
    F: FnMut(SocketAddr) -> Fut,
    Fut: Future<Output = io::Result<T>>,
{
    let mut last = None;
    for addr in resolve(addr).await? {
        match f(addr).await {
            Ok(v) => return Ok(v),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any address",
        )
    }))
}

macro_rules! ready_addr {
    ($($t:ty),*) => {$(
        impl ToSocketAddrs for $t {}
        impl ToSocketAddrsPriv for $t {
            fn to_socket_addrs_priv(&self) -> Resolved {
                Resolved::Ready(Ok(Addrs::One(Some(SocketAddr::from(*self)))))
            }
        }
    )*};
}

ready_addr!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16)
);

impl ToSocketAddrs for [SocketAddr] {}
impl ToSocketAddrsPriv for [SocketAddr] {
    fn to_socket_addrs_priv(&self) -> Resolved {
        Resolved::Ready(Ok(Addrs::Many(Vec::from(self).into_iter())))
    }
}

impl ToSocketAddrs for str {}
impl ToSocketAddrsPriv for str {
    fn to_socket_addrs_priv(&self) -> Resolved {
        match self.parse::<SocketAddr>() {
            Ok(addr) => Resolved::Ready(Ok(Addrs::One(Some(addr)))),
            Err(_) => Resolved::Lookup(self.to_owned()),
        }
    }
}

impl ToSocketAddrs for String {}
impl ToSocketAddrsPriv for String {
    fn to_socket_addrs_priv(&self) -> Resolved {
        self.as_str().to_socket_addrs_priv()
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl ToSocketAddrsPriv for (&str, u16) {
    fn to_socket_addrs_priv(&self) -> Resolved {
        let (host, port) = *self;
        match host.parse::<IpAddr>() {
            Ok(ip) => Resolved::Ready(Ok(Addrs::One(Some(SocketAddr::new(ip, port))))),
            Err(_) => Resolved::Lookup(format!("{host}:{port}")),
        }
    }
}

impl ToSocketAddrs for (String, u16) {}
impl ToSocketAddrsPriv for (String, u16) {
    fn to_socket_addrs_priv(&self) -> Resolved {
        (self.0.as_str(), self.1).to_socket_addrs_priv()
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: ToSocketAddrsPriv + ?Sized> ToSocketAddrsPriv for &T {
    fn to_socket_addrs_priv(&self) -> Resolved {
        (**self).to_socket_addrs_priv()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn ready(a: impl ToSocketAddrs) -> Vec<SocketAddr> {
        match a.to_socket_addrs_priv() {
            Resolved::Ready(r) => r.unwrap().collect(),
            Resolved::Lookup(h) => panic!("unexpected lookup of {h}"),
        }
    }

    #[test]
    fn literals_resolve_in_place() {
        let v4: SocketAddr = "127.0.0.1:80".parse().unwrap();
        assert_eq!(ready(v4), vec![v4]);
        assert_eq!(ready("127.0.0.1:80"), vec![v4]);
        assert_eq!(ready(String::from("127.0.0.1:80")), vec![v4]);
        assert_eq!(ready(("127.0.0.1", 80)), vec![v4]);
        assert_eq!(ready((Ipv4Addr::LOCALHOST, 80)), vec![v4]);
        assert_eq!(ready(&[v4, v4][..]), vec![v4, v4]);
        assert_eq!(ready(("::1", 5)), vec!["[::1]:5".parse().unwrap()]);
        match ("localhost", 80).to_socket_addrs_priv() {
            Resolved::Lookup(h) => assert_eq!(h, "localhost:80"),
            Resolved::Ready(_) => panic!("a name must be looked up"),
        }
    }
}
