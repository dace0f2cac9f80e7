//! The spin-detection zoo: futures that burn CPU for nothing are flagged, demoted and named;
//! well-behaved ones are not. No timing assertions: each test waits for a report condition.
mod spin_support;

use spin_support::*;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use wakeful::runtime::TaskState;

/// Case 1: a self-waking spinner is flagged and demoted, with its type, spawn site and
/// self-wake site named.
#[test]
fn self_waking_spinner_is_flagged_demoted_and_named() {
    let rt = runtime(2);
    let spawn_line = line!() + 1;
    let handle = rt.spawn(Spinner);
    let id = handle.id().as_u64();
    let t = wait_for_task(&rt, id, "demoted with a self-wake site", |t| {
        t.flagged && t.state == TaskState::Demoted && t.self_wake_site.is_some()
    });
    assert!(
        t.type_name.ends_with("spin_support::Spinner"),
        "type_name: {}",
        t.type_name
    );
    assert!(
        t.spawned_at.contains("spin_zoo.rs") && t.spawned_at.contains(&format!(":{spawn_line}:")),
        "spawned_at: {}",
        t.spawned_at
    );
    // The frame of `Spinner::poll`, in the file that defines it. (Optimised builds name an
    // inlined frame by its method only, `poll at tests/spin_support/mod.rs:75:20`; the
    // file and line are always there.)
    let site = t.self_wake_site.as_deref().unwrap();
    assert!(
        site.contains("poll") && site.contains("spin_support"),
        "self_wake_site: {site}"
    );
    assert!(t.futile_polls >= 64 && t.max_futile_streak >= 64, "{t:?}");
    assert!(t.times_demoted >= 1 && t.first_flagged_ms.is_some());
    assert!(t.wakes.self_ >= 64);
    // The report lists it without asking for every task, and as JSON with the schema names.
    let report = rt.spin_report();
    assert_eq!(report.tasks.len(), 1);
    assert_eq!(report.runtime.flagged_total, 1);
    assert_eq!(report.runtime.demoted_now, 1);
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["tasks"][0]["state"], "demoted");
    assert!(json["tasks"][0]["wakes"]["self"].as_u64().unwrap() >= 64);
    assert!(report.to_string().contains("Spinner"));
    // It is never starved: it is still being polled while demoted.
    let polls = t.polls;
    wait_for_task(&rt, id, "polled again while demoted", |t| t.polls > polls);
    // Once flagged, every poll of it is timed: its histogram fills, and so does the
    // runtime's (which also takes in a sample of everyone's polls).
    wait_for_task(&rt, id, "timed while flagged", |t| t.poll_us.max >= 1.0);
    let runtime = rt.spin_report().runtime;
    assert!(runtime.poll_us.max >= 1.0, "{runtime:?}");
    handle.abort();
    let err = rt.block_on(handle).unwrap_err();
    assert!(err.is_cancelled());
    let after = rt.spin_report();
    assert_eq!(after.tasks[0].state, TaskState::Finished);
    assert_eq!(after.runtime.demoted_now, 0);
}

struct Inner<F>(F);
struct Wrapper<F>(F);

impl<F: Future + Unpin> Future for Inner<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl<F: Future + Unpin> Future for Wrapper<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

/// Case 2: the same spinner three wrappers deep: the full type chain is reported.
#[test]
fn nested_spinner_reports_full_type_chain() {
    let rt = runtime(2);
    let handle = rt.spawn(Wrapper(Inner(Spinner)));
    let t = wait_for_task(&rt, handle.id().as_u64(), "flagged", |t| t.flagged);
    assert!(
        t.type_name.contains("Wrapper<")
            && t.type_name.contains("Inner<")
            && t.type_name.contains("Spinner>>"),
        "type_name: {}",
        t.type_name
    );
    handle.abort();
}

/// Two futures that wake each other forever and do nothing else.
struct LivelockHalf {
    mine: Arc<Mutex<Option<Waker>>>,
    theirs: Arc<Mutex<Option<Waker>>>,
}

impl Future for LivelockHalf {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *self.mine.lock().unwrap() = Some(cx.waker().clone());
        if let Some(w) = self.theirs.lock().unwrap().take() {
            w.wake();
        }
        Poll::Pending
    }
}

/// Case 3: a livelock pair (each wakes the other, no progress) is flagged, both halves.
#[test]
fn livelock_pair_is_flagged() {
    let rt = runtime(2);
    let (a, b) = (Arc::new(Mutex::new(None)), Arc::new(Mutex::new(None)));
    let ha = rt.spawn(LivelockHalf {
        mine: a.clone(),
        theirs: b.clone(),
    });
    let hb = rt.spawn(LivelockHalf { mine: b, theirs: a });
    let ta = wait_for_task(&rt, ha.id().as_u64(), "flagged", |t| t.flagged);
    let tb = wait_for_task(&rt, hb.id().as_u64(), "flagged", |t| t.flagged);
    assert!(ta.type_name.contains("LivelockHalf") && tb.type_name.contains("LivelockHalf"));
    assert!(ta.wakes.task >= 64 && tb.wakes.task >= 64, "{ta:?} {tb:?}");
    // Contained: once both are demoted, their wakes of each other wait out the backoff,
    // so the pair stops hammering the workers (its poll count nearly stops moving).
    let ta = wait_for_task(&rt, ha.id().as_u64(), "demoted", |t| {
        t.state == TaskState::Demoted
    });
    assert!(ta.times_demoted >= 1);
    ha.abort();
    hb.abort();
}

