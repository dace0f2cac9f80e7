//! The admin endpoint (`--admin ADDR`): HTTP/1.1 served by hyper on wakeful.
//!
//! | path | body |
//! |---|---|
//! | `/metrics` | Prometheus/OpenMetrics text (`proxy/metrics.rs` lists the names) |
//! | `/debug/spin` | the spin report as the text table |
//! | `/debug/spin.json` | the spin report as JSON (schema: `docs/spin-reports.md`) |
//! | `/debug/tasks` | every live task, as the text table |
//! | `/debug/tasks.json` | every live task with its counters (the same schema) |
//!
//! Only `GET` and `HEAD`. Reports hold names, types, spawn sites and counters: never a
//! payload byte nor key material. Reports are built on the blocking pool (a runtime with
//! many tasks takes a while to walk), never on a worker. At most [`MAX_CONNS`] admin
//! connections at once; a client gets [`HEADER_TIMEOUT`] to send its request headers.
use crate::cli::proxy::limits::Slots;
use crate::cli::proxy::metrics::Metrics;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, ALLOW, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use prometheus_client::metrics::gauge::Gauge;
use std::convert::Infallible;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;
use tracing::{debug, info, warn};
use wakeful::hyper::{FuturesIo, WakefulTimer};
use wakeful::net::TcpListener;
use wakeful::runtime::Handle;

/// Admin connections served at once (more wait in the backlog).
pub(crate) const MAX_CONNS: usize = 64;
/// Time a client has to send its request headers.
pub(crate) const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// `--admin`: `ADDR:PORT`, `HOST:PORT`, or a bare `PORT` (127.0.0.1).
pub(crate) fn parse_addr(s: &str) -> Result<SocketAddr, String> {
    let s = s.trim();
    if let Ok(port) = s.trim_start_matches(':').parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    s.to_socket_addrs()
        .map_err(|e| format!("--admin {s}: {e}"))?
        .next()
        .ok_or_else(|| format!("--admin {s}: resolves to no address"))
}

/// Binds the admin listener; warns when it is reachable from outside the host.
pub(crate) async fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| io::Error::new(e.kind(), format!("cannot serve --admin on {addr}: {e}")))?;
    let local = listener.local_addr()?;
    if !local.ip().is_loopback() {
        warn!("admin endpoint on {local} is reachable from other hosts (no authentication)");
    }
    info!("admin endpoint on http://{local}/ (/metrics, /debug/spin, /debug/spin.json, /debug/tasks.json)");
    Ok(listener)
}

/// What the handlers read.
#[derive(Debug)]
pub(crate) struct AdminState {
    metrics: Arc<Metrics>,
    handle: Handle,
}

impl AdminState {
    /// Must be called inside the runtime whose tasks it reports.
    pub(crate) fn new(metrics: Arc<Metrics>) -> Arc<AdminState> {
        Arc::new(AdminState {
            metrics,
            handle: Handle::current(),
        })
    }
}

/// Accepts admin connections until the runtime shuts down; each one gets a task named
/// `admin <peer>`.
pub(crate) async fn serve(listener: TcpListener, state: Arc<AdminState>) {
    let slots = Slots::new(MAX_CONNS, Gauge::default());
    let mut backoff = crate::cli::proxy::Backoff::new("admin");
    loop {
        let slot = slots.acquire().await;
        match listener.accept().await {
            Ok((tcp, peer)) => {
                backoff.succeeded();
                let state = state.clone();
                let conn = async move {
                    let _slot = slot;
                    let service = hyper::service::service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(handle(&state, req).await) }
                    });
                    let served = hyper::server::conn::http1::Builder::new()
                        .timer(WakefulTimer::new())
                        .header_read_timeout(HEADER_TIMEOUT)
                        .serve_connection(FuturesIo::new(tcp), service)
                        .await;
                    if let Err(e) = served {
                        debug!(%peer, "admin connection: {e}");
                    }
                };
                let name = format!("admin {peer}");
                if let Err(e) = wakeful::task::Builder::new().name(&name).spawn(conn) {
                    warn!("cannot spawn an admin connection task: {e}");
                }
            }
            Err(e) => {
                drop(slot);
                wakeful::time::sleep(backoff.failed(&e)).await;
            }
        }
    }
}

async fn handle(state: &Arc<AdminState>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut res = text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n".into());
        res.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return res;
    }
    const JSON: &str = "application/json";
    const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    let (ctype, body) = match req.uri().path() {
        "/" => ("text/plain; charset=utf-8", Ok(INDEX.to_owned())),
        "/metrics" => (OPENMETRICS, render(state, |s| s.metrics.encode()).await),
        "/debug/spin" => (
            "text/plain; charset=utf-8",
            render(state, |s| s.handle.spin_report().to_string()).await,
        ),
        "/debug/spin.json" => (
            JSON,
            render(state, |s| s.handle.spin_report().to_json()).await,
        ),
        "/debug/tasks" => (
            "text/plain; charset=utf-8",
            render(state, |s| s.handle.spin_report_all().to_string()).await,
        ),
        "/debug/tasks.json" => (
            JSON,
            render(state, |s| s.handle.spin_report_all().to_json()).await,
        ),
        _ => return text(StatusCode::NOT_FOUND, format!("not found; {INDEX}")),
    };
    match body {
        Ok(body) => {
            let mut res = Response::new(Full::new(Bytes::from(body)));
            let h = res.headers_mut();
            h.insert(CONTENT_TYPE, HeaderValue::from_static(ctype));
            h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => text(StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")),
    }
}

const INDEX: &str = "wakeful admin endpoints: /metrics /debug/spin /debug/spin.json \
                     /debug/tasks /debug/tasks.json\n";

/// Runs `f` on the blocking pool.
async fn render(
    state: &Arc<AdminState>,
    f: impl FnOnce(&AdminState) -> String + Send + 'static,
) -> Result<String, String> {
    let s = state.clone();
    state
        .handle
        .spawn_blocking(move || f(&s))
        .await
        .map_err(|e| format!("report failed: {e}"))
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from(body)));
    *res.status_mut() = status;
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::parse_addr;

    #[test]
    fn a_bare_port_is_loopback_and_addresses_are_taken_as_given() {
        assert_eq!(parse_addr("9100").unwrap().to_string(), "127.0.0.1:9100");
        assert_eq!(parse_addr(":9100").unwrap().to_string(), "127.0.0.1:9100");
        assert_eq!(
            parse_addr("0.0.0.0:9100").unwrap().to_string(),
            "0.0.0.0:9100"
        );
        assert_eq!(parse_addr("[::1]:9100").unwrap().to_string(), "[::1]:9100");
        assert!(parse_addr("nonsense").is_err());
    }
}
