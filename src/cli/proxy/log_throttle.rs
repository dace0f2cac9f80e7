//! Rate-limited logging for errors that can repeat fast: one line per period, with the
//! count of the ones left out.
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most one log line per `every` for one class of error, with the count of the ones
/// left out.
#[derive(Debug)]
pub(crate) struct LogThrottle {
    every: Duration,
    state: Mutex<(Option<Instant>, u64)>,
}

impl LogThrottle {
    pub(crate) fn new(every: Duration) -> LogThrottle {
        LogThrottle {
            every,
            state: Mutex::new((None, 0)),
        }
    }

    /// Calls `log(suppressed since the last line)` if the last line is old enough.
    pub(crate) fn warn(&self, log: impl FnOnce(u64)) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        match st.0 {
            Some(at) if now.duration_since(at) < self.every => st.1 += 1,
            _ => {
                let suppressed = std::mem::take(&mut st.1);
                st.0 = Some(now);
                drop(st);
                log(suppressed);
            }
        }
    }
}

pub(crate) fn suppressed_note(n: u64) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(" ({n} more like it not logged)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_logs_once_per_period_and_counts_the_rest() {
        let t = LogThrottle::new(Duration::from_secs(3600));
        let mut lines = Vec::new();
        for _ in 0..5 {
            t.warn(|n| lines.push(n));
        }
        assert_eq!(lines, [0]);
        let t = LogThrottle::new(Duration::ZERO);
        t.warn(|n| lines.push(n));
        t.warn(|n| lines.push(n));
        assert_eq!(lines, [0, 0, 0]);
    }
}
