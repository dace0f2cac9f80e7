//! SIGTERM drains: the listener closes at once, the request in flight completes, the
//! process exits 0 and leaves its last spin report on disk. A second signal cuts the
//! drain short.
mod proxy_support;

use proxy_support::*;
use std::io::ErrorKind;
use std::net::TcpStream;
use std::time::Duration;

#[test]
fn sigterm_stops_accepting_lets_the_request_in_flight_finish_and_exits_0() {
    let _guard = watchdog("sigterm drain", 90);
    let (certs, up) = (Certs::new(), upstream::http());
    let dir = TempDir::new("proxy-shutdown");
    let report = dir.path("spin.json");
    let mut proxy = Proxy::start(
        ProxyOpts::new(up.addr, &certs)
            .args(&["--grace", "60s", "--spin-report-file"])
            .arg(report.to_str().unwrap()),
    );
    let addr = proxy.addr;

    // A request the upstream holds until released.
    let client = {
        let client = certs.client.clone();
        std::thread::spawn(move || {
            let tcp = TcpStream::connect(addr).unwrap();
            tcp.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
            let conn = rustls::ClientConnection::new(client, localhost()).unwrap();
            let mut http = http::Client::new(rustls::StreamOwned::new(conn, tcp));
            let answer = http.get("/slow").unwrap();
            // Done: close_notify, and the proxy's connection completes.
            http.get_mut().conn.send_close_notify();
            std::io::Write::flush(http.get_mut()).unwrap();
            answer
        })
    };
    up.started
        .recv_timeout(Duration::from_secs(30))
        .expect("the slow request reached the upstream");

    proxy.signal("TERM");
    proxy.wait_for_log("waiting up to 1m for 1 open connections", 30);
    // The listener is closed: new clients are refused, not queued.
    let refused = TcpStream::connect(addr).expect_err("the listener is closed");
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused, "{refused}");

    up.release.send(()).unwrap();
    let (status, body) = client.join().unwrap();
    assert_eq!(
        (status, body.as_slice()),
        (200, &b"you asked for /slow"[..])
    );

    let status = proxy.wait_exit(60);
    assert!(status.success(), "exit {status:?}:\n{}", proxy.log());
    let log = proxy.log();
    assert!(log.contains("all connections closed"), "{log}");
    assert!(log.contains("final spin report written"), "{log}");
    let saved = wakeful::runtime::SpinReport::from_json(&read_file(&report))
        .expect("the last spin report parses");
    assert_eq!(saved.runtime.flagged_total, 0);
}

#[test]
fn a_second_signal_closes_the_open_connections_at_once() {
    let _guard = watchdog("second signal", 90);
    let (certs, up) = (Certs::new(), upstream::http());
    let mut proxy = Proxy::start(ProxyOpts::new(up.addr, &certs).args(&["--grace", "10m"]));
    // An idle keep-alive connection that would hold the drain for the whole grace period.
    let mut idle = http::Client::new(tls_connect(proxy.addr, &certs));
    assert_eq!(idle.get("/").unwrap().0, 200);

    proxy.signal("INT");
    proxy.wait_for_log("waiting up to 10m for 1 open connections", 30);
    proxy.signal("TERM");
    let status = proxy.wait_exit(60);
    assert!(status.success(), "exit {status:?}:\n{}", proxy.log());
    assert!(
        proxy.log().contains("closing 1 connections still open"),
        "{}",
        proxy.log()
    );
    // The client sees its connection end.
    let mut rest = Vec::new();
    let _ = std::io::Read::read_to_end(idle.get_mut(), &mut rest);
}
