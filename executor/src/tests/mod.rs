//! loom models of the executor's synchronization (run with `--cfg loom`, see `docs/loom.md`).
mod loom_task_state;
