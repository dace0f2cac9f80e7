//! A single-value channel that counts the value's arrival as progress.
use crate::task::progress;
use futures_channel::oneshot as inner;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A channel for exactly one value.
///
/// ```
/// # let rt = wakeful_executor::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let (tx, rx) = wakeful_executor::sync::oneshot::channel();
/// wakeful_executor::spawn(async move { tx.send(5).unwrap() });
/// assert_eq!(rx.await.unwrap(), 5);
/// # });
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = inner::channel();
    (Sender { inner: tx }, Receiver { inner: rx })
}

/// The sender was dropped without sending.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct RecvError(());

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("channel closed")
    }
}

impl std::error::Error for RecvError {}

/// Sends the value.
pub struct Sender<T> {
    inner: inner::Sender<T>,
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> Sender<T> {
    /// Sends the value; gives it back if the receiver is gone.
    pub fn send(self, value: T) -> Result<(), T> {
        let res = self.inner.send(value);
        if res.is_ok() {
            progress();
        }
        res
    }

    /// True once the receiver is gone.
    pub fn is_closed(&self) -> bool {
        self.inner.is_canceled()
    }
}

/// Awaits the value.
pub struct Receiver<T> {
    inner: inner::Receiver<T>,
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match Pin::new(&mut self.inner).poll(cx) {
            Poll::Ready(Ok(v)) => {
                progress();
                Poll::Ready(Ok(v))
            }
            Poll::Ready(Err(_)) => Poll::Ready(Err(RecvError(()))),
            Poll::Pending => Poll::Pending,
        }
    }
}
