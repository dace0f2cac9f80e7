//! In-crate tests: the loom models (under `--cfg loom`, see `loom_readiness`) and tests
//! that need the driver's internals (slab occupancy, timer counts).
#[cfg(not(loom))]
mod driver;
#[cfg(loom)]
mod loom_readiness;
