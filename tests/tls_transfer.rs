//! Bulk data, client to server, byte-exact, over wakeful-tls on both ends (loopback).
//!
//! The client writes a pseudo-random pattern (period a prime, so no chunk boundary lines up
//! with it) and closes; the server checks every byte against the pattern as it arrives,
//! then reads EOF (the client's close_notify), answers and closes.
//!
//! 1 GiB over TLS 1.3 and over TLS 1.2 in 64 KiB writes (about 2 s each, even in a debug
//! build: the crypto is aws-lc's C, the rest is mostly memcpy), and 8 MiB in writes of
//! every size from 1 byte to 40 KiB, so records of all sizes and partial records cross
//! the socket.
mod tls_support;

use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use tls_support::*;
use wakeful::tls::rustls::SupportedProtocolVersion;

const CHUNK: usize = 64 * 1024;

/// Write sizes: 64 KiB each, or cycling through 1, 2, ... bytes (stepping by a prime).
#[derive(Clone, Copy)]
enum Writes {
    Big,
    AllSizes,
}

fn transfer(versions: &[&'static SupportedProtocolVersion], total: u64, writes: Writes) {
    let pki = Pki::new();
    let leaf = pki.leaf(&["localhost"]);
    let rt = rt();
    let (mut server, mut client) = pair(
        &rt,
        server_config(&leaf, versions, &[]),
        client_config(&pki, versions, &[]),
        "localhost",
    )
    .unwrap();
    let expected = versions[0].version;
    assert_eq!(server.get_ref().1.protocol_version(), Some(expected));
    assert_eq!(client.get_ref().1.protocol_version(), Some(expected));

    let reader = spawn_checked(
        &rt,
        async move {
            let mut buf = vec![0u8; CHUNK + 1234];
            let mut at = 0u64;
            loop {
                let n = server.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                assert!(
                    buf[..n] == *pattern(at, n),
                    "bytes differ in the {n} bytes at offset {at}"
                );
                at += n as u64;
            }
            server.write_all(b"got it").await.unwrap();
            server.close().await.unwrap();
            at
        },
        u64::MAX,
    );
    let writer = rt.spawn(async move {
        let mut at = 0u64;
        let mut size = 1usize;
        while at < total {
            let want = match writes {
                Writes::Big => CHUNK,
                Writes::AllSizes => {
                    size = (size + 997) % (40 * 1024) + 1;
                    size
                }
            };
            let n = want.min((total - at) as usize);
            client.write_all(pattern(at, n)).await.unwrap();
            at += n as u64;
        }
        client.close().await.unwrap();
        let mut reply = Vec::new();
        client.read_to_end(&mut reply).await.unwrap();
        reply
    });
    assert_eq!(rt.block_on(writer).unwrap(), b"got it");
    let (received, _) = reader.finish(&rt);
    assert_eq!(received, total);
}

#[test]
fn one_gib_tls13() {
    let _guard = watchdog("one_gib_tls13", 300);
    transfer(TLS13, 1 << 30, Writes::Big);
}

#[test]
fn one_gib_tls12() {
    let _guard = watchdog("one_gib_tls12", 300);
    transfer(TLS12, 1 << 30, Writes::Big);
}

#[test]
fn writes_of_every_size_tls13() {
    let _guard = watchdog("writes_of_every_size_tls13", 120);
    transfer(TLS13, 8 << 20, Writes::AllSizes);
}

#[test]
fn writes_of_every_size_tls12() {
    let _guard = watchdog("writes_of_every_size_tls12", 120);
    transfer(TLS12, 8 << 20, Writes::AllSizes);
}
