//! `wakeful proxy --inject-spinner`: the drill task is flagged, demoted and named in
//! `/debug/spin.json`, and traffic through the proxy still works beside it.
//!
//! No timing assertion: the waits poll and give up only after generous hang guards.
mod proxy_support;

use proxy_support::*;
use std::io::{Read, Write};

const NAME: &str = "injected spinner";

/// The drill task's entry in `/debug/spin.json`, once the runtime has flagged it.
fn flagged_spinner(proxy: &Proxy) -> Option<serde_json::Value> {
    let spin = proxy.spin_json();
    spin["tasks"]
        .as_array()?
        .iter()
        .find(|t| {
            t["name"] == NAME && (t["state"] == "demoted" || !t["first_flagged_ms"].is_null())
        })
        .cloned()
}

/// One echo exchange through the proxy, closed with close_notify.
fn echo_through(proxy: &Proxy, certs: &Certs, payload: &[u8]) {
    let mut tls = tls_connect(proxy.addr, certs);
    tls.write_all(payload).unwrap();
    tls.flush().unwrap();
    let mut got = vec![0u8; payload.len()];
    tls.read_exact(&mut got).unwrap();
    assert_eq!(got, payload, "the echo came back changed");
    tls.conn.send_close_notify();
    tls.flush().unwrap();
    let mut rest = Vec::new();
    tls.read_to_end(&mut rest).unwrap();
    assert!(
        rest.is_empty(),
        "{} unexpected bytes after the echo",
        rest.len()
    );
}

#[test]
fn the_injected_spinner_is_flagged_named_and_traffic_flows() {
    let _guard = watchdog("spinner drill", 120);
    let certs = Certs::new();
    let up = upstream::echo();
    let proxy = Proxy::start(ProxyOpts::new(up, &certs).arg("--inject-spinner"));
    proxy.wait_for_log("--inject-spinner", 30);

    let mut found = None;
    wait_until(
        "the injected spinner flagged in /debug/spin.json",
        60,
        || {
            found = flagged_spinner(&proxy);
            found.is_some()
        },
    );
    let task = found.unwrap();
    assert_eq!(task["flagged"], true, "{task:#}");
    assert_eq!(
        task["progress_polls"], 0,
        "it never does any work: {task:#}"
    );
    assert!(task["wakes"]["self"].as_u64().unwrap_or(0) > 0, "{task:#}");
    assert!(
        proxy.metric("wakeful_runtime_tasks_flagged_total") >= 1.0,
        "the flag shows in /metrics too"
    );

    // Connections beside it are served, and none of them is flagged.
    for i in 0..20u8 {
        echo_through(&proxy, &certs, &[i; 3000]);
    }
    let spin = proxy.spin_json();
    let others: Vec<_> = spin["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"] != NAME)
        .collect();
    assert!(
        others.is_empty(),
        "only the drill task is flagged: {others:#?}"
    );
}

#[test]
fn without_the_flag_nothing_spins() {
    let _guard = watchdog("no spinner", 60);
    let certs = Certs::new();
    let up = upstream::echo();
    let proxy = Proxy::start(ProxyOpts::new(up, &certs));
    echo_through(&proxy, &certs, b"hello");
    assert!(!proxy.log().contains("--inject-spinner"));
    let spin = proxy.spin_json();
    assert_eq!(spin["runtime"]["flagged_total"], 0, "{spin:#}");
}
