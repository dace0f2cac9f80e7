//! The demo's well-behaved traffic: TLS clients (wakeful-tls + hyper's HTTP/1.1 client)
//! sending keep-alive requests through the proxy, and their latencies.
use super::cert::server_name;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::Request;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use wakeful::hyper::FuturesIo;
use wakeful::net::TcpStream;
use wakeful::task::JoinHandle;
use wakeful::tls::rustls::ClientConfig;
use wakeful::tls::TlsConnector;

/// Latency samples kept per client (the rest are counted, not kept).
const MAX_SAMPLES: usize = 100_000;

/// What the clients share with the narrator.
#[derive(Default)]
pub(crate) struct Traffic {
    pub(crate) stop: AtomicBool,
    pub(crate) requests: AtomicU64,
    pub(crate) errors: AtomicU64,
    pub(crate) open: AtomicU64,
    latencies_us: Mutex<Vec<u32>>,
}

impl Traffic {
    /// (p50, p99) request latency in µs.
    pub(crate) fn percentiles(&self) -> Option<(u32, u32)> {
        let mut v = self.latencies_us.lock().ok()?.clone();
        if v.is_empty() {
            return None;
        }
        v.sort_unstable();
        let at = |q: f64| v[((v.len() - 1) as f64 * q) as usize];
        Some((at(0.50), at(0.99)))
    }
}

/// Starts `n` clients, each a task named `demo client <i>` on one TLS connection.
pub(crate) fn start(
    n: usize,
    proxy: SocketAddr,
    tls: Arc<ClientConfig>,
    traffic: &Arc<Traffic>,
) -> std::io::Result<Vec<JoinHandle<()>>> {
    (0..n)
        .map(|i| {
            let (tls, traffic) = (tls.clone(), traffic.clone());
            wakeful::task::Builder::new()
                .name(&format!("demo client {i}"))
                .spawn(async move {
                    if let Err(e) = client(proxy, tls, &traffic).await {
                        if !traffic.stop.load(Relaxed) {
                            traffic.errors.fetch_add(1, Relaxed);
                            eprintln!("  demo client {i}: {e}");
                        }
                    }
                })
        })
        .collect()
}

async fn client(
    proxy: SocketAddr,
    tls: Arc<ClientConfig>,
    traffic: &Traffic,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let tcp = TcpStream::connect(proxy).await?;
    tcp.set_nodelay(true)?;
    let stream = TlsConnector::new(tls).connect(server_name(), tcp).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(FuturesIo::new(stream)).await?;
    let conn = wakeful::task::Builder::new()
        .name("demo client connection")
        .spawn(conn)?;
    traffic.open.fetch_add(1, Relaxed);
    let mut samples = Vec::new();
    let result = async {
        while !traffic.stop.load(Relaxed) {
            let req = Request::get("/")
                .header("host", "localhost")
                .body(Full::new(Bytes::new()))?;
            let t = Instant::now();
            sender.ready().await?;
            let res = sender.send_request(req).await?;
            let ok = res.status().is_success();
            let body = res.into_body().collect().await?.to_bytes();
            if !ok || body.as_ref() != super::upstream::BODY {
                return Err("unexpected answer".into());
            }
            if samples.len() < MAX_SAMPLES {
                samples.push(t.elapsed().as_micros().min(u32::MAX as u128) as u32);
            }
            traffic.requests.fetch_add(1, Relaxed);
        }
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
    }
    .await;
    traffic.open.fetch_sub(1, Relaxed);
    if let Ok(mut all) = traffic.latencies_us.lock() {
        all.extend(samples);
    }
    drop(sender);
    let _ = conn.await;
    result
}
