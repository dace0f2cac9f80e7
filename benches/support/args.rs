//! What the hand-written bench harnesses (`proxy`, `spin_overhead`, and the interleaved
//! rounds of `io_tcp` and `tls`) share in reading their command lines.
use std::str::FromStr;

/// `v`, the value of `flag`, as a number greater than zero.
///
/// # Errors
/// A message naming the flag and the value when `v` is not one.
pub fn positive<T: FromStr + Default + PartialOrd>(flag: &str, v: &str) -> Result<T, String> {
    match v.parse::<T>() {
        Ok(n) if n > T::default() => Ok(n),
        _ => Err(format!("{flag} {v}: expected a positive whole number")),
    }
}
