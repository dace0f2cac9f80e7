//! The output: markdown tables of medians over rounds (stdout) and one raw line per round
//! (stderr).
//!
//! Every figure in a table is the median over rounds of a per-round figure, per side; the
//! ratio column divides the two medians. A `—` is a figure that does not exist (no
//! latency in bulk, a ratio to zero).
use crate::args::Options;
use crate::client::Workload;
use crate::spinner::{Drill, SETTLE};
use crate::stats::{median, ratio, Sample};
use std::fmt::Write;

/// What the main table summarises: per side (wakeful, tokio).
#[derive(Debug)]
pub struct Results {
    pub idle: Vec<Sample>,
    pub workloads: Vec<(Workload, [Vec<Sample>; 2])>,
}

/// One row: a per-round figure and how to print it.
struct Metric {
    label: &'static str,
    value: fn(&Sample) -> Option<f64>,
    decimals: usize,
}

const fn metric(label: &'static str, value: fn(&Sample) -> Option<f64>, decimals: usize) -> Metric {
    Metric {
        label,
        value,
        decimals,
    }
}

fn latency_rows(what: &'static [&'static str; 3]) -> [Metric; 3] {
    [
        metric(what[0], |s| s.latency_us(0.5), 0),
        metric(what[1], |s| s.latency_us(0.99), 0),
        metric(what[2], |s| s.latency_us(0.999), 0),
    ]
}

fn metrics(workload: Workload) -> Vec<Metric> {
    let mut rows = match workload {
        Workload::KeepAlive => vec![
            metric("proxy CPU µs / request", Sample::cpu_us_per_unit, 1),
            metric("requests / s", Sample::rate, 0),
        ],
        Workload::Handshakes => vec![
            metric("proxy CPU µs / connection", Sample::cpu_us_per_unit, 1),
            metric("connections / s", Sample::rate, 0),
        ],
        Workload::Bulk => vec![
            metric(
                "proxy CPU ms / MiB (client→upstream; echoed back too)",
                Sample::cpu_ms_per_mib,
                2,
            ),
            metric("MiB / s client→upstream", Sample::mib_per_sec, 1),
        ],
    };
    match workload {
        Workload::KeepAlive => rows.extend(latency_rows(&[
            "request p50 µs",
            "request p99 µs",
            "request p99.9 µs",
        ])),
        Workload::Handshakes => rows.extend(latency_rows(&[
            "connection p50 µs",
            "connection p99 µs",
            "connection p99.9 µs",
        ])),
        Workload::Bulk => {}
    }
    rows.push(metric(
        "proxy CPU ms / s (1000 = one core)",
        Sample::cpu_ms_per_sec,
        0,
    ));
    rows
}

fn case(workload: Workload, opts: &Options) -> String {
    let conns = opts.conns(workload);
    match workload {
        Workload::KeepAlive => format!("keep-alive: {conns} conns, 1 KiB echo"),
        Workload::Handshakes => format!("handshakes: {conns} loops, full handshake + 64 B"),
        Workload::Bulk => format!("bulk: {conns} conns, 64 KiB writes"),
    }
}

fn rounds(n: usize) -> String {
    match n {
        1 => "1 round".into(),
        n => format!("{n} rounds"),
    }
}

fn num(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(v) => format!("{v:.decimals$}"),
        None => "—".into(),
    }
}

fn med(samples: &[Sample], m: &Metric) -> Option<f64> {
    median(samples.iter().map(m.value))
}

/// One table row: `| first | label | a | b | ratio |`, the two values at `decimals`.
fn row(
    out: &mut String,
    first: &str,
    label: &str,
    (a, b): (Option<f64>, Option<f64>),
    ratio: Option<f64>,
    decimals: usize,
) {
    let _ = writeln!(
        out,
        "| {first} | {label} | {} | {} | {} |",
        num(a, decimals),
        num(b, decimals),
        num(ratio, 2)
    );
}

