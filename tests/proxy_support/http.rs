//! Minimal HTTP/1.1 on blocking streams: the admin client, and requests through the proxy.
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// `GET path` with `Connection: close` on a plain socket: (status, body).
pub fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    request(addr, "GET", path)
}

pub fn request(addr: SocketAddr, method: &str, path: &str) -> (u16, String) {
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        tcp,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut r = BufReader::new(tcp);
    let (status, headers) = read_head(&mut r).unwrap().expect("a response");
    let body = read_body(&mut r, &headers).unwrap();
    (status, String::from_utf8(body).unwrap())
}

/// Header (name, value) pairs, names lowercased.
pub type Headers = Vec<(String, String)>;

/// A response head: the status and the headers (names lowercased). `None` at a clean EOF
/// before any byte.
pub fn read_head<R: BufRead>(r: &mut R) -> io::Result<Option<(u16, Headers)>> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::other(format!("bad status line {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        r.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            return Ok(Some((status, headers)));
        }
        let (k, v) = l
            .split_once(':')
            .ok_or_else(|| io::Error::other(format!("bad header {l:?}")))?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
}

pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The body: by Content-Length, chunked, or to EOF.
pub fn read_body<R: BufRead>(r: &mut R, headers: &[(String, String)]) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    if let Some(n) = header(headers, "content-length") {
        let n: usize = n.parse().map_err(io::Error::other)?;
        body.resize(n, 0);
        r.read_exact(&mut body)?;
    } else if header(headers, "transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        loop {
            let mut size = String::new();
            r.read_line(&mut size)?;
            let n = usize::from_str_radix(size.trim().split(';').next().unwrap(), 16)
                .map_err(io::Error::other)?;
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else {
        r.read_to_end(&mut body)?;
    }
    Ok(body)
}

/// A keep-alive HTTP/1.1 client over any blocking stream (a TLS stream through the proxy).
pub struct Client<S: Read + Write> {
    r: BufReader<S>,
}

impl<S: Read + Write> Client<S> {
    pub fn new(stream: S) -> Self {
        Client {
            r: BufReader::new(stream),
        }
    }

    pub fn get_mut(&mut self) -> &mut S {
        self.r.get_mut()
    }

    /// `GET path` (keep-alive): (status, body).
    pub fn get(&mut self, path: &str) -> io::Result<(u16, Vec<u8>)> {
        self.send(&format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n"))
    }

    /// Sends raw request bytes, reads one response.
    pub fn send(&mut self, raw: &str) -> io::Result<(u16, Vec<u8>)> {
        self.r.get_mut().write_all(raw.as_bytes())?;
        self.r.get_mut().flush()?;
        let (status, headers) = read_head(&mut self.r)?.ok_or_else(|| {
            io::Error::new(io::ErrorKind::UnexpectedEof, "closed before a response")
        })?;
        let body = read_body(&mut self.r, &headers)?;
        Ok((status, body))
    }
}
