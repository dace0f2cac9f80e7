//! `block_on`: drive one future on the calling thread while the workers run the rest.
use super::Handle;
use crate::context;
use crate::loom::sync::StdArc as Arc;
use crate::scheduler::park::{Park, ThreadPark};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};

struct ThreadWaker(ThreadPark);

impl futures_task::ArcWake for ThreadWaker {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.0.unpark();
    }
}

#[track_caller]
pub(crate) fn block_on<F: Future>(handle: &Handle, future: F) -> F::Output {
    let _enter = context::enter_runtime(handle.clone(), true);
    let parker = Arc::new(ThreadWaker(ThreadPark::new()));
    let waker = futures_task::waker(parker.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        parker.0.park(None);
    }
}
