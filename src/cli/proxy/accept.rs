//! The accept loop: a slot, then a connection, then a named task; never a hot loop.
//!
//! - **Slots first** (`limits.rs`): with `--max-conns` connections open the loop waits for
//!   one to close before it accepts again (logged once per such pause).
//! - **Errors back off**: `EMFILE`, `ENFILE`, `ENOBUFS`/`ENOMEM`, `ECONNABORTED` and any
//!   other `accept` error sleep 1 ms, doubling to 100 ms while they last. The pending
//!   connection stays in the backlog, so the listener stays readable and an immediate retry
//!   would spin. One warning starts a burst, one line ends it (with the count); the proxy
//!   recovers by itself as soon as descriptors are free again.
//! - **Shutdown** ends the loop, which drops (closes) the listener: the kernel refuses new
//!   connections from then on.
use super::conn::{self, ConnCtx};
use super::limits::Slots;
use super::shutdown::Shutdown;
use crate::cli::race::{race, Either};
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::{debug, error, info, warn};
use wakeful::net::TcpListener;

const BACKOFF_START: Duration = Duration::from_millis(1);
const BACKOFF_MAX: Duration = Duration::from_millis(100);

/// Accepts until `shutdown`, spawning one task per connection, named `conn <peer>`.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    ctx: Arc<ConnCtx>,
    slots: Arc<Slots>,
    shutdown: Shutdown,
) {
    let mut backoff = Backoff::new("proxy");
    loop {
        let mut slot = match slots.try_acquire() {
            Some(slot) => slot,
            None => {
                ctx.metrics.max_conns_reached.inc();
                ctx.limit_log.warn(|suppressed| {
                    warn!(
                        "--max-conns reached ({} open): not accepting until one closes{}",
                        slots.max(),
                        super::log_throttle::suppressed_note(suppressed)
                    )
                });
                let slot = match race(slots.acquire(), shutdown.triggered()).await {
                    Either::Left(slot) => slot,
                    Either::Right(()) => break,
                };
                debug!("accepting again ({} open)", slots.taken() - 1);
                slot
            }
        };
        let accepted = match race(listener.accept(), shutdown.triggered()).await {
            Either::Left(res) => res,
            Either::Right(()) => break,
        };
        match accepted {
            Ok((tcp, peer)) => {
                backoff.succeeded();
                ctx.metrics.accepted.inc();
                slot.open();
                let name = format!("conn {peer}");
                let task = conn::serve(tcp, peer, ctx.clone(), slot);
                if let Err(e) = wakeful::task::Builder::new().name(&name).spawn(task) {
                    // Only while the runtime shuts down; the connection is dropped (closed).
                    error!("cannot spawn a connection task: {e}");
                }
            }
            Err(e) => {
                drop(slot);
                ctx.metrics.accept_error(error_kind(&e));
                let pause = backoff.failed(&e);
                if let Either::Right(()) =
                    race(wakeful::time::sleep(pause), shutdown.triggered()).await
                {
                    break;
                }
            }
        }
    }
    drop(listener);
}

/// The `kind` label of an accept error.
pub(crate) fn error_kind(e: &io::Error) -> &'static str {
    // Linux errno values (the proxy's platform; elsewhere they land in "other").
    match e.raw_os_error() {
        Some(24) => "emfile",
        Some(23) => "enfile",
        Some(103) => "econnaborted",
        Some(105) | Some(12) => "enobufs",
        _ => "other",
    }
}

/// Exponential backoff for a loop around `accept`, logging once per burst of errors.
#[derive(Debug)]
pub(crate) struct Backoff {
    what: &'static str,
    next: Duration,
    /// When the current burst started, and its errors so far.
    burst: Option<(Instant, u64)>,
}

impl Backoff {
    pub(crate) fn new(what: &'static str) -> Backoff {
        Backoff {
            what,
            next: BACKOFF_START,
            burst: None,
        }
    }

    /// Records a failure; returns how long to pause before the next attempt.
    pub(crate) fn failed(&mut self, e: &io::Error) -> Duration {
        match &mut self.burst {
            Some((_, n)) => *n += 1,
            None => {
                warn!(
                    "{} accept failed: {e}; backing off ({} doubling to {} ms) until it clears",
                    self.what,
                    "1 ms",
                    BACKOFF_MAX.as_millis()
                );
                self.burst = Some((Instant::now(), 1));
            }
        }
        let pause = self.next;
        self.next = (self.next * 2).min(BACKOFF_MAX);
        pause
    }

    /// Records a success: ends the burst (logging its size) and resets the backoff.
    pub(crate) fn succeeded(&mut self) {
        if let Some((since, n)) = self.burst.take() {
            info!(
                "{} accept recovered after {n} failed attempts over {} ms",
                self.what,
                since.elapsed().as_millis()
            );
        }
        self.next = BACKOFF_START;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_cap_and_resets() {
        let mut b = Backoff::new("test");
        let e = io::Error::from_raw_os_error(24);
        let pauses: Vec<u128> = (0..10).map(|_| b.failed(&e).as_millis()).collect();
        assert_eq!(pauses, [1, 2, 4, 8, 16, 32, 64, 100, 100, 100]);
        assert_eq!(b.burst.map(|(_, n)| n), Some(10));
        b.succeeded();
        assert!(b.burst.is_none());
        assert_eq!(b.failed(&e), BACKOFF_START);
    }

    #[test]
    fn error_kinds() {
        assert_eq!(error_kind(&io::Error::from_raw_os_error(24)), "emfile");
        assert_eq!(error_kind(&io::Error::from_raw_os_error(23)), "enfile");
        assert_eq!(
            error_kind(&io::Error::from_raw_os_error(103)),
            "econnaborted"
        );
        assert_eq!(error_kind(&io::Error::other("x")), "other");
    }
}
