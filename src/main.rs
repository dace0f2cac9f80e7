//! The `wakeful` command: `wakeful demo` (and, as they land, `proxy` and `report`).
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
    /// Run real traffic beside one deliberately buggy self-waking task and watch wakeful
    /// catch it, name it and contain it.
    Demo(cli::demo::DemoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => cli::demo::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wakeful: {e}");
            ExitCode::FAILURE
        }
    }
}
