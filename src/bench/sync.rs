//! `hotspot bench sync`: quota sync cycles over a large population. The RouterOS simulator runs
//! in its own process (`hotspot sim router`), so the peak RSS printed is the sync's alone.
//! Cycles: first sight (creates every binding and list entry), steady state (counters moved, no
//! state change: zero router writes expected), then one after a share of users changed state.

use std::time::Instant;

use anyhow::bail;
use diesel::sql_types::{Array, BigInt, Int4, Nullable, Text, Uuid as SqlUuid};

use super::machine::{cpu_ms, peak_kib, reset_peak};
use super::sim::SimProcess;
use crate::app::App as Services;
use crate::domain::policy::{DEFAULT_FUP_THRESHOLD_BYTES, resolve_status};
use crate::sim::router::state::seeded_host;
use crate::sync::{FailPoint, run_cycle};

pub struct Options {
    pub users: usize,
    pub devices: usize,
    pub change_pct: f64,
    pub database_url: String,
    pub redis_url: String,
}

/// One size's figures, for the ladder.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Figures {
    pub first_sight_ms: f64,
    pub steady_ms: f64,
    pub peak_mib: f64,
    pub steady_rows: i64,
}

pub async fn run(opts: Options) -> anyhow::Result<Figures> {
    let database_url = opts.database_url.clone();
    super::with_scratch_database(&database_url, |url| async move { bench(&opts, &url).await }).await
}

const SEED_USERS_SQL: &str = r#"
INSERT INTO users (id, phone_number, full_name, role, approval_status, quota_purchased_bytes, quota_used_bytes,
                   quota_expiry_date, is_unlimited_user, approved_at)
SELECT gen_random_uuid(), '+62813' || lpad(i::text, 8, '0'), 'Bench ' || i, 'USER', 'APPROVED',
       CASE WHEN i % 10 = 0 THEN 0 ELSE (5 + i % 20)::bigint * 1073741824 END,
       CASE WHEN i % 10 = 0 THEN 0 ELSE (i % 5)::bigint * 536870912 END,
       now() + interval '30 days', i % 10 = 0, now()
FROM generate_series(0, $1 - 1) AS i
"#;

const SEED_DEVICES_SQL: &str = r#"
INSERT INTO user_devices (user_id, mac_address, ip_address, is_authorized, authorized_at, router_id)
SELECT u, m, ip, true, now(), r FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int4[]) AS t(u, m, ip, r)
"#;

#[derive(diesel::QueryableByName)]
struct Id {
    #[diesel(sql_type = SqlUuid)]
    id: uuid::Uuid,
}

/// `users` accounts and `devices` devices (hosts `0..devices` of the simulators' seeded
/// sequence), each device a user's in turn. With `sites`, the devices are split among them in
/// order (the first `devices / sites.len()` at the first site, …); without, no site claims them.
pub(super) async fn seed(services: &Services, users: usize, devices: usize, sites: Vec<i32>) -> anyhow::Result<()> {
    services
        .db
        .transaction(move |conn| {
            use diesel::{QueryDsl, RunQueryDsl, SelectableHelper};
            diesel::sql_query(SEED_USERS_SQL).bind::<BigInt, _>(users as i64).execute(conn)?;
            let ids: Vec<Id> = diesel::sql_query("SELECT id FROM users ORDER BY phone_number").load(conn)?;
            let per_site = devices.div_ceil(sites.len().max(1));
            let (mut u, mut m, mut ip, mut r) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for i in 0..devices {
                let (mac, addr) = seeded_host(i);
                u.push(ids[i % ids.len()].id);
                m.push(mac.canonical());
                ip.push(addr.to_string());
                r.push(sites.get(i / per_site).copied());
            }
            diesel::sql_query(SEED_DEVICES_SQL)
                .bind::<Array<SqlUuid>, _>(u)
                .bind::<Array<Text>, _>(m)
                .bind::<Array<Text>, _>(ip)
                .bind::<Array<Nullable<Int4>>, _>(r)
                .execute(conn)?;
            // Each user's status as the app stores it when it creates the account (and the
            // migration that added the column stored for existing ones): a first sight of the
            // router is not a first computation of every status.
            let now = chrono::Utc::now();
            let users: Vec<crate::db::models::User> =
                crate::db::schema::users::table.select(crate::db::models::User::as_select()).load(conn)?;
            let (ids, statuses): (Vec<uuid::Uuid>, Vec<&str>) = users
                .iter()
                .map(|u| (u.id, resolve_status(&u.facts(), now, DEFAULT_FUP_THRESHOLD_BYTES).as_str()))
                .unzip();
            diesel::sql_query(
                "UPDATE users u SET access_status = t.s FROM unnest($1::uuid[], $2::text[]) AS t(id, s) WHERE u.id = t.id",
            )
            .bind::<Array<SqlUuid>, _>(ids)
            .bind::<Array<Text>, _>(statuses)
            .execute(conn)?;
            Ok(())
        })
        .await?;
    Ok(())
}

