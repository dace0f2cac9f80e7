//! Shutdown: SIGINT/SIGTERM to a [`Shutdown`] that every part of the proxy watches.
//!
//! # Protocol
//! 1. The first SIGINT or SIGTERM [`trigger`](Shutdown::trigger)s: the accept loop stops
//!    and closes the listening socket (new connections are refused by the kernel), open
//!    connections go on, and the proxy waits for them up to the grace period (`--grace`).
//! 2. A second signal [`force`](Shutdown::force)s: the wait ends at once.
//! 3. When the last connection closes, or the grace period (or a second signal) ends the
//!    wait, the spin report file is written one last time, the runtime shuts down (the
//!    connections still open are dropped: their sockets close), and the process exits 0.
//!
//! The admin endpoint keeps answering until step 3, so the drain can be watched.
use std::future::poll_fn;
use std::io;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use tracing::{info, warn};

const DRAINING: u8 = 1;
const FORCED: u8 = 2;

/// A shutdown switch with two stages, watched by any number of tasks. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub(crate) struct Shutdown {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// 0 running, then [`DRAINING`], then [`FORCED`]; it only ever grows.
    stage: AtomicU8,
    /// Tasks waiting for a stage change. The stage is stored before this lock is taken
    /// to wake them, and checked under it before a waker is stored: no wake is lost.
    waiters: Mutex<Vec<Waker>>,
}

impl Shutdown {
    pub(crate) fn new() -> Shutdown {
        Shutdown::default()
    }

    /// Stage 1: stop accepting, drain.
    pub(crate) fn trigger(&self) {
        self.advance(DRAINING);
    }

    /// Stage 2: stop waiting for open connections.
    pub(crate) fn force(&self) {
        self.advance(FORCED);
    }

    pub(crate) fn is_triggered(&self) -> bool {
        self.inner.stage.load(Ordering::Acquire) >= DRAINING
    }

    fn advance(&self, to: u8) {
        self.inner.stage.fetch_max(to, Ordering::AcqRel);
        let waiters = std::mem::take(&mut *lock(&self.inner.waiters));
        for w in waiters {
            w.wake();
        }
    }

    /// Resolves once [`trigger`](Self::trigger)ed (or forced). Cancel-safe.
    pub(crate) async fn triggered(&self) {
        self.reached(DRAINING).await;
    }

    /// Resolves once [`force`](Self::force)d. Cancel-safe.
    pub(crate) async fn forced(&self) {
        self.reached(FORCED).await;
    }

    async fn reached(&self, stage: u8) {
        poll_fn(|cx| {
            if self.inner.stage.load(Ordering::Acquire) >= stage {
                return Poll::Ready(());
            }
            let mut waiters = lock(&self.inner.waiters);
            if self.inner.stage.load(Ordering::Acquire) >= stage {
                return Poll::Ready(());
            }
            if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
                waiters.push(cx.waker().clone());
            }
            Poll::Pending
        })
        .await;
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Turns SIGINT and SIGTERM into `shutdown`: the first triggers it, the second forces it.
/// The signals are caught by signal-hook's self-pipe handler and read on a thread of their
/// own (`wakeful-signals`); the default dispositions are replaced for the process's life.
pub(crate) fn watch_signals(shutdown: Shutdown, grace: std::time::Duration) -> io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new()
        .name("wakeful-signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                let name = if signal == SIGINT {
                    "SIGINT"
                } else {
                    "SIGTERM"
                };
                if shutdown.is_triggered() {
                    warn!("{name} again: closing the open connections now");
                    shutdown.force();
                } else {
                    info!(
                        "{name}: shutting down; no new connections, open ones get up to {} \
                         (send it again to close them now)",
                        crate::cli::duration::human(grace)
                    );
                    shutdown.trigger();
                }
            }
        })?;
    Ok(())
}
