//! In-test upstreams on std threads: one thread per connection, running a handler.
use super::http::{read_body, Headers};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// Listens on 127.0.0.1:0 and runs `handler` on a thread for each connection (for the
/// rest of the test process).
pub fn spawn(handler: impl Fn(TcpStream) + Send + Sync + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handler = Arc::new(handler);
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { continue };
            let _ = tcp.set_read_timeout(Some(Duration::from_secs(60)));
            let handler = handler.clone();
            std::thread::spawn(move || handler(tcp));
        }
    });
    addr
}

/// Echoes every byte back; at EOF, half-closes (FIN) and ends.
pub fn echo() -> SocketAddr {
    spawn(|mut tcp| {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match tcp.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if tcp.write_all(&buf[..n]).is_err() {
                        return;
                    }
                }
                Err(_) => return,
            }
        }
        let _ = tcp.shutdown(Shutdown::Write);
    })
}

/// An HTTP/1.1 keep-alive server: `GET /path` answers `you asked for /path`; `GET /slow`
/// reports on `started` and answers only when `release` gets a message.
pub struct Http {
    pub addr: SocketAddr,
    pub requests: Arc<AtomicUsize>,
    pub started: mpsc::Receiver<()>,
    pub release: mpsc::Sender<()>,
}

pub fn http() -> Http {
    let requests = Arc::new(AtomicUsize::new(0));
    let (started_tx, started) = mpsc::channel::<()>();
    let (release, release_rx) = mpsc::channel::<()>();
    let started_tx = Mutex::new(started_tx);
    let release_rx = Mutex::new(release_rx);
    let count = requests.clone();
    let addr = spawn(move |tcp| {
        let mut w = tcp.try_clone().unwrap();
        let mut r = BufReader::new(tcp);
        loop {
            let Ok(Some((path, headers))) = read_request_head(&mut r) else {
                return;
            };
            // A request without Content-Length (or chunking) has no body.
            let has_body = headers
                .iter()
                .any(|(k, _)| k == "content-length" || k == "transfer-encoding");
            if has_body && read_body(&mut r, &headers).is_err() {
                return;
            }
            count.fetch_add(1, Ordering::SeqCst);
            if path == "/slow" {
                let _ = started_tx.lock().unwrap().send(());
                let _ = release_rx
                    .lock()
                    .unwrap()
                    .recv_timeout(Duration::from_secs(60));
            }
            let body = format!("you asked for {path}");
            let res = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            if w.write_all(res.as_bytes()).is_err() {
                return;
            }
        }
    });
    Http {
        addr,
        requests,
        started,
        release,
    }
}

/// A request head: its path and headers (names lowercased). `None` at EOF.
fn read_request_head<R: BufRead>(r: &mut R) -> io::Result<Option<(String, Headers)>> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut headers = Vec::new();
    loop {
        line.clear();
        r.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            return Ok(Some((path, headers)));
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
}

/// Reads each connection to EOF, reports the bytes on the channel, then answers
/// `HTTP/1.1 200 OK` (Content-Length 2, "ok") and closes.
pub fn recording() -> (SocketAddr, mpsc::Receiver<Vec<u8>>) {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let addr = spawn(move |mut tcp| {
        let mut got = Vec::new();
        let _ = tcp.read_to_end(&mut got);
        let _ = tx.lock().unwrap().send(got);
        let _ = tcp.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    });
    (addr, rx)
}
