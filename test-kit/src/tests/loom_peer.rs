//! loom models: a peer thread releasing data while the stream under test decides to
//! return `Pending`. Whatever the interleaving, once the peer has finished, the probe must
//! have read the data or been woken; a `Pending` probe that is not woken is a lost wakeup.
//!
//! Run with `bash loom/run.sh`, or by hand:
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 CARGO_TARGET_DIR=target/loom
//! cargo test -p wakeful-test --release --lib loom`.
use super::fan_out::{FanOut, Order};
use crate::mock::{Builder, MockIo};
use crate::{assert_woken, Probe, Step};
use loom::thread;
use std::task::Poll;

/// The peer releases `ping` while the probe reads; then the probe must get it.
fn peer_releases_while_reading<T: futures_io::AsyncRead>(
    make: impl Fn(MockIo) -> T + Send + Sync + 'static,
) {
    loom::model(move || {
        let (io, peer) = Builder::new().read_pending().read(b"ping").build();
        let mut probe = Probe::io(make(io));
        let t = thread::spawn(move || assert!(peer.release()));
        let first = probe.step();
        t.join().unwrap();
        let last = *probe.last().unwrap();
        // The peer's wake is never taken for a self-wake, whenever it lands.
        assert_eq!(last.self_wakes, 0, "{last}");
        assert!(!last.futile, "{last}");
        if first.is_pending() {
            assert_woken!(probe, "the peer released the data and finished");
            assert!(matches!(probe.step(), Poll::Ready(Ok(4))));
        } else {
            assert!(matches!(first, Poll::Ready(Ok(4))));
        }
        assert_eq!(probe.received(), b"ping");
    });
}

#[test]
fn loom_mock_release_racing_read_is_never_lost() {
    peer_releases_while_reading(|io| io);
}

#[test]
fn loom_stream_registering_before_polling_is_never_lost() {
    peer_releases_while_reading(|io| FanOut::new(io, Order::SlotFirst));
}

/// The model must find the interleaving where the release lands between the transport
/// poll and the late registration: the stream returns `Pending` and is never woken.
#[test]
#[should_panic(expected = "lost wakeup: the task would hang")]
fn loom_stream_registering_after_polling_loses_the_wakeup() {
    peer_releases_while_reading(|io| FanOut::new(io, Order::SlotAfter));
}

/// The futile-loop check works inside a model too, with a peer thread waking the task
/// concurrently (never a self-wake) while the task also wakes itself (always one).
#[test]
fn loom_futile_loop_is_caught_while_a_peer_wakes() {
    loom::model(|| {
        let (io, peer) = Builder::new().build();
        let mut probe = Probe::io(SelfWaking(io));
        let t = thread::spawn(move || peer.deliver(b""));
        let violation = probe.check_no_futile_loop(4).unwrap_err();
        t.join().unwrap();
        assert_eq!(violation.kind, crate::ViolationKind::FutileLoop);
        assert!(probe.stats().futile_streak >= 2);
    });
}

/// Reads nothing, wakes itself, returns `Pending`: a spin.
struct SelfWaking(MockIo);

impl futures_io::AsyncRead for SelfWaking {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        _buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        let mut empty = [0u8; 0];
        let _ = std::pin::Pin::new(&mut self.get_mut().0).poll_read(cx, &mut empty);
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
