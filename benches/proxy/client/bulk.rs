//! Bulk: one connection that streams 64 KiB writes for the whole round while reading the
//! echo back at the same time. The bytes follow a pattern (period 251, offset-based), so
//! every byte read is checked against its position; at the end the totals must match.
//! The unit (counted by the upstream, not here) is a byte from client to upstream.
use super::tls::connect;
use super::{Phase, Tally};
use std::io;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;

const CHUNK: usize = 64 * 1024;
const PERIOD: usize = 251;

pub async fn run(
    _id: usize,
    addr: SocketAddr,
    tls: &TlsConnector,
    phase: &Phase,
) -> io::Result<Tally> {
    let pattern: Vec<u8> = (0..CHUNK + PERIOD).map(|i| (i % PERIOD) as u8).collect();
    let conn = connect(addr, tls).await?;
    let (mut rd, mut wr) = tokio::io::split(conn);

    let writer = async {
        let mut sent = 0u64;
        while !phase.stopping() {
            let at = (sent % PERIOD as u64) as usize;
            wr.write_all(&pattern[at..at + CHUNK]).await?;
            sent += CHUNK as u64;
        }
        // close_notify + FIN; the echo's end comes back as the proxy's close.
        wr.shutdown().await?;
        Ok::<u64, io::Error>(sent)
    };
    let reader = async {
        let mut buf = vec![0u8; CHUNK];
        let mut got = 0u64;
        loop {
            let n = rd.read(&mut buf).await?;
            if n == 0 {
                return Ok::<u64, io::Error>(got);
            }
            let at = (got % PERIOD as u64) as usize;
            if buf[..n] != pattern[at..at + n] {
                return Err(io::Error::other(format!(
                    "the echo differs from what was sent, within bytes {got}..{}",
                    got + n as u64
                )));
            }
            got += n as u64;
        }
    };
    let (sent, got) = tokio::try_join!(writer, reader)?;
    if sent != got {
        return Err(io::Error::other(format!(
            "sent {sent} bytes, {got} came back"
        )));
    }
    Ok(Tally {
        units: 0,
        latency: None,
    })
}
