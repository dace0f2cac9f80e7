//! Durations on the command line: `10s`, `500ms`, `2m`, `1h`, `1.5s`, `1m30s`.
use std::time::Duration;

/// Parses a duration: one or more `<number><unit>` parts (units `ms`, `s`, `m`, `h`; the
/// number may have a fraction). A bare number is refused: `--idle-timeout 300` could mean
/// seconds or milliseconds, so the unit is required.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("empty duration (examples: 10s, 500ms, 2m, 1h, 1m30s)".into());
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (num, after) = rest.split_at(num_len);
        if num.is_empty() {
            return Err(format!(
                "`{text}`: expected a number before `{after}` (examples: 10s, 500ms, 2m)"
            ));
        }
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let scale = match unit {
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "" => {
                return Err(format!(
                    "`{text}`: missing unit (write `{num}s` for seconds, or use ms, m, h)"
                ))
            }
            other => {
                return Err(format!(
                    "`{text}`: unknown unit `{other}` (use ms, s, m or h)"
                ))
            }
        };
        let value: f64 = num
            .parse()
            .map_err(|_| format!("`{text}`: `{num}` is not a number"))?;
        let part = Duration::try_from_secs_f64(value * scale)
            .map_err(|_| format!("`{text}`: out of range"))?;
        total = total
            .checked_add(part)
            .ok_or_else(|| format!("`{text}`: out of range"))?;
        rest = next;
    }
    Ok(total)
}

/// A duration as the command line writes it (`10s`, `250ms`, `2m`).
pub(crate) fn human(d: Duration) -> String {
    let ms = d.as_millis();
    // (Not `is_multiple_of`: the workspace's MSRV is 1.85.)
    if ms > 0 && ms / 60_000 * 60_000 == ms {
        format!("{}m", ms / 60_000)
    } else if ms / 1000 * 1000 == ms {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::{human, parse_duration};
    use std::time::Duration;

    #[test]
    fn units() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration(" 0s "), Ok(Duration::ZERO));
    }

    #[test]
    fn refusals_say_why() {
        assert!(parse_duration("10").unwrap_err().contains("missing unit"));
        assert!(parse_duration("10x").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("s")
            .unwrap_err()
            .contains("expected a number"));
        assert!(parse_duration("1..2s")
            .unwrap_err()
            .contains("not a number"));
        assert!(parse_duration("").unwrap_err().contains("empty"));
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("99999999999999999999h").is_err());
    }

    #[test]
    fn displays_as_written() {
        assert_eq!(human(Duration::from_secs(10)), "10s");
        assert_eq!(human(Duration::from_secs(300)), "5m");
        assert_eq!(human(Duration::from_millis(250)), "250ms");
    }
}
