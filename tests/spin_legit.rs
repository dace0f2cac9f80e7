//! Case 6: legitimate workloads are never flagged, however many polls they take. (Compute
//! yielding every 10 µs counts as legitimate in optimized builds only: see that case.)
mod spin_support;

use spin_support::*;
use std::time::{Duration, Instant};

/// Real work (an LCG) in `slice`-long pieces with a yield after each, for `total`; returns
/// the number of pieces.
async fn compute_yielding(slice: Duration, total: Duration) -> u64 {
    let mut slices = 0u64;
    let mut acc = 0u64;
    let end = Instant::now() + total;
    while Instant::now() < end {
        let slice_end = Instant::now() + slice;
        while Instant::now() < slice_end {
            acc = acc.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        slices += 1;
        wakeful::task::yield_now().await;
    }
    std::hint::black_box(acc);
    slices
}

/// A compute task that yields after every 100 µs of real work, for long enough (300 ms)
/// that a spinner would have been flagged three times over.
#[test]
fn compute_task_yielding_every_100us_is_not_flagged() {
    let rt = runtime(2);
    let handle = rt.spawn(compute_yielding(
        Duration::from_micros(100),
        Duration::from_millis(300),
    ));
    let id = handle.id().as_u64();
    let slices = rt.block_on(handle).unwrap();
    assert!(slices > 64, "the task yielded {slices} times");
    let report = rt.spin_report_all();
    assert_eq!(report.runtime.flagged_total, 0, "{report}");
    // Its JoinHandle resolves just before the task leaves the registry, so it may still be
    // listed for a moment; if it is, it was never flagged.
    if let Some(t) = report.task(id) {
        assert!(!t.flagged && t.first_flagged_ms.is_none(), "{t:?}");
    }
}

/// A task receiving 1 M messages from another task over a `wakeful::sync` channel.
#[test]
fn task_receiving_a_million_channel_messages_is_not_flagged() {
    let rt = runtime(2);
    let (sum, flagged) = rt.block_on(async {
        let (mut tx, mut rx) = wakeful::sync::mpsc::channel::<u64>(64);
        let producer = wakeful::spawn(async move {
            for i in 0..1_000_000u64 {
                tx.send(i).await.unwrap();
            }
        });
        let consumer = wakeful::spawn(async move {
            let mut sum = 0u64;
            while let Some(i) = rx.recv().await {
                sum += i;
            }
            sum
        });
        producer.await.unwrap();
        let sum = consumer.await.unwrap();
        (
            sum,
            wakeful::runtime::Handle::current()
                .spin_report()
                .runtime
                .flagged_total,
        )
    });
    assert_eq!(sum, 999_999 * 1_000_000 / 2);
    assert_eq!(flagged, 0);
}

/// 200 tasks x 1,000 yields (tokio's `yield_many` shape): each task's yields are futile,
/// but the burst is over long before `spin_min_duration`, so nothing is flagged. The
/// threshold is set explicitly (to the hang guard's 60 s) so the contract under test is
/// visible and a slow debug build on a loaded machine cannot outlast it.
#[test]
fn yield_bursts_shorter_than_min_spin_are_not_flagged() {
    let rt = wakeful::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .spin_min_duration(HANG_GUARD)
        .build()
        .unwrap();
    rt.block_on(async {
        let tasks: Vec<_> = (0..200)
            .map(|_| {
                wakeful::spawn(async {
                    for _ in 0..1000 {
                        wakeful::task::yield_now().await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    let report = rt.spin_report();
    assert_eq!(report.runtime.flagged_total, 0, "{report}");
    assert!(
        report.runtime.futile_polls >= 200 * 900,
        "the yields were counted as futile"
    );
}

/// A task reading a socket that is always readable, for longer than `spin_min_duration`:
/// the cooperative budget makes it yield every 128 operations, and those yields are work,
/// never spin.
#[test]
fn always_ready_socket_under_the_budget_is_not_flagged() {
    use futures_util::io::AsyncReadExt;
    use std::io::Write;
    let rt = runtime(2);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let chunk = [7u8; 64];
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if s.write_all(&chunk).is_err() {
                    break;
                }
            }
        })
    };
    let reader = rt.spawn(async move {
        let mut s = wakeful::net::TcpStream::connect(addr).await.unwrap();
        let mut buf = [0u8; 16];
        let mut total = 0u64;
        let end = Instant::now() + Duration::from_millis(300);
        while Instant::now() < end {
            total += s.read(&mut buf).await.unwrap() as u64;
        }
        total
    });
    let id = reader.id().as_u64();
    let total = rt.block_on(reader).unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    assert!(total > 0);
    let report = rt.spin_report_all();
    assert_eq!(report.runtime.flagged_total, 0, "{report}");
    if let Some(t) = report.task(id) {
        assert_eq!(t.futile_polls, 0, "{t:?}");
    }
}

/// 10,000 short sleeps (100 tasks x 100 sleeps of 1 ms): every poll follows a timer.
#[test]
fn ten_thousand_short_sleeps_are_not_flagged() {
    let rt = runtime(2);
    rt.block_on(async {
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                wakeful::spawn(async {
                    for _ in 0..100 {
                        wakeful::time::sleep(Duration::from_millis(1)).await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    let report = rt.spin_report();
    assert_eq!(report.runtime.flagged_total, 0, "{report}");
    // Nearly every sleep ends with a timer wake (one whose task was preempted past its
    // deadline before its first poll completes without being woken at all).
    assert!(
        report.runtime.wakes.timer >= 9_000,
        "{:?}",
        report.runtime.wakes
    );
    assert_eq!(report.runtime.futile_polls, 0, "{:?}", report.runtime);
}

/// tokio's `spawn_many_remote_busy1` background: twice as many tasks as workers, each
/// yielding after every 10 µs of real work, for 500 ms. Real work at a fine grain is
/// still work: none of them may be flagged (or demoted, which would idle the workers).
///
/// Optimized builds only: a debug build counts only polls of about 16 µs and more as work
/// (its spinners' accounted polls take 3-12 µs; see `WORK_GAP_LIMIT` in the executor's
/// `instrument/poll.rs`). CI runs this file with `--release` too.
#[cfg(not(debug_assertions))]
#[test]
fn compute_tasks_yielding_every_10us_are_not_flagged() {
    let rt = runtime(2);
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            rt.spawn(compute_yielding(
                Duration::from_micros(10),
                Duration::from_millis(500),
            ))
        })
        .collect();
    let report_during = {
        std::thread::sleep(Duration::from_millis(400));
        rt.spin_report_all()
    };
    for t in tasks {
        let slices = rt.block_on(t).unwrap();
        assert!(slices > 1000, "a task yielded only {slices} times");
    }
    assert_eq!(report_during.runtime.flagged_total, 0, "{report_during}");
    // Over their whole lives, the last 100 ms included.
    let after = rt.spin_report_all();
    assert_eq!(after.runtime.flagged_total, 0, "{after}");
}
