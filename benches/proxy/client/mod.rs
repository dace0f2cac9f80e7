//! The load generator: the same client code against both proxies, on the driver's tokio
//! runtime, with tokio-rustls (resumption off: every connection is a full handshake).
//!
//! # One round
//! 1. **Warm-up**: `conns` client tasks start (connections open, caches fill); nothing
//!    counts yet.
//! 2. **Measure**: the proxy's CPU time (`/proc/<pid>/stat`) and the upstream's byte count
//!    are read, the [`Phase`] turns to `Measure`, the window runs, the phase turns to `Stop`
//!    and both are read again. A unit (request, connection) counts, and its latency is
//!    recorded, if it *completed* during `Measure`.
//! 3. **Wind-down**: each task finishes its unit, closes with close_notify and reads the
//!    proxy's close (checking nothing more came back), then returns. Not measured; a round
//!    whose tasks do not finish within 30 s fails.
//!
//! Every response is checked byte for byte: a mismatch, a truncation or any I/O error
//! fails the round with a message naming the workload and connection.
mod bulk;
mod handshake;
mod keepalive;
mod tls;

use crate::child::ProxyProcess;
use crate::stats::Sample;
use crate::upstream::Upstream;
use hdrhistogram::Histogram;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use tokio_rustls::TlsConnector;

const WIND_DOWN: Duration = Duration::from_secs(30);

/// What the clients do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// Closed loops of a 1 KiB request and its 1 KiB echo, on long-lived connections.
    KeepAlive,
    /// Closed loops of connect + full handshake + 64-byte echo + close.
    Handshakes,
    /// Connections streaming 64 KiB writes while reading the echo back.
    Bulk,
}

impl Workload {
    pub const ALL: [Workload; 3] = [Workload::KeepAlive, Workload::Handshakes, Workload::Bulk];

    pub fn name(self) -> &'static str {
        match self {
            Workload::KeepAlive => "keep-alive",
            Workload::Handshakes => "handshakes",
            Workload::Bulk => "bulk",
        }
    }
}

/// Where the clients go, and whose CPU and bytes count.
#[derive(Clone, Copy)]
pub struct Target<'a> {
    pub proxy: &'a ProxyProcess,
    pub upstream: &'a Upstream,
    pub tls: &'a TlsConnector,
}

/// How long the phases of a round last.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub warmup: Duration,
    pub measure: Duration,
}

/// The phase of a round, shared by its client tasks: warm-up (0, the default), then
/// `MEASURE`, then `STOP`.
#[derive(Debug, Default)]
pub struct Phase(AtomicU8);

impl Phase {
    const MEASURE: u8 = 1;
    const STOP: u8 = 2;

    fn set(&self, phase: u8) {
        self.0.store(phase, Ordering::SeqCst);
    }

    /// Whether a unit completing now counts.
    pub fn measuring(&self) -> bool {
        self.0.load(Ordering::SeqCst) == Self::MEASURE
    }

    /// Whether the tasks should wind down.
    pub fn stopping(&self) -> bool {
        self.0.load(Ordering::SeqCst) == Self::STOP
    }
}

/// What one client task did during `Measure`.
#[derive(Debug)]
pub struct Tally {
    pub units: u64,
    pub latency: Option<Histogram<u64>>,
}

/// A latency histogram in µs, 1 µs to 60 s, 3 significant digits.
pub fn latency_histogram() -> Histogram<u64> {
    // Bounds and precision are constants that hdrhistogram accepts.
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

/// Microseconds since `start`, for a latency histogram.
pub fn micros_since(start: Instant) -> u64 {
    start.elapsed().as_micros().try_into().unwrap_or(u64::MAX)
}

/// Runs one round of `workload` with `conns` client tasks against `target`.
pub async fn run_round(
    workload: Workload,
    conns: usize,
    target: Target<'_>,
    timing: Timing,
) -> Result<Sample, String> {
    let phase = Arc::new(Phase::default());
    let addr = target.proxy.addr();
    let mut tasks = JoinSet::new();
    for id in 0..conns {
        let (tls, phase) = (target.tls.clone(), phase.clone());
        tasks.spawn(client_task(workload, id, addr, tls, phase));
    }

    tokio::time::sleep(timing.warmup).await;
    let bytes0 = target.upstream.received();
    phase.set(Phase::MEASURE);
    let cpu0 = target.proxy.cpu()?;
    let t0 = Instant::now();
    tokio::time::sleep(timing.measure).await;
    phase.set(Phase::STOP);
    let cpu1 = target.proxy.cpu()?;
    let wall = t0.elapsed();
    let bytes = target.upstream.received() - bytes0;

    let wound_down = tokio::time::timeout(WIND_DOWN, collect(&mut tasks)).await;
    let tallies = match wound_down {
        Ok(tallies) => tallies?,
        Err(_) => {
            return Err(format!(
                "{}: the clients of the {} proxy did not finish within {WIND_DOWN:?}",
                workload.name(),
                target.proxy.label()
            ))
        }
    };
    let mut latency = None::<Histogram<u64>>;
    let mut units = 0;
    for tally in tallies {
        units += tally.units;
        if let Some(h) = tally.latency {
            match &mut latency {
                Some(all) => all
                    .add(&h)
                    .map_err(|e| format!("merging latency histograms: {e}"))?,
                None => latency = Some(h),
            }
        }
    }
    if workload == Workload::Bulk {
        units = bytes;
    }
    Ok(Sample {
        units,
        cpu: cpu1.saturating_sub(cpu0),
        wall,
        latency,
    })
}

async fn client_task(
    workload: Workload,
    id: usize,
    addr: SocketAddr,
    tls: TlsConnector,
    phase: Arc<Phase>,
) -> Result<Tally, String> {
    let res = match workload {
        Workload::KeepAlive => keepalive::run(id, addr, &tls, &phase).await,
        Workload::Handshakes => handshake::run(id, addr, &tls, &phase).await,
        Workload::Bulk => bulk::run(id, addr, &tls, &phase).await,
    };
    res.map_err(|e| format!("{} client {id} via {addr}: {e}", workload.name()))
}

/// Every task's tally, or the first error.
async fn collect(tasks: &mut JoinSet<Result<Tally, String>>) -> Result<Vec<Tally>, String> {
    let mut tallies = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(tally)) => tallies.push(tally),
            Ok(Err(e)) => return Err(e),
            Err(e) => return Err(format!("a client task failed: {e}")),
        }
    }
    Ok(tallies)
}
