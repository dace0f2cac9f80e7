//! Case 5: a task that spin-waits with `yield_now()` on a flag another OS thread sets is
//! flagged while it waits, and finishes once the flag is set.
mod spin_support;

use spin_support::*;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use wakeful::runtime::TaskState;

#[test]
fn yield_spin_wait_is_flagged_then_finishes() {
    let rt = runtime(2);
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    let handle = rt.spawn(async move {
        let mut spins = 0u64;
        while !f.load(SeqCst) {
            spins += 1;
            wakeful::task::yield_now().await;
        }
        spins
    });
    let id = handle.id().as_u64();
    let t = wait_for_task(&rt, id, "demoted", |t| t.state == TaskState::Demoted);
    assert!(t.futile_polls >= 64 && t.wakes.self_ >= 64, "{t:?}");
    // The flag is set by a thread outside the runtime.
    std::thread::spawn(move || flag.store(true, SeqCst))
        .join()
        .unwrap();
    let (spins, rt) = with_hang_guard(move || (rt.block_on(handle).unwrap(), rt));
    assert!(spins >= 64);
    let t = rt
        .spin_report()
        .tasks
        .into_iter()
        .find(|t| t.id == id)
        .unwrap();
    assert!(t.first_flagged_ms.is_some());
    assert_eq!(t.state, TaskState::Recovered);
}
