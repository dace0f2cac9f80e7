//! Read-ahead in wakeful-tls (`TlsStream::set_read_ahead`): off by default; on, a bulk flow
//! reads the transport in large pieces (not in the ~4 KiB rustls asks for) and delivers
//! every byte in order; `into_parts` returns the bytes read ahead, so nothing is lost. With
//! it or without, a big read gets every record the transport has ready, and what stopped it
//! (EOF, a transport error, a bad record) is the next read's answer, after the bytes.
//!
//! The transport is an in-memory pipe whose writes never block, so the client's whole
//! stream (and its close_notify) is buffered before the server reads: how many reads the
//! server makes depends only on how much it asks for each time, not on scheduling.
mod tls_support;

use std::collections::VecDeque;
use std::io::{self, Read};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use futures_io::{AsyncRead, AsyncWrite};
use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use tls_support::*;
use wakeful::runtime::Runtime;
use wakeful::tls::{client, server};

/// One direction of the pipe.
#[derive(Default)]
struct Half {
    bytes: VecDeque<u8>,
    closed: bool,
    reader: Option<Waker>,
    /// Returned (once) instead of `WouldBlock` or EOF when `bytes` is drained.
    error: Option<io::ErrorKind>,
}

/// One end of an in-memory duplex pipe. Counts its reads that returned bytes.
struct End {
    rx: Arc<Mutex<Half>>,
    tx: Arc<Mutex<Half>>,
    reads: Arc<AtomicU64>,
}

fn pipe() -> (End, End) {
    let (a, b) = (Arc::default(), Arc::default());
    let end = |rx: &Arc<Mutex<Half>>, tx: &Arc<Mutex<Half>>| End {
        rx: rx.clone(),
        tx: tx.clone(),
        reads: Arc::default(),
    };
    (end(&a, &b), end(&b, &a))
}

impl Read for End {
    /// `WouldBlock` when nothing is buffered and the writer has not closed.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut rx = self.rx.lock().unwrap();
        if rx.bytes.is_empty() {
            if let Some(kind) = rx.error.take() {
                return Err(kind.into());
            }
        }
        if rx.bytes.is_empty() && !rx.closed {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = rx.bytes.len().min(buf.len());
        for (dst, src) in buf.iter_mut().zip(rx.bytes.drain(..n)) {
            *dst = src;
        }
        if n > 0 {
            self.reads.fetch_add(1, Ordering::Relaxed);
        }
        Ok(n)
    }
}

impl AsyncRead for End {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match Read::read(&mut *self, buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let mut rx = self.rx.lock().unwrap();
                // Re-check under the lock the writer takes to wake us.
                if rx.bytes.is_empty() && !rx.closed && rx.error.is_none() {
                    rx.reader = Some(cx.waker().clone());
                    return Poll::Pending;
                }
                drop(rx);
                Poll::Ready(Read::read(&mut *self, buf))
            }
            res => Poll::Ready(res),
        }
    }
}