/// Spins (self-wakes) until `release` is set, then completes.
struct SpinUntil {
    release: Arc<AtomicBool>,
}

impl Future for SpinUntil {
    type Output = &'static str;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
        if self.release.load(SeqCst) {
            return Poll::Ready("done");
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Case 7: a spinner whose condition clears finishes, nothing lost, state `recovered`.
#[test]
fn spinner_that_recovers_finishes_as_recovered() {
    let rt = runtime(2);
    let release = Arc::new(AtomicBool::new(false));
    let handle = rt.spawn(SpinUntil {
        release: release.clone(),
    });
    let id = handle.id().as_u64();
    wait_for_task(&rt, id, "demoted", |t| t.state == TaskState::Demoted);
    release.store(true, SeqCst);
    let out = with_hang_guard(move || rt.block_on(handle).map(|v| (v, rt)));
    let (value, rt) = out.unwrap();
    assert_eq!(value, "done");
    let t = rt
        .spin_report()
        .tasks
        .into_iter()
        .find(|t| t.id == id)
        .unwrap();
    assert_eq!(t.state, TaskState::Recovered);
    assert!(!t.flagged);
    assert_eq!(t.ready_polls, 1);
}

/// Spins, but reports progress on one poll in 50: 98% of its polls are futile, and no
/// futile streak ever reaches the default threshold of 64.
struct MostlySpinning {
    polls: u64,
}

impl Future for MostlySpinning {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls += 1;
        if self.polls.is_multiple_of(50) {
            wakeful::task::progress();
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Hysteresis: a task that spins 98% of the time is caught by its futile ratio (its
/// streaks stay below the threshold), and its lucky progress polls neither clear the
/// suspicion nor unflag it.
#[test]
fn mostly_futile_spinner_is_flagged_by_its_ratio_and_stays_flagged() {
    let rt = runtime(2);
    let handle = rt.spawn(MostlySpinning { polls: 0 });
    let id = handle.id().as_u64();
    let t = wait_for_task(&rt, id, "flagged and demoted", |t| {
        t.flagged && t.times_demoted >= 1
    });
    assert!(t.max_futile_streak < 64, "flagged by a streak: {t:?}");
    assert!(t.futile_ratio >= 0.9, "{t:?}");
    // Many progress polls later it is still flagged: one lucky poll in 50 is not recovery.
    let progress = t.progress_polls;
    let t = wait_for_task(&rt, id, "ten more progress polls", |t| {
        t.progress_polls >= progress + 10
    });
    assert!(
        t.flagged,
        "a lucky progress poll unflagged a 98% spinner: {t:?}"
    );
    assert_ne!(t.state, TaskState::Recovered, "{t:?}");
    handle.abort();
    assert!(rt.block_on(handle).unwrap_err().is_cancelled());
}

/// Spins, but keeps a clone of its waker where a "real" event source can reach it.
struct SpinWithRealSource {
    slot: Arc<Mutex<Option<Waker>>>,
    done: Arc<AtomicBool>,
    polls_after_done: Arc<AtomicU64>,
}

impl Future for SpinWithRealSource {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.done.load(SeqCst) {
            self.polls_after_done.fetch_add(1, SeqCst);
            return Poll::Ready(());
        }
        *self.slot.lock().unwrap() = Some(cx.waker().clone());
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Case 8: a demoted task woken by a real source is polled promptly. Deterministic: the
/// backoff is an hour, so only the real wake can be what polls it again.
#[test]
fn demoted_task_is_restored_by_a_real_wake() {
    let rt = wakeful::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .spin_backoff(Duration::from_secs(3600), Duration::from_secs(3600))
        .build()
        .unwrap();
    let slot = Arc::new(Mutex::new(None));
    let done = Arc::new(AtomicBool::new(false));
    let after = Arc::new(AtomicU64::new(0));
    let handle = rt.spawn(SpinWithRealSource {
        slot: slot.clone(),
        done: done.clone(),
        polls_after_done: after.clone(),
    });
    let id = handle.id().as_u64();
    let t = wait_for_task(&rt, id, "demoted", |t| t.state == TaskState::Demoted);
    // Demoted with an hour of backoff, it is parked: its poll count stops moving (at most
    // the one poll already under way when it was demoted).
    let _ = t;
    std::thread::sleep(Duration::from_millis(20));
    let p1 = rt.spin_report_all().task(id).unwrap().polls;
    std::thread::sleep(Duration::from_millis(20));
    let p2 = rt.spin_report_all().task(id).unwrap().polls;
    assert!(
        p2 <= p1 + 1,
        "a demoted task kept running: {p1} -> {p2} polls"
    );
    done.store(true, SeqCst);
    let waker = slot
        .lock()
        .unwrap()
        .take()
        .expect("the task registered its waker");
    std::thread::spawn(move || waker.wake()).join().unwrap();
    let rt = with_hang_guard(move || {
        rt.block_on(handle).unwrap();
        rt
    });
    assert_eq!(after.load(SeqCst), 1);
    let t = rt
        .spin_report()
        .tasks
        .into_iter()
        .find(|t| t.id == id)
        .unwrap();
    assert!(
        t.wakes.foreign >= 1,
        "the restoring wake is attributed to its source: {t:?}"
    );
}