/// Moves `pct` % of the users to another state: half blocked, half with their quota used up.
async fn change_states(services: &Services, pct: f64) -> anyhow::Result<usize> {
    let n = services
        .db
        .transaction(move |conn| {
            use diesel::RunQueryDsl;
            let every = (100.0 / pct.clamp(0.01, 100.0)).round().max(1.0) as i64;
            let blocked = diesel::sql_query(
                "UPDATE users SET is_blocked = true, blocked_reason = 'bench', blocked_at = now() \
                 WHERE (substr(phone_number, 7)::bigint) % $1 = 1",
            )
            .bind::<BigInt, _>(every * 2)
            .execute(conn)?;
            let habis = diesel::sql_query(
                "UPDATE users SET quota_used_bytes = quota_purchased_bytes \
                 WHERE (substr(phone_number, 7)::bigint) % $1 = $2 AND NOT is_unlimited_user",
            )
            .bind::<BigInt, _>(every * 2)
            .bind::<BigInt, _>(every + 1)
            .execute(conn)?;
            Ok(blocked + habis)
        })
        .await?;
    Ok(n)
}

/// The start of a stage of a cycle.
struct Mark {
    at: Instant,
    label: String,
    peak_kib: u64,
    cpu_ms: f64,
    sim_cpu_ms: f64,
}

/// Where each cycle's time goes: the stage boundaries, printed under the cycle's row, with the
/// peak RSS reached before each stage (which stage sets the cycle's peak) and the CPU time of
/// this process and of the simulator (who is busy in each stage).
struct Stages {
    marks: std::sync::Arc<std::sync::Mutex<Vec<Mark>>>,
    sim_pid: String,
    /// On a terminal, a progress line shows the running cycle's stage (the table goes to stdout).
    live: bool,
}

impl Stages {
    fn new(sim_pid: String) -> Self {
        Self { marks: Default::default(), sim_pid, live: std::io::IsTerminal::is_terminal(&std::io::stderr()) }
    }

    fn mark(sim_pid: &str, label: String) -> Mark {
        Mark { at: Instant::now(), label, peak_kib: peak_kib(), cpu_ms: cpu_ms("self"), sim_cpu_ms: cpu_ms(sim_pid) }
    }

    /// The sync's progress callback: a mark at each stage's start.
    fn progress(&self) -> crate::sync::Progress {
        let (sink, sim_pid, live) = (self.marks.clone(), self.sim_pid.clone(), self.live);
        std::sync::Arc::new(move |stage| {
            if live {
                eprint!("\r\x1b[K  … {stage}");
            }
            // Progress within a stage only rewrites the line; the table's rows are the stages.
            if stage.is_start()
                && let Ok(mut v) = sink.lock()
            {
                v.push(Self::mark(&sim_pid, stage.to_string()));
            }
        })
    }

    /// A cycle's row and, under it, its stages.
    fn print(&self, r: &Row) {
        if self.live {
            eprint!("\r\x1b[K");
        }
        println!(
            "{:<22} {:>9.0} {:>9} {:>8} {:>7} {:>9} {:>15} {:>7.1} MiB",
            r.name, r.millis, r.commands, r.writes, r.statements, r.rows, r.charged, r.peak_mib
        );
        println!("    {}", r.machine);
        let mut v = self.marks.lock().map(|mut v| std::mem::take(&mut *v)).unwrap_or_default();
        v.push(Self::mark(&self.sim_pid, "done".into()));
        for w in v.windows(2) {
            println!(
                "    {:<52} {:>5.0} ms   cpu: sync {:>5.0} ms, simulator {:>4.0} ms   peak {:.0} MiB",
                w[0].label.split(';').next_back().unwrap_or("").trim(),
                (w[1].at - w[0].at).as_secs_f64() * 1e3,
                w[1].cpu_ms - w[0].cpu_ms,
                w[1].sim_cpu_ms - w[0].sim_cpu_ms,
                w[1].peak_kib as f64 / 1024.0
            );
        }
    }
}