impl End {
    fn push(&self, f: impl FnOnce(&mut Half)) {
        let waker = {
            let mut tx = self.tx.lock().unwrap();
            f(&mut tx);
            tx.reader.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl AsyncWrite for End {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.push(|tx| tx.bytes.extend(buf));
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.push(|tx| tx.closed = true);
        Poll::Ready(Ok(()))
    }
}

/// A TLS 1.3 pair over a pipe, and the client's stream of `total` pattern bytes (in 64 KiB
/// writes) and close_notify already buffered for the server, whose read-ahead is set to
/// `read_ahead`.
fn pair_with_stream_sent(
    rt: &Runtime,
    total: usize,
    read_ahead: bool,
) -> (server::TlsStream<End>, Arc<AtomicU64>) {
    pair_with_records_sent(rt, total, read_ahead, true)
}

/// [`pair_with_stream_sent`], with the client's close_notify only if `close_notify`.
fn pair_with_records_sent(
    rt: &Runtime,
    total: usize,
    read_ahead: bool,
    close_notify: bool,
) -> (server::TlsStream<End>, Arc<AtomicU64>) {
    let pki = Pki::new();
    let leaf = pki.leaf(&["localhost"]);
    let (server_end, client_end) = pipe();
    let server_reads = server_end.reads.clone();
    let acceptor = wakeful::tls::TlsAcceptor::from(server_config(&leaf, TLS13, &[]));
    let connector = wakeful::tls::TlsConnector::from(client_config(&pki, TLS13, &[]));
    let (mut server, mut client): (server::TlsStream<End>, client::TlsStream<End>) = rt
        .block_on(futures_util::future::try_join(
            acceptor.accept(server_end),
            connector.connect(name("localhost"), client_end),
        ))
        .unwrap();
    rt.block_on(async {
        let mut at = 0;
        while at < total {
            let n = (64 * 1024).min(total - at);
            client.write_all(pattern(at as u64, n)).await.unwrap();
            at += n;
        }
        if close_notify {
            client.close().await.unwrap();
        }
    });
    server.set_read_ahead(read_ahead);
    server_reads.store(0, Ordering::Relaxed);
    (server, server_reads)
}

/// What reading a whole stream took.
struct ReadAll {
    /// Transport reads.
    transport_reads: u64,
    /// Reads of the TLS stream that returned bytes.
    stream_reads: u64,
}

/// Reads the whole stream with a 64 KiB buffer, checking every byte.
fn read_all(read_ahead: bool) -> ReadAll {
    const TOTAL: usize = 1 << 20;
    let rt = rt();
    let (mut server, reads) = pair_with_stream_sent(&rt, TOTAL, read_ahead);
    let (received, stream_reads) = rt.block_on(async move {
        let mut buf = vec![0u8; 64 * 1024];
        let (mut at, mut stream_reads) = (0, 0);
        loop {
            let n = server.read(&mut buf).await.unwrap();
            if n == 0 {
                break (at, stream_reads);
            }
            assert!(buf[..n] == *pattern(at as u64, n), "bytes differ at {at}");
            at += n;
            stream_reads += 1;
        }
    });
    assert_eq!(received, TOTAL);
    ReadAll {
        transport_reads: reads.load(Ordering::Relaxed),
        stream_reads,
    }
}

/// 1 MiB in fewer reads than this needs more than 24 KiB per read: rustls asks its reader
/// for 4 KiB to ~18 KiB at a time, so fed directly it takes at least 57 (read-ahead takes
/// 65 KiB at a time: about 17).
const READS_FOR_1_MIB: u64 = (1 << 20) / (24 * 1024);

#[test]
fn with_read_ahead_a_bulk_flow_reads_the_transport_in_large_pieces() {
    let _guard = watchdog("with_read_ahead", 120);
    let reads = read_all(true).transport_reads;
    assert!(
        reads <= READS_FOR_1_MIB,
        "{reads} transport reads for 1 MiB: read-ahead is not reading ahead"
    );
}

/// A record carries at most 16 KiB of plaintext, so 1 MiB in fewer reads than this means
/// reads that returned about three records each (read-ahead takes four per refill: about
/// 17 reads; two per read would take 32).
const STREAM_READS_FOR_1_MIB: u64 = (1 << 20) / (48 * 1024);

#[test]
fn with_read_ahead_a_big_read_gets_every_record_already_read_ahead() {
    let _guard = watchdog("a_big_read_gets_every_record", 120);
    let reads = read_all(true).stream_reads;
    assert!(
        reads <= STREAM_READS_FOR_1_MIB,
        "{reads} reads of 64 KiB for 1 MiB: each returned about one record"
    );
}

#[test]
fn without_read_ahead_rustls_reads_the_transport_itself() {
    let _guard = watchdog("without_read_ahead", 120);
    let reads = read_all(false).transport_reads;
    assert!(
        reads > READS_FOR_1_MIB,
        "{reads} transport reads for 1 MiB: read ahead although off"
    );
}

#[test]
fn without_read_ahead_a_big_read_gets_every_record_the_transport_has() {
    let _guard = watchdog("without_read_ahead_a_big_read", 120);
    let reads = read_all(false).stream_reads;
    assert!(
        reads <= STREAM_READS_FOR_1_MIB,
        "{reads} reads of 64 KiB for 1 MiB: each returned about one record"
    );
}

/// Three 16 KiB records and then `end` on the transport (after `end_with` set it up), read
/// with a 64 KiB buffer: the first read's length, then the errors of the next two reads.
fn records_then(
    read_ahead: bool,
    end_with: impl FnOnce(&mut Half),
) -> (usize, io::Error, io::Error) {
    const TOTAL: usize = 48 * 1024;
    let rt = rt();
    let (mut server, _reads) = pair_with_records_sent(&rt, TOTAL, read_ahead, false);
    end_with(&mut server.get_ref().0.rx.lock().unwrap());
    rt.block_on(async {
        let mut buf = vec![0u8; 64 * 1024];
        let n = server.read(&mut buf).await.unwrap();
        assert!(buf[..n] == *pattern(0, n), "bytes differ");
        let second = server.read(&mut buf).await.unwrap_err();
        let third = server.read(&mut buf).await.unwrap_err();
        (n, second, third)
    })
}

/// A transport error met while a read is being filled: the read returns every byte before
/// it, the next read returns the error itself (its kind intact: not lost behind the bytes,
/// not turned into EOF), and a read after that reads the transport again.
#[test]
fn a_transport_error_behind_records_is_the_next_reads_answer() {
    let _guard = watchdog("a_transport_error_behind_records", 120);
    for read_ahead in [false, true] {
        let (n, second, third) = records_then(read_ahead, |rx| {
            rx.error = Some(io::ErrorKind::ConnectionReset);
            rx.closed = true;
        });
        assert_eq!(
            n,
            48 * 1024,
            "read-ahead {read_ahead}: one read, all three records"
        );
        assert_eq!(
            second.kind(),
            io::ErrorKind::ConnectionReset,
            "read-ahead {read_ahead}: {second}"
        );
        // The transport is at EOF behind its error, with no close_notify.
        assert_eq!(
            third.kind(),
            io::ErrorKind::UnexpectedEof,
            "read-ahead {read_ahead}: {third}"
        );
    }
}

/// The peer's EOF without close_notify, met while a read is being filled: the read returns
/// every byte before it, then every read is `UnexpectedEof`.
#[test]
fn a_truncation_behind_records_comes_after_their_bytes() {
    let _guard = watchdog("a_truncation_behind_records", 120);
    for read_ahead in [false, true] {
        let (n, second, third) = records_then(read_ahead, |rx| rx.closed = true);
        assert_eq!(
            n,
            48 * 1024,
            "read-ahead {read_ahead}: one read, all three records"
        );
        for e in [second, third] {
            assert_eq!(
                e.kind(),
                io::ErrorKind::UnexpectedEof,
                "read-ahead {read_ahead}: {e}"
            );
        }
    }
}

#[test]
fn into_parts_returns_the_bytes_read_ahead() {
    let _guard = watchdog("into_parts_returns_the_bytes_read_ahead", 120);
    const TOTAL: usize = 256 * 1024;
    const FIRST: usize = 10_000;
    let rt = rt();
    let (mut server, reads) = pair_with_stream_sent(&rt, TOTAL, true);
    let mut buf = vec![0u8; 64 * 1024];
    rt.block_on(server.read_exact(&mut buf[..FIRST])).unwrap();
    assert!(buf[..FIRST] == *pattern(0, FIRST));
    assert!(
        reads.load(Ordering::Relaxed) >= 2,
        "read-ahead never started"
    );

    // The rest, synchronously: from the connection, then the bytes read ahead of it, then
    // the raw transport.
    let (io, mut conn, ahead) = server.into_parts();
    assert!(
        !ahead.is_empty(),
        "nothing was read ahead: the test proves nothing"
    );
    let mut rest = std::io::Read::chain(io::Cursor::new(ahead), io);
    let mut at = FIRST;
    loop {
        match conn.reader().read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                assert!(buf[..n] == *pattern(at as u64, n), "bytes differ at {at}");
                at += n;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                assert!(conn.read_tls(&mut rest).unwrap() > 0, "stream ended early");
                conn.process_new_packets().unwrap();
            }
            Err(e) => panic!("reading the rest: {e}"),
        }
    }
    assert_eq!(at, TOTAL, "bytes lost when the stream was taken apart");
}

