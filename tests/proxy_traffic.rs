//! Traffic through `wakeful proxy`: keep-alive HTTP requests, a byte-exact echo, and
//! half-close in both directions.
mod proxy_support;

use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use proxy_support::*;
use std::io::{Read, Write};
use std::net::Shutdown;
use std::sync::mpsc;

#[test]
fn keep_alive_requests_reach_the_upstream() {
    let _guard = watchdog("keep_alive_requests_reach_the_upstream", 120);
    let certs = Certs::new();
    let up = upstream::http();
    let proxy = Proxy::start(ProxyOpts::new(up.addr, &certs));
    let threads: Vec<_> = (0..3)
        .map(|c| {
            let (addr, client) = (proxy.addr, certs.client.clone());
            std::thread::spawn(move || {
                let certs_client = client;
                let tcp = std::net::TcpStream::connect(addr).unwrap();
                let conn = rustls::ClientConnection::new(certs_client, localhost()).unwrap();
                let mut http = http::Client::new(rustls::StreamOwned::new(conn, tcp));
                for i in 0..40 {
                    let path = format!("/conn{c}/req{i}");
                    let (status, body) = http.get(&path).unwrap();
                    assert_eq!(status, 200);
                    assert_eq!(body, format!("you asked for {path}").as_bytes());
                }
                // close_notify: the proxy closes the upstream side and completes.
                let tls = http.get_mut();
                tls.conn.send_close_notify();
                tls.flush().unwrap();
                let mut rest = Vec::new();
                tls.read_to_end(&mut rest).unwrap();
                assert!(rest.is_empty());
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(up.requests.load(std::sync::atomic::Ordering::SeqCst), 120);
    wait_until("3 completed connections", 20, || {
        proxy.metric(r#"wakeful_proxy_connections_closed_total{reason="completed"}"#) == 3.0
    });
    assert_eq!(
        proxy.metric("wakeful_proxy_connections_accepted_total"),
        3.0
    );
    assert_eq!(proxy.metric("wakeful_proxy_connections_active"), 0.0);
    assert!(proxy.metric(r#"wakeful_proxy_bytes_total{direction="upstream_to_client"}"#) > 0.0);
}

/// 1 GiB each way (`WAKEFUL_PROXY_ECHO_MIB` overrides the size).
fn echo_size() -> u64 {
    let mib: u64 = std::env::var("WAKEFUL_PROXY_ECHO_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    mib << 20
}

/// Period of the test pattern: a prime, so chunk boundaries never line up with it.
const PERIOD: usize = 1_048_573;

fn pattern_table() -> Vec<u8> {
    let mut v: Vec<u8> = (0..PERIOD as u64)
        .map(|i| {
            let x = i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            (x >> 56) as u8 ^ (i as u8)
        })
        .collect();
    v.extend_from_within(..);
    v
}

#[test]
fn echo_is_byte_exact() {
    let total = echo_size();
    let _guard = watchdog("echo_is_byte_exact", 600);
    let certs = Certs::new();
    let proxy = Proxy::start(ProxyOpts::new(upstream::echo(), &certs));
    let rt = wakeful::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let table = std::sync::Arc::new(pattern_table());
    let (addr, client) = (proxy.addr, certs.client.clone());
    let (sent, received) = rt.block_on(async move {
        let tcp = wakeful::net::TcpStream::connect(addr).await.unwrap();
        let tls = wakeful::tls::TlsConnector::new(client)
            .connect(localhost(), tcp)
            .await
            .unwrap();
        let (mut rd, mut wr) = tls.split();
        let t = table.clone();
        let writer = async move {
            let mut off = 0u64;
            while off < total {
                let n = (total - off).min(64 * 1024) as usize;
                let start = (off % PERIOD as u64) as usize;
                wr.write_all(&t[start..start + n]).await.unwrap();
                off += n as u64;
            }
            wr.close().await.unwrap(); // close_notify + FIN: the echo ends
            off
        };
        let reader = async move {
            let mut off = 0u64;
            let mut buf = vec![0u8; 256 * 1024];
            loop {
                let n = rd.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                let start = (off % PERIOD as u64) as usize;
                // Compare in runs of at most one period.
                let mut done = 0;
                while done < n {
                    let run = (n - done).min(PERIOD);
                    let s = (start + done) % PERIOD;
                    assert!(
                        buf[done..done + run] == table[s..s + run],
                        "echo differs within bytes {}..{}",
                        off + done as u64,
                        off + (done + run) as u64
                    );
                    done += run;
                }
                off += n as u64;
            }
            off
        };
        futures_util::future::join(writer, reader).await
    });
    assert_eq!(sent, total);
    assert_eq!(
        received, total,
        "every byte came back, and then a close_notify"
    );
    wait_until("the relay completed", 20, || {
        proxy.metric(r#"wakeful_proxy_connections_closed_total{reason="completed"}"#) == 1.0
    });
    assert_eq!(
        proxy.metric(r#"wakeful_proxy_bytes_total{direction="client_to_upstream"}"#),
        total as f64
    );
    assert_eq!(
        proxy.metric(r#"wakeful_proxy_bytes_total{direction="upstream_to_client"}"#),
        total as f64
    );
}

#[test]
fn client_half_close_reaches_the_upstream_and_the_answer_comes_back() {
    let _guard = watchdog("client_half_close", 60);
    let certs = Certs::new();
    let (got_tx, got_rx) = mpsc::channel();
    let got_tx = std::sync::Mutex::new(got_tx);
    let up = upstream::spawn(move |mut tcp| {
        let mut got = Vec::new();
        tcp.read_to_end(&mut got).unwrap(); // EOF: the client's close_notify, relayed
        tcp.write_all(b"answer after your EOF").unwrap();
        tcp.shutdown(Shutdown::Write).unwrap();
        got_tx.lock().unwrap().send(got).unwrap();
    });
    let proxy = Proxy::start(ProxyOpts::new(up, &certs));
    let mut tls = tls_connect(proxy.addr, &certs);
    tls.write_all(b"the whole request").unwrap();
    tls.conn.send_close_notify();
    tls.flush().unwrap();
    let answer = read_to_close_notify(&mut tls).expect("the answer, then a close_notify");
    assert_eq!(answer, b"answer after your EOF");
    assert_eq!(got_rx.recv().unwrap(), b"the whole request");
    wait_until("the relay completed", 20, || {
        proxy.metric(r#"wakeful_proxy_connections_closed_total{reason="completed"}"#) == 1.0
    });
}

#[test]
fn upstream_half_close_reaches_the_client_which_can_still_send() {
    let _guard = watchdog("upstream_half_close", 60);
    let certs = Certs::new();
    let (got_tx, got_rx) = mpsc::channel();
    let got_tx = std::sync::Mutex::new(got_tx);
    let up = upstream::spawn(move |mut tcp| {
        tcp.write_all(b"early words").unwrap();
        tcp.shutdown(Shutdown::Write).unwrap(); // FIN first
        let mut got = Vec::new();
        tcp.read_to_end(&mut got).unwrap();
        got_tx.lock().unwrap().send(got).unwrap();
    });
    let proxy = Proxy::start(ProxyOpts::new(up, &certs));
    let mut tls = tls_connect(proxy.addr, &certs);
    let early = read_to_close_notify(&mut tls).expect("the upstream's FIN as a close_notify");
    assert_eq!(early, b"early words");
    // Our direction is still open.
    tls.write_all(b"still talking").unwrap();
    tls.conn.send_close_notify();
    tls.flush().unwrap();
    assert_eq!(got_rx.recv().unwrap(), b"still talking");
    wait_until("the relay completed", 20, || {
        proxy.metric(r#"wakeful_proxy_connections_closed_total{reason="completed"}"#) == 1.0
    });
}
