//! Time: [`sleep`], [`timeout`] and [`interval`] on a hierarchical timer wheel.
//!
//! The wheel has 1 ms resolution and is driven by the reactor: an idle worker blocked in
//! the reactor wakes at the next deadline, and busy workers fire due timers every 61
//! scheduler ticks, so timers fire whether the runtime is idle or saturated. A timer never
//! fires before its deadline; timers due together fire in one batch. Dropping a [`Sleep`]
//! removes its timer at once (no growth however many timers are cancelled). Timer wakes are
//! attributed as `timer` wakes in spin reports.
//!
//! Every function here needs a wakeful runtime built with `wakeful::runtime::Builder` (which
//! installs the driver) and panics outside one, as tokio's do.
pub mod error;
mod instant;
mod interval;
mod sleep;
mod timeout;
pub(crate) mod timers;
mod wheel;

pub use self::instant::Instant;
pub use self::interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use self::sleep::{sleep, sleep_until, Sleep};
pub use self::timeout::{timeout, timeout_at, Timeout};
