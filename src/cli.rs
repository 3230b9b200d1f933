//! Command line: `hotspot serve | worker | migrate | demo | user | healthcheck | sync | sim | bench`.

use std::io::BufRead;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

use crate::app::{self, Services};
use crate::config::Settings;
use crate::domain::{ApprovalStatus, GIB, Msisdn, Role};
use crate::users::{self, CreateUser};

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
        Command::Serve => app::serve(Services::connect(settings)?).await,
        Command::Migrate => {
            let services = Services::connect(settings)?;
            let n = app::migrate(&services.db).await?;
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
        Command::Worker { print_schedule: false } => app::worker(Services::connect(settings)?).await,
        Command::Demo => app::demo(settings).await,
        Command::User(UserCommand::Add(args)) => user_add(args, settings).await,
        Command::User(UserCommand::List { limit }) => user_list(limit, settings).await,
        Command::Healthcheck { worker: true, .. } => worker_healthcheck(settings).await,
        Command::Healthcheck { url, worker: false } => healthcheck(url, &settings).await,
        Command::Sync { now } => sync_now(now, settings).await,
        Command::Sim(SimCommand::Router(args)) => sim_router(args).await,
        Command::Sim(SimCommand::Whatsapp { listen }) => sim_whatsapp(listen).await,
        Command::Bench(BenchCommand::Auth { users, concurrency, me_requests, http_workers, db_pool }) => {
            let opts = crate::bench::auth::Options {
                users,
                concurrency: concurrency.max(1),
                me_requests,
                http_workers: http_workers.map(usize::from),
                db_pool,
                database_url: settings.database_url.clone(),
                redis_url: settings.redis_url.clone(),
            };
            crate::bench::auth::run(opts).await
        }
        Command::Bench(BenchCommand::Sync { users, devices, change_pct }) => {
            let opts = crate::bench::sync::Options {
                users,
                devices,
                change_pct,
                database_url: settings.database_url.clone(),
                redis_url: settings.redis_url.clone(),
            };
            crate::bench::sync::run(opts).await
        }
        Command::Bench(BenchCommand::Router { hosts, upserts, rounds, latency_ms }) => {
            let opts = crate::bench::router::Options { host_counts: hosts, upserts, rounds: rounds.max(1), latency_ms };
            crate::bench::router::run(opts).await
        }
    }
}

async fn user_add(args: UserAdd, settings: Settings) -> anyhow::Result<()> {
    let phone = Msisdn::parse(&args.phone).map_err(|e| anyhow::anyhow!("--phone: {e}"))?;
    let role: Role =
        args.role.parse().map_err(|_| anyhow::anyhow!("--role must be one of user, komandan, admin, super_admin"))?;
    let expires_at = match &args.expires {
        None => None,
        Some(s) => {
            let date = NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| anyhow::anyhow!("--expires must be YYYY-MM-DD"))?;
            Some(users::expiry_from_date(date, settings.timezone).context("--expires is not a valid local date")?)
        }
    };
    let password = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("cannot read the password from standard input")?;
        let p = line.trim_end_matches(['\r', '\n']).to_owned();
        if p.is_empty() {
            bail!("--password-stdin: standard input held no password");
        }
        Some(p)
    } else {
        None
    };
    if role.is_admin() && password.is_none() {
        bail!("--role {role} needs --password-stdin");
    }
    let services = Services::connect(settings)?;
    let input = CreateUser {
        phone,
        full_name: args.name,
        role,
        approval: ApprovalStatus::Approved,
        password,
        quota_bytes: i64::from(args.quota_gib) * GIB,
        expires_at,
        unlimited: args.unlimited,
        created_by: None,
        origin: "cli",
    };
    // Argon2 hashing and the insert both block: run them on the blocking pool.
    let user = services
        .db
        .run(move |conn| Ok(users::create_user(conn, input)))
        .await
        .context("database unavailable")?
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("created user {} ({}, {})", user.id, user.phone_number, user.role);
    Ok(())
}

async fn user_list(limit: i64, settings: Settings) -> anyhow::Result<()> {
    let services = Services::connect(settings)?;
    let rows = services.db.run(move |conn| users::list_users(conn, limit)).await.context("cannot list users")?;
    println!(
        "{:<36}  {:<16}  {:<24}  {:<11}  {:<8}  {:>10}  {:>10}",
        "id", "phone", "name", "role", "approval", "quota_gib", "used_gib"
    );
    for u in rows {
        println!(
            "{:<36}  {:<16}  {:<24}  {:<11}  {:<8}  {:>10.2}  {:>10.2}",
            u.id,
            u.phone_number,
            truncate(&u.full_name, 24),
            u.role,
            u.approval_status,
            u.quota_purchased_bytes as f64 / GIB as f64,
            u.quota_used_bytes as f64 / GIB as f64
        );
    }
    Ok(())
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_owned() } else { s.chars().take(n - 1).chain(std::iter::once('…')).collect() }
}

