//! Model 9: a readiness event set by the reactor racing a reader that clears readiness after
//! `WouldBlock` and registers its waker.
//!
//! Run with `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p wakeful-io
//! --release --lib loom`.
//!
//! The reader holds a stale readiness (its socket was drained earlier). Concurrently, data
//! arrives and the reactor delivers the event: set readiness (bits + tick), then wake the
//! waiters. The reader observes readiness, its syscall finds no data (`WouldBlock`), it
//! clears readiness and polls again (registering its waker). Whatever the interleaving, the
//! reader must end up either reading the data or woken: an event is never lost. Clearing
//! readiness without the tick check loses it (the clear erases the new event after the
//! reactor found no waker to wake); this model then fails. A second model starts the reader
//! from a guess instead (an accepted socket is assumed ready as it is registered, racing
//! the reactor's first event); the same tick protocol keeps that event.
use crate::ready::{Direction, Ready};
use crate::scheduled_io::ScheduledIo;
use loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;
use std::task::{Context, Poll, Wake, Waker};

struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, SeqCst);
    }
}

#[test]
fn loom_readiness_event_racing_clear_is_never_lost() {
    loom::model(|| reader_gets_the_data_or_is_woken(Prime::Stale));
}

/// A socket `accept` returned is assumed ready before any event (see
/// `ScheduledIo::assume_ready`), while the reactor may be delivering its first event: the
/// same guarantee holds when the reader's guess is wrong.
#[test]
fn loom_readiness_event_racing_clear_of_an_assumed_readiness_is_never_lost() {
    loom::model(|| reader_gets_the_data_or_is_woken(Prime::Assumed));
}

/// How the reader came to believe the socket is readable.
#[derive(Clone, Copy)]
enum Prime {
    /// An earlier event, whose data it has since drained.
    Stale,
    /// A guess made as the socket was registered, racing the reactor's first event.
    Assumed,
}

fn reader_gets_the_data_or_is_woken(prime: Prime) {
    let io = Arc::new(ScheduledIo::new());
    if let Prime::Stale = prime {
        // Stale readiness: the reader drained the socket after this event.
        io.set_readiness(Ready::READABLE);
    }
    let data = Arc::new(AtomicBool::new(false));

    let reactor = {
        let (io, data) = (io.clone(), data.clone());
        thread::spawn(move || {
            data.store(true, SeqCst); // the kernel queues the bytes...
            io.set_readiness(Ready::READABLE); // ...epoll reports them...
            io.wake(Ready::READABLE); // ...and the reactor dispatches.
        })
    };

    if let Prime::Assumed = prime {
        io.assume_ready(Ready::READABLE);
    }
    let woken = std::sync::Arc::new(Flag(AtomicBool::new(false)));
    let waker = Waker::from(woken.clone());
    let mut cx = Context::from_waker(&waker);
    let mut got_data = false;
    let mut parked = false;
    for _ in 0..3 {
        match io.poll_ready(&mut cx, Direction::Read) {
            Poll::Ready(ev) => {
                if data.load(SeqCst) {
                    got_data = true;
                    break;
                }
                // The syscall returned WouldBlock.
                io.clear_readiness(ev);
            }
            Poll::Pending => {
                parked = true;
                break;
            }
        }
    }
    assert!(got_data || parked, "the reader looped without an event");
    reactor.join().unwrap();
    assert!(
        got_data || woken.0.load(SeqCst),
        "the readiness event was lost: the reader is parked and nobody will wake it"
    );
}

/// The waiter list (the `async fn` path) has the same guarantee.
#[test]
fn loom_readiness_event_racing_waiter_registration_is_never_lost() {
    loom::model(|| {
        let io = Arc::new(ScheduledIo::new());
        io.set_readiness(Ready::READABLE);
        let data = Arc::new(AtomicBool::new(false));

        let reactor = {
            let (io, data) = (io.clone(), data.clone());
            thread::spawn(move || {
                data.store(true, SeqCst);
                io.set_readiness(Ready::READABLE);
                io.wake(Ready::READABLE);
            })
        };

        let woken = std::sync::Arc::new(Flag(AtomicBool::new(false)));
        let waker = Waker::from(woken.clone());
        let mut cx = Context::from_waker(&waker);
        let mut key = None;
        let mut got_data = false;
        let mut parked = false;
        for _ in 0..3 {
            match io.poll_waiter(&mut cx, Ready::READABLE, &mut key) {
                Poll::Ready(ev) => {
                    if data.load(SeqCst) {
                        got_data = true;
                        break;
                    }
                    io.clear_readiness(ev);
                }
                Poll::Pending => {
                    parked = true;
                    break;
                }
            }
        }
        assert!(got_data || parked, "the waiter looped without an event");
        reactor.join().unwrap();
        assert!(
            got_data || woken.0.load(SeqCst),
            "the readiness event was lost by the waiter list"
        );
        if let Some(k) = key {
            io.drop_waiter(k);
        }
    });
}
