//! The bench run: certificates, one echo upstream per proxy, both proxies started once,
//! an idle check, then each workload in rounds alternating wakeful, tokio, wakeful, ...,
//! then the spinner drill; the tables go to stdout, each round's raw numbers to stderr.
//!
//! # Invariants
//! - Both proxies stay up for the whole run; only the one under load does work (the idle
//!   check at the start measures what an idle proxy costs, and the table shows it).
//! - A round only counts if every unit in it completed and checked out; a round with no
//!   request or connection (or under a MiB in bulk) is an error, not a zero (smoke runs
//!   rely on this).
//! - The clients and upstreams run here, on a tokio runtime with [`CLIENT_THREADS`]
//!   workers, the same code for both proxies. Process starts block `block_on`'s thread,
//!   never a worker.
use crate::args::Options;
use crate::certs::Certs;
use crate::child::{Launch, ProxyProcess, Runtime};
use crate::client::{run_round, Target, Timing, Workload};
use crate::report::{self, Results};
use crate::spinner;
use crate::stats::Sample;
use crate::upstream::Upstream;
use std::time::{Duration, Instant};
use tokio_rustls::TlsConnector;

/// Worker threads of the driver's runtime (clients and upstreams).
pub const CLIENT_THREADS: usize = 2;

/// One proxy under test and its upstream.
#[derive(Debug)]
pub struct Side {
    pub runtime: Runtime,
    pub proxy: ProxyProcess,
    pub upstream: Upstream,
}

impl Side {
    pub fn target<'a>(&'a self, tls: &'a TlsConnector) -> Target<'a> {
        Target {
            proxy: &self.proxy,
            upstream: &self.upstream,
            tls,
        }
    }
}

pub fn run(opts: &Options) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(CLIENT_THREADS)
        .thread_name("bench-client")
        .enable_all()
        .build()
        .map_err(|e| format!("cannot build the client runtime: {e}"))?;
    let res = rt.block_on(bench(opts));
    rt.shutdown_timeout(Duration::from_secs(1));
    res
}

async fn bench(opts: &Options) -> Result<(), String> {
    let started = Instant::now();
    let certs = Certs::generate()?;
    let tls = TlsConnector::from(certs.client.clone());
    let mut sides = Vec::new();
    for runtime in Runtime::BOTH {
        let upstream = Upstream::start()
            .await
            .map_err(|e| format!("cannot start an upstream: {e}"))?;
        let proxy = ProxyProcess::start(Launch {
            runtime,
            certs: &certs,
            upstream: upstream.addr(),
            workers: opts.workers,
            inject_spinner: false,
            tokio_copy_buf: opts.tokio_copy_buf,
        })?;
        eprintln!("{} proxy on {}", runtime.name(), proxy.addr());
        sides.push(Side {
            runtime,
            proxy,
            upstream,
        });
    }

    let proxies: Vec<&ProxyProcess> = sides.iter().map(|s| &s.proxy).collect();
    let idle = idle_cpu(&proxies, opts.idle).await?;
    for (side, s) in sides.iter().zip(&idle) {
        eprintln!(
            "[idle] {}: proxy CPU {} ms over {:.1} s",
            side.runtime.name(),
            s.cpu.as_millis(),
            s.wall.as_secs_f64()
        );
    }

    let timing = Timing {
        warmup: opts.warmup,
        measure: opts.measure,
    };
    let mut workloads = Vec::new();
    for &workload in &opts.workloads {
        let mut samples: [Vec<Sample>; 2] = Default::default();
        for round in 1..=opts.rounds {
            for (i, side) in sides.iter_mut().enumerate() {
                let conns = opts.conns(workload);
                let sample = match run_round(workload, conns, side.target(&tls), timing).await {
                    Ok(sample) => sample,
                    Err(e) => return Err(side.proxy.explain(e)),
                };
                side.proxy.ensure_running()?;
                check(&sample, workload, side.proxy.label())?;
                eprintln!(
                    "[{} round {round}/{}] {}",
                    workload.name(),
                    opts.rounds,
                    report::raw(workload, side.proxy.label(), &sample)
                );
                samples[i].push(sample);
            }
        }
        workloads.push((workload, samples));
    }
    let results = Results { idle, workloads };
    print!("{}", report::main_table(opts, &results));

    if opts.spinner {
        let drill = spinner::run(opts, &certs, &tls, &mut sides).await?;
        print!("{}", report::spinner_table(opts, &results.idle, &drill));
    }
    if opts.smoke {
        println!(
            "\nsmoke run passed ({:.1} s): every case completed units on both proxies, \
             every echo checked",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// The CPU each proxy uses over the same `window` without traffic.
pub async fn idle_cpu(proxies: &[&ProxyProcess], window: Duration) -> Result<Vec<Sample>, String> {
    let before: Vec<Duration> = proxies.iter().map(|p| p.cpu()).collect::<Result<_, _>>()?;
    let t0 = Instant::now();
    tokio::time::sleep(window).await;
    let after: Vec<Duration> = proxies.iter().map(|p| p.cpu()).collect::<Result<_, _>>()?;
    let wall = t0.elapsed();
    Ok(before
        .into_iter()
        .zip(after)
        .map(|(b, a)| Sample {
            units: 0,
            cpu: a.saturating_sub(b),
            wall,
            latency: None,
        })
        .collect())
}

/// A round must have completed something: a request or connection, or a MiB in bulk.
pub fn check(sample: &Sample, workload: Workload, proxy: &str) -> Result<(), String> {
    let least = match workload {
        Workload::Bulk => 1 << 20,
        _ => 1,
    };
    if sample.units < least {
        return Err(format!(
            "{}: {} units (at least {least} expected) through the {proxy} proxy in {:.2} s",
            workload.name(),
            sample.units,
            sample.wall.as_secs_f64()
        ));
    }
    Ok(())
}
