//! hyper 1.x on wakeful (feature `hyper`): an executor, a timer, and an I/O adapter.
//!
//! hyper 1.x is runtime-agnostic: it asks for an [`rt::Executor`](::hyper::rt::Executor) to
//! spawn background work, an [`rt::Timer`](::hyper::rt::Timer) for header-read timeouts
//! and keep-alive, and transports implementing [`rt::Read`](::hyper::rt::Read) /
//! [`rt::Write`](::hyper::rt::Write). This module provides the three for wakeful:
//!
//! - [`WakefulExecutor`] spawns on a wakeful runtime (the current one, or a given
//!   [`Handle`]), each task named after the executor's label so spin reports read naturally;
//! - [`WakefulTimer`] sleeps with [`crate::time`] (timer wakes are `timer` wakes in spin
//!   reports);
//! - [`FuturesIo`] wraps any futures-io `AsyncRead + AsyncWrite` stream: a
//!   [`TcpStream`](crate::net::TcpStream), a [`tls`](crate::tls) stream, or your own.
//!
//! ```
//! use http_body_util::Full;
//! use hyper::body::Bytes;
//! use hyper::{Request, Response};
//! use wakeful::hyper::{FuturesIo, WakefulTimer};
//!
//! let rt = wakeful::runtime::Runtime::new().unwrap();
//! rt.block_on(async {
//!     let listener = wakeful::net::TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     wakeful::spawn(async move {
//!         let (tcp, _) = listener.accept().await?;
//!         let service = hyper::service::service_fn(|_req: Request<hyper::body::Incoming>| async {
//!             Ok::<_, std::convert::Infallible>(Response::new(Full::new(Bytes::from("hi"))))
//!         });
//!         hyper::server::conn::http1::Builder::new()
//!             .timer(WakefulTimer::new())
//!             .serve_connection(FuturesIo::new(tcp), service)
//!             .await
//!             .map_err(std::io::Error::other)
//!     });
//!
//!     let tcp = wakeful::net::TcpStream::connect(addr).await?;
//!     let (mut sender, conn) = hyper::client::conn::http1::handshake(FuturesIo::new(tcp))
//!         .await
//!         .map_err(std::io::Error::other)?;
//!     wakeful::spawn(conn);
//!     let req = Request::get("/").body(Full::new(Bytes::new())).unwrap();
//!     let res = sender.send_request(req).await.map_err(std::io::Error::other)?;
//!     assert_eq!(res.status(), 200);
//!     Ok::<_, std::io::Error>(())
//! })
//! .unwrap();
//! ```
//!
//! # Cost of the read adapter
//! hyper hands [`rt::Read`](::hyper::rt::Read) a possibly uninitialised buffer, and filling
//! it without a copy takes `unsafe` code, which this crate forbids. [`FuturesIo`] reads into
//! a buffer of its own (allocated on the first read, at most 16 KiB) and copies into hyper's:
//! one `memcpy` per read, which is nothing next to the syscall. Writes are not copied.
use crate::io::{AsyncRead, AsyncWrite};
use crate::runtime::Handle;
use ::hyper::rt::{Executor, Read, ReadBufCursor, Sleep, Timer, Write};
use std::fmt;
use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

/// Spawns hyper's background futures (HTTP/2 streams, client connections) on wakeful.
///
/// Tasks are named with the executor's label (`hyper` unless [`named`](Self::named)).
/// Without a [`Handle`], futures go to the runtime current where `execute` is called (hyper
/// calls it from the connection's own task); outside any runtime they are dropped, with an
/// error on stderr.
///
/// ```
/// use hyper::rt::Executor;
/// use wakeful::hyper::WakefulExecutor;
///
/// let rt = wakeful::runtime::Runtime::new().unwrap();
/// let exec = WakefulExecutor::with_handle(rt.handle().clone()).named("hyper background");
/// let (tx, rx) = std::sync::mpsc::channel();
/// exec.execute(async move { tx.send(42).unwrap() }); // from outside the runtime, too
/// assert_eq!(rx.recv().unwrap(), 42);
/// ```
#[derive(Clone)]
pub struct WakefulExecutor {
    handle: Option<Handle>,
    name: Arc<str>,
}

impl WakefulExecutor {
    /// An executor spawning on the current runtime.
    pub fn new() -> WakefulExecutor {
        WakefulExecutor {
            handle: None,
            name: Arc::from("hyper"),
        }
    }

