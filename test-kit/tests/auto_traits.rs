//! `Send`/`Sync`/`Unpin` of the public types: a probe and its target can move to another
//! thread, the mock's handle can be shared with a peer thread, violations are errors.
#![cfg(not(loom))]
use wakeful_test::mock::{Action, Builder, Handle, MockIo};
use wakeful_test::{AsIo, PollRecord, Probe, ProbeStats, Violation, ViolationKind};

fn send_sync<T: Send + Sync>() {}
fn unpin<T: Unpin>() {}
fn error<T: std::error::Error + Send + Sync + 'static>() {}

#[test]
fn public_types_have_the_expected_auto_traits() {
    send_sync::<MockIo>();
    send_sync::<Handle>();
    send_sync::<Builder>();
    send_sync::<Action>();
    send_sync::<PollRecord>();
    send_sync::<ProbeStats>();
    send_sync::<ViolationKind>();
    send_sync::<Probe<std::future::Ready<()>>>();
    send_sync::<Probe<MockIo, AsIo>>();
    unpin::<MockIo>();
    unpin::<Probe<std::future::Pending<()>>>();
    error::<Violation>();
}

#[test]
fn a_probe_can_be_polled_from_another_thread() {
    let (io, peer) = Builder::new().read(b"x").build();
    let mut probe = Probe::io(io);
    let probe = std::thread::spawn(move || {
        assert!(wakeful_test::Step::step(&mut probe).is_ready());
        probe
    })
    .join()
    .unwrap();
    assert_eq!(probe.received(), b"x");
    assert_eq!(peer.reads(), 1);
}
