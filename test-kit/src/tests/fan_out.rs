//! A stream that multiplexes its transport's wakeups, the shape of a TLS stream shared by
//! a reader and a writer, or a connection shared by several streams: it polls the
//! transport with its own waker ([`Forward`]), which wakes whichever task waker sits in
//! its slot.
//!
//! [`Order::SlotFirst`] is correct: the task's waker is in the slot before the transport
//! can wake. [`Order::SlotAfter`] has the classic lost-wakeup race: the transport is polled
//! (and may be released and woken by the peer) before the task's waker is in the slot, so
//! that wake finds an empty slot and is lost, and the task waits forever.
use crate::loom::{Arc, Mutex};
use crate::mock::MockIo;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Wake, Waker};

/// When the task's waker goes into the slot.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Order {
    SlotFirst,
    SlotAfter,
}

pub(crate) struct FanOut {
    io: MockIo,
    slot: Arc<Mutex<Option<Waker>>>,
    forward: Waker,
    order: Order,
}

/// The transport's waker: forwards a wake to the task waker in the slot.
struct Forward(Arc<Mutex<Option<Waker>>>);

impl Wake for Forward {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        let waker = self.0.lock().take();
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl FanOut {
    pub(crate) fn new(io: MockIo, order: Order) -> Self {
        let slot = Arc::new(Mutex::new(None));
        let forward = Waker::from(std::sync::Arc::new(Forward(slot.clone())));
        FanOut {
            io,
            slot,
            forward,
            order,
        }
    }
}

impl futures_io::AsyncRead for FanOut {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Order::SlotFirst = this.order {
            *this.slot.lock() = Some(cx.waker().clone());
        }
        let mut inner = Context::from_waker(&this.forward);
        let out = Pin::new(&mut this.io).poll_read(&mut inner, buf);
        if let (Order::SlotAfter, Poll::Pending) = (this.order, &out) {
            // Too late: a release between the poll above and this line woke an empty slot.
            *this.slot.lock() = Some(cx.waker().clone());
        }
        out
    }
}