/// wakeful vs tokio, per workload.
pub fn main_table(opts: &Options, results: &Results) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n## wakeful proxy vs tokio + tokio-rustls\n\nMedians of {} of {:.1} s per side \
         (rounds alternate wakeful, tokio), --workers {} on both, loopback; tokio relays \
         with {}.\n",
        rounds(opts.rounds),
        opts.measure.as_secs_f64(),
        opts.workers,
        match opts.tokio_copy_buf {
            None => "copy_bidirectional (8 KiB per direction)".to_string(),
            Some(b) => format!("copy_bidirectional_with_sizes({b}, {b}) (--tokio-copy-buf)"),
        }
    );
    let _ = writeln!(out, "| case | metric | wakeful | tokio | wakeful/tokio |");
    let _ = writeln!(out, "|---|---|--:|--:|--:|");
    let idle = metric("proxy CPU ms / s", Sample::cpu_ms_per_sec, 1);
    let (w, t) = (
        results.idle.first().and_then(idle.value),
        results.idle.get(1).and_then(idle.value),
    );
    let first = format!("idle, {:.1} s, no traffic", opts.idle.as_secs_f64());
    row(&mut out, &first, idle.label, (w, t), ratio(w, t), 1);
    for (workload, [wakeful, tokio]) in &results.workloads {
        for (i, m) in metrics(*workload).iter().enumerate() {
            let (w, t) = (med(wakeful, m), med(tokio, m));
            let name = if i == 0 {
                case(*workload, opts)
            } else {
                String::new()
            };
            row(&mut out, &name, m.label, (w, t), ratio(w, t), m.decimals);
        }
    }
    out
}

/// Victims' figures with and without the spinner, per runtime.
pub fn spinner_table(opts: &Options, idle_plain: &[Sample], drill: &Drill) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n## spinner containment: one self-waking task beside keep-alive traffic\n\n\
         Medians of {}. Idle: {:.1} s without traffic, {} ms after the spinner proxy \
         started. Keep-alive: {} conns, 1 KiB echo, {:.1} s per round.\n",
        rounds(opts.rounds),
        opts.idle.as_secs_f64(),
        SETTLE.as_millis(),
        opts.keepalive_conns,
        opts.measure.as_secs_f64()
    );
    let _ = writeln!(
        out,
        "| runtime | metric | without spinner | with spinner | with/without |"
    );
    let _ = writeln!(out, "|---|---|--:|--:|--:|");
    let idle = metric("idle proxy CPU ms / s", Sample::cpu_ms_per_sec, 1);
    let mut rows = vec![
        metric("keep-alive requests / s", Sample::rate, 0),
        metric("proxy CPU µs / request", Sample::cpu_us_per_unit, 1),
    ];
    rows.extend(latency_rows(&[
        "request p50 µs",
        "request p99 µs",
        "request p99.9 µs",
    ]));
    for (i, name) in ["wakeful", "tokio"].into_iter().enumerate() {
        let without = idle_plain.get(i).and_then(idle.value);
        let with = med(&drill.idle_spin[i], &idle);
        let idle_ratio = ratio(with, without);
        row(&mut out, name, idle.label, (without, with), idle_ratio, 1);
        for m in &rows {
            let (without, with) = (med(&drill.plain[i], m), med(&drill.spin[i], m));
            let r = ratio(with, without);
            row(&mut out, "", m.label, (without, with), r, m.decimals);
        }
    }
    out
}

/// One round, for stderr.
pub fn raw(workload: Workload, proxy: &str, s: &Sample) -> String {
    let per_unit = match workload {
        Workload::Bulk => format!(
            "{:.1} MiB, {} ms/MiB, {} MiB/s",
            s.units as f64 / (1024.0 * 1024.0),
            num(s.cpu_ms_per_mib(), 2),
            num(s.mib_per_sec(), 1)
        ),
        _ => format!(
            "{} units, {} µs/unit, {}/s, p50 {} p99 {} p99.9 {} µs",
            s.units,
            num(s.cpu_us_per_unit(), 1),
            num(s.rate(), 0),
            num(s.latency_us(0.5), 0),
            num(s.latency_us(0.99), 0),
            num(s.latency_us(0.999), 0)
        ),
    };
    format!(
        "{proxy}: {:.2} s, proxy CPU {} ms: {per_unit}",
        s.wall.as_secs_f64(),
        s.cpu.as_millis()
    )
}
