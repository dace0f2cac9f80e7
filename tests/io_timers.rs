//! Timers: deadline order, never early, timeouts cancel, intervals, and timers firing both
//! when every worker is busy and when every worker is idle. No upper bounds on durations:
//! the only limits are hang guards.
mod io_support;

use io_support::{rt, watchdog};
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;
use wakeful::time::{
    interval, sleep, sleep_until, timeout, Instant, Interval, MissedTickBehavior, Sleep,
};

/// Deterministic shuffle (xorshift Fisher-Yates).
fn shuffled(n: u64) -> Vec<u64> {
    let mut v: Vec<u64> = (1..=n).collect();
    let mut s = 0x2545_f491_4f6c_dd1du64;
    for i in (1..v.len()).rev() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        v.swap(i, (s % (i as u64 + 1)) as usize);
    }
    v
}

#[test]
fn timers_fire_in_deadline_order() {
    let _guard = watchdog("timers_fire_in_deadline_order", 60);
    rt(2).block_on(async {
        let start = Instant::now();
        // 100 timers, 2 ms apart, created in shuffled order.
        let mut pending: Vec<(Instant, Sleep)> = shuffled(100)
            .into_iter()
            .map(|k| {
                let at = start + Duration::from_millis(2 * k);
                (at, sleep_until(at))
            })
            .collect();
        // Latest deadline first: if a later timer is seen fired, every earlier one polled
        // after it in the same pass must be seen fired too.
        pending.sort_by_key(|p| std::cmp::Reverse(p.0));
        let mut fired: Vec<Instant> = Vec::new();
        poll_fn(|cx| {
            pending.retain_mut(|(at, s)| {
                if Pin::new(s).poll(cx).is_ready() {
                    assert!(Instant::now() >= *at, "a timer fired before its deadline");
                    fired.push(*at);
                    false
                } else {
                    true
                }
            });
            if let (Some(latest_fired), Some(earliest_pending)) =
                (fired.iter().max(), pending.iter().map(|p| p.0).min())
            {
                assert!(
                    *latest_fired <= earliest_pending,
                    "a timer fired while an earlier one had not"
                );
            }
            if pending.is_empty() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
        assert_eq!(fired.len(), 100);
    });
}

#[test]
fn sleeps_in_many_tasks_never_end_early() {
    let _guard = watchdog("sleeps_in_many_tasks_never_end_early", 60);
    rt(2).block_on(async {
        let tasks: Vec<_> = (0..500u64)
            .map(|i| {
                wakeful::spawn(async move {
                    let d = Duration::from_micros(100 + 97 * (i % 300));
                    let start = Instant::now();
                    sleep(d).await;
                    start.elapsed() >= d
                })
            })
            .collect();
        for t in tasks {
            assert!(t.await.unwrap(), "a sleep ended before its duration");
        }
        // Zero and past deadlines complete at once.
        sleep(Duration::ZERO).await;
        sleep_until(Instant::now() - Duration::from_millis(5)).await;
    });
}

struct DropFlag(Arc<AtomicBool>);
impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, SeqCst);
    }
}

#[test]
fn timeout_cancels_the_future() {
    let _guard = watchdog("timeout_cancels_the_future", 60);
    rt(2).block_on(async {
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = DropFlag(dropped.clone());
        let never = async move {
            let _flag = flag;
            std::future::pending::<()>().await;
        };
        let err = timeout(Duration::from_millis(10), never).await.unwrap_err();
        assert_eq!(err.to_string(), "deadline has elapsed");
        assert!(dropped.load(SeqCst), "the timed-out future was not dropped");
        let io_err: std::io::Error = err.into();
        assert_eq!(io_err.kind(), std::io::ErrorKind::TimedOut);

        // A future that finishes first wins, and its timer is gone with the Timeout.
        let v = timeout(Duration::from_secs(30), async {
            sleep(Duration::from_millis(2)).await;
            5
        })
        .await;
        assert_eq!(v, Ok(5));

        // A spawned task cancelled by its timeout, seen from the outside.
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = DropFlag(dropped.clone());
        let task = wakeful::spawn(timeout(Duration::from_millis(5), async move {
            let _flag = flag;
            sleep(Duration::from_secs(3600)).await;
        }));
        assert!(task.await.unwrap().is_err());
        assert!(dropped.load(SeqCst));
    });
}

