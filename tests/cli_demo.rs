//! `wakeful demo` runs (proxy, admin, TLS traffic, the incident pattern, the injected bug),
//! exits 0, and its JSON report shows the injected spinner caught and nothing else.
use std::process::Command;

#[test]
fn demo_json_shows_the_injected_spinner_flagged_and_demoted() {
    let out = Command::new(env!("CARGO_BIN_EXE_wakeful"))
        .args(["demo", "--secs", "3", "--json", "--workers", "2"])
        .output()
        .expect("run wakeful demo");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "demo failed: {stderr}");
    assert!(stderr.contains("caught:"), "narration: {stderr}");
    // The incident pattern went through the proxy: every FIN client was answered.
    assert!(
        stderr.contains("5/5 FIN clients got their answer"),
        "narration: {stderr}"
    );
    assert!(
        stderr.contains("well-behaved traffic:") && !stderr.contains(" 0 requests"),
        "narration: {stderr}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is exactly the JSON report");
    let tasks = report["tasks"].as_array().expect("tasks array");
    let spinner = tasks
        .iter()
        .find(|t| {
            t["type_name"]
                .as_str()
                .is_some_and(|n| n.ends_with("InjectedBugSelfWakingHandler"))
        })
        .expect("the injected spinner is listed");
    assert_eq!(spinner["name"], "INJECTED BUG: self-waking handler");
    assert_eq!(spinner["state"], "demoted");
    assert_eq!(spinner["flagged"], true);
    assert!(spinner["spawned_at"]
        .as_str()
        .unwrap()
        .starts_with("src/cli/demo.rs:"));
    assert!(spinner["self_wake_site"].as_str().is_some());
    // Only the injected bug is flagged: the TLS traffic and the incident connections are
    // not.
    assert_eq!(report["runtime"]["flagged_total"], 1, "{report:#}");
}
