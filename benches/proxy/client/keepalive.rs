//! Keep-alive: one long-lived connection, a closed loop of a 1 KiB request and its 1 KiB
//! echo read in full. Unit: a request; latency from the first byte written to the last
//! byte read.
use super::tls::{close, connect};
use super::{latency_histogram, micros_since, Phase, Tally};
use std::io;
use std::net::SocketAddr;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;

const REQUEST: usize = 1024;

pub async fn run(
    id: usize,
    addr: SocketAddr,
    tls: &TlsConnector,
    phase: &Phase,
) -> io::Result<Tally> {
    let mut conn = connect(addr, tls).await?;
    let mut request = [0u8; REQUEST];
    for (i, b) in request.iter_mut().enumerate() {
        *b = (i % 251) as u8;
    }
    let mut response = [0u8; REQUEST];
    let mut latency = latency_histogram();
    let mut units = 0;
    let mut seq = 0u64;
    while !phase.stopping() {
        // Each request differs: a stale or misrouted echo cannot pass for this one.
        request[..8].copy_from_slice(&(id as u64).to_le_bytes());
        request[8..16].copy_from_slice(&seq.to_le_bytes());
        let start = Instant::now();
        conn.write_all(&request).await?;
        conn.flush().await?;
        conn.read_exact(&mut response).await?;
        let us = micros_since(start);
        if response != request {
            return Err(io::Error::other(format!(
                "the echo of request {seq} differs from it"
            )));
        }
        if phase.measuring() {
            units += 1;
            latency.saturating_record(us);
        }
        seq += 1;
    }
    close(conn).await?;
    Ok(Tally {
        units,
        latency: Some(latency),
    })
}