/// `into_inner` with read-ahead on hands rustls the bytes read ahead, as many as it takes:
/// the connection's plaintext goes on from where the stream's reads stopped, byte-exact,
/// past the record those reads had opened (the next one came from the read-ahead buffer).
#[test]
fn into_inner_hands_rustls_the_bytes_read_ahead() {
    let _guard = watchdog("into_inner_hands_rustls_the_bytes_read_ahead", 120);
    const TOTAL: usize = 256 * 1024;
    const FIRST: usize = 10_000;
    let rt = rt();
    let (mut server, _reads) = pair_with_stream_sent(&rt, TOTAL, true);
    let mut buf = vec![0u8; 64 * 1024];
    rt.block_on(server.read_exact(&mut buf[..FIRST])).unwrap();
    let (_io, mut conn) = server.into_inner();
    let mut at = FIRST;
    loop {
        match conn.reader().read(&mut buf) {
            Ok(n) if n > 0 => {
                assert!(buf[..n] == *pattern(at as u64, n), "bytes differ at {at}");
                at += n;
            }
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("reading what into_inner left: {e}"),
        }
    }
    assert!(
        at > 16 * 1024,
        "only the first record's {at} bytes: nothing read ahead reached rustls"
    );
}

/// The 2025 incident's wire, in a bulk flow with read-ahead on: the stream, a close_notify,
/// then the start of a record that never completes, all in the buffer at once. Every byte
/// before the close_notify is delivered, then EOF, and EOF again: the bytes behind the
/// close_notify are never processed and the reader never waits on them (or spins).
#[test]
fn with_read_ahead_bytes_behind_a_close_notify_stay_unread() {
    let _guard = watchdog("bytes_behind_a_close_notify", 120);
    const TOTAL: usize = 256 * 1024;
    let rt = rt();
    let (mut server, _reads) = pair_with_stream_sent(&rt, TOTAL, true);
    // A partial application-data record header after the close_notify.
    server
        .get_ref()
        .0
        .rx
        .lock()
        .unwrap()
        .bytes
        .extend([0x17, 0x03, 0x03, 0x40]);
    let (received, eofs) = rt.block_on(async move {
        let mut buf = vec![0u8; 64 * 1024];
        let mut at = 0;
        loop {
            let n = server.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            assert!(buf[..n] == *pattern(at as u64, n), "bytes differ at {at}");
            at += n;
        }
        let again = server.read(&mut buf).await.unwrap();
        (at, again)
    });
    assert_eq!(received, TOTAL);
    assert_eq!(eofs, 0, "a second read after close_notify is not EOF");
}

