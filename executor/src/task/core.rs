//! The task cell: header, core and trailer in one allocation.
use super::state::State;
use super::{raw::Vtable, JoinError, Schedule, TaskId};
use crate::instrument::TaskStats;
use crate::loom::cell::UnsafeCell;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// Who spawned a task, recorded once at spawn: for spin reports and `tasks.json`.
#[derive(Debug)]
pub(crate) struct TaskMeta {
    /// The name given with `task::Builder::name`.
    pub(crate) name: Option<Box<str>>,
    /// `std::any::type_name` of the spawned future.
    pub(crate) type_name: &'static str,
    /// The `#[track_caller]` location of the spawn call.
    pub(crate) spawned_at: &'static Location<'static>,
}

/// The type-erased part of a task, first in the cell. Ordered for the poll path: the state
/// word, the vtable and the id, then the statistics a poll writes (hot fields first, see
/// `TaskStats`); the spawn metadata, read only by reports, last.
#[repr(C)]
pub(crate) struct Header {
    pub(crate) state: State,
    pub(crate) vtable: &'static Vtable,
    pub(crate) id: TaskId,
    /// Spin accounting. Written only by the thread polling the task (rule 1 of `task/mod.rs`).
    pub(crate) stats: TaskStats,
    pub(crate) meta: TaskMeta,
}

/// What the stage slot holds: the future until it finishes, then its result until the
/// `JoinHandle` takes it.
pub(crate) enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, JoinError>),
    Consumed,
}

pub(crate) struct Core<F: Future, S> {
    pub(crate) scheduler: S,
    pub(crate) stage: UnsafeCell<Stage<F>>,
}

pub(crate) struct Trailer {
    /// The `JoinHandle`'s waker; access follows rules 2-6 of `task/mod.rs`.
    pub(crate) waker: UnsafeCell<Option<Waker>>,
}

#[repr(C)]
pub(crate) struct Cell<F: Future, S> {
    pub(crate) header: Header,
    pub(crate) core: Core<F, S>,
    pub(crate) trailer: Trailer,
}

impl<F: Future, S: Schedule> Cell<F, S> {
    pub(crate) fn new(future: F, scheduler: S, id: TaskId, meta: TaskMeta) -> Box<Self> {
        Box::new(Cell {
            header: Header {
                state: State::new(),
                vtable: super::raw::vtable::<F, S>(),
                id,
                stats: TaskStats::new(),
                meta,
            },
            core: Core {
                scheduler,
                stage: UnsafeCell::new(Stage::Running(future)),
            },
            trailer: Trailer {
                waker: UnsafeCell::new(None),
            },
        })
    }
}

impl<F: Future, S> Core<F, S> {
    /// Polls the future. On `Ready` the future is dropped at once and the output returned.
    ///
    /// # Safety
    /// The caller must hold `RUNNING` (rule 1).
    pub(crate) unsafe fn poll(&self, cx: &mut Context<'_>) -> Poll<F::Output> {
        let res = self.stage.with_mut(|ptr| {
            // SAFETY: the caller holds RUNNING, so this thread has exclusive access to the stage.
            let stage = unsafe { &mut *ptr };
            let Stage::Running(future) = stage else {
                unreachable!("polled a task whose future is gone");
            };
            // SAFETY: the future lives inside the heap cell and is never moved until dropped.
            let future = unsafe { Pin::new_unchecked(future) };
            future.poll(cx)
        });
        if res.is_ready() {
            // SAFETY: as above, the caller still holds RUNNING.
            unsafe { self.set_stage(Stage::Consumed) };
        }
        res
    }

    /// Drops whatever the stage holds.
    ///
    /// # Safety
    /// The caller must have exclusive access to the stage (rule 1).
    pub(crate) unsafe fn drop_future_or_output(&self) {
        // SAFETY: forwarded from the caller.
        unsafe { self.set_stage(Stage::Consumed) };
    }

    /// # Safety
    /// The caller must have exclusive access to the stage (rule 1).
    pub(crate) unsafe fn store_output(&self, output: Result<F::Output, JoinError>) {
        // SAFETY: forwarded from the caller.
        unsafe { self.set_stage(Stage::Finished(output)) };
    }

    /// # Safety
    /// The caller must be the `JoinHandle` after `COMPLETE`, with `JOIN_INTEREST` set (rule 1).
    pub(crate) unsafe fn take_output(&self) -> Result<F::Output, JoinError> {
        self.stage.with_mut(|ptr| {
            // SAFETY: forwarded from the caller.
            match std::mem::replace(unsafe { &mut *ptr }, Stage::Consumed) {
                Stage::Finished(output) => output,
                _ => panic!("JoinHandle polled after completion"),
            }
        })
    }

    /// # Safety
    /// The caller must have exclusive access to the stage (rule 1).
    unsafe fn set_stage(&self, stage: Stage<F>) {
        // The old stage is dropped here, which may run arbitrary user code (a future's or
        // output's `Drop`); callers catch its panics.
        // SAFETY: exclusive access to the stage is forwarded from the caller.
        self.stage.with_mut(|ptr| unsafe { *ptr = stage });
    }
}

impl Trailer {
    /// # Safety
    /// The caller must have write access to the slot (rules 2, 4, 5).
    pub(crate) unsafe fn set_waker(&self, waker: Option<Waker>) {
        // SAFETY: forwarded from the caller.
        self.waker.with_mut(|ptr| unsafe { *ptr = waker });
    }

    /// # Safety
    /// The caller must have read access to the slot (rule 3).
    pub(crate) unsafe fn will_wake(&self, waker: &Waker) -> bool {
        self.waker.with(|ptr| {
            // SAFETY: read access to the slot is forwarded from the caller.
            let stored = unsafe { (*ptr).as_ref() };
            stored.is_some_and(|w| w.will_wake(waker))
        })
    }

    /// # Safety
    /// The caller must be the task after completion, with `JOIN_WAKER` set (rule 4).
    pub(crate) unsafe fn wake_join(&self) {
        self.waker.with(|ptr| {
            // SAFETY: forwarded from the caller.
            match unsafe { &*ptr } {
                Some(waker) => waker.wake_by_ref(),
                None => panic!("JOIN_WAKER set without a waker"),
            }
        });
    }
}
