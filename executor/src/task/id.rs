//! Task identifiers.
use std::sync::atomic::Ordering::Relaxed;

/// An opaque, process-unique identifier of a task, stable for its whole life.
///
/// Ids are never reused, so an id in a spin report names exactly one task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(u64);

impl TaskId {
    pub(crate) fn next() -> TaskId {
        crate::loom::thread_local! {
            // Per-thread blocks of ids keep spawning off the shared counter's cache line.
            // Not `const`: loom's `thread_local!` takes no const initializers.
            #[allow(clippy::missing_const_for_thread_local, reason = "see above")]
            static NEXT: std::cell::Cell<(u64, u64)> = std::cell::Cell::new((0, 0));
        }
        const BLOCK: u64 = 1024;
        #[allow(
            clippy::disallowed_types,
            reason = "a process-global id counter: not part of any protocol loom models"
        )]
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        NEXT.with(|n| {
            let (mut next, mut end) = n.get();
            if next == end {
                next = COUNTER.fetch_add(BLOCK, Relaxed);
                end = next + BLOCK;
            }
            n.set((next + 1, end));
            TaskId(next)
        })
    }

    pub(crate) fn from_u64(id: u64) -> TaskId {
        TaskId(id)
    }

    /// The id as a number, as it appears in spin reports.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl std::fmt::Display for TaskId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
