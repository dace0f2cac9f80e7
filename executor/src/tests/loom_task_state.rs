//! Model 1: a wake racing the end of a poll that returns `Pending`.
use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::task::state::{
    State, TransitionToIdle, TransitionToNotifiedByRef, TransitionToRunning, WakeSource,
};
use loom::sync::Arc;
use loom::thread;

/// The task is rescheduled exactly once, never lost and never twice.
#[test]
fn wake_by_ref_racing_end_of_poll_schedules_exactly_once() {
    loom::model(|| {
        let state = Arc::new(State::new());
        let scheduled = Arc::new(AtomicUsize::new(0));
        assert!(matches!(
            state.transition_to_running(),
            TransitionToRunning::Success(_)
        ));

        let waker = {
            let (state, scheduled) = (state.clone(), scheduled.clone());
            thread::spawn(move || {
                if state.transition_to_notified_by_ref(WakeSource::Foreign)
                    == TransitionToNotifiedByRef::Submit
                {
                    scheduled.fetch_add(1, SeqCst);
                }
            })
        };
        match state.transition_to_idle() {
            TransitionToIdle::OkNotified => {
                scheduled.fetch_add(1, SeqCst);
            }
            TransitionToIdle::Ok => {}
            other => panic!("unexpected {other:?}"),
        }
        waker.join().unwrap();
        assert_eq!(
            scheduled.load(SeqCst),
            1,
            "the wake must reschedule exactly once"
        );
        assert!(state.load().is_notified());
    });
}
