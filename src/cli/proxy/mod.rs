//! `wakeful proxy`: a TLS-terminating TCP proxy on wakeful (operator guide: `docs/proxy.md`).
//!
//! ```text
//! client ──TLS──▶ listen ─ accept loop ─▶ task "conn <peer>" ──TCP──▶ upstream
//!                  │ (limits.rs slots,     (conn.rs: handshake timeout,
//!                  │  accept.rs backoff)    relay, half-close, idle timeout)
//!                  └ admin (admin.rs): /metrics, /debug/spin, /debug/spin.json, /debug/tasks.json
//! ```
//!
//! [`Proxy`] is the proxy without the process around it (signals, logging, the report
//! file): `wakeful demo` runs the same one in-process.
mod accept;
mod conn;
pub(crate) mod limits;
mod log_throttle;
pub(crate) mod metrics;
pub(crate) mod shutdown;
mod spin_file;
mod spinner;

use crate::cli::duration::{human, parse_duration};
use crate::cli::race::{race, Either};
pub(crate) use accept::Backoff;
use clap::Args;
use conn::ConnCtx;
pub(crate) use limits::Limits;
use limits::Slots;
use log_throttle::LogThrottle;
use metrics::Metrics;
use shutdown::Shutdown;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tracing::{info, warn};
use wakeful::net::TcpListener;
use wakeful::runtime::Builder;
use wakeful::tls::rustls::pki_types::pem::PemObject;
use wakeful::tls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use wakeful::tls::rustls::ServerConfig;
use wakeful::tls::TlsAcceptor;

#[derive(Args, Debug)]
pub(crate) struct ProxyArgs {
    /// Address to accept TLS connections on, e.g. 0.0.0.0:443.
    #[arg(long, value_name = "ADDR")]
    listen: String,
    /// Plain-TCP address to relay each connection to, e.g. 127.0.0.1:8080.
    #[arg(long, value_name = "ADDR")]
    upstream: String,
    /// Certificate chain, PEM (leaf first).
    #[arg(long, value_name = "PEM")]
    cert: PathBuf,
    /// Private key, PEM (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "PEM")]
    key: PathBuf,
    /// Serve /metrics and /debug/* on this address (off by default). A bare port binds
    /// 127.0.0.1; any other interface must be given explicitly.
    #[arg(long, value_name = "ADDR")]
    admin: Option<String>,
    /// Worker threads (default: one per CPU).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    workers: Option<u16>,
    /// Most connections open at once; more wait in the listen backlog.
    #[arg(long, value_name = "N", default_value_t = 4096,
          value_parser = clap::value_parser!(u32).range(1..))]
    max_conns: u32,
    /// Longest a TLS handshake (and then the upstream connect) may take.
    #[arg(long, value_name = "DUR", default_value = "10s", value_parser = positive_duration)]
    handshake_timeout: Duration,
    /// Close a connection after this long without a byte either way.
    #[arg(long, value_name = "DUR", default_value = "5m", value_parser = positive_duration)]
    idle_timeout: Duration,
    /// Keep the spin report (JSON) in this file: rewritten atomically every 5 s and at
    /// shutdown; a previous one is renamed PATH.prev at start.
    #[arg(long, value_name = "PATH")]
    spin_report_file: Option<PathBuf>,
    /// On SIGINT/SIGTERM, how long open connections may take to finish.
    #[arg(long, value_name = "DUR", default_value = "10s", value_parser = parse_duration)]
    grace: Duration,
    /// Spawn one task that wakes itself forever (a containment drill for benchmarks and
    /// operators). It shows in the spin report as `injected spinner`.
    #[arg(long)]
    inject_spinner: bool,
}

fn positive_duration(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        d if d.is_zero() => Err("must be more than 0".into()),
        d => Ok(d),
    }
}

/// Loads `--cert` and `--key` into a server config (TLS 1.2 and 1.3, no client auth).
pub(crate) fn load_tls(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("--cert {}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("--cert {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("--cert {}: no certificate in it", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("--key {}: no usable private key: {e}", key.display()))?;
    let config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("--cert/--key: {e}"))?;
    Ok(Arc::new(config))
}

/// Runs the server side of one handshake in memory, up to the server's first flight.
///
/// A process's first handshake initialises aws-lc (its random generator and key-exchange
/// code): about 100 ms of CPU. Done inside the first connection's poll, that is a 100 ms
/// stall of a worker, which the runtime rightly reports; done here, before serving, it
/// costs the same once and blocks nobody.
pub(crate) fn warm_up(server: &Arc<ServerConfig>) {
    use wakeful::tls::rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConnection};
    let client = ClientConfig::builder()
        .with_root_certificates(RootCertStore::empty())
        .with_no_client_auth();
    let Ok(name) = wakeful::tls::rustls::pki_types::ServerName::try_from("localhost") else {
        return;
    };
    let (Ok(mut c), Ok(mut s)) = (
        ClientConnection::new(Arc::new(client), name),
        ServerConnection::new(server.clone()),
    ) else {
        return;
    };
    let mut hello = Vec::new();
    while c.wants_write() {
        if c.write_tls(&mut hello).is_err() {
            return;
        }
    }
    let mut input = &hello[..];
    while !input.is_empty() {
        if s.read_tls(&mut input).is_err() || s.process_new_packets().is_err() {
            return;
        }
    }
    let mut flight = Vec::new();
    while s.wants_write() {
        if s.write_tls(&mut flight).is_err() {
            return;
        }
    }
}

/// A bound proxy, ready to [`serve`](Proxy::serve).
#[derive(Debug)]
pub(crate) struct Proxy {
    listener: TcpListener,
    ctx: Arc<ConnCtx>,
    slots: Arc<Slots>,
}

