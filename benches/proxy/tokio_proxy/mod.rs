//! The reference: `wakeful proxy`'s semantics on tokio + tokio-rustls, run as the bench
//! binary's `serve-tokio` subcommand (a child process, like `wakeful proxy`).
//!
//! What is mirrored from `src/cli/proxy/` (keep it in step when that changes):
//! - **TLS config** as `load_tls` builds it: `ServerConfig::builder()` with the aws-lc-rs
//!   provider (the build's only one), TLS 1.2 and 1.3, no client auth, the PEM chain and
//!   key; everything else default (the 256-entry session cache, two TLS 1.3 tickets per
//!   handshake, the provider's key-exchange order with X25519MLKEM768 first).
//! - **Accept loop** (`accept.rs`): a connection slot first (4096, `--max-conns`'s
//!   default), one task per connection, accept errors back off 1 ms doubling to 100 ms.
//! - **Connection** (`conn.rs`, here `conn.rs`): see there.
//! - `--workers N` worker threads; `--inject-spinner` spawns one task that wakes itself and
//!   returns `Pending` forever.
//!
//! Not mirrored, as it costs nothing per connection: the admin endpoint, metrics exposition,
//! signals and graceful shutdown, the spin report. The process ends when it is killed or its
//! stdin closes (the driver holds the other end).
mod conn;

use crate::args::positive;
use conn::ConnCtx;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use std::future::Future;
use std::io::Read;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

pub const SUBCOMMAND: &str = "serve-tokio";

/// `wakeful proxy`'s defaults for the flags the bench does not pass.
const MAX_CONNS: usize = 4096;
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
const BACKOFF_START: Duration = Duration::from_millis(1);
const BACKOFF_MAX: Duration = Duration::from_millis(100);

#[derive(Debug)]
struct Args {
    listen: String,
    upstream: String,
    cert: PathBuf,
    key: PathBuf,
    workers: usize,
    inject_spinner: bool,
    /// `--copy-buf B`: relay with `copy_bidirectional_with_sizes(B, B)`.
    copy_buf: Option<usize>,
}

fn parse(argv: &[String]) -> Result<Args, String> {
    let (mut listen, mut upstream, mut cert, mut key) = (None, None, None, None);
    let (mut workers, mut inject_spinner, mut copy_buf) = (2, false, None);
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        if flag == "--inject-spinner" {
            inject_spinner = true;
            continue;
        }
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))?
            .clone();
        match flag.as_str() {
            "--listen" => listen = Some(value),
            "--upstream" => upstream = Some(value),
            "--cert" => cert = Some(value),
            "--key" => key = Some(value),
            "--workers" => workers = positive(flag, &value)?,
            "--copy-buf" => copy_buf = Some(positive(flag, &value)?),
            _ => return Err(format!("{SUBCOMMAND}: unknown flag {flag}")),
        }
    }
    let need = |v: Option<_>, flag: &str| v.ok_or_else(|| format!("{SUBCOMMAND} needs {flag}"));
    Ok(Args {
        listen: need(listen, "--listen")?,
        upstream: need(upstream, "--upstream")?,
        cert: need(cert, "--cert")?.into(),
        key: need(key, "--key")?.into(),
        workers,
        inject_spinner,
        copy_buf,
    })
}

/// As `wakeful proxy`'s `load_tls`, with the provider named instead of the process default
/// (the same one: aws-lc-rs is the only provider in the build).
fn load_tls(args: &Args) -> Result<Arc<ServerConfig>, String> {
    let (cert, key) = (&args.cert, &args.key);
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect())
        .map_err(|e| format!("--cert {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("--cert {}: no certificate in it", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("--key {}: no usable private key: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("protocol versions: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("--cert/--key: {e}"))?;
    Ok(Arc::new(config))
}

/// `serve-tokio ARGS`: runs until killed or until stdin closes.
pub fn main(argv: &[String]) -> Result<(), String> {
    let args = parse(argv)?;
    let tls = load_tls(&args)?;
    std::thread::spawn(|| {
        let mut sink = [0u8; 64];
        while let Ok(1..) = std::io::stdin().read(&mut sink) {}
        std::process::exit(0);
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.workers)
        .thread_name("tokio-proxy")
        .enable_all()
        .build()
        .map_err(|e| format!("cannot build the tokio runtime: {e}"))?;
    rt.block_on(serve(args, tls))
}

async fn serve(args: Args, tls: Arc<ServerConfig>) -> Result<(), String> {
    let listener = TcpListener::bind(&args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    // The driver waits for this line (as `wakeful proxy` logs it).
    eprintln!("proxy listening on {local}, upstream {}", args.upstream);
    if args.inject_spinner {
        tokio::spawn(InjectedSpinner);
        eprintln!("--inject-spinner: one task wakes itself forever");
    }
    let ctx = Arc::new(ConnCtx::new(
        tls,
        args.upstream,
        HANDSHAKE_TIMEOUT,
        IDLE_TIMEOUT,
        args.copy_buf,
    ));
    let slots = Arc::new(Semaphore::new(MAX_CONNS));
    let mut backoff = BACKOFF_START;
    loop {
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => match slots.clone().acquire_owned().await {
                Ok(slot) => slot,
                Err(_) => return Ok(()), // closed: never, the semaphore lives here
            },
        };
        match listener.accept().await {
            Ok((tcp, peer)) => {
                backoff = BACKOFF_START;
                ctx.accepted();
                tokio::spawn(conn::serve(tcp, peer, ctx.clone(), slot));
            }
            Err(e) => {
                drop(slot);
                if backoff == BACKOFF_START {
                    eprintln!("accept failed: {e}; backing off");
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
        }
    }
}

/// The deliberate bug, as in `wakeful proxy --inject-spinner`.
struct InjectedSpinner;

impl Future for InjectedSpinner {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