#[test]
fn interval_ticks_on_schedule() {
    let _guard = watchdog("interval_ticks_on_schedule", 60);
    rt(2).block_on(async {
        let period = Duration::from_millis(3);
        let mut ticker: Interval = interval(period);
        assert_eq!(ticker.period(), period);
        let first = ticker.tick().await;
        let mut prev = first;
        for _ in 0..5 {
            let t = ticker.tick().await;
            // Burst (the default) keeps the original schedule: exactly one period apart.
            assert_eq!(t - prev, period);
            assert!(Instant::now() >= t);
            prev = t;
        }
        // Delay: a late tick moves the schedule.
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        std::thread::sleep(Duration::from_millis(20));
        let late = ticker.tick().await;
        let next = ticker.tick().await;
        assert!(next - late >= period);
        assert!(next >= late + Duration::from_millis(20));
    });
}

#[test]
fn sleep_reset_moves_the_deadline() {
    let _guard = watchdog("sleep_reset_moves_the_deadline", 60);
    rt(1).block_on(async {
        let mut s = Box::pin(sleep(Duration::from_secs(3600)));
        poll_fn(|cx| {
            assert!(s.as_mut().poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
        let soon = Instant::now() + Duration::from_millis(5);
        s.as_mut().reset(soon);
        assert_eq!(s.deadline(), soon);
        s.as_mut().await;
        assert!(Instant::now() >= soon);
        assert!(s.is_elapsed());
        // Reset after completion: pending again until the new deadline.
        let later = Instant::now() + Duration::from_millis(5);
        s.as_mut().reset(later);
        s.as_mut().await;
        assert!(Instant::now() >= later);
    });
}

#[test]
fn timers_fire_when_every_worker_is_busy() {
    let _guard = watchdog("timers_fire_when_every_worker_is_busy", 60);
    let rt = rt(2);
    let stop = Arc::new(AtomicBool::new(false));
    // One CPU-bound task per worker: each poll works ~100 µs, reports progress, yields.
    let busy: Vec<_> = (0..2)
        .map(|_| {
            let stop = stop.clone();
            rt.spawn(async move {
                while !stop.load(SeqCst) {
                    let t = std::time::Instant::now();
                    while t.elapsed() < Duration::from_micros(100) {
                        std::hint::spin_loop();
                    }
                    wakeful::task::progress();
                    wakeful::task::yield_now().await;
                }
            })
        })
        .collect();
    rt.block_on(async {
        // From the block_on thread, and from a task competing with the busy ones.
        sleep(Duration::from_millis(20)).await;
        let sleeper = wakeful::spawn(async {
            for _ in 0..5 {
                sleep(Duration::from_millis(3)).await;
            }
        });
        sleeper.await.unwrap();
    });
    stop.store(true, SeqCst);
    rt.block_on(async {
        for t in busy {
            t.await.unwrap();
        }
    });
}

#[test]
fn timers_fire_when_every_worker_is_idle() {
    let _guard = watchdog("timers_fire_when_every_worker_is_idle", 60);
    let rt = rt(2);
    // Let every worker park (one of them in the reactor with no timeout).
    std::thread::sleep(Duration::from_millis(50));
    rt.block_on(async {
        // Registered from a thread that is not a worker: the parked reactor must be woken
        // to shorten its sleep.
        sleep(Duration::from_millis(10)).await;
    });
    std::thread::sleep(Duration::from_millis(20));
    let task = rt.spawn(async {
        sleep(Duration::from_millis(10)).await;
        sleep(Duration::from_millis(1)).await;
    });
    rt.block_on(task).unwrap();
}

#[test]
fn timer_wakes_are_attributed_to_timers() {
    let _guard = watchdog("timer_wakes_are_attributed_to_timers", 60);
    let rt = rt(2);
    let (done_tx, done_rx) = futures_channel::oneshot::channel::<()>();
    let (release_tx, release_rx) = futures_channel::oneshot::channel::<()>();
    let task = rt.spawn(async move {
        for _ in 0..5 {
            sleep(Duration::from_millis(10)).await;
        }
        done_tx.send(()).unwrap();
        release_rx.await.unwrap();
    });
    rt.block_on(done_rx).unwrap();
    let report = rt.spin_report_all();
    let me = report
        .tasks
        .iter()
        .find(|t| t.id == task.id().as_u64())
        .expect("the sleeping task is alive and listed");
    assert!(
        me.wakes.timer >= 1,
        "no timer wake recorded: {:?}",
        me.wakes
    );
    assert_eq!(me.wakes.io, 0);
    assert_eq!(me.futile_polls, 0);
    assert!(!me.flagged);
    release_tx.send(()).unwrap();
    rt.block_on(task).unwrap();
}
