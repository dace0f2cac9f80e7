//! The driver's command line, criterion-style: `cargo bench` passes `--bench`, `cargo bench
//! -- --test` (and `cargo test --benches`, which passes no `--bench`) mean a smoke run.
//! Arguments this bench does not know are ignored, so the flags meant for the criterion
//! benches (`--warm-up-time 2`, filters, ...) do no harm when `cargo bench` passes them to
//! every bench.
use crate::client::Workload;
use std::time::Duration;

#[path = "../support/args.rs"]
mod shared;
pub use shared::positive;

pub const USAGE: &str = "\
usage: cargo bench --bench proxy -- [OPTIONS]

  --rounds N           rounds per side and workload, alternating wakeful/tokio (default 5)
  --secs S             measured seconds per round (default 3; fractions allowed)
  --warmup S           unmeasured seconds at the start of each round (default 0.5)
  --idle S             seconds of idle CPU measurement (default 2)
  --workers N          worker threads of both proxies (default 2)
  --keepalive-conns C  keep-alive connections (default 32)
  --handshake-conns C  concurrent connect+handshake loops (default 8)
  --bulk-conns C       bulk streaming connections (default 4)
  --only LIST          comma-separated subset of keep-alive,handshakes,bulk,spinner
  --tokio-copy-buf B   the tokio proxy relays with copy_bidirectional_with_sizes(B, B)
                       instead of copy_bidirectional's fixed 8 KiB (a hand-tuned tokio)
  --test               smoke run: every case once, briefly, checked (CI)
";

/// What to run, and how long.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--test`, or no `--bench`: a short correctness run, every case once.
    pub smoke: bool,
    pub rounds: usize,
    pub measure: Duration,
    pub warmup: Duration,
    pub idle: Duration,
    pub workers: u16,
    pub keepalive_conns: usize,
    pub handshake_conns: usize,
    pub bulk_conns: usize,
    pub workloads: Vec<Workload>,
    pub spinner: bool,
    /// `--tokio-copy-buf`: the tokio proxy's relay buffer size, if not tokio's default.
    pub tokio_copy_buf: Option<usize>,
}

impl Options {
    /// Client tasks for `workload`.
    pub fn conns(&self, workload: Workload) -> usize {
        match workload {
            Workload::KeepAlive => self.keepalive_conns,
            Workload::Handshakes => self.handshake_conns,
            Workload::Bulk => self.bulk_conns,
        }
    }
}

/// A parsed command line.
#[derive(Debug)]
pub enum Parsed {
    Run(Options),
    Help,
}

pub fn parse(argv: &[String]) -> Result<Parsed, String> {
    let has = |flag: &str| argv.iter().any(|a| a == flag);
    if has("--help") || has("-h") {
        return Ok(Parsed::Help);
    }
    let smoke = has("--test") || !has("--bench");
    let mut o = Options {
        smoke,
        rounds: if smoke { 1 } else { 5 },
        measure: secs(if smoke { 0.3 } else { 3.0 }),
        warmup: secs(if smoke { 0.1 } else { 0.5 }),
        idle: secs(if smoke { 0.3 } else { 2.0 }),
        workers: 2,
        keepalive_conns: 32,
        handshake_conns: 8,
        bulk_conns: 4,
        workloads: Workload::ALL.to_vec(),
        spinner: true,
        tokio_copy_buf: None,
    };
    let mut args = argv.iter();
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .map(String::as_str)
                .ok_or_else(|| format!("{flag} needs a value\n\n{USAGE}"))
        };
        match flag.as_str() {
            "--rounds" => o.rounds = positive(flag, value()?)?,
            "--secs" => o.measure = seconds(flag, value()?)?,
            "--warmup" => o.warmup = seconds(flag, value()?)?,
            "--idle" => o.idle = seconds(flag, value()?)?,
            "--workers" => o.workers = positive::<u16>(flag, value()?)?,
            "--keepalive-conns" => o.keepalive_conns = positive(flag, value()?)?,
            "--handshake-conns" => o.handshake_conns = positive(flag, value()?)?,
            "--bulk-conns" => o.bulk_conns = positive(flag, value()?)?,
            "--tokio-copy-buf" => o.tokio_copy_buf = Some(positive(flag, value()?)?),
            "--only" => {
                let list = value()?;
                o.workloads = Workload::ALL
                    .into_iter()
                    .filter(|w| list.split(',').any(|x| x == w.name()))
                    .collect();
                o.spinner = list.split(',').any(|x| x == "spinner");
                if let Some(bad) = list
                    .split(',')
                    .find(|x| *x != "spinner" && !Workload::ALL.iter().any(|w| w.name() == *x))
                {
                    return Err(format!("--only: no case named `{bad}`\n\n{USAGE}"));
                }
            }
            _ => {} // criterion's flags, filters, `--bench`, `--test`
        }
    }
    Ok(Parsed::Run(o))
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

fn seconds(flag: &str, v: &str) -> Result<Duration, String> {
    match v.parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s < 86_400.0 => Ok(secs(s)),
        _ => Err(format!("{flag} {v}: expected a positive number of seconds")),
    }
}