async fn sim_router(args: SimRouterArgs) -> anyhow::Result<()> {
    use crate::sim::router::{SimConfig, SimRouter, control};
    let config = SimConfig { username: args.username, password: args.password, ..SimConfig::default() };
    let sim = std::sync::Arc::new(
        SimRouter::start(args.listen, config)
            .await
            .with_context(|| format!("cannot listen on {} (--listen)", args.listen))?,
    );
    sim.seed_hosts(args.seed_hosts);
    let _control = match args.control {
        Some(addr) => Some(
            control::serve(addr, sim.clone()).await.with_context(|| format!("cannot listen on {addr} (--control)"))?,
        ),
        None => None,
    };
    eprintln!(
        "RouterOS simulator on {} ({} hosts){}",
        sim.addr(),
        args.seed_hosts,
        args.control.map(|c| format!(", control on {c}")).unwrap_or_default()
    );
    let (trigger, shutdown) = crate::shutdown::Shutdown::new();
    crate::shutdown::on_signals(trigger);
    let ticker = {
        let sim = sim.clone();
        tokio::spawn(async move {
            if args.speed == 0 {
                return;
            }
            let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                every.tick().await;
                sim.advance(args.speed);
            }
        })
    };
    shutdown.wait().await;
    ticker.abort();
    sim.shutdown();
    Ok(())
}

async fn sim_whatsapp(listen: std::net::SocketAddr) -> anyhow::Result<()> {
    let sim = crate::sim::whatsapp::WhatsAppSim::start(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (--listen)"))?;
    eprintln!(
        "WhatsApp gateway simulator on {base}\n  seed API:   POST {base}/api/whatsapp/send-message, GET {base}/api/whatsapp/qr-code\n  Fonnte API: POST {base}/send, POST {base}/device (token {token})\n  outbox:     GET {base}/_sim/outbox?to=628…, GET {base}/_sim/last-code?to=0812…\n  faults:     POST {base}/_sim/mode {{\"mode\":\"ok|down|slow|refusing\",\"delay_ms\":2000}}",
        base = sim.base_url(),
        token = crate::sim::whatsapp::SIM_FONNTE_TOKEN
    );
    let (trigger, shutdown) = crate::shutdown::Shutdown::new();
    crate::shutdown::on_signals(trigger);
    shutdown.wait().await;
    sim.stop().await;
    Ok(())
}

async fn healthcheck(url: Option<String>, settings: &Settings) -> anyhow::Result<()> {
    let url = url.unwrap_or_else(|| {
        // A wildcard listen address is reached on loopback.
        let port = settings.listen.port();
        let host = if settings.listen.ip().is_unspecified() {
            "127.0.0.1".to_owned()
        } else {
            settings.listen.ip().to_string()
        };
        format!("http://{host}:{port}/api/health")
    });
    let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(4)).build()?;
    let res = client.get(&url).send().await.with_context(|| format!("no answer from {url}"))?;
    if !res.status().is_success() {
        bail!("{url} answered {}", res.status());
    }
    println!("healthy");
    Ok(())
}

async fn worker_healthcheck(settings: Settings) -> anyhow::Result<()> {
    let services = Services::connect(settings)?;
    let host = crate::worker::host_name();
    // Heartbeats come every 5 s; three missed ones make the worker unhealthy.
    match services.queues.worker_alive(&format!("{host}-"), std::time::Duration::from_secs(15)).await {
        Ok(true) => {
            println!("healthy");
            Ok(())
        }
        Ok(false) => bail!("no heartbeat from a worker on {host} in the last 15 s"),
        Err(e) => bail!("cannot read worker heartbeats: {e}"),
    }
}

async fn sync_now(now: bool, settings: Settings) -> anyhow::Result<()> {
    if !now {
        bail!("use --now to run a cycle now (the worker runs them on its schedule)");
    }
    let services = Services::connect(settings)?;
    let mut ctx = app::sync_context(&services)?;
    let interactive = std::io::IsTerminal::is_terminal(&std::io::stderr());
    if interactive {
        let started = std::time::Instant::now();
        ctx.progress = Some(std::sync::Arc::new(move |stage| {
            // One line rewritten in place: the stages follow each other quickly.
            eprint!("\r\x1b[2Ksync [{:>6.1} s] {stage}", started.elapsed().as_secs_f64());
        }));
    }
    match crate::sync::run::tick(&ctx, &services.kv, std::time::Duration::from_secs(300), "cli", None).await? {
        crate::sync::run::TickOutcome::Ran(s) => {
            if interactive {
                eprintln!("\r\x1b[2Ksync done");
            }
            println!(
                "sync run {}: {} in {} ms — {} users, {} devices, {} hosts; {} bytes charged to {} users; {} status changes; {} router commands, {} writes; {} errors",
                s.run_id,
                s.status,
                s.millis,
                s.users,
                s.devices,
                s.hosts,
                s.bytes_charged,
                s.users_charged,
                s.status_changes,
                s.router_commands,
                s.router_writes,
                s.errors.len()
            );
            for e in s.errors.iter().take(10) {
                println!("  error: {e}");
            }
            if s.status == "failed" {
                bail!("the sync failed");
            }
            Ok(())
        }
        crate::sync::run::TickOutcome::Locked => bail!("another sync is running; try again when it finishes"),
        crate::sync::run::TickOutcome::Throttled => bail!("a sync ran moments ago"),
    }
}
