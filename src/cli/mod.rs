//! Command line: `hotspot serve | worker | migrate | demo | user | healthcheck | sync | sim | bench`.

mod admin;
mod ops;
mod sims;
mod users;

use clap::{Args, Parser, Subcommand};

use crate::config::Settings;
use crate::services::Services;

#[derive(Debug, Parser)]
#[command(name = "hotspot", version, about = "WiFi hotspot backend for MikroTik routers", propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API server.
    Serve,
    /// Run the worker: scheduled quota syncs and maintenance, manual syncs and router retries
    /// from the Redis queues. Several may run; each tick is processed once.
    Worker {
        /// Print when each scheduled job fires next, then exit.
        #[arg(long)]
        print_schedule: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Run the whole system on embedded defaults: creates and seeds the database, then serves.
    Demo,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Exit 0 when this host's `/api/health` answers 200 (the container health check).
    Healthcheck {
        /// Defaults to http://<HOTSPOT_LISTEN>/api/health.
        #[arg(long)]
        url: Option<String>,
        /// Check instead that a worker of this host ($HOSTNAME) sent its queue heartbeat lately
        /// (the worker container's health check).
        #[arg(long, conflicts_with = "url")]
        worker: bool,
    },
    /// Run a quota sync cycle now and print its summary.
    Sync {
        /// Required: run at once (rather than waiting for the schedule).
        #[arg(long)]
        now: bool,
    },
    /// Run a simulator of an external peer.
    #[command(subcommand)]
    Sim(SimCommand),
    /// Run a benchmark and print its figures.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// A RouterOS 7 API simulator (hotspot menus, faults, a control port).
    Router(SimRouterArgs),
    /// A WhatsApp gateway simulator serving the seed gateway API and Fonnte's.
    Whatsapp {
        #[arg(long, default_value = "127.0.0.1:3001")]
        listen: std::net::SocketAddr,
    },
}

#[derive(Debug, Args)]
pub struct SimRouterArgs {
    #[arg(long, default_value = "127.0.0.1:8728")]
    pub listen: std::net::SocketAddr,
    /// Line-based control port (`advance 60`, `reboot`, `fault latency 200`, `show stats`…).
    #[arg(long)]
    pub control: Option<std::net::SocketAddr>,
    #[arg(long, default_value_t = 0)]
    pub seed_hosts: usize,
    #[arg(long, default_value = "admin")]
    pub username: String,
    /// API password (or HOTSPOT_SIM_ROUTER_PASSWORD).
    #[arg(long, env = "HOTSPOT_SIM_ROUTER_PASSWORD", default_value = "sim-password")]
    pub password: String,
    /// Advance simulated time by this many seconds every wall-clock second (0: only on demand).
    #[arg(long, default_value_t = 1)]
    pub speed: u64,
}

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
        #[arg(long, default_value_t = 20_000)]
        users: usize,
        #[arg(long, default_value_t = 50_000)]
        devices: usize,
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

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an approved, active user.
    Add(UserAdd),
    /// List users, newest first.
    List {
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..=10_000))]
        limit: i64,
    },
    #[command(flatten)]
    Admin(admin::Lifecycle),
}

#[derive(Debug, Args)]
pub struct UserAdd {
    /// Phone number in any usual form (08…, +62…, 62…, 0062…).
    #[arg(long)]
    pub phone: String,
    #[arg(long)]
    pub name: String,
    /// user, komandan, admin or super_admin.
    #[arg(long, default_value = "user")]
    pub role: String,
    /// Read the password (admin roles) from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
    /// Quota granted, in GiB.
    #[arg(long, default_value_t = 0)]
    pub quota_gib: u32,
    /// Last day the quota may be used (YYYY-MM-DD, operator's timezone).
    #[arg(long)]
    pub expires: Option<String>,
    /// No quota limit.
    #[arg(long)]
    pub unlimited: bool,
}

pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve => crate::modes::serve(Services::connect(settings)?).await,
        Command::Migrate => {
            let services = Services::connect(settings)?;
            let n = crate::services::migrate(&services.db).await?;
            println!("applied {n} migration(s)");
            Ok(())
        }
        Command::Worker { print_schedule: true } => {
            let services = Services::connect(settings)?;
            for (job, times) in crate::worker::worker_config(&services).cron.preview(3) {
                println!("{job:<24} {}", times.join("  "));
            }
            Ok(())
        }
        Command::Worker { print_schedule: false } => crate::modes::worker(Services::connect(settings)?).await,
        Command::Demo => crate::demo::demo(settings).await,
        Command::User(UserCommand::Add(args)) => users::user_add(args, settings).await,
        Command::User(UserCommand::List { limit }) => users::user_list(limit, settings).await,
        Command::User(UserCommand::Admin(cmd)) => admin::run(cmd, settings).await,
        Command::Healthcheck { worker: true, .. } => ops::worker_healthcheck(settings).await,
        Command::Healthcheck { url, worker: false } => ops::healthcheck(url, &settings).await,
        Command::Sync { now } => ops::sync_now(now, settings).await,
        Command::Sim(SimCommand::Router(args)) => sims::sim_router(args).await,
        Command::Sim(SimCommand::Whatsapp { listen }) => sims::sim_whatsapp(listen).await,
        Command::Bench(BenchCommand::Admin { users, requests, concurrency }) => {
            let opts = crate::bench::admin::Options {
                users: users.max(1),
                requests: requests.max(1),
                concurrency: concurrency.max(1),
                database_url: settings.database_url.clone(),
                redis_url: settings.redis_url.clone(),
            };
            crate::bench::admin::run(opts).await
        }
        Command::Bench(BenchCommand::Auth {
            users,
            concurrency,
            me_requests,
            http_workers,
            db_pool,
            serve,
            control_listen,
            external,
            control,
        }) => {
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
        Command::Bench(BenchCommand::Sync { users, devices, change_pct, ladder, figures_out }) => {
            let opts = crate::bench::sync::Options {
                users,
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
        Command::Bench(BenchCommand::Router { hosts, upserts, rounds, latency_ms }) => {
            let opts = crate::bench::router::Options { host_counts: hosts, upserts, rounds: rounds.max(1), latency_ms };
            crate::bench::router::run(opts).await
        }
    }
}
