//! The proxies under test, as child processes: `wakeful proxy` (the real binary) and this
//! bench's own tokio proxy (`serve-tokio`, the bench binary re-executed).
//!
//! # Lifetime contract
//! - A [`ProxyProcess`] exists only once its child has logged `proxy listening on ADDR`;
//!   starting fails (with the child's log) if that line does not come within 30 s.
//! - Dropping it kills (SIGKILL) and reaps the child, on every path, errors included.
//!   The tokio proxy also exits by itself when its stdin closes, so it does not outlive a
//!   driver that was killed; `wakeful proxy` dies with the terminal's Ctrl-C.
//! - Its stderr is read for the whole run (a full pipe would block the child); the last
//!   lines are kept for error messages.
use crate::certs::Certs;
use crate::cpu::process_cpu;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// Lines of the child's stderr kept for error messages.
const LOG_TAIL: usize = 40;
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Which proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    Wakeful,
    Tokio,
}

impl Runtime {
    pub const BOTH: [Runtime; 2] = [Runtime::Wakeful, Runtime::Tokio];

    pub fn name(self) -> &'static str {
        match self {
            Runtime::Wakeful => "wakeful",
            Runtime::Tokio => "tokio",
        }
    }
}

/// How to start one proxy.
#[derive(Debug, Clone, Copy)]
pub struct Launch<'a> {
    pub runtime: Runtime,
    pub certs: &'a Certs,
    pub upstream: SocketAddr,
    pub workers: u16,
    pub inject_spinner: bool,
    /// The tokio proxy's relay buffer size (`--copy-buf`); ignored for wakeful.
    pub tokio_copy_buf: Option<usize>,
}

/// A running proxy, killed and reaped on drop.
#[derive(Debug)]
pub struct ProxyProcess {
    label: String,
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<VecDeque<String>>>,
}

impl ProxyProcess {
    /// Starts the proxy on 127.0.0.1:0 and waits until it listens. Blocks the calling
    /// thread (call it from `block_on`'s thread, not from a runtime worker).
    pub fn start(launch: Launch<'_>) -> Result<ProxyProcess, String> {
        let label = match launch.inject_spinner {
            false => launch.runtime.name().to_string(),
            true => format!("{} + spinner", launch.runtime.name()),
        };
        let mut cmd = command(&launch)?;
        cmd.stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start the {label} proxy ({cmd:?}): {e}"))?;
        let log = Arc::new(Mutex::new(VecDeque::new()));
        let lines = match child.stderr.take() {
            Some(stderr) => read_lines(stderr, log.clone()),
            None => return Err(format!("the {label} proxy has no stderr pipe")),
        };
        let mut proxy = ProxyProcess {
            label,
            child,
            // Replaced below; a placeholder keeps the drop guard armed meanwhile.
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            log,
        };
        proxy.addr = proxy.wait_listening(&lines)?;
        Ok(proxy)
    }

    fn wait_listening(&mut self, lines: &mpsc::Receiver<String>) -> Result<SocketAddr, String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match lines.recv_timeout(left) {
                Ok(line) => line,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return Err(self.failure(&format!("did not listen within {START_TIMEOUT:?}")))
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    // Let the child be reaped so its exit status shows.
                    std::thread::sleep(Duration::from_millis(50));
                    return Err(self.failure("exited before listening"));
                }
            };
            if let Some(rest) = line.split("proxy listening on ").nth(1) {
                let addr = rest.split(',').next().unwrap_or(rest).trim();
                return addr
                    .parse()
                    .map_err(|e| self.failure(&format!("logged an odd address `{addr}`: {e}")));
            }
        }
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// CPU time the proxy has used so far (all its threads).
    pub fn cpu(&self) -> Result<Duration, String> {
        process_cpu(self.child.id())
            .map_err(|e| format!("cannot read the {} proxy's CPU time: {e}", self.label))
    }

    /// An error (with the log's tail) if the child has exited.
    pub fn ensure_running(&mut self) -> Result<(), String> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(_)) | Err(_) => Err(self.failure("exited during the run")),
        }
    }

    /// `e`, unless the proxy has died: then that (a client error is its symptom).
    pub fn explain(&mut self, e: String) -> String {
        self.ensure_running().err().unwrap_or(e)
    }

    /// "the X proxy WHAT (exit status): log tail".
    fn failure(&mut self, what: &str) -> String {
        let status = match self.child.try_wait() {
            Ok(Some(status)) => format!(" ({status})"),
            _ => String::new(),
        };
        let tail = match self.log.lock() {
            Ok(log) => log.iter().cloned().collect::<Vec<_>>().join("\n"),
            Err(_) => String::new(),
        };
        format!(
            "the {} proxy {what}{status}; its last log lines:\n{tail}",
            self.label
        )
    }
}

impl Drop for ProxyProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// The command line of one proxy: same flags on both, `--workers` included.
fn command(launch: &Launch<'_>) -> Result<Command, String> {
    let mut cmd = match launch.runtime {
        Runtime::Wakeful => {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_wakeful"));
            // `proxy listening on ADDR` is an info line.
            cmd.arg("proxy")
                .env("RUST_LOG", "info")
                .stdin(Stdio::null());
            cmd
        }
        Runtime::Tokio => {
            let exe = std::env::current_exe()
                .map_err(|e| format!("cannot find the bench binary to re-run: {e}"))?;
            let mut cmd = Command::new(exe);
            // Held open by the driver: EOF tells the child the driver is gone.
            cmd.arg(crate::tokio_proxy::SUBCOMMAND)
                .stdin(Stdio::piped());
            if let Some(size) = launch.tokio_copy_buf {
                cmd.arg("--copy-buf").arg(size.to_string());
            }
            cmd
        }
    };
    cmd.args(["--listen", "127.0.0.1:0", "--upstream"])
        .arg(launch.upstream.to_string())
        .arg("--cert")
        .arg(&launch.certs.chain)
        .arg("--key")
        .arg(&launch.certs.key)
        .arg("--workers")
        .arg(launch.workers.to_string());
    if launch.inject_spinner {
        cmd.arg("--inject-spinner");
    }
    Ok(cmd)
}

/// Reads `stderr` on a thread for the child's whole life, keeping the last lines in `log`
/// and passing each line on (until the receiver is dropped).
fn read_lines(
    stderr: impl std::io::Read + Send + 'static,
    log: Arc<Mutex<VecDeque<String>>>,
) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Ok(mut log) = log.lock() {
                if log.len() == LOG_TAIL {
                    log.pop_front();
                }
                log.push_back(line.clone());
            }
            let _ = tx.send(line);
        }
    });
    rx
}
