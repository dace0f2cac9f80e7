//! The scripted transport: each action, byte-exact reads, gates and the peer handle, the
//! tokio impls.
#![cfg(not(loom))]
use std::io::ErrorKind;
use std::task::Poll;
use wakeful_test::mock::{Action, Builder};
use wakeful_test::{assert_pending_and_registered, Probe, Step};

fn read_n(out: Poll<std::io::Result<usize>>) -> usize {
    match out {
        Poll::Ready(Ok(n)) => n,
        other => panic!("expected Ready(Ok(n)), got {other:?}"),
    }
}

#[test]
fn each_read_action_is_one_read_and_reads_are_never_merged() {
    let (io, _peer) = Builder::new().read(b"abc").read(b"de").read_eof().build();
    let mut probe = Probe::io(io);
    assert_eq!(read_n(probe.step()), 3);
    assert_eq!(read_n(probe.step()), 2);
    assert_eq!(read_n(probe.step()), 0);
    assert_eq!(read_n(probe.step()), 0, "EOF is sticky");
    assert_eq!(probe.received(), b"abcde");
}

#[test]
fn a_small_buffer_takes_a_read_action_in_pieces() {
    let (io, peer) = Builder::new().read(b"hello").build();
    let mut probe = Probe::io(io).with_read_size(2);
    assert_eq!(read_n(probe.step()), 2);
    assert_eq!(read_n(probe.step()), 2);
    assert_eq!(read_n(probe.step()), 1);
    assert_pending_and_registered!(probe); // an exhausted script is an idle socket
    peer.deliver(b"!");
    assert!(probe.is_woken());
    assert_eq!(read_n(probe.step()), 1);
    assert_eq!(probe.received(), b"hello!");
    assert_eq!(peer.reads(), 5);
}

#[test]
fn moving_bytes_is_progress() {
    let (io, _peer) = Builder::new().read(b"x").build();
    let mut probe = Probe::io(io);
    assert_eq!(read_n(probe.step()), 1);
    assert!(probe.last().unwrap().progress);
    assert!(probe.step().is_pending());
    assert!(!probe.last().unwrap().progress);
    assert_eq!(read_n(probe.poll_write(b"yz")), 2);
    assert!(probe.last().unwrap().progress);
}

#[test]
fn gates_open_in_script_order_across_lanes_and_wake_their_lane() {
    let (io, peer) = Builder::new()
        .read_pending()
        .read(b"r")
        .write_pending()
        .read_would_block()
        .read(b"s")
        .build();
    let mut probe = Probe::io(io);
    assert!(probe.step().is_pending());
    assert!(probe.poll_write(b"w").is_pending());
    assert!(peer.release()); // gate 0: the read
    assert!(probe.is_woken());
    assert_eq!(read_n(probe.step()), 1);
    match probe.step() {
        Poll::Ready(Err(e)) => assert_eq!(e.kind(), ErrorKind::WouldBlock),
        other => panic!("expected WouldBlock, got {other:?}"),
    }
    assert_eq!(
        probe.waker_clones(),
        2,
        "WouldBlock keeps the waker too (and the write lane its own)"
    );
    assert!(probe.poll_write(b"w").is_pending());
    assert!(peer.release()); // gate 1: the write
    assert!(probe.is_woken());
    assert_eq!(read_n(probe.poll_write(b"w")), 1);
    assert!(peer.release()); // gate 2: the WouldBlock read
    assert!(!peer.release(), "no gate left");
    assert_eq!(read_n(probe.step()), 1);
    assert_eq!(probe.received(), b"rs");
    assert_eq!(peer.take_written(), b"w");
}

#[test]
fn a_release_before_the_gate_is_reached_is_seen_as_open() {
    let (io, peer) = Builder::new().read(b"a").read_pending().read(b"b").build();
    assert!(peer.release());
    let mut probe = Probe::io(io);
    assert_eq!(read_n(probe.step()), 1);
    assert_eq!(read_n(probe.step()), 1);
    assert_eq!(probe.received(), b"ab");
}

