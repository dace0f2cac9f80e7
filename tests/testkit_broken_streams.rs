//! `wakeful::test` catches the two waker bugs in deliberately broken streams:
//!
//! - [`RecordStream`] with [`Fallback::SelfWake`] is the shape of the pre-fix tokio-rustls
//!   `poll_read` (0.26.0 over rustls 0.23.5): after a close record followed by a partial
//!   record in one read, it stops reading its transport ("the peer has closed") while its
//!   record layer says "would block" ("a record is incomplete"), so it wakes itself and
//!   returns `Pending`, forever. [`Fallback::Fixed`] reports EOF instead.
//! - [`TryReader`] returns `Pending` after polling its transport with a no-op waker, so its
//!   own waker is never kept: a lost wakeup.
use futures_io::AsyncRead;
use std::collections::VecDeque;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use wakeful::test::mock::{Builder, MockIo};
use wakeful::test::{
    assert_no_futile_loop, assert_pending_and_registered, Probe, Step, ViolationKind,
};

const DATA: u8 = 0x17;
const CLOSE: u8 = 0x15;

/// A record of the toy wire format: `[type, len, payload...]`.
fn record(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut r = vec![kind, payload.len() as u8];
    r.extend_from_slice(payload);
    r
}

/// What the stream does when its record layer has nothing to return and it did not
/// register with the transport.
#[derive(Clone, Copy, Debug)]
enum Fallback {
    /// `cx.waker().wake_by_ref(); Pending`: "try again" (the pre-fix tokio-rustls).
    SelfWake,
    /// After a close record, EOF, whatever bytes follow it.
    Fixed,
}

/// A toy TLS-like stream: reads records from its transport, returns their payloads.
struct RecordStream {
    io: MockIo,
    incoming: Vec<u8>,
    plaintext: VecDeque<u8>,
    closed: bool,
    fallback: Fallback,
}

impl RecordStream {
    fn new(io: MockIo, fallback: Fallback) -> Self {
        RecordStream {
            io,
            incoming: Vec::new(),
            plaintext: VecDeque::new(),
            closed: false,
            fallback,
        }
    }

    /// rustls's `wants_read`: no plaintext waiting and the peer has not closed.
    fn wants_read(&self) -> bool {
        self.plaintext.is_empty() && !self.closed
    }

    /// Reads the transport once and deframes every complete record, stopping at a close.
    fn read_io(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let mut buf = [0u8; 1024];
        let n = match Pin::new(&mut self.io).poll_read(cx, &mut buf) {
            Poll::Ready(Ok(n)) => n,
            other => return other,
        };
        self.incoming.extend_from_slice(&buf[..n]);
        while !self.closed && self.incoming.len() >= 2 {
            let len = 2 + self.incoming[1] as usize;
            if self.incoming.len() < len {
                break;
            }
            let rec: Vec<u8> = self.incoming.drain(..len).collect();
            match rec[0] {
                DATA => self.plaintext.extend(&rec[2..]),
                _ => self.closed = true,
            }
        }
        Poll::Ready(Ok(n))
    }

    /// rustls 0.23.5's `Reader::read`: plaintext, or `Ok(0)` once cleanly closed *and*
    /// nothing is left undeframed, or `WouldBlock`.
    fn read_plaintext(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.plaintext.is_empty() {
            let n = buf.len().min(self.plaintext.len());
            for (dst, src) in buf.iter_mut().zip(self.plaintext.drain(..n)) {
                *dst = src;
            }
            return Ok(n);
        }
        if self.closed && self.incoming.is_empty() {
            return Ok(0);
        }
        Err(io::ErrorKind::WouldBlock.into())
    }
}

/// The line of the self-wake below, for the assertion on the failure message.
const SELF_WAKE_LINE: u32 = line!() + 30;