impl Proxy {
    /// Binds `listen`. Must run inside the runtime that will serve.
    pub(crate) async fn bind(
        listen: &str,
        upstream: String,
        tls: Arc<ServerConfig>,
        limits: Limits,
        metrics: &Metrics,
    ) -> io::Result<Proxy> {
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {listen}: {e}")))?;
        let proxy_metrics = metrics.proxy.clone();
        proxy_metrics.max_conns.set(limits.max_conns as i64);
        let slots = Slots::new(limits.max_conns, proxy_metrics.active.clone());
        let ctx = Arc::new(ConnCtx {
            acceptor: TlsAcceptor::new(tls),
            upstream,
            limits,
            metrics: proxy_metrics,
            upstream_log: LogThrottle::new(Duration::from_secs(10)),
            limit_log: LogThrottle::new(Duration::from_secs(10)),
        });
        Ok(Proxy {
            listener,
            ctx,
            slots,
        })
    }

    pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown`, then closes the listener and waits for the open
    /// connections, up to `grace` or until `shutdown` is forced. Returns how many were
    /// still open when it stopped waiting.
    pub(crate) async fn serve(self, shutdown: Shutdown, grace: Duration) -> usize {
        let Proxy {
            listener,
            ctx,
            slots,
        } = self;
        accept::accept_loop(listener, ctx, slots.clone(), shutdown.clone()).await;
        let open = slots.taken();
        if open == 0 {
            info!("stopped accepting; no connection open");
            return 0;
        }
        info!(
            "stopped accepting; waiting up to {} for {open} open connections",
            human(grace)
        );
        let waited = race(
            slots.idle(),
            race(wakeful::time::sleep(grace), shutdown.forced()),
        )
        .await;
        match waited {
            Either::Left(()) => {
                info!("all connections closed");
                0
            }
            Either::Right(_) => {
                let left = slots.taken();
                warn!("closing {left} connections still open");
                left
            }
        }
    }
}

/// `wakeful proxy`.
pub(crate) fn run(args: ProxyArgs) -> Result<(), Box<dyn std::error::Error>> {
    let tls = load_tls(&args.cert, &args.key)?;
    warm_up(&tls);
    let admin_addr = args
        .admin
        .as_deref()
        .map(crate::cli::admin::parse_addr)
        .transpose()?;
    if let Some(path) = &args.spin_report_file {
        spin_file::prepare(path)
            .map_err(|e| format!("--spin-report-file {}: {e}", path.display()))?;
    }
    let limits = Limits {
        max_conns: args.max_conns as usize,
        handshake_timeout: args.handshake_timeout,
        idle_timeout: args.idle_timeout,
    };
    warn_if_fd_limit_low(limits.max_conns);

    let shutdown = Shutdown::new();
    shutdown::watch_signals(shutdown.clone(), args.grace)?;
    let mut builder = Builder::new_multi_thread();
    if let Some(n) = args.workers {
        builder.worker_threads(n.into());
    }
    let rt = builder.thread_name("wakeful-proxy").build()?;
    let metrics = Arc::new(Metrics::new(rt.handle().clone()));

    rt.block_on(async {
        let proxy = Proxy::bind(
            &args.listen,
            args.upstream.clone(),
            tls,
            limits,
            &metrics,
        )
        .await?;
        info!(
            "proxy listening on {}, upstream {}, max {} conns, handshake timeout {}, idle timeout {}",
            proxy.local_addr()?,
            args.upstream,
            limits.max_conns,
            human(limits.handshake_timeout),
            human(limits.idle_timeout),
        );
        if let Some(addr) = admin_addr {
            let listener = crate::cli::admin::bind(addr).await?;
            let state = crate::cli::admin::AdminState::new(metrics.clone());
            wakeful::task::Builder::new()
                .name("admin accept loop")
                .spawn(crate::cli::admin::serve(listener, state))?;
        }
        if let Some(path) = args.spin_report_file.clone() {
            info!(
                "spin report file {} (rewritten every {})",
                path.display(),
                human(spin_file::EVERY)
            );
            wakeful::task::Builder::new()
                .name("spin report file")
                .spawn(spin_file::keep_writing(path, wakeful::runtime::Handle::current()))?;
        }
        if args.inject_spinner {
            spinner::spawn()?;
            warn!(
                "--inject-spinner: task `{}` wakes itself forever; expect it flagged and demoted",
                spinner::NAME
            );
        }
        proxy.serve(shutdown, args.grace).await;
        Ok::<_, Box<dyn std::error::Error>>(())
    })?;

    if let Some(path) = &args.spin_report_file {
        match spin_file::write_atomically(path, &rt.spin_report()) {
            Ok(()) => info!("final spin report written to {}", path.display()),
            Err(e) => warn!(
                "cannot write the final spin report to {}: {e}",
                path.display()
            ),
        }
    }
    let flagged = rt.spin_report().runtime.flagged_total;
    if flagged > 0 {
        warn!("{flagged} tasks were flagged as spinning during this run; see the spin report");
    }
    rt.shutdown_timeout(Duration::from_secs(1));
    info!("bye");
    Ok(())
}

/// Each proxied connection holds two descriptors; warns if the soft `RLIMIT_NOFILE`
/// (from `/proc/self/limits`) cannot cover `--max-conns` of them.
fn warn_if_fd_limit_low(max_conns: usize) {
    let Ok(limits) = std::fs::read_to_string("/proc/self/limits") else {
        return;
    };
    let soft = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(soft) = soft {
        let need = 2 * max_conns + 32;
        if soft < need {
            warn!(
                "open-file limit {soft} is below the {need} that --max-conns {max_conns} may \
                 need; accepts will back off on EMFILE (raise it with `ulimit -n`)"
            );
        }
    }
}
