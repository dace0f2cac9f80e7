//! Model 7: the queues. Steal-half vs pop vs push on the run-queue stand-in (every task
//! taken exactly once), and the global queue's close protocol racing a push (nothing is
//! stranded in a closed queue, where it would keep its task alive forever).
use super::support::*;
use crate::loom::deque::{Steal, Worker};
use crate::loom::sync::Arc;
use crate::scheduler::inject::Inject;
use loom::thread;

#[test]
fn model7_steal_pop_push_take_each_item_once() {
    loom::model(|| {
        let owner = Worker::new_fifo();
        for i in 0..3u32 {
            owner.push(i);
        }
        let stealer = owner.stealer();
        let thief = thread::spawn(move || {
            let mine = Worker::new_fifo();
            let mut got = Vec::new();
            if let Steal::Success(first) = stealer.steal_batch_and_pop(&mine) {
                got.push(first);
            }
            while let Some(i) = mine.pop() {
                got.push(i);
            }
            got
        });
        let mut got = Vec::new();
        owner.push(3);
        while let Some(i) = owner.pop() {
            got.push(i);
        }
        got.extend(thief.join().unwrap());
        got.sort_unstable();
        assert_eq!(got, [0, 1, 2, 3], "every item taken exactly once");
    });
}

#[test]
fn model7_inject_push_racing_close_strands_nothing() {
    loom::model(|| {
        let sched = TestSchedule::default();
        let (_probe, fut) = WaitFor::new(1, false);
        let (notified, join) = spawn_test(fut, &sched);
        drop(join);
        let inject = Arc::new(Inject::new());
        let pusher = {
            let inject = inject.clone();
            thread::spawn(move || inject.push(notified))
        };
        inject.close();
        pusher.join().unwrap();
        assert!(inject.is_empty(), "a push after close must not stay queued");
    });
}
