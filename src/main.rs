use std::process::ExitCode;

use clap::Parser;

use hotspot::cli::{self, Cli, Command};
use hotspot::config::Settings;
use hotspot::telemetry;

/// mimalloc instead of the system allocator: a sync cycle allocates and frees millions of small
/// strings and maps (router replies, rows, bind buffers); with glibc malloc that was a third of
/// the cycle's CPU time and its freed memory stayed in per-thread arenas (`hotspot bench sync`
/// measures both).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    hotspot::ensure_crypto_provider();
    let cli = Cli::parse();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // A benchmark prints figures; a log line per request would bury them and slow the load it
    // measures, so it logs warnings only unless HOTSPOT_LOG says otherwise.
    let quiet = matches!(cli.command, Command::Bench(_)) && std::env::var_os("HOTSPOT_LOG").is_none();
    telemetry::init(if quiet { "warn" } else { &settings.log_filter }, settings.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
