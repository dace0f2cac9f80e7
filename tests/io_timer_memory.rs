//! One million sleeps registered with the timer wheel and dropped before firing: live heap
//! memory does not grow (a dropped `Sleep` unlinks and frees its timer at once).
//!
//! A counting global allocator measures the live bytes of the whole process; this binary has
//! a single test so nothing else allocates meanwhile.
mod io_support;

use io_support::{rt, watchdog};
use std::alloc::{GlobalAlloc, Layout, System};
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};
use std::task::Poll;
use std::time::Duration;
use wakeful::time::{sleep, Sleep};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so it
// upholds `GlobalAlloc`'s contract exactly as `System` does; the counter has no effect on
// the memory returned.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Relaxed);
        // SAFETY: forwarded from our caller, who upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Relaxed);
        // Every allocation of this allocator goes to `System`.
        // SAFETY: `ptr` was allocated by `System` with `layout`, as our caller guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Relaxed);
        // SAFETY: forwarded from our caller, who upholds `alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Relaxed);
        // `ptr` came from `System`, as above.
        // SAFETY: forwarded from our caller, who upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Creates `n` sleeps in batches of 1,000, registers each (one poll), and drops them.
async fn churn(n: u64) {
    for batch in 0..n / 1_000 {
        let mut sleeps: Vec<Sleep> = (0..1_000)
            .map(|i| sleep(Duration::from_secs(3_600 + (batch * 1_000 + i) % 86_400)))
            .collect();
        poll_fn(|cx| {
            for s in &mut sleeps {
                assert!(Pin::new(s).poll(cx).is_pending());
            }
            Poll::Ready(())
        })
        .await;
        drop(sleeps);
        // Some that are dropped without ever being polled (never registered).
        drop(
            (0..100)
                .map(|_| sleep(Duration::from_secs(60)))
                .collect::<Vec<_>>(),
        );
    }
}

#[test]
fn a_million_cancelled_sleeps_do_not_grow_memory() {
    let _guard = watchdog("a_million_cancelled_sleeps_do_not_grow_memory", 300);
    let rt = rt(2);
    rt.block_on(async {
        churn(50_000).await;
        let before = LIVE.load(Relaxed);
        churn(1_000_000).await;
        let after = LIVE.load(Relaxed);
        let growth = after - before;
        // A leak of even 8 bytes per timer would be 8 MB.
        assert!(
            growth < 2 << 20,
            "live heap grew by {growth} bytes over a million cancelled sleeps"
        );
    });
}
