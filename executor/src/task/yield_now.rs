//! Cooperative yielding and the progress hint.
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Yields to the scheduler once: the task goes to the back of the run queue.
///
/// A yield is a self-wake. A task that keeps yielding without doing work in between (for
/// example spin-waiting on a flag another thread sets) is exactly the busy loop wakeful
/// flags and demotes; a task that yields between slices of real work is not: polls of
/// about 4 µs and more in an optimized build of the executor, 16 µs and more in a debug
/// build (judged by how often its polls span a tick of the coarse clock; see
/// docs/spin-reports.md, "Definitions").
pub async fn yield_now() {
    YieldNow { yielded: false }.await
}

struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Tells the runtime that the current poll did real work.
///
/// The io-driver calls this when bytes move; libraries whose work the runtime cannot see
/// (channels delivering messages, codecs, TLS records) should call it when they make
/// progress, so that a task woken by its own waker is not mistaken for a spinning one. It
/// is a thread-local store: call it as often as you like. Outside a poll it does nothing.
pub fn progress() {
    crate::instrument::poll::progress();
}
