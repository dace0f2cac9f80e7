//! Handshakes that never finish: garbage, a truncated ClientHello, a reset, a silent
//! client and a slowloris. Each is closed and counted by reason; the proxy keeps serving,
//! and its descriptors go back to where they were.
mod proxy_support;

use proxy_support::*;
use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn raw(proxy: &Proxy) -> TcpStream {
    let tcp = TcpStream::connect(proxy.addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    tcp
}

fn failures(proxy: &Proxy, reason: &str) -> f64 {
    proxy.metric(&format!(
        r#"wakeful_proxy_handshake_failures_total{{reason="{reason}"}}"#
    ))
}

/// A real request through the proxy still works, nothing is left open, and nothing spun.
fn still_serving(proxy: &Proxy, certs: &Certs, baseline: usize) {
    let mut http = http::Client::new(tls_connect(proxy.addr, certs));
    let (status, body) = http.get("/after").unwrap();
    assert_eq!(
        (status, body.as_slice()),
        (200, &b"you asked for /after"[..])
    );
    drop(http);
    wait_until("no connection open", 20, || {
        proxy.metric("wakeful_proxy_connections_active") == 0.0
    });
    proxy.wait_fds(baseline);
    assert_eq!(proxy.spin_json()["runtime"]["flagged_total"], 0);
}

fn start(certs: &Certs, up: &upstream::Http, extra: &[&str]) -> (Proxy, usize) {
    let proxy = Proxy::start(ProxyOpts::new(up.addr, certs).args(extra));
    let _ = proxy.metrics();
    let baseline = proxy.resting_fd_count();
    (proxy, baseline)
}

#[test]
fn garbage_is_refused_as_a_bad_message() {
    let _guard = watchdog("garbage", 60);
    let (certs, up) = (Certs::new(), upstream::http());
    let (proxy, baseline) = start(&certs, &up, &[]);
    let mut tcp = raw(&proxy);
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    drain_until_closed(&mut tcp);
    wait_until("a bad_message failure", 20, || {
        failures(&proxy, "bad_message") == 1.0
    });
    assert_eq!(
        proxy.metric(r#"wakeful_proxy_connections_closed_total{reason="handshake_failed"}"#),
        1.0
    );
    assert_eq!(
        up.requests.load(Ordering::SeqCst),
        0,
        "nothing reached the upstream"
    );
    still_serving(&proxy, &certs, baseline);
}

#[test]
fn a_truncated_client_hello_is_an_eof() {
    let _guard = watchdog("truncated", 60);
    let (certs, up) = (Certs::new(), upstream::http());
    let (proxy, baseline) = start(&certs, &up, &[]);
    let hello = client_hello(&certs);
    let mut tcp = raw(&proxy);
    tcp.write_all(&hello[..hello.len() / 2]).unwrap();
    tcp.shutdown(Shutdown::Write).unwrap();
    drain_until_closed(&mut tcp);
    wait_until("an eof failure", 20, || failures(&proxy, "eof") == 1.0);
    still_serving(&proxy, &certs, baseline);
}

#[test]
fn a_reset_mid_handshake_is_counted_as_a_reset() {
    let _guard = watchdog("reset", 60);
    let (certs, up) = (Certs::new(), upstream::http());
    let (proxy, baseline) = start(&certs, &up, &[]);
    let mut tcp = raw(&proxy);
    tcp.write_all(&client_hello(&certs)).unwrap();
    // The server's flight arrives; closing with it unread makes the kernel send a RST.
    let mut one = [0u8; 1];
    assert_eq!(tcp.peek(&mut one).unwrap(), 1);
    drop(tcp);
    wait_until("a reset failure", 20, || failures(&proxy, "reset") == 1.0);
    still_serving(&proxy, &certs, baseline);
}

#[test]
fn silent_and_slowloris_clients_are_cut_by_the_handshake_timeout() {
    let _guard = watchdog("slowloris", 90);
    let (certs, up) = (Certs::new(), upstream::http());
    let (proxy, baseline) = start(&certs, &up, &["--handshake-timeout", "1s"]);

    let mut silent = raw(&proxy);
    let mut slow = raw(&proxy);
    let closed = Arc::new(AtomicBool::new(false));
    let dripper = {
        let (mut w, closed) = (slow.try_clone().unwrap(), closed.clone());
        let hello = client_hello(&certs);
        std::thread::spawn(move || {
            // One byte of a real ClientHello every 100 ms: it would take minutes.
            for b in hello {
                if closed.load(Ordering::SeqCst) || w.write_all(&[b]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            panic!("the whole ClientHello went through: the slowloris was not cut");
        })
    };
    drain_until_closed(&mut silent);
    drain_until_closed(&mut slow);
    closed.store(true, Ordering::SeqCst);
    dripper.join().unwrap();
    wait_until("two timeouts", 20, || failures(&proxy, "timeout") == 2.0);
    still_serving(&proxy, &certs, baseline);
}
