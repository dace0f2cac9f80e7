//! Model 10: shutdown racing spawn and wake. Every future is either run to completion or
//! dropped by shutdown, exactly once, and nothing leaks (loom checks every `Arc`).
use super::support::*;
use crate::loom::sync::atomic::Ordering::SeqCst;
use crate::loom::sync::Arc;
use crate::scheduler::Shared;
use std::panic::Location;

#[test]
fn model10_shutdown_racing_spawn_and_wake() {
    loom::model(|| {
        let (shared, mut queues) = test_shared(1);
        let worker = start_worker(&shared, 0, queues.pop().unwrap());
        let first = Arc::new(Probe::default());
        let fut = WaitFor {
            probe: first.clone(),
            target: 1,
            self_wake: false,
        };
        let join_first = Shared::spawn(&shared, fut, None, Location::caller());
        let second = Arc::new(Probe::default());
        let racer = {
            let (shared, first, second) = (shared.clone(), first.clone(), second.clone());
            loom::thread::spawn(move || {
                signal(&first);
                let fut = WaitFor {
                    probe: second,
                    target: 0,
                    self_wake: false,
                };
                drop(Shared::spawn(&shared, fut, None, Location::caller()));
            })
        };
        shutdown(&shared);
        racer.join().unwrap();
        worker.join().unwrap();
        drop(join_first);
        for p in [&first, &second] {
            p.waker.lock().take();
            assert_eq!(p.drops.load(SeqCst), 1, "each future dropped exactly once");
        }
        assert_eq!(shared.owned.len(), 0);
    });
}
