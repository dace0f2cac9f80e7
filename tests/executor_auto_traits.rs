//! Auto traits of the public types: what a tokio user relies on when moving runtimes,
//! handles, join handles and errors across threads (and into `Box<dyn Error + Send + Sync>`).
//!
//! The checks are decided at compile time but asserted at run time: a missing impl then
//! fails this one test with a list of every missing impl, instead of breaking the build of
//! the whole workspace. The probe is the inherent-const-over-trait-const fallback: the
//! inherent `IMPLS` exists only when the bound holds; otherwise the trait's `false` is found.
use std::marker::PhantomData;
use wakeful::runtime::{Handle, Runtime, SpinReport};
use wakeful::task::{AbortHandle, Builder, JoinError, JoinHandle, TaskId};

macro_rules! implements {
    ($ty:ty: $bound:path) => {{
        struct Probe<T: ?Sized>(PhantomData<T>);
        #[allow(dead_code, reason = "read only when the bound does not hold")]
        trait Fallback {
            const IMPLS: bool = false;
        }
        impl<T: ?Sized> Fallback for Probe<T> {}
        #[allow(dead_code, reason = "read only when the bound holds")]
        impl<T: ?Sized + $bound> Probe<T> {
            const IMPLS: bool = true;
        }
        <Probe<$ty>>::IMPLS
    }};
}

/// `(type, trait, implemented)` for every check that came out wrong.
macro_rules! failures {
    ($($ty:ty: $bound:ident == $want:expr;)*) => {{
        let mut wrong: Vec<String> = Vec::new();
        $(
            let has = implements!($ty: $bound);
            if has != $want {
                wrong.push(format!(
                    "{} {} {}",
                    stringify!($ty),
                    if $want { "must implement" } else { "must not implement" },
                    stringify!($bound),
                ));
            }
        )*
        wrong
    }};
}

#[test]
fn public_types_are_send_and_sync() {
    let wrong = failures! {
        Runtime: Send == true;
        Runtime: Sync == true;
        Handle: Send == true;
        Handle: Sync == true;
        JoinHandle<u32>: Send == true;
        JoinHandle<u32>: Sync == true;
        JoinHandle<String>: Send == true;
        JoinHandle<String>: Sync == true;
        JoinError: Send == true;
        JoinError: Sync == true;
        AbortHandle: Send == true;
        AbortHandle: Sync == true;
        TaskId: Send == true;
        TaskId: Sync == true;
        SpinReport: Send == true;
        SpinReport: Sync == true;
        Builder<'static>: Send == true;
        Builder<'static>: Sync == true;
    };
    assert!(wrong.is_empty(), "auto traits:\n{}", wrong.join("\n"));
}

/// A `JoinHandle<T>` hands its `T` to whichever thread awaits it: it may cross threads only
/// if `T` may.
#[test]
fn join_handle_is_send_only_for_send_outputs() {
    let wrong = failures! {
        JoinHandle<std::rc::Rc<u8>>: Send == false;
        JoinHandle<std::cell::Cell<u8>>: Send == true;
        JoinHandle<()>: Unpin == true;
    };
    assert!(wrong.is_empty(), "auto traits:\n{}", wrong.join("\n"));
}

/// The probe itself can tell both answers apart (so the tests above can fail).
#[test]
fn probe_distinguishes_implemented_from_missing() {
    assert!(implements!(u8: Send));
    assert!(!implements!(std::rc::Rc<u8>: Send));
    assert!(!implements!(std::cell::Cell<u8>: Sync));
    assert!(!implements!(Box<dyn std::any::Any + Send>: Sync));
}
