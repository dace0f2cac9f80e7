//! Trims the stack of a self-wake down to the code under test.
//!
//! A captured stack runs from `Backtrace::force_capture` through the waker machinery
//! (std's `Wake` glue, this crate's wake log), the code that called `wake_by_ref` (the
//! culprit), whatever polled it, the probe, and the test harness. Frames of std, core,
//! alloc, libtest, this crate and the executor's `observe_progress` wrapper are dropped;
//! what remains, innermost first, is the code under test and the test that drove it.
use std::backtrace::Backtrace;

/// At most this many frames are kept.
const MAX_FRAMES: usize = 12;

/// The frames of `bt` outside std and the kit, innermost first, as `symbol at file:line:col`.
pub(crate) fn user_frames(bt: &Backtrace) -> Vec<String> {
    wakeful_executor::backtrace_frames(&bt.to_string())
        .into_iter()
        .filter(|(symbol, at)| !is_kit_frame(symbol, at.as_deref()))
        .take(MAX_FRAMES)
        .map(|(symbol, at)| match at {
            Some(at) => format!("{symbol} at {at}"),
            None => symbol,
        })
        .collect()
}

/// A frame of std, the test harness, the executor's wrapper or this crate: not the culprit.
/// Inlined frames may print bare symbols, so the source location decides as well.
fn is_kit_frame(symbol: &str, location: Option<&str>) -> bool {
    const PREFIXES: [&str; 14] = [
        "std::",
        "core::",
        "alloc::",
        "test::",
        "<std::",
        "<core::",
        "<alloc::",
        "<test::",
        "wakeful_test::",
        "<wakeful_test::",
        "wakeful_executor::driver::",
        "__rust",
        "rust_begin_unwind",
        "backtrace::",
    ];
    const THREAD_START: [&str; 4] = ["start_thread", "clone", "__clone", "thread_start"];
    if PREFIXES.iter().any(|p| symbol.starts_with(p))
        || THREAD_START.iter().any(|p| symbol.starts_with(p))
        || symbol.starts_with("_start")
        || symbol.starts_with("__libc_start")
        || symbol == "main"
    {
        return true;
    }
    let Some(loc) = location else {
        return false;
    };
    // This crate's sources, wherever it was built from ("test-kit/src/" in the workspace,
    // an absolute path as a path dependency, ".../wakeful-test-x.y.z/src/" from a registry).
    let kit_src = file!().strip_suffix("stack.rs").unwrap_or("test-kit/src/");
    loc.contains(kit_src)
        || loc.contains("/rustc/")
        || loc.contains("/library/std/")
        || loc.contains("/library/core/")
        || loc.contains("/library/alloc/")
        || loc.contains("/library/test/")
        || loc.contains("/nptl/")
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn keeps_user_frames_and_drops_std_kit_and_harness() {
        let kit = file!().replace("stack.rs", "waker.rs");
        let text = format!(
            "   0: std::backtrace::Backtrace::force_capture\n\
             \x20            at /rustc/abc/library/std/src/backtrace.rs:312:9\n\
             \x20  1: <wakeful_test::waker::WakeLog as alloc::task::Wake>::wake_by_ref\n\
             \x20            at ./{kit}:80:17\n\
             \x20  2: alloc::task::raw_waker::wake_by_ref\n\
             \x20  3: <my_lib::Stream as futures_io::if_std::AsyncRead>::poll_read\n\
             \x20            at ./src/stream.rs:42:13\n\
             \x20            at ./src/stream.rs:99:1\n\
             \x20  4: wakeful_executor::driver::observe_progress\n\
             \x20  5: my_test::it_reads\n\
             \x20            at ./tests/it.rs:7:5\n\
             \x20  6: core::ops::function::FnOnce::call_once\n\
             \x20  7: test::run_test\n"
        );
        let frames: Vec<String> = wakeful_executor::backtrace_frames(&text)
            .into_iter()
            .filter(|(s, at)| !is_kit_frame(s, at.as_deref()))
            .map(|(s, at)| format!("{s} at {}", at.unwrap_or_default()))
            .collect();
        assert_eq!(
            frames,
            [
                "<my_lib::Stream as futures_io::if_std::AsyncRead>::poll_read at ./src/stream.rs:42:13",
                "my_test::it_reads at ./tests/it.rs:7:5",
            ]
        );
    }
}
