//! Case 4: the spin inside one poll. A reader that returns `Ready(Ok(0))` forever, read by a
//! loop that treats 0 bytes as "try again", never returns from its poll: the stall watchdog
//! reports it while it lasts and records its final duration once the poll returns.
mod spin_support;

use spin_support::*;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// `AsyncRead`-shaped: always ready, never any bytes.
struct EmptyReader;

impl EmptyReader {
    fn poll_read(&mut self, _cx: &mut Context<'_>, _buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(0))
    }
}

/// The buggy caller: loops inside one poll until it gets bytes (or the test gives up).
struct ReadUntilBytes {
    reader: EmptyReader,
    give_up: Arc<AtomicBool>,
}

impl Future for ReadUntilBytes {
    type Output = usize;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let mut buf = [0u8; 64];
        let mut attempts = 0;
        loop {
            attempts += 1;
            if let Poll::Ready(Ok(n)) = self.reader.poll_read(cx, &mut buf) {
                if n > 0 || self.give_up.load(SeqCst) {
                    return Poll::Ready(attempts);
                }
            }
        }
    }
}

#[test]
fn poll_that_never_returns_is_reported_as_a_stall() {
    let rt = wakeful::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .stall_threshold(Duration::from_millis(50))
        .build()
        .unwrap();
    let give_up = Arc::new(AtomicBool::new(false));
    let handle = rt.spawn(ReadUntilBytes {
        reader: EmptyReader,
        give_up: give_up.clone(),
    });
    let id = handle.id().as_u64();
    let report = wait_for_report(&rt, "an ongoing stall", |r| {
        r.stalls.iter().any(|s| s.task_id == id && s.ongoing)
    });
    let stall = report.stalls.iter().find(|s| s.task_id == id).unwrap();
    assert!(stall.type_name.ends_with("ReadUntilBytes"), "{stall:?}");
    assert!(stall.spawned_at.contains("spin_stall.rs"), "{stall:?}");
    assert!(stall.duration_ms >= 50, "{stall:?}");
    assert!(report.to_string().contains("stall: task"));
    // Other tasks still run on the other worker meanwhile.
    assert_eq!(rt.block_on(rt.spawn(async { 5 })).unwrap(), 5);
    give_up.store(true, SeqCst);
    let (attempts, rt) = with_hang_guard(move || (rt.block_on(handle).unwrap(), rt));
    assert!(attempts > 1);
    let report = rt.spin_report();
    let stalls: Vec<_> = report.stalls.iter().filter(|s| s.task_id == id).collect();
    assert_eq!(stalls.len(), 1, "each stall is reported once: {stalls:?}");
    assert!(!stalls[0].ongoing && stalls[0].duration_ms >= stall.duration_ms);
    assert_eq!(report.runtime.stalls_total, 1);
}
