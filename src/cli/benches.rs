//! `hotspot bench …`: the benchmark programs' options, and running one.

use clap::Subcommand;

use crate::config::Settings;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// verify-otp and /me throughput and latency, SQL statements per verify-otp.
    Auth {
        #[arg(long, default_value_t = 5000)]
        users: usize,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        #[arg(long, default_value_t = 50000)]
        me_requests: usize,
        /// HTTP workers of the server under test (default: as the server would choose here).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
        http_workers: Option<u16>,
        /// Database pool size of the server under test (default: as the server would choose here).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=512))]
        db_pool: Option<u32>,
        /// Run only the server side (scratch database, simulators, server) on this address until
        /// Ctrl-C, for `--external` to drive from another process.
        #[arg(long, conflicts_with = "external")]
        serve: Option<std::net::SocketAddr>,
        /// With --serve: the bench's control listener (users and counters for the load process).
        #[arg(long, default_value = "127.0.0.1:0", requires = "serve")]
        control_listen: std::net::SocketAddr,
        /// Drive a server started with --serve (its API address) from this process.
        #[arg(long, requires = "control")]
        external: Option<String>,
        /// With --external: the control address the --serve process printed.
        #[arg(long, requires = "external")]
        control: Option<String>,
    },
    /// Quota sync cycles against the simulator: wall time, router commands, SQL statements,
    /// peak RSS; a steady cycle, then one where some users change state.
    Sync {
        /// Accounts (default 20,000; with --sites, 200,000).
        #[arg(long)]
        users: Option<usize>,
        /// Devices (with --sites: at each site).
        #[arg(long, default_value_t = 50_000)]
        devices: usize,
        /// N sites, each its own simulator process: one site's steady cycle alone, then every
        /// site by one worker process and by two at once, with the ratios to the one site.
        #[arg(long, value_parser = clap::value_parser!(u16).range(2..=64), conflicts_with = "ladder")]
        sites: Option<u16>,
        /// With --sites: measured rounds (each: one site, all by one worker, all by two).
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=20))]
        rounds: u16,
        /// Percentage of users whose state changes before the last cycle.
        #[arg(long, default_value_t = 1.0)]
        change_pct: f64,
        /// The scale ladder instead of one size: 2k/5k, 20k/50k, 100k/250k users/devices, with
        /// time and memory per device at each step.
        #[arg(long)]
        ladder: bool,
        /// Where to write this size's figures as JSON (the ladder runs each step as its own
        /// process and reads them back).
        #[arg(long, hide = true)]
        figures_out: Option<std::path::PathBuf>,
    },
    /// A worker process of `bench sync --sites` (started by it; orders on standard input).
    #[command(hide = true)]
    SitesWorker,
    /// The admin pages' reads at scale: user search (names, local numbers, digits, status)
    /// and the dashboard's stats; p50/p99 per kind.
    Admin {
        #[arg(long, default_value_t = 100_000)]
        users: usize,
        /// Measured requests per kind.
        #[arg(long, default_value_t = 1000)]
        requests: usize,
        /// Requests in flight at once (a few admins' pages).
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
    },
    /// Writing PDFs: an invoice (the baseline) beside a many-page sales report.
    Documents {
        #[arg(long, default_value_t = 2000)]
        rows: usize,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
    },
    /// Host snapshots and ip-binding upserts against the simulator.
    Router {
        /// Host populations to snapshot.
        #[arg(long, value_delimiter = ',', default_value = "10000,50000")]
        hosts: Vec<usize>,
        #[arg(long, default_value_t = 1000)]
        upserts: usize,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Simulated router latencies (ms per command) for the upsert comparison.
        #[arg(long, value_delimiter = ',', default_value = "0,2")]
        latency_ms: Vec<u64>,
    },
}

pub async fn run(cmd: BenchCommand, settings: Settings) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Admin { users, requests, concurrency } => {
            let opts = crate::bench::admin::Options {
                users: users.max(1),
                requests: requests.max(1),
                concurrency: concurrency.max(1),
                database_url: settings.database_url.clone(),
                redis_url: settings.redis_url.clone(),
            };
            crate::bench::admin::run(opts).await
        }
        auth @ BenchCommand::Auth { .. } => run_auth(auth, &settings).await,
        BenchCommand::SitesWorker => crate::bench::sites::worker().await,
        BenchCommand::Sync { users, devices, sites: Some(sites), rounds, .. } => {
            crate::bench::sites::run(crate::bench::sites::Options {
                sites: usize::from(sites),
                devices,
                users: users.unwrap_or(200_000),
                rounds: usize::from(rounds),
                database_url: settings.database_url.clone(),
                redis_url: settings.redis_url.clone(),
            })
            .await
        }
        BenchCommand::Sync { users, devices, change_pct, ladder, figures_out, .. } => {
            let opts = crate::bench::sync::Options {
                users: users.unwrap_or(20_000),
                devices,
                change_pct,
                database_url: settings.database_url.clone(),
                redis_url: settings.redis_url.clone(),
            };
            if ladder {
                crate::bench::ladder::ladder(opts).await
            } else {
                let figures = crate::bench::sync::run(opts).await?;
                match figures_out {
                    Some(path) => crate::bench::ladder::write_figures(&path, &figures),
                    None => Ok(()),
                }
            }
        }
        BenchCommand::Documents { rows, rounds } => {
            let opts = crate::bench::documents::Options {
                rows,
                rounds: rounds.max(1),
                fonts: settings.payments.pdf_fonts.clone(),
            };
            crate::bench::documents::run(opts)
        }
        BenchCommand::Router { hosts, upserts, rounds, latency_ms } => {
            let opts = crate::bench::router::Options { host_counts: hosts, upserts, rounds: rounds.max(1), latency_ms };
            crate::bench::router::run(opts).await
        }
    }
}

/// `bench auth`: in one process, or its server and load sides apart.
async fn run_auth(cmd: BenchCommand, settings: &Settings) -> anyhow::Result<()> {
    let BenchCommand::Auth {
        users,
        concurrency,
        me_requests,
        http_workers,
        db_pool,
        serve,
        control_listen,
        external,
        control,
    } = cmd
    else {
        anyhow::bail!("not the auth bench");
    };
    let opts = crate::bench::auth::Options {
        users,
        concurrency: concurrency.max(1),
        me_requests,
        http_workers: http_workers.map(usize::from),
        db_pool,
        database_url: settings.database_url.clone(),
        redis_url: settings.redis_url.clone(),
    };
    match (serve, external.zip(control)) {
        (Some(listen), _) => {
            let api = std::net::TcpListener::bind(listen)?;
            let control = std::net::TcpListener::bind(control_listen)?;
            let stop = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            println!("Ctrl-C stops it and drops its scratch database.");
            crate::bench::auth::serve(opts, api, control, stop).await
        }
        (None, Some((url, control))) => crate::bench::auth::external(opts, &url, &control).await,
        (None, None) => crate::bench::auth::run(opts).await,
    }
}
