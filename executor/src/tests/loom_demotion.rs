//! Model 8: demotion. A demoted task's self-wake is withheld and handed to the backoff
//! path; a real wake arriving meanwhile (while the task is being moved to the low-priority
//! path, or while the backoff wake promotes it back) is never lost, and the task is never
//! queued twice or polled concurrently (loom checks the stage cell's accesses).
use super::support::*;
use crate::instrument::stats::flag;
use crate::loom::sync::atomic::Ordering::SeqCst;
use crate::loom::sync::Arc;
use crate::task::WakeSource;
use loom::thread;

#[test]
fn model8_real_wake_racing_demotion_and_backoff() {
    loom::model(|| {
        let sched = TestSchedule::default();
        let (probe, fut) = WaitFor::new(1, true);
        let (notified, mut join) = spawn_test(fut, &sched);
        // The task is flagged and demoted: its self-wakes go to the backoff path.
        let stats = &notified.header().stats;
        stats.set_flag(flag::FLAGGED | flag::DEMOTED, true);
        let real = {
            let probe = probe.clone();
            thread::spawn(move || signal(&probe))
        };
        notified.run();
        // The backoff expires (the monitor or a worker does this), racing the real wake.
        let deferred = std::mem::take(&mut *sched.0.deferred.lock());
        for task in deferred {
            if let Some(n) = task.into_notified(WakeSource::Backoff) {
                use crate::task::Schedule;
                sched.schedule(n, false);
            }
        }
        real.join().unwrap();
        // Run until quiescent, honouring any further deferral as an expired backoff.
        run_until_quiescent(&sched);
        assert_eq!(
            probe.seen.load(SeqCst),
            1,
            "the real wake must lead to a poll"
        );
        assert!(poll_join(&mut join).is_ready());
        probe.waker.lock().take();
    });
}

/// Yields once (a self-wake), then completes.
struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

/// A demoted task whose only wake is its own: the withheld self-wake must come back through
/// the backoff path (here expiring on another thread while the poll ends), or it would
/// never run again.
#[test]
fn model8_withheld_self_wake_is_redelivered() {
    loom::model(|| {
        let sched = TestSchedule::default();
        let (notified, mut join) = spawn_test(YieldOnce(false), &sched);
        notified
            .header()
            .stats
            .set_flag(flag::FLAGGED | flag::DEMOTED, true);
        let backoff = {
            let sched = sched.clone();
            thread::spawn(move || {
                // The backoff path: whatever was deferred by now expires.
                let deferred = std::mem::take(&mut *sched.0.deferred.lock());
                for task in deferred {
                    task.wake_by_val(WakeSource::Backoff);
                }
            })
        };
        notified.run();
        backoff.join().unwrap();
        run_until_quiescent(&sched);
        assert!(
            poll_join(&mut join).is_ready(),
            "the withheld self-wake was lost"
        );
    });
}

/// Signals a probe and wakes the task waiting on it, from inside its own (first, futile)
/// poll: a chain wake.
struct Poke(Arc<Probe>);

impl std::future::Future for Poke {
    type Output = ();
    fn poll(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        signal(&self.0);
        std::task::Poll::Ready(())
    }
}

/// A chain wake (from another task's poll that made no progress) aimed at a demoted task
/// is handed to the backoff path instead of scheduling it: delayed, never lost, even with
/// the backoff expiring concurrently.
#[test]
fn model8_chain_wake_to_demoted_task_is_deferred_not_lost() {
    loom::model(|| {
        let sched = TestSchedule::default();
        let (probe, fut) = WaitFor::new(1, false);
        let (waiter, mut join) = spawn_test(fut, &sched);
        waiter
            .header()
            .stats
            .set_flag(flag::FLAGGED | flag::DEMOTED, true);
        waiter.run();
        let (poker, poke_join) = spawn_test(Poke(probe.clone()), &sched);
        drop(poke_join);
        let other = thread::spawn(move || poker.run());
        let deferred = std::mem::take(&mut *sched.0.deferred.lock());
        for task in deferred {
            task.wake_by_val(WakeSource::Backoff);
        }
        other.join().unwrap();
        run_until_quiescent(&sched);
        assert_eq!(
            probe.seen.load(SeqCst),
            1,
            "the deferred chain wake was lost"
        );
        assert!(poll_join(&mut join).is_ready());
        probe.waker.lock().take();
    });
}
