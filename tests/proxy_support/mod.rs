//! Helpers shared by the `proxy_*` end-to-end tests: certificates made at test time
//! (rcgen) and written to a temporary folder, the `wakeful` binary started as a proxy on
//! loopback (stderr captured, killed on drop), blocking TLS and HTTP clients on std
//! sockets, in-test upstreams on std threads, an admin-endpoint client, a Prometheus text
//! parser, file-descriptor counts from `/proc/<pid>/fd`, and hang guards.
//!
//! No test asserts a duration: waits poll a condition and fail only after a generous
//! deadline (a hang guard).
#![allow(dead_code, reason = "each test binary uses a different subset")]

pub mod http;
#[path = "../support/incident.rs"]
mod incident;
mod prometheus;
mod tls;
pub mod upstream;
#[path = "../support/watchdog.rs"]
mod watchdog;

#[allow(unused_imports, reason = "each test binary uses a different subset")]
pub use incident::*;
pub use prometheus::{parse_metrics, Metrics};
pub use tls::*;
#[allow(unused_imports, reason = "each test binary uses a different subset")]
pub use watchdog::{watchdog, Watchdog};

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// A folder removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "wakeful-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Polls `cond` every 20 ms until it holds; panics (with `what`) after `secs`.
pub fn wait_until(what: &str, secs: u64, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "gave up after {secs} s waiting for: {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Options of a proxy run.
pub struct ProxyOpts<'a> {
    pub upstream: SocketAddr,
    pub certs: &'a Certs,
    pub admin: bool,
    pub extra: Vec<String>,
    /// Run under `prlimit --nofile=N:N`.
    pub nofile: Option<u32>,
}

impl<'a> ProxyOpts<'a> {
    pub fn new(upstream: SocketAddr, certs: &'a Certs) -> Self {
        ProxyOpts {
            upstream,
            certs,
            admin: true,
            extra: Vec::new(),
            nofile: None,
        }
    }

    pub fn arg(mut self, a: &str) -> Self {
        self.extra.push(a.to_string());
        self
    }

    pub fn args(mut self, a: &[&str]) -> Self {
        self.extra.extend(a.iter().map(|s| s.to_string()));
        self
    }
}

/// A running `wakeful proxy`; SIGKILLed on drop if still running.
pub struct Proxy {
    child: Child,
    pub addr: SocketAddr,
    pub admin: Option<SocketAddr>,
    log: Arc<Mutex<String>>,
}

impl Proxy {
    /// Starts the proxy on 127.0.0.1:0 (and the admin endpoint on 127.0.0.1:0) and waits
    /// for its "listening" log lines.
    pub fn start(opts: ProxyOpts<'_>) -> Proxy {
        let bin = env!("CARGO_BIN_EXE_wakeful");
        let mut cmd = match opts.nofile {
            Some(n) => {
                let mut c = Command::new("prlimit");
                c.arg(format!("--nofile={n}:{n}")).arg("--").arg(bin);
                c
            }
            None => Command::new(bin),
        };
        cmd.args(["proxy", "--listen", "127.0.0.1:0", "--upstream"])
            .arg(opts.upstream.to_string())
            .arg("--cert")
            .arg(&opts.certs.cert)
            .arg("--key")
            .arg(&opts.certs.key)
            .args(["--workers", "2"]);
        if opts.admin {
            cmd.args(["--admin", "127.0.0.1:0"]);
        }
        cmd.args(&opts.extra)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start wakeful proxy");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel::<String>();
        {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    log.lock().unwrap().push_str(&line);
                    log.lock().unwrap().push('\n');
                    let _ = tx.send(line);
                }
            });
        }
        let mut addr = None;
        let mut admin = None;
        let deadline = Instant::now() + Duration::from_secs(30);
        while addr.is_none() || (opts.admin && admin.is_none()) {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match rx.recv_timeout(left) {
                Ok(line) => line,
                Err(_) => {
                    let _ = child.kill();
                    panic!("the proxy did not start:\n{}", log.lock().unwrap());
                }
            };
            if let Some(rest) = line.split("proxy listening on ").nth(1) {
                addr = Some(rest.split(',').next().unwrap().parse().unwrap());
            }
            if let Some(rest) = line.split("admin endpoint on http://").nth(1) {
                admin = Some(rest.split('/').next().unwrap().parse().unwrap());
            }
        }
        Proxy {
            child,
            addr: addr.unwrap(),
            admin,
            log,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the log contains `needle`.
    pub fn wait_for_log(&self, needle: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !self.log().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "no `{needle}` in the proxy's log after {secs} s:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig} failed");
    }

    /// Waits for the process to exit (panics after `secs`).
    pub fn wait_exit(&mut self, secs: u64) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the stderr thread catch up with the last lines.
                std::thread::sleep(Duration::from_millis(50));
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the proxy did not exit within {secs} s:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Open file descriptors of the proxy process.
    pub fn fd_count(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .expect("/proc/<pid>/fd")
            .count()
    }

    /// The proxy's descriptors at rest: the fewest seen over half a second (an admin
    /// connection the proxy has not yet seen closed would otherwise count).
    pub fn resting_fd_count(&self) -> usize {
        (0..25)
            .map(|_| {
                std::thread::sleep(Duration::from_millis(20));
                self.fd_count()
            })
            .min()
            .unwrap()
    }

    /// Waits until the proxy holds no more descriptors than `baseline` (from
    /// [`resting_fd_count`](Self::resting_fd_count)).
    pub fn wait_fds(&self, baseline: usize) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let last = self.fd_count();
            if last <= baseline {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the proxy holds {last} descriptors, {baseline} before: a socket leaked"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn admin(&self) -> SocketAddr {
        self.admin.expect("started with --admin")
    }

    /// `GET path` on the admin endpoint: (status, body).
    pub fn get(&self, path: &str) -> (u16, String) {
        http::get(self.admin(), path)
    }

    /// The parsed `/metrics`.
    pub fn metrics(&self) -> Metrics {
        let (status, body) = self.get("/metrics");
        assert_eq!(status, 200, "{body}");
        parse_metrics(&body).unwrap_or_else(|e| panic!("/metrics: {e}\n{body}"))
    }

    /// The value of one series of `/metrics` (`name{labels}` as exposed).
    pub fn metric(&self, series: &str) -> f64 {
        let m = self.metrics();
        *m.get(series)
            .unwrap_or_else(|| panic!("no series {series} in /metrics: {m:?}"))
    }

    /// `/debug/spin.json`, parsed.
    pub fn spin_json(&self) -> serde_json::Value {
        let (status, body) = self.get("/debug/spin.json");
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub fn read_file(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}