struct Row {
    name: &'static str,
    /// How busy the machine was during the cycle (and how much the hypervisor took).
    machine: String,
    millis: f64,
    /// Rows the cycle added to the tables that keep history.
    rows: i64,
    commands: usize,
    writes: usize,
    statements: u64,
    charged: u64,
    peak_mib: f64,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Rows in every table a cycle writes to (baselines, usage, the ledger, the day totals, runs).
async fn history_rows(services: &Services) -> anyhow::Result<i64> {
    Ok(services
        .db
        .run(|conn| {
            use diesel::RunQueryDsl;
            Ok(diesel::sql_query(
                "SELECT ((SELECT count(*) FROM quota_ledger) + (SELECT count(*) FROM usage_daily) \
                 + (SELECT count(*) FROM device_counters) + (SELECT count(*) FROM usage_day_totals) \
                 + (SELECT count(*) FROM sync_runs))::bigint AS n",
            )
            .get_result::<Count>(conn)?
            .n)
        })
        .await?)
}

async fn cycle(services: &Services, ctx: &crate::sync::SyncContext, name: &'static str) -> anyhow::Result<Row> {
    let rows_before = history_rows(services).await?;
    let peak_ok = reset_peak();
    let statements = services.db.statements();
    let cpu_before = super::machine::CpuTicks::now();
    let started = Instant::now();
    // On a runtime worker like the worker's jobs, not on the main thread.
    let task_ctx = ctx.clone();
    let s =
        tokio::spawn(async move { run_cycle(&task_ctx, crate::domain::SyncTrigger::Cli, None, FailPoint::None).await })
            .await??;
    let millis = started.elapsed().as_secs_f64() * 1e3;
    if !s.errors.is_empty() {
        eprintln!("  {name}: {} errors, first: {}", s.errors.len(), s.errors[0]);
    }
    let machine = super::machine::describe(cpu_before, super::machine::CpuTicks::now());
    Ok(Row {
        name,
        machine,
        millis,
        rows: history_rows(services).await? - rows_before,
        commands: s.router_commands,
        writes: s.router_writes,
        statements: services.db.statements() - statements,
        charged: s.bytes_charged,
        peak_mib: if peak_ok { peak_kib() as f64 / 1024.0 } else { f64::NAN },
    })
}

async fn bench(opts: &Options, url: &str) -> anyhow::Result<Figures> {
    if opts.users == 0 || opts.devices == 0 {
        bail!("--users and --devices must be at least 1");
    }
    let t = Instant::now();
    let sim = SimProcess::start(opts.devices, 0)?;
    let prefix = format!("bench:{}:", uuid::Uuid::new_v4().simple());
    let services = super::services(&[
        ("DATABASE_URL", url.to_owned()),
        ("REDIS_URL", opts.redis_url.clone()),
        ("HOTSPOT_REDIS_PREFIX", prefix),
        ("HOTSPOT_LOG", "warn".to_owned()),
        ("HOTSPOT_ROUTER_ADDR", sim.api.to_string()),
        ("HOTSPOT_ROUTER_KEEPALIVE_SECS", "0".to_owned()),
        ("HOTSPOT_ROUTER_COMMAND_TIMEOUT_MS", "60000".to_owned()),
        ("HOTSPOT_DB_STATEMENT_TIMEOUT_MS", "60000".to_owned()),
    ])
    .await?;
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        eprint!("  … seeding {} users and {} devices", opts.users, opts.devices);
    }
    seed(&services, opts.users, opts.devices, Vec::new()).await?;
    // The accounts and devices were made long before the router is first read; autovacuum has
    // long since cleaned and measured their tables.
    services.db.run(|conn| Ok(diesel::RunQueryDsl::execute(diesel::sql_query("VACUUM ANALYZE"), conn)?)).await?;
    let mut ctx = services.sync_context()?;
    let stages = Stages::new(sim.pid().to_string());
    ctx.progress = Some(stages.progress());
    println!(
        "hotspot bench sync — {} users, {} devices, simulator in its own process (set up in {:.1} s)",
        opts.users,
        opts.devices,
        t.elapsed().as_secs_f64()
    );
    println!("{}", super::machine::cpu_model());
    println!(
        "{:<22} {:>9} {:>9} {:>8} {:>7} {:>9} {:>15} {:>10}",
        "cycle", "wall ms", "commands", "writes", "SQL", "rows+", "bytes charged", "peak RSS"
    );
    let print = |r: &Row| stages.print(r);
    let mut rows = Vec::new();
    rows.push(cycle(&services, &ctx, "1 first sight").await?);
    print(&rows[0]);
    sim.control("advance 300")?;
    rows.push(cycle(&services, &ctx, "2 steady").await?);
    print(&rows[1]);
    sim.control("advance 300")?;
    rows.push(cycle(&services, &ctx, "3 steady").await?);
    print(&rows[2]);
    let changed = change_states(&services, opts.change_pct).await?;
    sim.control("advance 300")?;
    let name = "4 after state changes";
    rows.push(cycle(&services, &ctx, name).await?);
    print(&rows[3]);
    println!(
        "{changed} users ({:.2} %) changed state before cycle 4 (half blocked, half quota used up)",
        changed as f64 * 100.0 / opts.users as f64
    );
    println!(
        "steady cycle: {:.0} ms, {} router writes, {} SQL statements, {} rows added (the day's first charging cycle: {}); peak RSS {:.1} MiB; simulator process RSS {:.1} MiB",
        rows[2].millis,
        rows[2].writes,
        rows[2].statements,
        rows[2].rows,
        rows[1].rows,
        rows.iter().map(|r| r.peak_mib).fold(0.0, f64::max),
        sim.rss_kib().unwrap_or(0) as f64 / 1024.0
    );
    Ok(Figures {
        first_sight_ms: rows[0].millis,
        steady_ms: rows[2].millis,
        peak_mib: rows.iter().map(|r| r.peak_mib).fold(0.0, f64::max),
        steady_rows: rows[2].rows,
    })
}
