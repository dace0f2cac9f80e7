//! The runtime context: a thread that drives a runtime (inside `block_on`, or a worker) may
//! not block on another future, and the free functions that need a runtime say so clearly
//! when there is none.
mod support;

use std::panic::{catch_unwind, AssertUnwindSafe};
use support::*;
use wakeful::runtime::Handle;

const NESTED: &str = "Cannot start a runtime from within a runtime";

#[test]
#[should_panic(expected = "Cannot start a runtime from within a runtime")]
fn block_on_inside_block_on_panics() {
    hang_guard(|| {
        let rt = runtime(1);
        rt.block_on(async { rt.block_on(async {}) });
    });
}

#[test]
#[should_panic(expected = "Cannot start a runtime from within a runtime")]
fn block_on_of_another_runtime_inside_block_on_panics() {
    hang_guard(|| {
        let (a, b) = (runtime(1), runtime(1));
        a.block_on(async { b.handle().block_on(async {}) });
    });
}

/// A task that calls `block_on` panics with the message (its worker survives), and the
/// `JoinError` carries that message.
#[test]
fn block_on_inside_a_spawned_task_panics() {
    hang_guard(|| {
        let rt = runtime(1);
        let handle = rt.handle().clone();
        let err = rt
            .block_on(rt.spawn(async move { handle.block_on(async { 1 }) }))
            .expect_err("block_on inside a task must panic");
        assert!(err.is_panic(), "{err:?}");
        let msg = panic_message(&*err.into_panic());
        assert!(msg.contains(NESTED), "unclear panic message: {msg:?}");
        assert_eq!(rt.block_on(rt.spawn(async { 2 })).unwrap(), 2);
    });
}

/// The refusal leaves the context intact: the outer `block_on` still spawns onto its
/// runtime, and afterwards the thread has no runtime again.
#[test]
fn refused_block_on_leaves_the_context_intact() {
    hang_guard(|| {
        let rt = runtime(1);
        let v = rt.block_on(async {
            let refused = catch_unwind(AssertUnwindSafe(|| rt.block_on(async {})));
            let msg = panic_message(&*refused.expect_err("nested block_on refused"));
            assert!(msg.contains(NESTED), "unclear panic message: {msg:?}");
            wakeful::spawn(async { 3 }).await.unwrap()
        });
        assert_eq!(v, 3);
        assert!(
            Handle::try_current().is_err(),
            "block_on left its context set"
        );
        // And block_on still works from this thread.
        assert_eq!(rt.block_on(async { 4 }), 4);
    });
}

/// Outside any runtime, `wakeful::spawn`, `task::spawn_blocking` and `Handle::current`
/// panic with a message saying there is no runtime; `task::Builder::spawn` returns an
/// error instead.
#[test]
fn spawn_outside_a_runtime_panics_with_a_clear_message() {
    hang_guard(|| {
        assert!(Handle::try_current().is_err());
        let msg = |r: std::thread::Result<()>| panic_message(&*r.expect_err("must panic"));

        let m = msg(catch_unwind(|| drop(wakeful::spawn(async {}))));
        assert!(m.contains("spawn") && m.contains("runtime"), "{m:?}");
        let m = msg(catch_unwind(|| drop(wakeful::task::spawn(async {}))));
        assert!(m.contains("spawn") && m.contains("runtime"), "{m:?}");
        let m = msg(catch_unwind(|| drop(wakeful::task::spawn_blocking(|| ()))));
        assert!(
            m.contains("spawn_blocking") && m.contains("runtime"),
            "{m:?}"
        );
        let m = msg(catch_unwind(|| drop(Handle::current())));
        assert!(m.contains("runtime"), "{m:?}");

        let err = wakeful::task::Builder::new()
            .name("orphan")
            .spawn(async {})
            .expect_err("no runtime");
        assert!(err.to_string().contains("runtime"), "{err}");
    });
}
