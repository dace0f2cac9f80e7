//! Limits: `--max-conns` (the excess waits unaccepted, then is served), running out of
//! file descriptors (accept backs off, the proxy recovers by itself), `--idle-timeout`.
mod proxy_support;

use proxy_support::*;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

fn counter(proxy: &Proxy, series: &str) -> f64 {
    proxy.metric(series)
}

#[test]
fn max_conns_is_respected_and_the_next_client_is_served_when_one_closes() {
    let _guard = watchdog("max_conns", 90);
    let (certs, up) = (Certs::new(), upstream::http());
    let proxy = Proxy::start(ProxyOpts::new(up.addr, &certs).args(&["--max-conns", "2"]));
    assert_eq!(counter(&proxy, "wakeful_proxy_connections_max"), 2.0);

    let mut open: Vec<_> = (0..2)
        .map(|i| {
            let mut c = http::Client::new(tls_connect(proxy.addr, &certs));
            let path = format!("/held{i}");
            assert_eq!(c.get(&path).unwrap().0, 200);
            c
        })
        .collect();

    // A third client: its TCP connection completes in the backlog, its ClientHello waits.
    let mut tcp = TcpStream::connect(proxy.addr).unwrap();
    let mut conn = rustls::ClientConnection::new(certs.client.clone(), localhost()).unwrap();
    tcp.write_all(&take_tls(&mut conn)).unwrap();
    wait_until("the accept loop paused at the limit", 20, || {
        counter(&proxy, "wakeful_proxy_max_conns_reached_total") >= 1.0
    });
    assert_eq!(
        counter(&proxy, "wakeful_proxy_connections_accepted_total"),
        2.0
    );
    assert_eq!(counter(&proxy, "wakeful_proxy_connections_active"), 2.0);
    // Not accepted, so not answered: no server flight arrives while the proxy is full.
    tcp.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut one = [0u8; 1];
    let err = tcp.peek(&mut one).expect_err("no answer while full");
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{err}"
    );
    assert_eq!(
        counter(&proxy, "wakeful_proxy_connections_accepted_total"),
        2.0
    );

    // One closes: the third is accepted and served.
    drop(open.remove(0));
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp).unwrap();
    }
    let mut third = http::Client::new(rustls::StreamOwned::new(conn, tcp));
    let (status, body) = third.get("/third").unwrap();
    assert_eq!(
        (status, body.as_slice()),
        (200, &b"you asked for /third"[..])
    );
    assert_eq!(
        counter(&proxy, "wakeful_proxy_connections_accepted_total"),
        3.0
    );
    assert!(counter(&proxy, "wakeful_proxy_connections_active") <= 2.0);
}

#[test]
fn running_out_of_descriptors_backs_off_and_recovers() {
    let _guard = watchdog("emfile", 120);
    let (certs, up) = (Certs::new(), upstream::http());
    // About a dozen descriptors at rest: a limit of 24 leaves room for a dozen accepts.
    let mut opts = ProxyOpts::new(up.addr, &certs).args(&["--handshake-timeout", "60s"]);
    opts.nofile = Some(24);
    let proxy = Proxy::start(opts);

    // Forty silent clients: the proxy accepts until EMFILE; the rest wait in the backlog.
    let mut silent: Vec<TcpStream> = (0..40)
        .map(|_| TcpStream::connect(proxy.addr).unwrap())
        .collect();
    proxy.wait_for_log("proxy accept failed", 30);
    assert!(
        proxy.log().contains("Too many open files"),
        "{}",
        proxy.log()
    );
    // Let the backoff run a while with descriptors still exhausted.
    std::thread::sleep(Duration::from_secs(1));

    // Free them: the accepted ones end (EOF mid-handshake), accept recovers by itself.
    silent.clear();
    proxy.wait_for_log("proxy accept recovered", 60);
    let mut http = http::Client::new(tls_connect(proxy.addr, &certs));
    let (status, body) = http.get("/recovered").unwrap();
    assert_eq!(
        (status, body.as_slice()),
        (200, &b"you asked for /recovered"[..])
    );
    drop(http);

    let emfile = counter(
        &proxy,
        r#"wakeful_proxy_accept_errors_total{kind="emfile"}"#,
    );
    // A hot loop would have retried millions of times; 1 ms doubling to 100 ms retries
    // about ten times a second.
    assert!(
        (1.0..1000.0).contains(&emfile),
        "{emfile} EMFILE accept errors"
    );
    // One warning per burst of errors (a burst ends with one "recovered" line); freeing
    // the backlog may start a second, short burst.
    let log = proxy.log();
    let warnings = log.matches("proxy accept failed").count();
    assert!(
        warnings <= log.matches("proxy accept recovered").count() + 1 && warnings < 10,
        "{log}"
    );
    assert_eq!(proxy.spin_json()["runtime"]["flagged_total"], 0);
}

#[test]
fn an_idle_connection_is_closed_with_a_close_notify() {
    let _guard = watchdog("idle", 60);
    let (certs, up) = (Certs::new(), upstream::http());
    let proxy = Proxy::start(ProxyOpts::new(up.addr, &certs).args(&["--idle-timeout", "1s"]));
    let mut http = http::Client::new(tls_connect(proxy.addr, &certs));
    assert_eq!(http.get("/once").unwrap().0, 200);
    // Now silence: the proxy closes, politely.
    let mut rest = Vec::new();
    http.get_mut()
        .read_to_end(&mut rest)
        .expect("a close_notify, not a bare FIN");
    assert!(rest.is_empty());
    wait_until("an idle_timeout close", 20, || {
        counter(
            &proxy,
            r#"wakeful_proxy_connections_closed_total{reason="idle_timeout"}"#,
        ) == 1.0
    });
}
