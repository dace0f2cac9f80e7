//! `wakeful proxy` against an equivalent proxy on tokio + tokio-rustls, end to end on
//! loopback (issue #8): proxy CPU per request, per handshake and per MiB, throughput,
//! latency percentiles, and spinner containment.
//!
//! ```sh
//! cargo bench --bench proxy                               # 5 rounds × 3 s per side and case
//! cargo bench --bench proxy -- --rounds 9 --secs 5        # steadier medians
//! cargo bench --bench proxy -- --only keep-alive,spinner  # a subset
//! cargo bench --bench proxy -- --test                     # smoke (CI): every case, ~0.3 s
//! ```
//!
//! # What runs where
//! - **The proxies** are child processes, so their CPU can be read alone from
//!   `/proc/<pid>/stat`: `wakeful proxy` (the real binary) and `serve-tokio`, this binary
//!   re-executed as the same proxy on tokio + tokio-rustls (`tokio_proxy/`: same rustls,
//!   provider, server config, timeouts, half-close relay and buffer sizes). Both get the
//!   same `--workers` (2), and stay up for the whole run.
//! - **This process** runs the clients and one echo upstream per proxy on a tokio runtime:
//!   the same code against both proxies. Clients never resume a session, so each
//!   connection is a full handshake.
//!
//! # Cases
//! - **keep-alive**: 32 connections, each a closed loop of a 1 KiB request echoed back.
//! - **handshakes**: 8 loops of connect, full handshake, 64-byte echo, close.
//! - **bulk**: 4 connections streaming 64 KiB writes while reading the echo; a MiB is one
//!   MiB from client to upstream (it also comes back, so the proxy relays it twice).
//! - **spinner**: keep-alive against a proxy started with `--inject-spinner` vs without,
//!   per runtime, and the CPU an idle proxy burns with the spinner (`spinner.rs`).
//!
//! # Measuring on a noisy machine
//! Each round measures one proxy over a fixed window after a warm-up (`client/mod.rs`);
//! rounds alternate wakeful, tokio, wakeful, ... and the tables report medians over rounds
//! and the wakeful/tokio ratio of the medians. CPU comes in 10 ms ticks: a window must burn
//! well over 100 ms for a figure to mean something (smoke runs' figures do not).
//!
//! # Errors
//! Nothing here panics on a failed run: a failed round (a mismatched echo, a truncation, an
//! I/O error, a proxy that died, a round with nothing completed) ends the run with a message
//! and exit status 1. The proxies are killed and reaped on every path (`child.rs`).
mod args;
mod certs;
mod child;
mod client;
mod cpu;
mod driver;
mod report;
mod spinner;
mod stats;
mod tokio_proxy;
mod upstream;

use std::process::ExitCode;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let result = match argv.first().map(String::as_str) {
        Some(tokio_proxy::SUBCOMMAND) => tokio_proxy::main(&argv[1..]),
        _ => match args::parse(&argv) {
            Ok(args::Parsed::Help) => {
                print!("{}", args::USAGE);
                Ok(())
            }
            Ok(args::Parsed::Run(opts)) => driver::run(&opts),
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("proxy bench: {e}");
            ExitCode::FAILURE
        }
    }
}
