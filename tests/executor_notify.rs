//! Who wakes whom: a worker's turn in its parker (the reactor, in a real runtime) wakes
//! tasks into the worker's own queues and notifies nobody while it is inside the parker.
//! It notifies once, afterwards, if it has more than it runs next.
//!
//! The parker here is a stand-in for the reactor: when the tasks have left their wakers, a
//! park "turns" by waking them all on the worker's thread, as the reactor dispatches I/O
//! readiness, and records every `unpark` that arrives during the turn.
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Duration;
use wakeful_executor::runtime::{Builder, Park, ThreadPark};

/// Tasks whose wakers one turn wakes.
const TASKS: usize = 3;

#[derive(Default)]
struct Turns {
    wakers: Mutex<Vec<Waker>>,
    in_turn: AtomicBool,
    turns: AtomicUsize,
    unparks_during_turn: AtomicUsize,
}

struct TurnPark {
    turns: Arc<Turns>,
    sleep: ThreadPark,
}

impl Park for TurnPark {
    fn park(&self, timeout: Option<Duration>) {
        let wakers = {
            let mut wakers = self.turns.wakers.lock().unwrap();
            if wakers.len() < TASKS {
                Vec::new()
            } else {
                std::mem::take(&mut *wakers)
            }
        };
        if wakers.is_empty() {
            self.sleep.park(timeout);
            return;
        }
        self.turns.in_turn.store(true, SeqCst);
        wakers.into_iter().for_each(Waker::wake);
        self.turns.in_turn.store(false, SeqCst);
        self.turns.turns.fetch_add(1, SeqCst);
    }

    fn unpark(&self) {
        if self.turns.in_turn.load(SeqCst) {
            self.turns.unparks_during_turn.fetch_add(1, SeqCst);
        }
        self.sleep.unpark();
    }
}

/// One worker: during its turn it is the only candidate for a notification, so notifying
/// there would be the worker waking itself (in the reactor, an eventfd write).
#[test]
fn a_turn_that_wakes_many_tasks_does_not_notify_the_parked_worker_itself() {
    let turns = Arc::new(Turns::default());
    let t = turns.clone();
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .on_park(move |_| {
            Box::new(TurnPark {
                turns: t.clone(),
                sleep: ThreadPark::new(),
            })
        })
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let turns = turns.clone();
            let mut waited = false;
            rt.spawn(poll_fn(move |cx| {
                if waited {
                    return Poll::Ready(());
                }
                waited = true;
                turns.wakers.lock().unwrap().push(cx.waker().clone());
                Poll::Pending
            }))
        })
        .collect();
    for task in tasks {
        rt.block_on(task).expect("the task completes");
    }
    assert_eq!(turns.turns.load(SeqCst), 1, "one turn woke all the tasks");
    assert_eq!(
        turns.unparks_during_turn.load(SeqCst),
        0,
        "the worker notified (itself) from inside its turn"
    );
}
