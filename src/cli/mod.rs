//! Subcommands of the `wakeful` binary, and what they share.
pub(crate) mod admin;
pub(crate) mod demo;
pub(crate) mod duration;
pub(crate) mod proc_stat;
pub(crate) mod proxy;
pub(crate) mod race;
pub(crate) mod report;

/// Logs to stderr through `tracing`, at the level `RUST_LOG` asks for (`default` if unset
/// or invalid: e.g. `info`, `wakeful=debug`), in colour only on a terminal.
pub(crate) fn init_logging(default: &str) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}