/// A record that fails authentication, in a bulk flow with a reader whose buffer takes
/// several records per read (so the bad record is met while topping a read up), with
/// read-ahead and without: every byte of the records before it is delivered, then
/// `InvalidData`, and again on the next read (the error is sticky); the alert goes to the
/// peer.
#[test]
fn a_bad_record_after_good_ones_is_a_sticky_error_after_their_bytes() {
    let _guard = watchdog("a_bad_record_after_good_ones", 120);
    for read_ahead in [false, true] {
        bad_record_after_good_ones(read_ahead);
    }
}

fn bad_record_after_good_ones(read_ahead: bool) {
    const TOTAL: usize = 256 * 1024;
    // Reads of 64 KiB take four 16 KiB records each, so record 10 is the third of the
    // third read: met while that read is topped up, not by its first record.
    const BAD_RECORD: usize = 10;
    let rt = rt();
    let (mut server, _reads) = pair_with_stream_sent(&rt, TOTAL, read_ahead);
    let good_bytes = {
        // Walk the buffered records (5-byte headers) and flip a ciphertext byte of one.
        let mut rx = server.get_ref().0.rx.lock().unwrap();
        let (mut at, mut plaintext) = (0, 0);
        for _ in 0..BAD_RECORD {
            let len = usize::from(u16::from_be_bytes([rx.bytes[at + 3], rx.bytes[at + 4]]));
            at += 5 + len;
            plaintext += len - 17; // content type byte and AEAD tag
        }
        rx.bytes[at + 5 + 100] ^= 0x01;
        plaintext
    };
    assert_eq!(
        good_bytes,
        BAD_RECORD * 16 * 1024,
        "records of 16 KiB expected"
    );
    let sent_before = server.get_ref().0.tx.lock().unwrap().bytes.len();
    let (received, first, second) = rt.block_on(async {
        let mut buf = vec![0u8; 64 * 1024];
        let mut at = 0;
        let first = loop {
            match server.read(&mut buf).await {
                Ok(0) => panic!("EOF instead of an error after {at} bytes"),
                Ok(n) => {
                    assert!(buf[..n] == *pattern(at as u64, n), "bytes differ at {at}");
                    at += n;
                }
                Err(e) => break e,
            }
        };
        let second = server.read(&mut buf).await.unwrap_err();
        (at, first, second)
    });
    assert_eq!(
        received, good_bytes,
        "read-ahead {read_ahead}: the good records' bytes were not all delivered"
    );
    assert_eq!(
        first.kind(),
        io::ErrorKind::InvalidData,
        "read-ahead {read_ahead}: {first}"
    );
    assert_eq!(
        second.kind(),
        io::ErrorKind::InvalidData,
        "read-ahead {read_ahead}: not sticky: {second}"
    );
    let sent_after = server.get_ref().0.tx.lock().unwrap().bytes.len();
    assert!(
        sent_after > sent_before,
        "read-ahead {read_ahead}: no alert was written"
    );
}
