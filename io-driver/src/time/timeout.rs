//! `Timeout`: a future with a deadline.
use super::error::Elapsed;
use super::{Instant, Sleep};
use pin_project_lite::pin_project;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// Runs `future` for at most `duration`: `Err(Elapsed)` if the deadline passes first, and
/// the future is dropped (cancelled) with the `Timeout`.
///
/// ```
/// # let rt = wakeful_io::rt::doc_runtime();
/// # rt.block_on(async {
/// use std::time::Duration;
/// use wakeful_io::time::timeout;
///
/// let never = std::future::pending::<()>();
/// assert!(timeout(Duration::from_millis(5), never).await.is_err());
/// assert_eq!(timeout(Duration::from_secs(5), async { 7 }).await, Ok(7));
/// # });
/// ```
///
/// # Panics
/// Outside a wakeful runtime (one built with `wakeful::runtime::Builder`).
#[track_caller]
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    let deadline = Instant::now()
        .checked_add(duration)
        .unwrap_or_else(Instant::far_future);
    Timeout::new(future.into_future(), Sleep::new(deadline))
}

/// As [`timeout`], with a deadline instead of a duration.
///
/// # Panics
/// Outside a wakeful runtime (one built with `wakeful::runtime::Builder`).
#[track_caller]
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    Timeout::new(future.into_future(), Sleep::new(deadline))
}

pin_project! {
    /// The future of [`timeout`] and [`timeout_at`].
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Timeout<T> {
        #[pin]
        value: T,
        delay: Sleep,
    }
}

impl<T> Timeout<T> {
    fn new(value: T, delay: Sleep) -> Timeout<T> {
        Timeout { value, delay }
    }

    /// The inner future.
    pub fn get_ref(&self) -> &T {
        &self.value
    }

    /// The inner future.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.value
    }

    /// The inner future, without its deadline.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T: Future> Future for Timeout<T> {
    type Output = Result<T::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(v) = this.value.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        // Not budgeted: the deadline must be seen even if the future spent the budget.
        this.delay.poll_unbudgeted(cx).map(|()| Err(Elapsed::new()))
    }
}

impl<T: fmt::Debug> fmt::Debug for Timeout<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("value", &self.value)
            .field("delay", &self.delay)
            .finish()
    }
}
