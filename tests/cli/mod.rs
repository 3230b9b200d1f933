//! The command line: the `hotspot` binary and its benchmark programs.

mod bench;
mod commands;
