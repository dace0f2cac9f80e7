//! What a task records at spawn, as `spin_report_all` shows it: the `task::Builder` name, the
//! future's type name, and the `file:line:col` of the spawn call, through every spawn path.
mod support;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use support::*;
use wakeful::runtime::{Runtime, SpinReport};

/// Futures of distinct types, so each task is identifiable by its `type_name`.
macro_rules! pending_futures {
    ($($name:ident),*) => {$(
        struct $name;
        impl Future for $name {
            type Output = ();
            fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
                Poll::Pending
            }
        }
    )*};
}

pending_futures!(
    ViaRuntimeSpawn,
    ViaHandleSpawn,
    ViaWakefulSpawn,
    ViaTaskSpawn,
    ViaBuilderSpawn,
    ViaBuilderSpawnOn,
    ViaNestedSpawn
);

#[track_caller]
/// The `(name, spawned_at)` of the one listed task whose type name ends with `type_suffix`.
fn name_and_site(report: &SpinReport, type_suffix: &str) -> (Option<String>, String) {
    let found: Vec<_> = report
        .tasks
        .iter()
        .filter(|t| t.type_name.ends_with(type_suffix))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one task of type {type_suffix}, report:\n{report}"
    );
    (found[0].name.clone(), found[0].spawned_at.clone())
}

#[track_caller]
fn assert_spawned_at(spawned_at: &str, line: u32) {
    let site = format!("{}:{line}:", file!());
    assert!(
        spawned_at.starts_with(&site),
        "spawned_at {spawned_at:?} is not the spawn call at {site}"
    );
}

/// Waits until `spin_report_all` lists `n` tasks, each polled at least once.
fn wait_for_polled_tasks(rt: &Runtime, n: usize) -> SpinReport {
    let mut report = rt.spin_report_all();
    wait_until("every task listed and polled in spin_report_all", || {
        report = rt.spin_report_all();
        report.tasks.len() >= n && report.tasks.iter().all(|t| t.polls >= 1)
    });
    report
}

#[test]
fn name_type_name_and_spawn_site_are_recorded() {
    hang_guard(|| {
        let rt = runtime(2);
        let mut lines = Vec::new();
        let mut joins = Vec::new();

        lines.push(line!() + 1);
        joins.push(rt.spawn(ViaRuntimeSpawn));
        lines.push(line!() + 1);
        joins.push(rt.handle().spawn(ViaHandleSpawn));
        let builder = wakeful::task::Builder::new().name("conn 10.0.0.1:443");
        lines.push(line!() + 1);
        let named = builder.spawn_on(ViaBuilderSpawnOn, rt.handle());
        joins.push(named.expect("spawn_on"));
        let inner = rt.block_on(async {
            let mut lines = Vec::new();
            let mut joins = Vec::new();
            lines.push(line!() + 1);
            joins.push(wakeful::spawn(ViaWakefulSpawn));
            lines.push(line!() + 1);
            joins.push(wakeful::task::spawn(ViaTaskSpawn));
            let builder = wakeful::task::Builder::new().name("worker pool #2");
            lines.push(line!() + 1);
            let named = builder.spawn(ViaBuilderSpawn);
            joins.push(named.expect("spawn inside a runtime"));
            (lines, joins)
        });
        lines.extend(inner.0);
        joins.extend(inner.1);
        let (line_tx, line_rx) = std::sync::mpsc::channel();
        joins.push(rt.spawn(async move {
            line_tx.send(line!() + 1).unwrap();
            wakeful::spawn(ViaNestedSpawn).await.unwrap();
        }));
        lines.push(recv(&line_rx, "the nested spawn's line"));

        let report = wait_for_polled_tasks(&rt, 8);
        let expected = [
            ("ViaRuntimeSpawn", None),
            ("ViaHandleSpawn", None),
            ("ViaBuilderSpawnOn", Some("conn 10.0.0.1:443")),
            ("ViaWakefulSpawn", None),
            ("ViaTaskSpawn", None),
            ("ViaBuilderSpawn", Some("worker pool #2")),
            ("ViaNestedSpawn", None),
        ];
        for ((ty, name), line) in expected.into_iter().zip(lines) {
            let (got_name, spawned_at) = name_and_site(&report, &format!("executor_report::{ty}"));
            assert_eq!(got_name.as_deref(), name, "name of the {ty} task");
            assert_spawned_at(&spawned_at, line);
        }
        // An async block's type name names the function that holds it.
        let outer = report
            .tasks
            .iter()
            .find(|t| {
                t.type_name
                    .contains("name_type_name_and_spawn_site_are_recorded")
            })
            .expect("the nested spawner is listed");
        assert!(
            outer.type_name.contains("{{closure}}"),
            "{}",
            outer.type_name
        );

        for j in &joins {
            j.abort();
        }
        for j in joins {
            assert!(rt.block_on(j).unwrap_err().is_cancelled());
        }
        // Finished tasks leave the list; the detached nested one is still pending.
        wait_until("finished tasks to leave spin_report_all", || {
            let report = rt.spin_report_all();
            report.tasks.len() == 1 && report.tasks[0].type_name.ends_with("ViaNestedSpawn")
        });
    });
}
