//! `wakeful demo`: the proxy with real TLS traffic, the 2025 incident pattern, one injected
//! bug, and the spin report that catches it. No arguments, no files, no network beyond
//! loopback.
//!
//! In one process, on one runtime: a self-signed certificate (`demo/cert.rs`), an HTTP
//! upstream (`demo/upstream.rs`), the same proxy and admin endpoint `wakeful proxy` runs,
//! TLS clients sending keep-alive requests through it (`demo/clients.rs`), the incident
//! pattern from raw rustls clients (`demo/incident.rs`), and the injected bug: one
//! "connection handler" that, like the 2025 `TlsStream` after a close_notify and a partial
//! record, wakes itself and returns `Pending` forever without reading anything.
mod cert;
mod clients;
mod incident;
mod incident_wire;
mod upstream;

use super::admin;
use super::proc_stat::process_cpu_time;
use super::proxy::metrics::Metrics;
use super::proxy::shutdown::Shutdown;
use super::proxy::{Limits, Proxy};
use clap::Args;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use wakeful::runtime::{Builder, TaskState};

#[derive(Args, Debug)]
pub(crate) struct DemoArgs {
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 10)]
    secs: u64,
    /// Print the final spin report as JSON on stdout (the narration goes to stderr).
    #[arg(long)]
    json: bool,
    /// Worker threads (default: one per CPU).
    #[arg(long)]
    workers: Option<usize>,
    /// TLS clients sending keep-alive requests through the proxy.
    #[arg(long, default_value_t = 8)]
    clients: usize,
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
        builder.worker_threads(n.max(1));
    }
    let rt = builder.thread_name("wakeful-demo").build()?;
    let workers = rt.handle().num_workers();
    say(
        json,
        format!(
            "wakeful demo: {workers} workers, {} s, all on loopback",
            args.secs
        ),
    );

    let tls = cert::generate()?;
    super::proxy::warm_up(&tls.server);
    say(
        json,
        "  certificate: self-signed for localhost (rcgen, ECDSA P-256), in memory",
    );
    let metrics = Arc::new(Metrics::new(rt.handle().clone()));
    let shutdown = Shutdown::new();
    let limits = Limits {
        max_conns: 1024,
        handshake_timeout: Duration::from_secs(5),
        idle_timeout: Duration::from_secs(30),
    };
    let (upstream_addr, proxy, admin_addr) = rt.block_on(async {
        let upstream_addr = upstream::start().await?;
        let proxy = Proxy::bind(
            "127.0.0.1:0",
            upstream_addr.to_string(),
            tls.server.clone(),
            limits,
            &metrics,
        )
        .await?;
        let admin_listener = wakeful::net::TcpListener::bind("127.0.0.1:0").await?;
        let admin_addr = admin_listener.local_addr()?;
        let state = admin::AdminState::new(metrics.clone());
        wakeful::task::Builder::new()
            .name("admin accept loop")
            .spawn(admin::serve(admin_listener, state))?;
        Ok::<_, std::io::Error>((upstream_addr, proxy, admin_addr))
    })?;
    let proxy_addr = proxy.local_addr()?;
    say(
        json,
        format!("  upstream: HTTP/1.1 on {upstream_addr} (hyper on wakeful)"),
    );
    say(
        json,
        format!(
        "  proxy: TLS on {proxy_addr} -> {upstream_addr} (the `wakeful proxy` code, max {} conns)",
        limits.max_conns
    ),
    );
    say(json, format!(
        "  admin: http://{admin_addr}/metrics and /debug/spin (try: wakeful report http://{admin_addr})"
    ));
    let proxy_task = {
        let shutdown = shutdown.clone();
        wakeful::task::Builder::new()
            .name("proxy accept loop")
            .spawn_on(proxy.serve(shutdown, Duration::from_secs(2)), rt.handle())?
    };

    let traffic = Arc::new(clients::Traffic::default());
    let client_tasks = {
        let _enter = rt.enter();
        clients::start(args.clients, proxy_addr, tls.client.clone(), &traffic)?
    };
    say(
        json,
        format!(
            "  traffic: {} TLS clients sending keep-alive HTTP/1.1 requests through the proxy",
            args.clients
        ),
    );

    std::thread::sleep(Duration::from_millis(300));
    say(
        json,
        "  the 2025 incident pattern: 10 raw rustls clients send a request, close_notify and a",
    );
    say(json, "    partial record in one TCP write (5 trailers x FIN/RST): the input that spun the old proxy");
    let incident = incident::run(proxy_addr, tls.client.clone());
    say(json, format!(
        "    -> {}/{} FIN clients got their answer and a close_notify; {} reset; the proxy read EOF and closed each",
        incident.answered, incident.fin_sent, incident.rst_sent
    ));
    for f in &incident.failures {
        say(json, format!("    incident client failed: {f}"));
    }

    std::thread::sleep(Duration::from_millis(200));
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
    let mut last = (Instant::now(), traffic.requests.load(Relaxed), 0u64);
    let mut flagged_after: Option<Duration> = None;
    let mut spinner_polls_at_flag = 0;
    let mut flagged_at = start;
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
                flagged_at = Instant::now();
            }
        }
        let now = Instant::now();
        let reqs = traffic.requests.load(Relaxed);
        let dt = now.duration_since(last.0).as_secs_f64();
        say(json, format!(
            "  [{:>3.0}s] {:>7.0} req/s through the proxy, {} TLS conns open | injected spinner: {:<9} {:>9.0} polls/s",
            start.elapsed().as_secs_f64(),
            (reqs - last.1) as f64 / dt,
            traffic.open.load(Relaxed),
            t.map_or("-".to_owned(), |t| format!("{:?}", t.state).to_lowercase()),
            (polls - last.2) as f64 / dt
        ));
        last = (now, reqs, polls);
    }
    let elapsed = start.elapsed();
    let cpu = match (cpu0, process_cpu_time()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    let report = rt.spin_report();
    let since_flag = flagged_at.elapsed();

    // Wind down: clients stop after their current request, the proxy drains.
    traffic.stop.store(true, Relaxed);
    spinner.abort();
    shutdown.trigger();
    rt.block_on(async {
        let _ = wakeful::time::timeout(Duration::from_secs(5), async {
            for t in client_tasks {
                let _ = t.await;
            }
            let _ = proxy_task.await;
        })
        .await;
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
            let since = t.polls.saturating_sub(spinner_polls_at_flag);
            let rate = since as f64 / since_flag.as_secs_f64().max(0.1);
            say(
                json,
                format!(
                    "  contained: {spinner_polls_at_flag} polls in its first second; \
                 {rate:.0} polls/s since (demoted, backoff up to 10 ms)"
                ),
            );
            say(json, format!(
                "  CPU it was held to: ~{:.2} ms per second ({:.3}% of one core; poll p50 {:.1} us)",
                rate * t.poll_us.p50 / 1e3,
                rate * t.poll_us.p50 / 1e4,
                t.poll_us.p50
            ));
        }
        _ => say(
            json,
            "NOT caught: the injected spinner was not flagged (this is a bug in wakeful)",
        ),
    }
    let others_flagged = report
        .tasks
        .iter()
        .filter(|t| t.id != spinner_id && t.first_flagged_ms.is_some())
        .count();
    say(
        json,
        format!(
            "  incident connections: {}/{} answered, {} flagged (wakeful-tls never wakes itself)",
            incident.answered, incident.fin_sent, others_flagged
        ),
    );
    let reqs = traffic.requests.load(Relaxed);
    let latency = traffic.percentiles().map_or(String::new(), |(p50, p99)| {
        format!(", latency p50 {p50} us, p99 {p99} us")
    });
    say(json, format!(
        "  well-behaved traffic: {reqs} requests ({:.0}/s){latency}, {} client errors, {} bytes relayed",
        reqs as f64 / elapsed.as_secs_f64(),
        traffic.errors.load(Relaxed),
        metrics.proxy.client_to_upstream.get() + metrics.proxy.upstream_to_client.get()
    ));
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
    if !incident.failures.is_empty() || incident.answered != incident.fin_sent {
        return Err("an incident-pattern connection was not served cleanly".into());
    }
    Ok(())
}