    /// An executor spawning on `handle`'s runtime, from any thread.
    pub fn with_handle(handle: Handle) -> WakefulExecutor {
        WakefulExecutor {
            handle: Some(handle),
            name: Arc::from("hyper"),
        }
    }

    /// Names every task this executor spawns `name` (shown in spin reports).
    pub fn named(mut self, name: &str) -> WakefulExecutor {
        self.name = Arc::from(name);
        self
    }
}

impl Default for WakefulExecutor {
    fn default() -> Self {
        WakefulExecutor::new()
    }
}

impl fmt::Debug for WakefulExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WakefulExecutor")
            .field("name", &self.name)
            .field("handle", &self.handle.is_some())
            .finish()
    }
}

impl<F> Executor<F> for WakefulExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, fut: F) {
        let builder = crate::task::Builder::new().name(&self.name);
        let spawned = match &self.handle {
            Some(handle) => builder.spawn_on(fut, handle),
            None => builder.spawn(fut),
        };
        // The JoinHandle is dropped: the task runs detached, as hyper expects.
        if let Err(e) = spawned {
            eprintln!("wakeful::hyper: cannot spawn a hyper task: {e}");
        }
    }
}

/// hyper's timer on [`crate::time`]: `sleep`, `sleep_until` and `reset` on wakeful's timer
/// wheel (1 ms resolution; never fires early).
///
/// Every method must be called inside a wakeful runtime (hyper calls them from the tasks it
/// runs in), as [`crate::time::sleep`] must.
///
/// ```
/// use hyper::rt::Timer;
/// use std::time::{Duration, Instant};
/// use wakeful::hyper::WakefulTimer;
///
/// let rt = wakeful::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let timer = WakefulTimer::new();
///     let start = Instant::now();
///     let mut sleep = timer.sleep(Duration::from_secs(3600));
///     timer.reset(&mut sleep, start + Duration::from_millis(5)); // much sooner
///     sleep.await;
///     assert!(start.elapsed() >= Duration::from_millis(5));
/// });
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct WakefulTimer(());

impl WakefulTimer {
    /// The timer.
    pub fn new() -> WakefulTimer {
        WakefulTimer(())
    }
}

impl Timer for WakefulTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        Box::pin(WakefulSleep(crate::time::sleep(duration)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(WakefulSleep(crate::time::sleep_until(deadline.into())))
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<WakefulSleep>() {
            Some(ours) => ours.reset(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// A [`crate::time::Sleep`] as a hyper [`Sleep`].
struct WakefulSleep(crate::time::Sleep);

impl WakefulSleep {
    fn reset(self: Pin<&mut Self>, deadline: Instant) {
        self.inner().reset(deadline.into());
    }

    fn inner(self: Pin<&mut Self>) -> Pin<&mut crate::time::Sleep> {
        // wakeful's `Sleep` is `Unpin` (its timer entry lives in the wheel, not in it).
        Pin::new(&mut self.get_mut().0)
    }
}

impl Sleep for WakefulSleep {}

impl Future for WakefulSleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.inner().poll(cx)
    }
}

/// Largest scratch buffer [`FuturesIo`] reads into (see the module docs).
const MAX_SCRATCH: usize = 16 * 1024;

/// A futures-io `AsyncRead + AsyncWrite` stream as hyper's `rt::Read + rt::Write` (what
/// hyper-util's `TokioIo` does for tokio streams).
///
/// `poll_shutdown` is the stream's `poll_close`: a TCP half-close for
/// [`TcpStream`](crate::net::TcpStream), close_notify then a half-close for TLS streams.
pub struct FuturesIo<T> {
    inner: T,
    scratch: Vec<u8>,
}

impl<T> FuturesIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> FuturesIo<T> {
        FuturesIo {
            inner,
            scratch: Vec::new(),
        }
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The wrapped stream, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the stream.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: fmt::Debug> fmt::Debug for FuturesIo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("FuturesIo").field(&self.inner).finish()
    }
}

impl<T: AsyncRead + Unpin> Read for FuturesIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let want = buf.remaining().min(MAX_SCRATCH);
        if want == 0 {
            return Poll::Ready(Ok(()));
        }
        if this.scratch.len() < want {
            this.scratch.resize(want, 0);
        }
        let n = ready!(Pin::new(&mut this.inner).poll_read(cx, &mut this.scratch[..want]))?;
        buf.put_slice(&this.scratch[..n]);
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> Write for FuturesIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        // futures-io has no way to ask; wakeful's sockets and TLS streams do implement
        // `poll_write_vectored` (writev and rustls's vectored write).
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_close(cx)
    }
}
