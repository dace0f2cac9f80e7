//! Handshakes: a closed loop of whole connections: TCP connect, full TLS handshake
//! (resumption is off in the client config), one 64-byte request and its echo, close (see
//! `tls.rs`). Unit: a connection; latency from `connect` to the proxy's close.
use super::tls::{close, connect};
use super::{latency_histogram, micros_since, Phase, Tally};
use std::io;
use std::net::SocketAddr;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;

const REQUEST: usize = 64;

pub async fn run(
    id: usize,
    addr: SocketAddr,
    tls: &TlsConnector,
    phase: &Phase,
) -> io::Result<Tally> {
    let mut request = [0u8; REQUEST];
    request[..8].copy_from_slice(&(id as u64).to_le_bytes());
    let mut response = [0u8; REQUEST];
    let mut latency = latency_histogram();
    let mut units = 0;
    let mut seq = 0u64;
    while !phase.stopping() {
        request[8..16].copy_from_slice(&seq.to_le_bytes());
        let start = Instant::now();
        let mut conn = connect(addr, tls).await?;
        conn.write_all(&request).await?;
        conn.flush().await?;
        conn.read_exact(&mut response).await?;
        if response != request {
            return Err(io::Error::other(format!(
                "the echo on connection {seq} differs from the request"
            )));
        }
        close(conn).await?;
        let us = micros_since(start);
        if phase.measuring() {
            units += 1;
            latency.saturating_record(us);
        }
        seq += 1;
    }
    Ok(Tally {
        units,
        latency: Some(latency),
    })
}
