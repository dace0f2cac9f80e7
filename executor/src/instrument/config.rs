//! Spin-detection settings, set on the runtime `Builder`.
use std::time::Duration;

/// How the runtime decides a task is spinning, and how it contains it.
///
/// A task is **flagged** when, for at least [`min_spin`](Self::min_spin), either its run of
/// consecutive futile polls has reached [`futile_streak_threshold`](Self::futile_streak_threshold)
/// or its decaying futile ratio is at least [`ratio_threshold`](Self::ratio_threshold). A flagged
/// task is **demoted**: its self-wakes are deferred by an exponential backoff from
/// [`backoff_start`](Self::backoff_start) to [`backoff_max`](Self::backoff_max). It is unflagged
/// (recovered) once its futile ratio falls below one half.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SpinConfig {
    /// Account and detect at all. When false, tasks keep only their poll and wake counts:
    /// no futile-poll accounting, no flagging or demotion, no stall watchdog (the
    /// "off" side of the overhead benchmark).
    pub enabled: bool,
    /// Consecutive futile polls that make a task suspect. Default 64.
    pub futile_streak_threshold: u64,
    /// Decaying futile/total ratio that makes a task suspect. Default 0.95.
    pub ratio_threshold: f64,
    /// How long a task must stay suspect before it is flagged. Default 100 ms: a burst of a
    /// thousand yields is not a spin; a task that does nothing for 100 ms is.
    pub min_spin: Duration,
    /// First demotion backoff. Default 50 µs.
    pub backoff_start: Duration,
    /// Largest demotion backoff. Default 10 ms.
    pub backoff_max: Duration,
    /// A poll that has not returned after this long is a stall. Default 100 ms.
    pub stall_threshold: Duration,
    /// How many flagged tasks a report keeps (the worst). Default 64.
    pub max_reported: usize,
}

impl Default for SpinConfig {
    fn default() -> Self {
        SpinConfig {
            enabled: true,
            futile_streak_threshold: 64,
            ratio_threshold: 0.95,
            min_spin: Duration::from_millis(100),
            backoff_start: Duration::from_micros(50),
            backoff_max: Duration::from_millis(10),
            stall_threshold: Duration::from_millis(100),
            max_reported: 64,
        }
    }
}

impl SpinConfig {
    pub(crate) fn ratio_threshold_fixed(&self) -> u64 {
        (self.ratio_threshold.clamp(0.0, 1.0) * super::stats::RATIO_ONE as f64) as u64
    }
    pub(crate) fn min_spin_ms(&self) -> u64 {
        self.min_spin.as_millis() as u64
    }
    pub(crate) fn stall_threshold_ms(&self) -> u64 {
        (self.stall_threshold.as_millis() as u64).max(1)
    }
    pub(crate) fn backoff_start_us(&self) -> u64 {
        (self.backoff_start.as_micros() as u64).max(1)
    }
    pub(crate) fn backoff_max_us(&self) -> u64 {
        (self.backoff_max.as_micros() as u64).max(self.backoff_start_us())
    }
}