impl AsyncRead for RecordStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let mut io_pending = false;
        while this.wants_read() {
            match this.read_io(cx) {
                Poll::Ready(Ok(0)) => break,
                Poll::Ready(Ok(_)) => {}
                Poll::Pending => {
                    io_pending = true;
                    break;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            }
        }
        match this.read_plaintext(buf) {
            Ok(n) => Poll::Ready(Ok(n)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if io_pending {
                    return Poll::Pending; // the transport has the waker
                }
                match this.fallback {
                    Fallback::SelfWake => {
                        // "If wants_read() is satisfied, this cannot happen; try again."
                        cx.waker().wake_by_ref();
                        Poll::Pending
                    }
                    Fallback::Fixed => Poll::Ready(Ok(0)),
                }
            }
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

/// The incident's bytes: some data, then a close record and the first bytes of the next
/// record, all in one read; then the socket goes quiet.
fn incident_transport() -> (MockIo, wakeful::test::mock::Handle) {
    let mut wire = record(DATA, b"bye");
    wire.extend(record(CLOSE, &[0]));
    wire.extend([DATA, 5, b'a']); // 3 of 7 bytes
    Builder::new().read(wire).read_pending().build()
}

#[test]
fn self_wake_fallback_after_close_and_partial_record_fails_with_its_site() {
    let (io, peer) = incident_transport();
    let mut probe = Probe::io(RecordStream::new(io, Fallback::SelfWake));
    let err = catch_unwind(AssertUnwindSafe(|| {
        assert_no_futile_loop!(probe, 100);
    }))
    .expect_err("the self-wake loop must be caught");
    let msg = err.downcast_ref::<String>().expect("a formatted message");
    assert!(
        msg.contains("futile loop in testkit_broken_streams::RecordStream"),
        "{msg}"
    );
    assert!(msg.contains("50 polls in a row"), "{msg}");
    let site = format!("self-wake at <testkit_broken_streams::RecordStream as futures_io::if_std::AsyncRead>::poll_read at ./tests/testkit_broken_streams.rs:{SELF_WAKE_LINE}:");
    assert!(msg.contains(&site), "expected `{site}` in:\n{msg}");
    // It read the data, then stopped reading its transport: one read, then only self-wakes.
    assert_eq!(probe.received(), b"bye");
    assert_eq!(peer.reads(), 1);
    assert_eq!(probe.stats().self_wakes, 50);
}

#[test]
fn the_violation_names_poll_read_as_the_self_wake_site() {
    let (io, _peer) = incident_transport();
    let mut probe = Probe::io(RecordStream::new(io, Fallback::SelfWake));
    let v = probe.check_no_futile_loop(10).unwrap_err();
    assert_eq!(v.kind, ViolationKind::FutileLoop);
    let site = v.self_wake_site.expect("a site");
    assert!(
        site.contains("RecordStream as futures_io::if_std::AsyncRead>::poll_read"),
        "{site}"
    );
}

#[test]
fn the_fixed_stream_reads_to_eof_without_spinning() {
    let (io, _peer) = incident_transport();
    let mut probe = Probe::io(RecordStream::new(io, Fallback::Fixed));
    assert!(matches!(assert_no_futile_loop!(probe, 100), Some(Ok(0))));
    assert_eq!(probe.received(), b"bye");
    assert_eq!(probe.stats().futile_polls, 0);
}

#[test]
fn both_streams_wait_properly_for_a_partial_record_without_a_close() {
    for fallback in [Fallback::SelfWake, Fallback::Fixed] {
        let (io, peer) = Builder::new().read([DATA, 5, b'a']).build();
        let mut probe = Probe::io(RecordStream::new(io, fallback));
        assert_pending_and_registered!(probe);
        peer.deliver(b"bcde");
        assert!(probe.is_woken());
        assert!(matches!(probe.step(), Poll::Ready(Ok(5))));
        assert_eq!(probe.received(), b"abcde");
    }
}

/// Polls its transport with a no-op waker "just to check", and returns `Pending`.
struct TryReader {
    io: MockIo,
    keep_waker: bool,
}

impl AsyncRead for TryReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.keep_waker {
            return Pin::new(&mut this.io).poll_read(cx, buf);
        }
        let mut noop = Context::from_waker(Waker::noop());
        Pin::new(&mut this.io).poll_read(&mut noop, buf)
    }
}

#[test]
fn pending_without_keeping_the_waker_fails_as_a_lost_wakeup() {
    let (io, _peer) = Builder::new().read_pending().read(b"x").build();
    let mut probe = Probe::io(TryReader {
        io,
        keep_waker: false,
    });
    let err = catch_unwind(AssertUnwindSafe(|| {
        assert_pending_and_registered!(probe);
    }))
    .expect_err("the lost wakeup must be caught");
    let msg = err.downcast_ref::<String>().expect("a formatted message");
    assert!(
        msg.contains("lost wakeup in testkit_broken_streams::TryReader"),
        "{msg}"
    );
    assert!(msg.contains("it would hang"), "{msg}");
}

#[test]
fn pending_with_the_waker_passed_down_is_registered() {
    let (io, peer) = Builder::new().read_pending().read(b"x").build();
    let mut probe = Probe::io(TryReader {
        io,
        keep_waker: true,
    });
    assert_pending_and_registered!(probe);
    peer.release();
    assert!(probe.is_woken());
    assert!(matches!(probe.step(), Poll::Ready(Ok(1))));
}
