//! Command line: `hotspot serve | worker | migrate | demo | user | router | healthcheck | sync | sim | bench`.

mod admin;
mod benches;
pub mod demo;
mod demo_site;
mod ops;
mod sims;
mod sites;
mod users;

use clap::{Args, Parser, Subcommand};

use crate::app::App;
use crate::config::Settings;

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
    /// Manage the sites: the routers this backend drives.
    #[command(subcommand)]
    Router(sites::RouterCommand),
    /// Run a simulator of an external peer.
    #[command(subcommand)]
    Sim(SimCommand),
    /// Run a benchmark and print its figures.
    #[command(subcommand)]
    Bench(benches::BenchCommand),
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
    /// The first seeded host's number (several simulators seeded apart have distinct MACs).
    #[arg(long, default_value_t = 0)]
    pub seed_from: usize,
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
        Command::Serve => crate::app::serve(App::connect(settings)?).await,
        Command::Migrate => {
            let app = App::connect(settings)?;
            let n = crate::app::migrate(&app.db).await?;
            println!("applied {n} migration(s)");
            Ok(())
        }
        Command::Worker { print_schedule: true } => {
            for (job, times) in App::connect(settings)?.schedule_preview(3)? {
                println!("{job:<24} {}", times.join("  "));
            }
            Ok(())
        }
        Command::Worker { print_schedule: false } => crate::app::work(App::connect(settings)?).await,
        Command::Demo => demo::demo(settings).await,
        Command::User(UserCommand::Add(args)) => users::user_add(args, settings).await,
        Command::User(UserCommand::List { limit }) => users::user_list(limit, settings).await,
        Command::User(UserCommand::Admin(cmd)) => admin::run(cmd, settings).await,
        Command::Healthcheck { worker: true, .. } => ops::worker_healthcheck(settings).await,
        Command::Healthcheck { url, worker: false } => ops::healthcheck(url, &settings).await,
        Command::Sync { now } => ops::sync_now(now, settings).await,
        Command::Sim(SimCommand::Router(args)) => sims::sim_router(args).await,
        Command::Sim(SimCommand::Whatsapp { listen }) => sims::sim_whatsapp(listen).await,
        Command::Bench(cmd) => benches::run(cmd, settings).await,
        Command::Router(cmd) => sites::run(cmd, settings).await,
    }
}
