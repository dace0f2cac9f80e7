//! The admin endpoint (`/metrics`, `/debug/spin`, `/debug/spin.json`, `/debug/tasks`,
//! `/debug/tasks.json`), `--spin-report-file`, and `wakeful report` on both.
mod proxy_support;

use proxy_support::*;
use std::process::Command;

fn traffic(proxy: &Proxy, certs: &Certs, n: usize) {
    let mut http = http::Client::new(tls_connect(proxy.addr, certs));
    for i in 0..n {
        assert_eq!(http.get(&format!("/{i}")).unwrap().0, 200);
    }
}

#[test]
fn metrics_are_prometheus_text_with_the_proxy_and_runtime_counters() {
    let _guard = watchdog("metrics", 60);
    let (certs, up) = (Certs::new(), upstream::http());
    let proxy = Proxy::start(ProxyOpts::new(up.addr, &certs));
    traffic(&proxy, &certs, 5);
    let m = proxy.metrics(); // parse_metrics: strict, every family typed and described
    for series in [
        "wakeful_proxy_connections_accepted_total",
        "wakeful_proxy_connections_active",
        "wakeful_proxy_connections_max",
        r#"wakeful_proxy_connections_closed_total{reason="completed"}"#,
        r#"wakeful_proxy_connections_closed_total{reason="handshake_failed"}"#,
        r#"wakeful_proxy_connections_closed_total{reason="upstream_connect_failed"}"#,
        r#"wakeful_proxy_connections_closed_total{reason="idle_timeout"}"#,
        r#"wakeful_proxy_connections_closed_total{reason="client_error"}"#,
        r#"wakeful_proxy_connections_closed_total{reason="upstream_error"}"#,
        r#"wakeful_proxy_handshake_failures_total{reason="timeout"}"#,
        r#"wakeful_proxy_handshake_failures_total{reason="eof"}"#,
        r#"wakeful_proxy_handshake_failures_total{reason="reset"}"#,
        r#"wakeful_proxy_handshake_failures_total{reason="bad_message"}"#,
        r#"wakeful_proxy_bytes_total{direction="client_to_upstream"}"#,
        r#"wakeful_proxy_bytes_total{direction="upstream_to_client"}"#,
        r#"wakeful_proxy_accept_errors_total{kind="emfile"}"#,
        "wakeful_proxy_max_conns_reached_total",
        "wakeful_proxy_client_truncations_total",
        "wakeful_runtime_workers",
        "wakeful_runtime_tasks_alive",
        "wakeful_runtime_tasks_demoted",
        "wakeful_runtime_polls_total",
        "wakeful_runtime_futile_polls_total",
        "wakeful_runtime_tasks_flagged_total",
        "wakeful_runtime_stalls_total",
        "wakeful_runtime_steals_total",
        "wakeful_runtime_parks_total",
        r#"wakeful_runtime_wakes_total{source="self"}"#,
        r#"wakeful_runtime_wakes_total{source="io"}"#,
        r#"wakeful_runtime_wakes_total{source="timer"}"#,
        r#"wakeful_runtime_wakes_total{source="task"}"#,
        r#"wakeful_runtime_wakes_total{source="foreign"}"#,
    ] {
        assert!(m.contains_key(series), "no {series} in {m:#?}");
    }
    assert_eq!(m["wakeful_proxy_connections_accepted_total"], 1.0);
    assert_eq!(m["wakeful_runtime_workers"], 2.0);
    assert!(m["wakeful_runtime_polls_total"] > 0.0);
    assert!(m[r#"wakeful_runtime_wakes_total{source="io"}"#] > 0.0);
    let request_bytes = m[r#"wakeful_proxy_bytes_total{direction="client_to_upstream"}"#];
    assert!(request_bytes >= 5.0 * 30.0, "{request_bytes}");

    // The parser does reject what is not the format.
    assert!(
        parse_metrics("x 1\n# EOF\n").is_err(),
        "an undeclared family"
    );
    assert!(parse_metrics("# HELP x h\n# TYPE x gauge\nx one\n# EOF\n").is_err());
    assert!(
        parse_metrics("# HELP x h\n# TYPE x gauge\nx 1\n").is_err(),
        "no # EOF"
    );
}

#[test]
fn spin_json_matches_the_schema_and_tasks_json_names_the_connections() {
    let _guard = watchdog("spin json", 60);
    let (certs, up) = (Certs::new(), upstream::http());
    let proxy = Proxy::start(ProxyOpts::new(up.addr, &certs));
    let mut held = http::Client::new(tls_connect(proxy.addr, &certs));
    assert_eq!(held.get("/").unwrap().0, 200);
    let local = held.get_mut().sock.local_addr().unwrap();

    let spin = proxy.spin_json();
    for key in ["taken_at_ms", "tasks", "stalls", "runtime"] {
        assert!(spin.get(key).is_some(), "no `{key}` in {spin:#}");
    }
    let rt = &spin["runtime"];
    for key in [
        "workers",
        "tasks_alive",
        "flagged_total",
        "demoted_now",
        "stalls_total",
        "polls",
        "futile_polls",
        "wakes",
        "steals",
        "parks",
        "poll_us",
    ] {
        assert!(rt.get(key).is_some(), "no runtime.{key} in {spin:#}");
    }
    for key in ["self", "io", "timer", "task", "foreign"] {
        assert!(rt["wakes"].get(key).is_some(), "no runtime.wakes.{key}");
    }
    let (_, body) = proxy.get("/debug/spin.json");
    let report = wakeful::runtime::SpinReport::from_json(&body).expect("a SpinReport");
    assert_eq!(report.runtime.flagged_total, 0);
    assert!(report.tasks.is_empty(), "nothing spins: {body}");

    let (status, body) = proxy.get("/debug/tasks.json");
    assert_eq!(status, 200);
    let tasks = wakeful::runtime::SpinReport::from_json(&body).expect("a SpinReport");
    let name = format!("conn {local}");
    let conn = tasks
        .tasks
        .iter()
        .find(|t| t.name.as_deref() == Some(name.as_str()))
        .unwrap_or_else(|| panic!("no task named `{name}` in {body}"));
    assert!(conn.polls > 0 && conn.progress_polls > 0, "{conn:?}");
    assert!(!conn.flagged);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let t = json["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name.as_str())
        .unwrap();
    for key in [
        "id",
        "name",
        "type_name",
        "spawned_at",
        "state",
        "polls",
        "futile_polls",
        "wakes",
        "flagged",
    ] {
        assert!(t.get(key).is_some(), "no tasks[].{key} in {t:#}");
    }

    let (status, text) = proxy.get("/debug/spin");
    assert_eq!(status, 200);
    assert!(text.starts_with("wakeful spin report:"), "{text}");
    let (status, text) = proxy.get("/debug/tasks");
    assert_eq!(status, 200);
    assert!(text.contains(&name), "{text}");
}

#[test]
fn unknown_paths_and_methods_are_refused() {
    let _guard = watchdog("admin refusals", 60);
    let (certs, up) = (Certs::new(), upstream::http());
    let proxy = Proxy::start(ProxyOpts::new(up.addr, &certs));
    assert_eq!(proxy.get("/nope").0, 404);
    assert_eq!(http::request(proxy.admin(), "POST", "/metrics").0, 405);
    let (status, index) = proxy.get("/");
    assert_eq!(status, 200);
    assert!(index.contains("/debug/spin.json"), "{index}");
}

fn wakeful(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wakeful"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn report_renders_a_live_endpoint_and_the_spin_report_file() {
    let _guard = watchdog("report", 90);
    let (certs, up) = (Certs::new(), upstream::http());
    let dir = TempDir::new("proxy-report");
    let file = dir.path("spin.json");
    std::fs::write(&file, "the previous run's evidence").unwrap();
    let proxy = Proxy::start(
        ProxyOpts::new(up.addr, &certs)
            .arg("--spin-report-file")
            .arg(file.to_str().unwrap()),
    );
    assert_eq!(
        read_file(&dir.path("spin.json.prev")),
        "the previous run's evidence",
        "kept, not overwritten"
    );
    let mut held = http::Client::new(tls_connect(proxy.addr, &certs));
    assert_eq!(held.get("/").unwrap().0, 200);
    let local = held.get_mut().sock.local_addr().unwrap();

    let admin = proxy.admin();
    let (ok, out, err) = wakeful(&["report", &format!("http://{admin}")]);
    assert!(ok, "{err}");
    assert!(out.starts_with("wakeful spin report: 2 workers"), "{out}");
    let (ok, out, err) = wakeful(&["report", &format!("http://{admin}/debug/tasks.json")]);
    assert!(ok, "{err}");
    assert!(out.contains(&format!("conn {local}")), "{out}");
    let (ok, _, err) = wakeful(&["report", &format!("http://{admin}/nope")]);
    assert!(!ok && err.contains("HTTP 404"), "{err}");

    // The file is rewritten every few seconds.
    wait_until("the spin report file", 30, || file.exists());
    let (ok, out, err) = wakeful(&["report", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.starts_with("wakeful spin report:"), "{out}");
    let (ok, out, err) = wakeful(&["report", "--json", file.to_str().unwrap()]);
    assert!(ok, "{err}");
    wakeful::runtime::SpinReport::from_json(&out).expect("--json prints the report again");

    let (ok, _, err) = wakeful(&["report", dir.path("spin.json.prev").to_str().unwrap()]);
    assert!(!ok && err.contains("not a spin report"), "{err}");
    let (ok, _, err) = wakeful(&["report", "/nonexistent/spin.json"]);
    assert!(!ok && err.contains("cannot read"), "{err}");
}
