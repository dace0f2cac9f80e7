//! Model 6: parking. Work pushed while a worker is going to sleep always wakes a worker:
//! to the injector from outside, to a worker's local queue from a task, and found by a
//! steal. A lost wake shows up as a deadlock (every thread blocked), which loom reports.
use super::support::*;
use crate::loom::sync::atomic::Ordering::SeqCst;
use crate::scheduler::Shared;
use std::panic::Location;

/// A task spawned from outside (the injector) while the only worker goes to sleep.
#[test]
fn model6_remote_push_wakes_a_parking_worker() {
    loom::model(|| {
        let (shared, mut queues) = test_shared(1);
        let worker = start_worker(&shared, 0, queues.pop().unwrap());
        let (probe, fut) = WaitFor::new(0, false);
        let join = Shared::spawn(&shared, fut, None, Location::caller());
        let handle = crate::runtime::Handle::from_shared(shared.clone());
        assert_eq!(handle.block_on(join).unwrap(), 0);
        shutdown(&shared);
        worker.join().unwrap();
        assert_eq!(probe.drops.load(SeqCst), 1);
        probe.waker.lock().take();
    });
}

/// A task woken from another thread after it parked its worker: the wake goes to the
/// injector and must wake the sleeping worker.
#[test]
fn model6_wake_of_idle_task_wakes_a_sleeping_worker() {
    loom::model(|| {
        let (shared, mut queues) = test_shared(1);
        let worker = start_worker(&shared, 0, queues.pop().unwrap());
        let (probe, fut) = WaitFor::new(1, false);
        let join = Shared::spawn(&shared, fut, None, Location::caller());
        let signaller = {
            let probe = probe.clone();
            loom::thread::spawn(move || signal(&probe))
        };
        let handle = crate::runtime::Handle::from_shared(shared.clone());
        assert_eq!(handle.block_on(join).unwrap(), 1);
        signaller.join().unwrap();
        shutdown(&shared);
        worker.join().unwrap();
        probe.waker.lock().take();
    });
}

/// Two workers: a task spawned from inside a task lands in the spawner's local queue (or
/// LIFO slot); the other worker may only get it by stealing. Both complete, and shutdown
/// finds nothing left.
#[test]
fn model6_local_push_and_steal_with_two_workers() {
    loom::model(|| {
        let (shared, queues) = test_shared(2);
        let workers: Vec<_> = queues
            .into_iter()
            .enumerate()
            .map(|(i, q)| start_worker(&shared, i, q))
            .collect();
        let join = Shared::spawn(
            &shared,
            async {
                let inner = crate::task::spawn(async { 7 });
                inner.await.unwrap()
            },
            None,
            Location::caller(),
        );
        let handle = crate::runtime::Handle::from_shared(shared.clone());
        assert_eq!(handle.block_on(join).unwrap(), 7);
        shutdown(&shared);
        for w in workers {
            w.join().unwrap();
        }
        assert_eq!(shared.owned.len(), 0);
    });
}

/// Yields once (a self-wake), then completes.
struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = u8;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<u8> {
        if self.0 {
            return std::task::Poll::Ready(9);
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

/// A task that yields goes to its worker's deferred list; the worker must run it again
/// rather than park with it there (a stranded yield is a loom deadlock).
#[test]
fn model6_yielded_task_is_not_stranded_by_parking() {
    loom::model(|| {
        let (shared, mut queues) = test_shared(1);
        let worker = start_worker(&shared, 0, queues.pop().unwrap());
        let join = Shared::spawn(&shared, YieldOnce(false), None, Location::caller());
        let handle = crate::runtime::Handle::from_shared(shared.clone());
        assert_eq!(handle.block_on(join).unwrap(), 9);
        shutdown(&shared);
        worker.join().unwrap();
    });
}
