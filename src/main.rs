//! The `wakeful` command: `proxy` (a TLS-terminating proxy with an admin endpoint), `demo`
//! (watch wakeful catch a spinning task among real traffic) and `report` (render a spin
//! report). Operator guide: `docs/proxy.md`.
#![deny(unsafe_code)]

mod cli;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// An async runtime that knows which of its tasks are burning CPU for nothing.
#[derive(Parser, Debug)]
#[command(name = "wakeful", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Terminate TLS and relay each connection to a plain-TCP upstream, with limits, metrics
    /// and live spin reports.
    Proxy(cli::proxy::ProxyArgs),
    /// Run the proxy in-process with real TLS traffic, the 2025 incident pattern and one
    /// deliberately buggy self-waking task, and watch wakeful catch, name and contain it.
    Demo(cli::demo::DemoArgs),
    /// Render a spin report (a saved spin.json, or http://ADDR/debug/spin.json) as a table.
    Report(cli::report::ReportArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Proxy(args) => {
            cli::init_logging("info");
            cli::proxy::run(args)
        }
        Command::Demo(args) => {
            // The demo narrates what matters; RUST_LOG=warn shows the runtime's own lines.
            cli::init_logging("error");
            cli::demo::run(args)
        }
        Command::Report(args) => {
            cli::init_logging("warn");
            cli::report::run(args)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wakeful: {e}");
            ExitCode::FAILURE
        }
    }
}
