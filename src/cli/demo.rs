//! `wakeful demo`: real traffic, one injected bug, and the spin report that catches it.
//!
//! The traffic: pairs of tasks exchanging request/response messages over `wakeful::sync`
//! channels, and a compute task that yields between slices of real work. The injected bug:
//! one "connection handler" that, like the 2025 `TlsStream` after a `close_notify` and a
//! partial record, wakes itself and returns `Pending` forever without reading anything.
use super::proc_stat::process_cpu_time;
use clap::Args;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use wakeful::runtime::{Builder, TaskState};

#[derive(Args, Debug)]
pub(crate) struct DemoArgs {
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 10)]
    secs: u64,
    /// Print the final spin report as JSON instead of the text table.
    #[arg(long)]
    json: bool,
    /// Worker threads (default: one per CPU).
    #[arg(long)]
    workers: Option<usize>,
}

/// THE INJECTED BUG. A connection handler that lost track of its socket: it wakes itself
/// and returns `Pending` on every poll, forever, without doing anything.
struct InjectedBugSelfWakingHandler;

impl Future for InjectedBugSelfWakingHandler {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

fn say(json: bool, msg: impl std::fmt::Display) {
    // With --json, stdout carries only the report; narration goes to stderr.
    if json {
        eprintln!("{msg}");
    } else {
        println!("{msg}");
    }
}

pub(crate) fn run(args: DemoArgs) -> Result<(), Box<dyn std::error::Error>> {
    let json = args.json;
    let mut builder = Builder::new_multi_thread();
    if let Some(n) = args.workers {
        builder.worker_threads(n);
    }
    let rt = builder.thread_name("wakeful-demo").build()?;
    let workers = rt.handle().num_workers();
    say(
        json,
        format!("wakeful demo: {workers} workers, {} s", args.secs),
    );
    say(
        json,
        "  starting well-behaved traffic: 16 request/response pairs over channels, 1 compute task",
    );

    let stop = Arc::new(AtomicBool::new(false));
    let requests = Arc::new(AtomicU64::new(0));
    let compute_slices = Arc::new(AtomicU64::new(0));
    let mut traffic = Vec::new();
    for pair in 0..16 {
        let (mut req_tx, mut req_rx) = wakeful::sync::mpsc::channel::<u64>(8);
        let (mut resp_tx, mut resp_rx) = wakeful::sync::mpsc::channel::<u64>(8);
        let server = wakeful::task::Builder::new()
            .name(&format!("server {pair}"))
            .spawn_on(
                async move {
                    while let Some(r) = req_rx.recv().await {
                        if resp_tx.send(r.wrapping_mul(31)).await.is_err() {
                            break;
                        }
                    }
                },
                rt.handle(),
            )?;
        let (stop, requests) = (stop.clone(), requests.clone());
        let client = wakeful::task::Builder::new()
            .name(&format!("client {pair}"))
            .spawn_on(
                async move {
                    let mut i = 0u64;
                    while !stop.load(Relaxed) {
                        if req_tx.send(i).await.is_err() || resp_rx.recv().await.is_none() {
                            break;
                        }
                        requests.fetch_add(1, Relaxed);
                        i += 1;
                    }
                },
                rt.handle(),
            )?;
        traffic.push(server);
        traffic.push(client);
    }
    {
        let (stop, slices) = (stop.clone(), compute_slices.clone());
        traffic.push(wakeful::task::Builder::new().name("compute").spawn_on(
            async move {
                let mut acc = 1u64;
                while !stop.load(Relaxed) {
                    let end = Instant::now() + Duration::from_micros(200);
                    while Instant::now() < end {
                        acc = acc
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                    }
                    std::hint::black_box(acc);
                    slices.fetch_add(1, Relaxed);
                    wakeful::task::yield_now().await;
                }
            },
            rt.handle(),
        )?);
    }

    std::thread::sleep(Duration::from_millis(500));
    say(
        json,
        "  injecting the bug: one connection handler that wakes itself and returns Pending forever",
    );
    say(
        json,
        "  (type `InjectedBugSelfWakingHandler`, task name \"INJECTED BUG: self-waking handler\")",
    );
    let spinner = wakeful::task::Builder::new()
        .name("INJECTED BUG: self-waking handler")
        .spawn_on(InjectedBugSelfWakingHandler, rt.handle())?;
    let spinner_id = spinner.id().as_u64();
    let injected_at_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);

