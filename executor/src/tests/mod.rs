//! loom models of the executor's synchronization. Run them with `loom/run.sh` (or see
//! `docs/loom.md`); each model has a mutant in `loom/mutants/` that it must catch.
mod support;

mod loom_demotion;
mod loom_join;
mod loom_park;
mod loom_queue;
mod loom_shutdown;
mod loom_task_state;
mod loom_waker_refs;
