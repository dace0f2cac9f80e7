//! Spinner containment: the keep-alive workload against a proxy that also runs one task
//! waking itself forever (`--inject-spinner`), and against the same proxy without it, per
//! runtime.
//!
//! Each round, per runtime (wakeful, then tokio): a keep-alive round on the plain proxy
//! (up for the whole run) and, on a spinner proxy started for this round alone (its
//! spinner must not tax the rounds of other proxies), an idle window after [`SETTLE`] (the
//! CPU the spinner burns with no traffic) and a keep-alive round. Even rounds run the
//! spinner proxy first, so neither case always goes first. The spinner proxy uses the plain
//! proxy's upstream (idle meanwhile).
use crate::args::Options;
use crate::certs::Certs;
use crate::child::{Launch, ProxyProcess};
use crate::client::{run_round, Target, Timing, Workload};
use crate::driver::{check, idle_cpu, Side};
use crate::stats::Sample;
use std::time::Duration;
use tokio_rustls::TlsConnector;

/// Time from a spinner proxy's start to its idle window: wakeful flags a spinner within
/// ~100 ms; the idle figure is the steady state after that.
pub const SETTLE: Duration = Duration::from_millis(500);

/// Per runtime (wakeful, tokio): each round's samples.
#[derive(Debug, Default)]
pub struct Drill {
    /// Idle window of the spinner proxy.
    pub idle_spin: [Vec<Sample>; 2],
    /// Keep-alive on the plain proxy.
    pub plain: [Vec<Sample>; 2],
    /// Keep-alive on the spinner proxy.
    pub spin: [Vec<Sample>; 2],
}

pub async fn run(
    opts: &Options,
    certs: &Certs,
    tls: &TlsConnector,
    sides: &mut [Side],
) -> Result<Drill, String> {
    let timing = Timing {
        warmup: opts.warmup,
        measure: opts.measure,
    };
    let conns = opts.conns(Workload::KeepAlive);
    let mut drill = Drill::default();
    for round in 1..=opts.rounds {
        for (i, side) in sides.iter_mut().enumerate() {
            let tag = format!("spinner round {round}/{}", opts.rounds);
            let spin_first = round.is_multiple_of(2);
            if !spin_first {
                let plain = keepalive(conns, side.target(tls), timing, &tag).await;
                drill.plain[i].push(plain.map_err(|e| side.proxy.explain(e))?);
            }
            let mut spinner = ProxyProcess::start(Launch {
                runtime: side.runtime,
                certs,
                upstream: side.upstream.addr(),
                workers: opts.workers,
                inject_spinner: true,
                tokio_copy_buf: opts.tokio_copy_buf,
            })?;
            tokio::time::sleep(SETTLE).await;
            let idle = idle_cpu(&[&spinner], opts.idle).await?.remove(0);
            eprintln!(
                "[{tag}] {}: idle, proxy CPU {} ms over {:.1} s",
                spinner.label(),
                idle.cpu.as_millis(),
                idle.wall.as_secs_f64()
            );
            drill.idle_spin[i].push(idle);
            let target = Target {
                proxy: &spinner,
                upstream: &side.upstream,
                tls,
            };
            let loaded = keepalive(conns, target, timing, &tag).await;
            drill.spin[i].push(loaded.map_err(|e| spinner.explain(e))?);
            spinner.ensure_running()?;
            drop(spinner);
            if spin_first {
                let plain = keepalive(conns, side.target(tls), timing, &tag).await;
                drill.plain[i].push(plain.map_err(|e| side.proxy.explain(e))?);
            }
            side.proxy.ensure_running()?;
        }
    }
    Ok(drill)
}

async fn keepalive(
    conns: usize,
    target: Target<'_>,
    timing: Timing,
    tag: &str,
) -> Result<Sample, String> {
    let label = target.proxy.label().to_string();
    let sample = run_round(Workload::KeepAlive, conns, target, timing).await?;
    check(&sample, Workload::KeepAlive, &label)?;
    eprintln!(
        "[{tag}] {}",
        crate::report::raw(Workload::KeepAlive, &label, &sample)
    );
    Ok(sample)
}