    let start = Instant::now();
    let cpu0 = process_cpu_time();
    let mut last = (Instant::now(), requests.load(Relaxed), 0u64);
    let mut flagged_after: Option<Duration> = None;
    let mut spinner_polls_at_flag = 0;
    while start.elapsed() < Duration::from_secs(args.secs.max(1)) {
        std::thread::sleep(Duration::from_secs(1));
        let report = rt.spin_report_all();
        let t = report.task(spinner_id);
        let polls = t.map_or(0, |t| t.polls);
        if flagged_after.is_none() {
            if let Some(flagged_ms) = t.and_then(|t| t.first_flagged_ms) {
                flagged_after = Some(Duration::from_millis(
                    flagged_ms.saturating_sub(injected_at_ms),
                ));
                spinner_polls_at_flag = polls;
            }
        }
        let now = Instant::now();
        let reqs = requests.load(Relaxed);
        let dt = now.duration_since(last.0).as_secs_f64();
        say(
            json,
            format!(
                "  [{:>3.0}s] requests/s {:>9.0} | injected spinner: state {:<9} polls/s {:>9.0}",
                start.elapsed().as_secs_f64(),
                (reqs - last.1) as f64 / dt,
                t.map_or("-".to_owned(), |t| format!("{:?}", t.state).to_lowercase()),
                (polls - last.2) as f64 / dt
            ),
        );
        last = (now, reqs, polls);
    }
    let elapsed = start.elapsed();
    let cpu = match (cpu0, process_cpu_time()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    let report = rt.spin_report();
    stop.store(true, Relaxed);
    spinner.abort();
    rt.block_on(async {
        for t in traffic {
            let _ = t.await;
        }
    });
    let _ = rt.block_on(spinner);

    if json {
        println!("{}", report.to_json());
    } else {
        println!();
        println!("{report}");
    }
    let caught = report
        .tasks
        .iter()
        .find(|t| t.id == spinner_id)
        .filter(|t| t.flagged && t.state == TaskState::Demoted);
    match (caught, flagged_after) {
        (Some(t), Some(after)) => {
            say(
                json,
                format!(
                    "caught: task {} ({}) flagged {:.0} ms after it started spinning",
                    t.id,
                    t.type_name,
                    after.as_secs_f64() * 1e3
                ),
            );
            say(
                json,
                format!(
                    "  spawned at {}; self-wake at {}",
                    t.spawned_at,
                    t.self_wake_site.as_deref().unwrap_or("?")
                ),
            );
            let since = t.polls - spinner_polls_at_flag;
            let secs_since = (elapsed.as_secs_f64() - 1.0).max(0.1);
            say(json, format!(
                "  contained: {} polls in its first second; {:.0} polls/s since (demoted, backoff up to 10 ms)",
                spinner_polls_at_flag,
                since as f64 / secs_since
            ));
        }
        _ => say(
            json,
            "NOT caught: the injected spinner was not flagged (this is a bug in wakeful)",
        ),
    }
    say(
        json,
        format!(
            "  well-behaved traffic: {} requests ({:.0}/s), {} compute slices",
            requests.load(Relaxed),
            requests.load(Relaxed) as f64 / elapsed.as_secs_f64(),
            compute_slices.load(Relaxed)
        ),
    );
    if let Some(cpu) = cpu {
        say(
            json,
            format!(
                "  process CPU: {:.1} s over {:.1} s wall on {workers} workers",
                cpu.as_secs_f64(),
                elapsed.as_secs_f64()
            ),
        );
    }
    if caught.is_none() {
        return Err("the injected spinner was not caught".into());
    }
    Ok(())
}
