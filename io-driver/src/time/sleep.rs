//! `Sleep`: a future that completes at a deadline.
//!
//! A `Sleep` registers with the timer wheel on its first `Pending` poll (creating one costs
//! nothing), holds its wheel key from then on, and removes it when dropped: an O(1) unlink,
//! so cancelled timers leave nothing behind.
use super::timers::TimerState;
use super::wheel::Key;
use super::Instant;
use crate::driver::Driver;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;
use wakeful_executor::driver::poll_budget;

/// Waits until `duration` has elapsed. Resolution is 1 ms; the sleep never ends early.
///
/// ```
/// # let rt = wakeful_io::rt::doc_runtime();
/// # rt.block_on(async {
/// use std::time::Duration;
/// use wakeful_io::time::{sleep, Instant};
///
/// let start = Instant::now();
/// sleep(Duration::from_millis(10)).await;
/// assert!(start.elapsed() >= Duration::from_millis(10));
/// # });
/// ```
///
/// # Panics
/// Outside a wakeful runtime (one built with `wakeful::runtime::Builder`).
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    let deadline = Instant::now()
        .checked_add(duration)
        .unwrap_or_else(Instant::far_future);
    Sleep::new(deadline)
}

/// Waits until `deadline`.
///
/// # Panics
/// Outside a wakeful runtime (one built with `wakeful::runtime::Builder`).
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(deadline)
}

/// The future of [`sleep`] and [`sleep_until`].
///
/// Timer wakes are attributed as `timer` wakes in spin reports, and the poll after one counts
/// as progress.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Sleep {
    deadline: Instant,
    entry: Option<Key>,
    driver: Arc<Driver>,
}

impl Sleep {
    #[track_caller]
    pub(crate) fn new(deadline: Instant) -> Sleep {
        Sleep {
            deadline,
            entry: None,
            driver: Driver::current_or_panic(),
        }
    }

    /// The instant this sleep completes at.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// True once the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        match self.entry {
            Some(key) => self.driver.timers.is_fired(key),
            None => Instant::now() >= self.deadline,
        }
    }

    /// Moves the deadline (the sleep may complete again after having completed).
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let this = self.get_mut();
        this.deadline = deadline;
        if let Some(key) = this.entry {
            if this.driver.timers.reset(key, deadline.into_std()) {
                this.driver.unpark();
            }
        }
    }

    /// Polls without taking from the cooperative budget (a `Timeout` must fire even when
    /// its future used the whole budget).
    pub(crate) fn poll_unbudgeted(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let timers = &self.driver.timers;
        let state = match self.entry {
            Some(key) => timers.poll(key, cx.waker()),
            None => {
                if Instant::now() >= self.deadline {
                    return Poll::Ready(());
                }
                match timers.insert(self.deadline.into_std(), cx.waker()) {
                    Some(inserted) => {
                        self.entry = Some(inserted.key);
                        if inserted.unpark {
                            self.driver.unpark();
                        }
                        if inserted.fired {
                            TimerState::Fired
                        } else {
                            TimerState::Pending
                        }
                    }
                    None => TimerState::Shutdown,
                }
            }
        };
        match state {
            TimerState::Fired => Poll::Ready(()),
            TimerState::Pending => Poll::Pending,
            TimerState::Shutdown => {
                panic!("the wakeful runtime this timer belongs to has shut down")
            }
        }
    }
}

impl Future for Sleep {
    type Output = ();

    /// # Panics
    /// If the timer's runtime has shut down (the timer can never fire).
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Budget only once fired: a yield then leaves work (completing) for the next poll.
        ready!(self.get_mut().poll_unbudgeted(cx));
        poll_budget(cx)
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(key) = self.entry.take() {
            self.driver.timers.remove(key);
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("registered", &self.entry.is_some())
            .finish()
    }
}
