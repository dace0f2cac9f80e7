//! One round's raw numbers ([`Sample`]), what they give per unit, and medians over rounds.
//!
//! Ratios and medians are of per-round figures: each round's CPU per unit is computed first,
//! then the median is taken over rounds (so one noisy round cannot skew the rest).
use hdrhistogram::Histogram;
use std::time::Duration;

/// What one round measured, over its `Measure` window only.
#[derive(Debug)]
pub struct Sample {
    /// Requests, connections, or client→upstream bytes (bulk).
    pub units: u64,
    /// The proxy's CPU time (user + system, all threads), 10 ms resolution.
    pub cpu: Duration,
    pub wall: Duration,
    /// Per-unit latency in µs (none for bulk).
    pub latency: Option<Histogram<u64>>,
}

impl Sample {
    /// Proxy CPU µs per unit.
    pub fn cpu_us_per_unit(&self) -> Option<f64> {
        (self.units > 0).then(|| self.cpu.as_secs_f64() * 1e6 / self.units as f64)
    }

    /// Proxy CPU ms per MiB (bulk: units are bytes).
    pub fn cpu_ms_per_mib(&self) -> Option<f64> {
        (self.units > 0).then(|| self.cpu.as_secs_f64() * 1e3 / mib(self.units))
    }

    /// Units per second of wall time.
    pub fn rate(&self) -> Option<f64> {
        let secs = self.wall.as_secs_f64();
        (secs > 0.0).then(|| self.units as f64 / secs)
    }

    /// MiB per second of wall time (bulk).
    pub fn mib_per_sec(&self) -> Option<f64> {
        self.rate().map(|bytes| bytes / (1024.0 * 1024.0))
    }

    /// Proxy CPU ms per second of wall time: how many milliseconds of a core it used.
    pub fn cpu_ms_per_sec(&self) -> Option<f64> {
        let secs = self.wall.as_secs_f64();
        (secs > 0.0).then(|| self.cpu.as_secs_f64() * 1e3 / secs)
    }

    /// A latency percentile (`q` in 0..=1), µs.
    pub fn latency_us(&self, q: f64) -> Option<f64> {
        let h = self.latency.as_ref().filter(|h| !h.is_empty())?;
        Some(h.value_at_quantile(q) as f64)
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// The median of the values present (the mean of the middle two for an even count).
pub fn median(values: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    let mut v: Vec<f64> = values.into_iter().flatten().collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(match v.len() % 2 {
        1 => v[mid],
        _ => (v[mid - 1] + v[mid]) / 2.0,
    })
}

/// `a / b`, when both exist and `b` is not zero.
pub fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b != 0.0 => Some(a / b),
        _ => None,
    }
}
