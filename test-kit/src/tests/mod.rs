//! In-crate tests: the loom models (under `--cfg loom`, see `loom_peer`; run by
//! `loom/run.sh`) and the stream they drive.
#[cfg(loom)]
mod fan_out;
#[cfg(loom)]
mod loom_peer;
