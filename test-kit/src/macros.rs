//! The assertion macros. Each panics with the [`Violation`](crate::Violation) message of
//! the matching `Probe::check_*` method, at the line of the assertion.

/// Asserts that a probe does not spin: repeats its [`Step`](crate::Step) (or the given
/// operation) like an executor, at most `n` times, and panics as soon as ⌈n/2⌉ polls in a
/// row (at least 2) woke their own waker and returned `Pending` without progress. The
/// message names the self-wake site and prints its stack.
///
/// Passes when the target finishes, when it returns `Pending` without being woken (it waits
/// for an outside event), or after `n` polls without such a streak. Evaluates to
/// `Some(value)` if the last poll returned `Ready(value)`, `None` if it returned `Pending`.
/// See [`Probe::check_no_futile_loop`](crate::Probe::check_no_futile_loop).
///
/// ```should_panic
/// use std::task::Poll;
/// use wakeful_test::{assert_no_futile_loop, Probe};
///
/// // Wakes itself and returns Pending, forever: a spin.
/// let spinner = std::future::poll_fn(|cx| {
///     cx.waker().wake_by_ref();
///     Poll::<()>::Pending
/// });
/// let mut probe = Probe::new(spinner);
/// assert_no_futile_loop!(probe, 100); // panics: "futile loop in ... self-wake at ..."
/// ```
///
/// With an explicit operation (here a flush), any `Ready` ends the check:
///
/// ```
/// use wakeful_test::{assert_no_futile_loop, mock, Probe};
///
/// let (io, _peer) = mock::Builder::new().build();
/// let mut probe = Probe::io(io);
/// let out = assert_no_futile_loop!(probe, 10, |io, cx| futures_io::AsyncWrite::poll_flush(io, cx));
/// assert!(matches!(out, Some(Ok(()))));
/// ```
#[macro_export]
macro_rules! assert_no_futile_loop {
    ($probe:expr, $n:expr $(,)?) => {
        match $crate::Probe::check_no_futile_loop(&mut $probe, $n) {
            ::std::result::Result::Ok(::std::task::Poll::Ready(out)) => {
                ::std::option::Option::Some(out)
            }
            ::std::result::Result::Ok(::std::task::Poll::Pending) => ::std::option::Option::None,
            ::std::result::Result::Err(violation) => ::std::panic!("{}", violation),
        }
    };
    ($probe:expr, $n:expr, $op:expr $(,)?) => {
        match $crate::Probe::check_no_futile_loop_with(&mut $probe, $n, $op) {
            ::std::result::Result::Ok(::std::task::Poll::Ready(out)) => {
                ::std::option::Option::Some(out)
            }
            ::std::result::Result::Ok(::std::task::Poll::Pending) => ::std::option::Option::None,
            ::std::result::Result::Err(violation) => ::std::panic!("{}", violation),
        }
    };
}

/// Polls a probe once (its [`Step`](crate::Step), or the given operation) and asserts that
/// it returned `Pending` *and* left a way to be woken: a clone of the waker held somewhere,
/// or a wake already made. `Pending` with neither is a lost wakeup: the task would hang.
/// See [`Probe::check_pending_and_registered`](crate::Probe::check_pending_and_registered).
///
/// ```
/// use wakeful_test::{assert_pending_and_registered, mock, Probe};
///
/// // An idle socket: the mock keeps the waker until data arrives.
/// let (io, _peer) = mock::Builder::new().read_pending().build();
/// let mut probe = Probe::io(io);
/// assert_pending_and_registered!(probe);
/// ```
///
/// ```should_panic
/// use std::task::Poll;
/// use wakeful_test::{assert_pending_and_registered, Probe};
///
/// // Pending without keeping the waker: nobody can ever wake it.
/// let mut probe = Probe::new(std::future::poll_fn(|_cx| Poll::<()>::Pending));
/// assert_pending_and_registered!(probe); // panics: "lost wakeup in ..."
/// ```
#[macro_export]
macro_rules! assert_pending_and_registered {
    ($probe:expr $(,)?) => {
        if let ::std::result::Result::Err(violation) =
            $crate::Probe::check_pending_and_registered(&mut $probe)
        {
            ::std::panic!("{}", violation);
        }
    };
    ($probe:expr, $op:expr $(,)?) => {
        if let ::std::result::Result::Err(violation) =
            $crate::Probe::check_pending_and_registered_with(&mut $probe, $op)
        {
            ::std::panic!("{}", violation);
        }
    };
}

/// Asserts that the probe's waker was woken since the last poll began (an executor would
/// poll again). After a peer has finished, a `Pending` probe that is not woken is a lost
/// wakeup. Takes an optional message (`format!` arguments).
///
/// ```
/// use wakeful_test::{assert_not_woken, assert_woken, mock, Probe};
///
/// let (io, peer) = mock::Builder::new().read_pending().read(b"hi").build();
/// let mut probe = Probe::io(io);
/// assert!(wakeful_test::Step::step(&mut probe).is_pending());
/// assert_not_woken!(probe);
/// peer.release();
/// assert_woken!(probe, "the peer released the data");
/// ```
#[macro_export]
macro_rules! assert_woken {
    ($probe:expr $(,)?) => {
        if let ::std::result::Result::Err(violation) = $crate::Probe::check_woken(&$probe) {
            ::std::panic!("{}", violation);
        }
    };
    ($probe:expr, $($arg:tt)+) => {
        if let ::std::result::Result::Err(violation) = $crate::Probe::check_woken(&$probe) {
            ::std::panic!("{}: {}", ::std::format_args!($($arg)+), violation);
        }
    };
}

/// Asserts that the probe's waker was not woken since the last poll began. Takes an
/// optional message (`format!` arguments). See [`assert_woken!`](crate::assert_woken).
#[macro_export]
macro_rules! assert_not_woken {
    ($probe:expr $(,)?) => {
        if let ::std::result::Result::Err(violation) = $crate::Probe::check_not_woken(&$probe) {
            ::std::panic!("{}", violation);
        }
    };
    ($probe:expr, $($arg:tt)+) => {
        if let ::std::result::Result::Err(violation) = $crate::Probe::check_not_woken(&$probe) {
            ::std::panic!("{}: {}", ::std::format_args!($($arg)+), violation);
        }
    };
}
