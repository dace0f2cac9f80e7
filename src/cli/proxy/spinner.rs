//! `--inject-spinner`: a containment drill. One task, named [`NAME`], that wakes itself and
//! returns `Pending` on every poll, forever, beside the proxy's real connections.
//!
//! The runtime must flag it (within ~100 ms), demote it (its self-wakes wait out a backoff,
//! so it burns a trickle of CPU, not a core), and name it in `/debug/spin.json` and the spin
//! report file; the connections beside it must not notice. Benchmarks use it to compare that
//! containment with other runtimes (`benches/proxy/`); operators can use it to check their
//! alerting on `wakeful_runtime_tasks_flagged_total` end to end.
//!
//! The task never ends by itself: runtime shutdown drops it.
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The spinner's task name, as it appears in spin reports.
pub(crate) const NAME: &str = "injected spinner";

/// The deliberate bug: a wake of itself and `Pending`, on every poll.
struct InjectedSpinner;

impl Future for InjectedSpinner {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Spawns the spinner on the current runtime, detached.
pub(crate) fn spawn() -> io::Result<()> {
    wakeful::task::Builder::new()
        .name(NAME)
        .spawn(InjectedSpinner)
        .map(drop)
}
