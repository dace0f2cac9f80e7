//! Model 5: waker clone / drop / `will_wake` racing the task's release. The reference
//! count must be exact: loom reports the task's `Arc`s as leaked if it never reaches zero,
//! and a double free would drop the probe twice.
use super::support::*;
use crate::loom::sync::atomic::Ordering::SeqCst;
use crate::loom::sync::Arc;
use loom::thread;

#[test]
fn model5_waker_clones_racing_release() {
    loom::model(|| {
        let sched = TestSchedule::default();
        let (probe, fut) = WaitFor::new(1, false);
        let (notified, join) = spawn_test(fut, &sched);
        notified.run();
        let waker = probe
            .waker
            .lock()
            .clone()
            .expect("first poll published its waker");
        let cloner = thread::spawn(move || {
            let a = waker.clone();
            let b = a.clone();
            assert!(
                a.will_wake(&b) && b.will_wake(&waker),
                "clones of one task's waker"
            );
            drop(a);
            b.wake();
            drop(waker);
        });
        signal(&probe);
        drop(join);
        cloner.join().unwrap();
        sched.drain();
        probe.waker.lock().take();
        assert_eq!(probe.drops.load(SeqCst), 1);
        assert!(
            Arc::strong_count(&probe) == 1,
            "the task was freed and released the probe"
        );
    });
}
