//! CPU time of a process, from `/proc/<pid>/stat` (Linux): the proxies under test here;
//! the `tls` bench includes this file for its own process.
//!
//! The figure covers every thread of the process (user + system). The kernel counts in
//! clock ticks of 10 ms (USER_HZ is 100 on every Linux ABI Rust supports), so a window
//! must burn well over 100 ms of CPU for a difference to mean anything.
use std::io;
use std::time::Duration;

/// User + system CPU time that process `pid` has consumed so far.
pub fn process_cpu(pid: u32) -> io::Result<Duration> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path)?;
    let bad = || io::Error::new(io::ErrorKind::InvalidData, format!("unexpected {path}"));
    // Fields after the parenthesised command name (which may hold spaces and parentheses):
    // state is the first, utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').ok_or_else(bad)?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| -> io::Result<u64> {
        fields.get(i).and_then(|f| f.parse().ok()).ok_or_else(bad)
    };
    let ticks = tick(11)? + tick(12)?;
    Ok(Duration::from_millis(ticks * 10))
}