#[test]
fn reset_fails_reads_and_writes_from_then_on() {
    let (io, _peer) = Builder::new().read(b"a").reset().build();
    let mut probe = Probe::io(io);
    assert_eq!(read_n(probe.step()), 1);
    for _ in 0..2 {
        match probe.step() {
            Poll::Ready(Err(e)) => assert_eq!(e.kind(), ErrorKind::ConnectionReset),
            other => panic!("expected a reset, got {other:?}"),
        }
    }
    assert!(
        matches!(probe.poll_write(b"x"), Poll::Ready(Err(e)) if e.kind() == ErrorKind::ConnectionReset)
    );
    assert!(matches!(probe.poll_flush(), Poll::Ready(Err(_))));
}

#[test]
fn short_writes_and_zero_writes() {
    let (io, peer) = Builder::new().write_limit(3).write_zero().build();
    let mut probe = Probe::io(io);
    assert_eq!(read_n(probe.poll_write(b"hello")), 0, "Ok(0) first");
    assert_eq!(read_n(probe.poll_write(b"hello")), 3);
    assert_eq!(read_n(probe.poll_write(b"lo")), 2);
    peer.push(Action::WriteLimit(1));
    assert_eq!(read_n(probe.poll_write(b"!!")), 1);
    assert_eq!(peer.take_written(), b"hello!");
    assert_eq!(peer.writes(), 4);
    assert!(matches!(probe.poll_flush(), Poll::Ready(Ok(()))));
    assert!(!peer.is_closed());
    assert!(matches!(probe.poll_close(), Poll::Ready(Ok(()))));
    assert!(peer.is_closed());
}

#[test]
fn write_errors_are_sticky_and_reach_flush() {
    let (io, _peer) = Builder::new()
        .action(Action::WriteError(ErrorKind::BrokenPipe))
        .build();
    let mut probe = Probe::io(io);
    assert!(
        matches!(probe.poll_write(b"x"), Poll::Ready(Err(e)) if e.kind() == ErrorKind::BrokenPipe)
    );
    assert!(matches!(probe.poll_write(b"x"), Poll::Ready(Err(_))));
    assert!(matches!(probe.poll_flush(), Poll::Ready(Err(_))));
}

#[test]
fn the_peer_releases_from_another_thread() {
    let (io, peer) = Builder::new().read_pending().read(b"late").build();
    let mut probe = Probe::io(io);
    assert_pending_and_registered!(probe);
    std::thread::spawn(move || assert!(peer.release()))
        .join()
        .unwrap();
    assert!(probe.is_woken());
    assert_eq!(read_n(probe.step()), 4);
}

#[test]
fn tokio_traits_play_the_same_script() {
    let (io, peer) = Builder::new()
        .read(b"ab")
        .read_pending()
        .read(b"c")
        .read_eof()
        .write_limit(1)
        .build();
    let mut probe = Probe::tokio_io(io);
    assert_eq!(read_n(probe.step()), 2);
    assert_pending_and_registered!(probe);
    peer.release();
    assert_eq!(read_n(probe.step()), 1);
    assert_eq!(read_n(probe.step()), 0);
    assert_eq!(probe.received(), b"abc");
    assert_eq!(read_n(probe.poll_write(b"xy")), 1);
    assert!(matches!(probe.poll_flush(), Poll::Ready(Ok(()))));
    assert!(matches!(probe.poll_shutdown(), Poll::Ready(Ok(()))));
    assert!(peer.is_closed());
    assert_eq!(peer.take_written(), b"x");
}

#[test]
fn delivering_nothing_only_wakes_a_waiting_read() {
    let (io, peer) = Builder::new().read(b"").build();
    let mut probe = Probe::io(io);
    assert_pending_and_registered!(probe);
    peer.deliver(b"");
    assert!(probe.is_woken());
    assert_pending_and_registered!(probe);
}
