//! The demo's upstream: a small HTTP/1.1 server (hyper on wakeful) behind the proxy.
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use wakeful::hyper::{FuturesIo, WakefulTimer};
use wakeful::net::TcpListener;

/// The body of every answer.
pub(crate) const BODY: &[u8] = b"hello from the upstream, through the wakeful proxy\n";

/// Binds 127.0.0.1:0 and serves in a task named `upstream`; returns the address.
pub(crate) async fn start() -> io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    wakeful::task::Builder::new()
        .name("upstream accept loop")
        .spawn(async move {
            while let Ok((tcp, peer)) = listener.accept().await {
                let conn = async move {
                    let service = hyper::service::service_fn(|_req: Request<Incoming>| async {
                        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(BODY))))
                    });
                    // half_close: the incident clients send close_notify (a FIN here) right
                    // after their request, and still want the answer.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .timer(WakefulTimer::new())
                        .half_close(true)
                        .serve_connection(FuturesIo::new(tcp), service)
                        .await;
                };
                let name = format!("upstream {peer}");
                if wakeful::task::Builder::new()
                    .name(&name)
                    .spawn(conn)
                    .is_err()
                {
                    break;
                }
            }
        })?;
    Ok(addr)
}
