//! `hotspot bench sync --sites N`: N sites, each a RouterOS simulator in its own process holding
//! its own devices, synced the way worker processes sync them. Measured in one run: one site's
//! steady cycle alone (the baseline), then every site by one worker process and by two at once,
//! each with the ratio to the baseline, the router writes (none expected in the steady state)
//! and each worker's peak RSS. A worker here is a child process (`hotspot bench sites-worker`)
//! running the scheduled tick's own code over the sites, so its memory is its alone.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use super::machine::{CpuTicks, cpu_model, describe, peak_kib};
use super::sim::SimProcess;
use crate::admin::Actor;
use crate::app::App;
use crate::sites::patch::SiteInput;
use crate::sync::TickOutcome;

pub struct Options {
    pub sites: usize,
    /// Devices at each site.
    pub devices: usize,
    pub users: usize,
    pub rounds: usize,
    pub database_url: String,
    pub redis_url: String,
}

/// What the bench tells a worker process before it starts.
#[derive(Serialize, Deserialize)]
struct Orders {
    vars: Vec<(String, String)>,
    /// One site's name: the worker syncs that site alone.
    only: Option<String>,
}

/// One site as a worker saw it in a tick.
#[derive(Serialize, Deserialize)]
struct SiteFigure {
    name: String,
    /// `ran`, `locked` (another worker had it), `throttled` or `failed: …`.
    outcome: String,
    millis: u64,
    writes: usize,
    charged: u64,
}

/// What a worker process reports after its tick.
#[derive(Serialize, Deserialize)]
struct WorkerReport {
    millis: f64,
    peak_mib: f64,
    sites: Vec<SiteFigure>,
}

