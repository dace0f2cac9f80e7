//! Subcommands of the `wakeful` binary.
pub(crate) mod demo;
pub(crate) mod proc_stat;
