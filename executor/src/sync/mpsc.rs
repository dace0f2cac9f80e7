//! Multi-producer, single-consumer channels that count each message as progress.
use crate::task::progress;
use futures_channel::mpsc as inner;
use futures_core::Stream;
use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Polls a receiver and reports a delivered message as progress (see the module docs).
fn poll_next_counting<S: Stream + Unpin>(
    rx: &mut S,
    cx: &mut Context<'_>,
) -> Poll<Option<S::Item>> {
    let res = Pin::new(rx).poll_next(cx);
    if let Poll::Ready(Some(_)) = res {
        progress();
    }
    res
}

/// Reports a queued message as progress; gives the message back if it was refused.
fn sent<T>(res: Result<(), inner::TrySendError<T>>) -> Result<(), SendError<T>> {
    match res {
        Ok(()) => {
            progress();
            Ok(())
        }
        Err(e) => Err(SendError(e.into_inner())),
    }
}

/// A bounded channel: `send` waits while `buffer` messages (plus one per sender) are queued.
///
/// ```
/// # let rt = wakeful_executor::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let (mut tx, mut rx) = wakeful_executor::sync::mpsc::channel(16);
/// wakeful_executor::spawn(async move {
///     for i in 0..3 {
///         tx.send(i).await.unwrap();
///     }
/// });
/// let mut got = Vec::new();
/// while let Some(i) = rx.recv().await {
///     got.push(i);
/// }
/// assert_eq!(got, [0, 1, 2]);
/// # });
/// ```
pub fn channel<T>(buffer: usize) -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = inner::channel(buffer);
    (Sender { inner: tx }, Receiver { inner: rx })
}

/// An unbounded channel: `send` never waits.
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let (tx, rx) = inner::unbounded();
    (
        UnboundedSender { inner: tx },
        UnboundedReceiver { inner: rx },
    )
}

/// The receiver was dropped; the message is given back.
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("channel closed")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// The sending half of a bounded channel.
pub struct Sender<T> {
    inner: inner::Sender<T>,
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender {
            inner: self.inner.clone(),
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> Sender<T> {
    /// Sends a message, waiting for room. Fails if the receiver is gone.
    pub async fn send(&mut self, value: T) -> Result<(), SendError<T>> {
        if poll_fn(|cx| self.inner.poll_ready(cx)).await.is_err() {
            return Err(SendError(value));
        }
        // `poll_ready` reserved room, so this only fails if the receiver just left; unlike
        // `start_send`, `try_send` gives the value back then.
        self.try_send(value)
    }

    /// Sends without waiting; fails if the channel is full or closed.
    pub fn try_send(&mut self, value: T) -> Result<(), SendError<T>> {
        sent(self.inner.try_send(value))
    }

    /// True once the receiver is gone.
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }
}

/// The receiving half of a bounded channel; also a `Stream`.
pub struct Receiver<T> {
    inner: inner::Receiver<T>,
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

impl<T> Receiver<T> {
    /// The next message, or `None` once every sender is gone and the queue is empty.
    pub async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next message.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        poll_next_counting(&mut self.inner, cx)
    }

    /// Stops new messages; queued ones can still be received.
    pub fn close(&mut self) {
        self.inner.close();
    }
}

impl<T> Stream for Receiver<T> {
    type Item = T;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.poll_recv(cx)
    }
}

/// The sending half of an unbounded channel.
pub struct UnboundedSender<T> {
    inner: inner::UnboundedSender<T>,
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        UnboundedSender {
            inner: self.inner.clone(),
        }
    }
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedSender").finish_non_exhaustive()
    }
}

impl<T> UnboundedSender<T> {
    /// Sends a message. Fails if the receiver is gone.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        sent(self.inner.unbounded_send(value))
    }

    /// True once the receiver is gone.
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }
}

/// The receiving half of an unbounded channel; also a `Stream`.
pub struct UnboundedReceiver<T> {
    inner: inner::UnboundedReceiver<T>,
}

impl<T> fmt::Debug for UnboundedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedReceiver").finish_non_exhaustive()
    }
}

impl<T> UnboundedReceiver<T> {
    /// The next message, or `None` once every sender is gone and the queue is empty.
    pub async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next message.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        poll_next_counting(&mut self.inner, cx)
    }
}

impl<T> Stream for UnboundedReceiver<T> {
    type Item = T;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.poll_recv(cx)
    }
}
