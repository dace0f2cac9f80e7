//! The monitor thread: one per runtime.
//!
//! Every millisecond while any worker is awake (every [`IDLE_PERIOD`] while all sleep) it
//! advances the coarse clock; every 10 ms it looks for stalls (a worker inside one poll for
//! longer than the stall threshold) and wakes demoted tasks whose backoff expired if no
//! worker did. It costs the poll path one plain store at each end of a poll: workers publish
//! the id of the task they poll (0 between polls). The poll began at or after the worker's
//! `tick` (the clock it last saw, which it does not write during a poll): the watchdog
//! measures the stall from there, so the poll path stores no start time.
//!
//! An idle runtime should cost nothing, so the monitor mostly sleeps then; a worker that
//! wakes advances the clock itself (`Clock::advance`), so its first polls do not read a
//! tick that is up to an idle period old while the monitor has not noticed it is awake.
use crate::loom::sync::{Arc, Condvar, Mutex};
use crate::scheduler::Shared;
use crate::task::TaskId;
use std::time::Duration;

/// How long the monitor sleeps while every worker does.
const IDLE_PERIOD: Duration = Duration::from_millis(250);

/// Tells the monitor to stop.
#[derive(Debug, Default)]
pub(crate) struct MonitorStop {
    stop: Mutex<bool>,
    condvar: Condvar,
}

impl MonitorStop {
    pub(crate) fn stop(&self) {
        *self.stop.lock() = true;
        self.condvar.notify_all();
    }

    /// Sleeps for `d`; returns true if told to stop.
    fn sleep(&self, d: Duration) -> bool {
        let mut stop = self.stop.lock();
        if !*stop {
            self.condvar.wait_for(&mut stop, d);
        }
        *stop
    }
}

pub(crate) fn run(shared: Arc<Shared>, stop: Arc<MonitorStop>) {
    let inst = &shared.instrument;
    let mut last_check = 0;
    loop {
        let now = inst.clock.advance();
        if now.saturating_sub(last_check) >= 10 {
            last_check = now;
            check_stalls(&shared, now);
            if shared.idle.num_unparked() == 0 {
                shared.wake_demoted();
            }
        }
        let period = if shared.idle.num_unparked() == 0 {
            IDLE_PERIOD
        } else {
            Duration::from_millis(1)
        };
        if stop.sleep(period) {
            return;
        }
    }
}

fn check_stalls(shared: &Shared, now: u64) {
    let inst = &shared.instrument;
    let threshold = inst.stall_threshold_ms;
    for (worker, w) in inst.workers.iter().enumerate() {
        let id = w.poll_task_id.get();
        let started = w.tick.get();
        if id == 0 || now.saturating_sub(started) < threshold {
            continue;
        }
        // Look the task up in the registry: that reference keeps it alive while we read it.
        if let Some(task) = shared.owned.get(TaskId::from_u64(id)) {
            // Re-check that the worker is still inside the same poll.
            if w.poll_task_id.get() == id && w.tick.get() == started {
                inst.stall_ongoing(worker, &task, started, now);
            }
        }
    }
}
