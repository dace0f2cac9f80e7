//! [`Step`]: what "poll it again" means for each kind of probe.
#[cfg(feature = "tokio-io")]
use crate::probe::AsTokioIo;
use crate::probe::{AsFuture, AsIo, Probe};
use std::future::Future;
use std::io;
use std::task::Poll;

/// The operation the checks repeat when they are not given one: what "poll it again" means
/// for this kind of probe.
///
/// - [`Probe::new`]: `Future::poll`; `Ready` ends a check.
/// - [`Probe::io`] and `Probe::tokio_io`: `poll_read` into the probe's buffer, appending
///   what it read to [`Probe::received`]; `Ready(Ok(0))` (EOF) and errors end a check,
///   `Ready(Ok(n))` does not (a reader keeps reading).
pub trait Step {
    /// What one step returns when ready.
    type Output;

    /// Polls once.
    fn step(&mut self) -> Poll<Self::Output>;

    /// Whether a check should stop after this result (the target is done).
    fn is_final(out: &Poll<Self::Output>) -> bool;
}

impl<F: Future> Step for Probe<F, AsFuture> {
    type Output = F::Output;

    fn step(&mut self) -> Poll<F::Output> {
        self.poll()
    }

    fn is_final(out: &Poll<F::Output>) -> bool {
        out.is_ready()
    }
}

impl<T: futures_io::AsyncRead> Step for Probe<T, AsIo> {
    type Output = io::Result<usize>;

    fn step(&mut self) -> Poll<io::Result<usize>> {
        self.read_step(|p, buf| p.poll_read(buf))
    }

    fn is_final(out: &Poll<io::Result<usize>>) -> bool {
        matches!(out, Poll::Ready(Ok(0)) | Poll::Ready(Err(_)))
    }
}

#[cfg(feature = "tokio-io")]
impl<T: tokio::io::AsyncRead> Step for Probe<T, AsTokioIo> {
    type Output = io::Result<usize>;

    fn step(&mut self) -> Poll<io::Result<usize>> {
        self.read_step(|p, buf| p.poll_read(buf))
    }

    fn is_final(out: &Poll<io::Result<usize>>) -> bool {
        matches!(out, Poll::Ready(Ok(0)) | Poll::Ready(Err(_)))
    }
}