/// The worker process: connects, greets every site's router (so the measured tick finds its
/// connections open, as a running worker's does), says `ready`, waits for `go`, runs one tick
/// over its sites and prints its report as one JSON line.
pub async fn worker() -> anyhow::Result<()> {
    let mut input = BufReader::new(tokio::io::stdin()).lines();
    let first = input.next_line().await?.context("no orders on standard input")?;
    let orders: Orders = serde_json::from_str(&first).context("orders")?;
    let vars: Vec<(&str, String)> = orders.vars.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let app = super::services(&vars).await?;
    let mut sites = app.fleet.enabled().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(only) = &orders.only {
        sites.retain(|s| &s.name == only);
    }
    for s in &sites {
        s.ops.about().await.map_err(|e| anyhow::anyhow!("site {}: {e}", s.name))?;
    }
    let (env, template) = (app.sync_context().ok(), app.sync_template());
    println!("ready");
    match input.next_line().await? {
        Some(line) if line.trim() == "go" => {}
        _ => bail!("expected `go`"),
    }
    let started = Instant::now();
    let every = Duration::from_secs(600);
    let outcomes = crate::worker::jobs::quota_sync::tick_sites(&sites, env.as_ref(), &template, &app.kv, every).await;
    let millis = started.elapsed().as_secs_f64() * 1e3;
    let sites = outcomes
        .into_iter()
        .map(|(name, outcome)| match outcome {
            Ok(TickOutcome::Ran(s)) => SiteFigure {
                name,
                outcome: if s.errors.is_empty() { "ran".into() } else { format!("ran, {} errors", s.errors.len()) },
                millis: u64::try_from(s.millis).unwrap_or(u64::MAX),
                writes: s.router_writes,
                charged: s.bytes_charged,
            },
            Ok(other) => SiteFigure {
                name,
                outcome: if matches!(other, TickOutcome::Locked) { "locked" } else { "throttled" }.into(),
                millis: 0,
                writes: 0,
                charged: 0,
            },
            Err(e) => SiteFigure { name, outcome: format!("failed: {e}"), millis: 0, writes: 0, charged: 0 },
        })
        .collect();
    let report = WorkerReport { millis, peak_mib: peak_kib() as f64 / 1024.0, sites };
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

/// A worker process started by the bench, ready for `go`.
struct Worker {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    stdout: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl Worker {
    async fn start(orders: &Orders) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("cannot find this program to start a worker")?;
        let mut child = tokio::process::Command::new(exe)
            .args(["bench", "sites-worker"])
            .env("HOTSPOT_LOG", "warn")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("cannot start a worker process")?;
        let (mut stdin, stdout) = match (child.stdin.take(), child.stdout.take()) {
            (Some(i), Some(o)) => (i, BufReader::new(o).lines()),
            _ => bail!("the worker process has no pipes"),
        };
        stdin.write_all(format!("{}\n", serde_json::to_string(orders)?).as_bytes()).await?;
        let mut w = Self { child, stdin, stdout };
        match w.stdout.next_line().await? {
            Some(line) if line == "ready" => Ok(w),
            other => bail!("the worker process did not get ready (said {other:?}; its errors are above)"),
        }
    }

    async fn report(mut self) -> anyhow::Result<WorkerReport> {
        let line = self.stdout.next_line().await?.context("the worker process ended without a report")?;
        let _ = self.child.wait().await;
        Ok(serde_json::from_str(&line)?)
    }
}

/// One measured tick: `workers` processes started and greeted, then told `go` at once; the wall
/// time is from `go` to the last report.
struct Tick {
    millis: f64,
    machine: String,
    reports: Vec<WorkerReport>,
}

async fn measured_tick(vars: &[(String, String)], workers: usize, only: Option<&str>) -> anyhow::Result<Tick> {
    // A fresh key prefix per tick: the last tick's "synced already" marks belong to another tick.
    let mut vars = vars.to_vec();
    vars.push(("HOTSPOT_REDIS_PREFIX".into(), format!("bench:{}:", uuid::Uuid::new_v4().simple())));
    let orders = Orders { vars, only: only.map(str::to_owned) };
    let mut started = Vec::new();
    for _ in 0..workers {
        started.push(Worker::start(&orders).await?);
    }
    let cpu = CpuTicks::now();
    let t = Instant::now();
    for w in &mut started {
        w.stdin.write_all(b"go\n").await?;
        w.stdin.flush().await?;
    }
    let reports = futures_util::future::try_join_all(started.into_iter().map(Worker::report)).await?;
    Ok(Tick { millis: t.elapsed().as_secs_f64() * 1e3, machine: describe(cpu, CpuTicks::now()), reports })
}

/// The sites: the environment's router is the first (`main`), the others added as a super
/// admin adds them (password sealed), every one reaching its own simulator.
async fn add_sites(app: &App, sims: &[SimProcess]) -> anyhow::Result<Vec<i32>> {
    let s = &app.settings;
    let router = s.router.as_ref().context("no router in the bench's settings")?;
    let main = app.sites().describe_env(router, &s.hotspot.networks, &s.policy.profiles).await?;
    let mut ids = vec![main];
    for (k, sim) in sims.iter().enumerate().skip(1) {
        let input = SiteInput {
            name: Some(site_name(k)),
            address: Some(sim.api.to_string()),
            password: Some("sim-password".into()),
            egress_addresses: Some(vec![format!("192.0.2.{k}/32")]),
            ..SiteInput::default()
        };
        let patch = input.parse().map_err(|r| anyhow::anyhow!("{r:?}"))?;
        ids.push(app.admin().add_site(&Actor::cli(), patch).await.map_err(|e| anyhow::anyhow!("{e}"))?.id);
    }
    Ok(ids)
}

fn site_name(k: usize) -> String {
    format!("site-{k:02}")
}

pub async fn run(opts: Options) -> anyhow::Result<()> {
    let database_url = opts.database_url.clone();
    super::with_scratch_database(&database_url, |url| async move { bench(&opts, &url).await }).await
}

async fn bench(opts: &Options, url: &str) -> anyhow::Result<()> {
    if opts.sites < 2 || opts.devices == 0 || opts.users == 0 {
        bail!("--sites must be at least 2, --devices and --users at least 1");
    }
    let t = Instant::now();
    let sims = (0..opts.sites)
        .map(|k| SimProcess::start(opts.devices, k * opts.devices))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let key: [u8; 32] = rand::random();
    let vars: Vec<(String, String)> = [
        ("DATABASE_URL", url.to_owned()),
        ("REDIS_URL", opts.redis_url.clone()),
        ("HOTSPOT_LOG", "warn".to_owned()),
        ("HOTSPOT_ROUTER_ADDR", sims[0].api.to_string()),
        ("HOTSPOT_ROUTER_KEEPALIVE_SECS", "0".to_owned()),
        ("HOTSPOT_ROUTER_COMMAND_TIMEOUT_MS", "60000".to_owned()),
        ("HOTSPOT_DB_STATEMENT_TIMEOUT_MS", "60000".to_owned()),
        ("HOTSPOT_SITE_KEY", hex::encode(key)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let mut own = vars.clone();
    own.push(("HOTSPOT_REDIS_PREFIX".into(), format!("bench:{}:", uuid::Uuid::new_v4().simple())));
    let own: Vec<(&str, String)> = own.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let app = super::services(&own).await?;
    let ids = add_sites(&app, &sims).await?;
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        eprintln!("  … seeding {} users and {} devices", opts.users, opts.sites * opts.devices);
    }
    super::sync::seed(&app, opts.users, opts.sites * opts.devices, ids).await?;
    // The accounts and devices were made long before; autovacuum has measured their tables.
    app.db.run(|conn| Ok(diesel::RunQueryDsl::execute(diesel::sql_query("VACUUM ANALYZE"), conn)?)).await?;
    println!(
        "hotspot bench sync --sites {} — {} devices a site ({} in all), {} users; each simulator in its own process (set up in {:.1} s)",
        opts.sites,
        opts.devices,
        opts.sites * opts.devices,
        opts.users,
        t.elapsed().as_secs_f64()
    );
    println!("{}", cpu_model());
    let advance = || -> anyhow::Result<()> {
        for s in &sims {
            s.control("advance 300")?;
        }
        Ok(())
    };
    // First sight (every binding and list entry made) and the day's first charging cycle are
    // not the steady state; both once, by one worker, before anything is measured.
    let first = measured_tick(&vars, 1, None).await?;
    print_tick("first sight, one worker", &first, None);
    advance()?;
    let warm = measured_tick(&vars, 1, None).await?;
    print_tick("day's first charge, one worker", &warm, None);
    let runs = [
        ("one site alone (site-01)", 1, Some(site_name(1))),
        ("all sites, one worker", 1, None),
        ("all sites, two workers", 2, None),
    ];
    let mut walls: Vec<Vec<f64>> = vec![Vec::new(); runs.len()];
    for round in 1..=opts.rounds {
        println!("round {round}");
        for (i, (label, workers, only)) in runs.iter().enumerate() {
            advance()?;
            let tick = measured_tick(&vars, *workers, only.as_deref()).await?;
            let base = walls[0].last().copied();
            print_tick(label, &tick, if i == 0 { None } else { base });
            walls[i].push(tick.millis);
        }
    }
    summary(&runs.map(|r| r.0), walls, &sims);
    Ok(())
}

fn print_tick(label: &str, t: &Tick, base: Option<f64>) {
    let ratio = base.map(|b| format!("  ({:.2}× one site)", t.millis / b)).unwrap_or_default();
    println!("  {label:<32} {:>8.0} ms{ratio}   {}", t.millis, t.machine);
    for (n, r) in t.reports.iter().enumerate() {
        let ran: Vec<&SiteFigure> = r.sites.iter().filter(|s| s.outcome.starts_with("ran")).collect();
        let others: Vec<String> = r
            .sites
            .iter()
            .filter(|s| !s.outcome.starts_with("ran"))
            .map(|s| format!("{} {}", s.name, s.outcome))
            .collect();
        println!(
            "    worker {}: {} sites in {:.0} ms ({}), {} router writes, {} bytes charged, peak RSS {:.1} MiB{}",
            n + 1,
            ran.len(),
            r.millis,
            ran.iter().map(|s| format!("{} {} ms", s.name, s.millis)).collect::<Vec<_>>().join(", "),
            ran.iter().map(|s| s.writes).sum::<usize>(),
            ran.iter().map(|s| s.charged).sum::<u64>(),
            r.peak_mib,
            if others.is_empty() { String::new() } else { format!("; {}", others.join(", ")) }
        );
    }
}

fn summary(labels: &[&str], walls: Vec<Vec<f64>>, sims: &[SimProcess]) {
    let best = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let base = (best(&walls[0]), super::median_ms(walls[0].clone()));
    println!("{:<32} {:>9} {:>9} {:>12} {:>12}", "", "best ms", "median ms", "best ratio", "median ratio");
    for (label, v) in labels.iter().zip(&walls) {
        let (b, m) = (best(v), super::median_ms(v.clone()));
        println!("{label:<32} {b:>9.0} {m:>9.0} {:>11.2}× {:>11.2}×", b / base.0, m / base.1);
    }
    let sim_rss: Vec<String> =
        sims.iter().map(|s| format!("{:.0}", s.rss_kib().unwrap_or(0) as f64 / 1024.0)).collect();
    println!("simulator processes' RSS (MiB): {}", sim_rss.join(", "));
}
