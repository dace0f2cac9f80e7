//! `wakeful report FILE|URL`: a saved or live spin report, as the text table.
//!
//! - `FILE`: a `spin.json` (from `--spin-report-file`, `/debug/spin.json`, or
//!   `SpinReport::to_json`); `-` reads standard input.
//! - `URL`: `http://ADDR/debug/spin.json` of a running proxy's admin endpoint, fetched with
//!   a plain HTTP/1.1 GET (`http://ADDR` alone means that path; `/debug/tasks.json` works
//!   too). No TLS: the admin endpoint does not speak it.
use clap::Args;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;
use wakeful::runtime::SpinReport;

#[derive(Args, Debug)]
pub(crate) struct ReportArgs {
    /// A spin.json file, `-` for standard input, or http://ADDR[/debug/spin.json].
    #[arg(value_name = "FILE|URL")]
    source: String,
    /// Print the report as JSON again instead of the table.
    #[arg(long)]
    json: bool,
}

/// Largest response accepted from an admin endpoint.
const MAX_BODY: usize = 256 << 20;
const NET_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) fn run(args: ReportArgs) -> Result<(), Box<dyn std::error::Error>> {
    let text = if let Some(rest) = args.source.strip_prefix("http://") {
        http_get(rest)?
    } else if args.source.starts_with("https://") {
        return Err("the admin endpoint speaks plain HTTP: use http://ADDR".into());
    } else if args.source == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        s
    } else {
        std::fs::read_to_string(&args.source)
            .map_err(|e| format!("cannot read {}: {e}", args.source))?
    };
    let report = SpinReport::from_json(&text)
        .map_err(|e| format!("{}: not a spin report: {e}", args.source))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", report.to_json())?;
    } else {
        writeln!(out, "{report}")?;
    }
    Ok(())
}

/// `GET` of `authority[/path]` (the part after `http://`); returns the body of a 200.
fn http_get(rest: &str) -> Result<String, String> {
    let (authority, path) = match rest.find('/') {
        Some(i) if &rest[i..] != "/" => (&rest[..i], &rest[i..]),
        Some(i) => (&rest[..i], "/debug/spin.json"),
        None => (rest, "/debug/spin.json"),
    };
    let addr = authority
        .to_socket_addrs()
        .map_err(|e| format!("http://{authority}: {e}"))?
        .next()
        .ok_or_else(|| format!("http://{authority}: no address"))?;
    let err = |e: std::io::Error| format!("http://{authority}{path}: {e}");
    let mut tcp = TcpStream::connect_timeout(&addr, NET_TIMEOUT).map_err(err)?;
    tcp.set_read_timeout(Some(NET_TIMEOUT)).map_err(err)?;
    tcp.set_write_timeout(Some(NET_TIMEOUT)).map_err(err)?;
    write!(
        tcp,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nAccept: application/json\r\n\
         Connection: close\r\nUser-Agent: wakeful-report\r\n\r\n"
    )
    .map_err(err)?;
    let mut raw = Vec::new();
    tcp.take(MAX_BODY as u64 + 64 * 1024)
        .read_to_end(&mut raw)
        .map_err(err)?;
    let (status, body) =
        parse_response(&raw).map_err(|e| format!("http://{authority}{path}: {e}"))?;
    let body = String::from_utf8(body)
        .map_err(|_| format!("http://{authority}{path}: the body is not UTF-8"))?;
    if status != 200 {
        return Err(format!(
            "http://{authority}{path}: HTTP {status}: {}",
            body.trim()
        ));
    }
    Ok(body)
}

/// An HTTP/1.1 response read to EOF: the status and the body (length-delimited, chunked,
/// or up to EOF).
fn parse_response(raw: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no complete HTTP response header")?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| "header is not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .filter(|_| status_line.starts_with("HTTP/1."))
        .ok_or_else(|| format!("not an HTTP/1.x response: {status_line:?}"))?;
    let mut length = None;
    let mut chunked = false;
    for line in lines {
        let (name, value) = line.split_once(':').ok_or("malformed header line")?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.parse::<usize>().map_err(|_| "bad Content-Length")?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        }
    }
    let rest = &raw[end + 4..];
    let body = if chunked {
        dechunk(rest)?
    } else if let Some(n) = length {
        rest.get(..n)
            .ok_or("body shorter than its Content-Length")?
            .to_vec()
    } else {
        rest.to_vec()
    };
    Ok((status, body))
}

fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let eol = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunk size")?;
        let size_text = std::str::from_utf8(&rest[..eol]).map_err(|_| "bad chunk size")?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| "bad chunk size")?;
        rest = &rest[eol + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = rest.get(..size).ok_or("truncated chunk")?;
        body.extend_from_slice(chunk);
        rest = rest.get(size + 2..).ok_or("truncated chunk")?;
    }
}

#[cfg(test)]
mod tests {
    use super::parse_response;

    #[test]
    fn length_chunked_and_eof_bodies() {
        let r = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello";
        assert_eq!(parse_response(r).unwrap(), (200, b"hello".to_vec()));
        let r = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2;x=y\r\nlo\r\n0\r\n\r\n";
        assert_eq!(parse_response(r).unwrap(), (200, b"hello".to_vec()));
        let r = b"HTTP/1.0 404 Not Found\r\n\r\nnope";
        assert_eq!(parse_response(r).unwrap(), (404, b"nope".to_vec()));
    }

    #[test]
    fn garbage_is_refused() {
        assert!(parse_response(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\nabc").is_err());
    }
}
