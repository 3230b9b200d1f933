//! One sync cycle: snapshot the router, load users, devices and baselines, plan, apply usage and
//! baselines in one transaction, then the router diff, and record the cycle in sync_runs.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Int4, Nullable, Text, Uuid as SqlUuid};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::plan::{self, Baseline, DeviceInput, Map, Plan, Policy, UserInput};
use crate::captive;
use crate::db::models::User;
use crate::db::schema::{device_counters, routers, sync_runs, user_devices, users};
use crate::db::{Db, DbError};
use crate::domain::{AccessStatus, MacAddress, Msisdn};
use crate::router::RouterError;
use crate::router::ops::Ops;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("router: {0}")]
    Router(#[from] RouterError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("fault injected: {0}")]
    Injected(&'static str),
}

impl From<diesel::result::Error> for SyncError {
    fn from(e: diesel::result::Error) -> Self {
        SyncError::Db(e.into())
    }
}

/// Where to stop on purpose (tests of crash safety): the cycle fails at that point.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FailPoint {
    #[default]
    None,
    /// Inside the usage transaction, after the writes, before COMMIT.
    BeforeCommit,
    /// After the usage commit, before the router diff.
    AfterCommit,
}

/// A stage of a cycle, reported as it starts (`hotspot sync --now` shows them on a terminal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The router snapshot and the database load run side by side.
    Reading,
    Charging {
        hosts: usize,
        users: usize,
        devices: usize,
    },
    WritingRouter {
        changes: usize,
    },
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stage::Reading => write!(f, "reading the router and loading users and devices"),
            Stage::Charging { hosts, users, devices } => {
                write!(f, "{hosts} hosts, {users} users, {devices} devices planned; charging usage")
            }
            Stage::WritingRouter { changes } => write!(f, "usage committed; writing {changes} router changes"),
        }
    }
}

pub type Progress = std::sync::Arc<dyn Fn(Stage) + Send + Sync>;

#[derive(Clone)]
pub struct SyncContext {
    pub db: Db,
    pub router: Ops,
    pub router_name: String,
    pub router_host: String,
    pub policy: Policy,
    pub timezone: chrono_tz::Tz,
    /// Usage transactions of one cycle run side by side on this many connections, each for its
    /// share of the users (a user's devices, ledger row and totals always in one transaction).
    pub writers: usize,
    /// Told of each stage as it starts.
    pub progress: Option<Progress>,
}

impl SyncContext {
    fn report(&self, stage: Stage) {
        if let Some(p) = &self.progress {
            p(stage);
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub run_id: i64,
    pub status: &'static str,
    pub users: usize,
    pub devices: usize,
    pub hosts: usize,
    pub bytes_charged: u64,
    pub users_charged: usize,
    pub router_commands: usize,
    pub router_writes: usize,
    pub status_changes: usize,
    pub errors: Vec<String>,
    pub millis: u128,
}

/// Builds the planner's policy from the settings.
pub fn policy(settings: &crate::config::Settings) -> Option<Policy> {
    let r = settings.router.as_ref()?;
    let l = &r.lists;
    let lists = [
        (AccessStatus::Active, &l.active),
        (AccessStatus::Unlimited, &l.active),
        (AccessStatus::Fup, &l.fup),
        (AccessStatus::Habis, &l.habis),
        (AccessStatus::Expired, &l.expired),
        (AccessStatus::Blocked, &l.blocked),
        (AccessStatus::Inactive, &l.inactive),
    ];
    let profiles = settings
        .auth
        .profiles
        .iter()
        .filter_map(|(k, v)| k.parse::<AccessStatus>().ok().map(|s| (s, v.clone())))
        .collect();
    Some(Policy {
        fup_threshold: settings.auth.fup_threshold_bytes,
        comment_prefix: r.comment_prefix.clone(),
        lists: lists.iter().map(|(s, n)| (*s, (*n).clone())).collect(),
        profiles,
    })
}

/// id, user, MAC, IP, authorized, last seen.
type DeviceRow = (i64, Uuid, String, Option<String>, bool, DateTime<Utc>);

struct Loaded {
    router_id: i32,
    users: Vec<UserInput>,
    /// user id → status before this cycle (to count changes).
    before: Map<Uuid, AccessStatus>,
    devices: Vec<DeviceInput>,
    baselines: Map<MacAddress, Baseline>,
    errors: Vec<String>,
}

fn load(
    conn: &mut PgConnection,
    router_name: &str,
    router_host: &str,
    fup: i64,
    now: DateTime<Utc>,
) -> Result<Loaded, DbError> {
    let router_id: i32 = diesel::insert_into(routers::table)
        .values((routers::name.eq(router_name), routers::host.eq(router_host), routers::username.eq("api")))
        .on_conflict(routers::name)
        .do_update()
        .set(routers::updated_at.eq(Utc::now()))
        .returning(routers::id)
        .get_result(conn)?;
    let mut errors = Vec::new();
    let rows: Vec<User> = users::table.select(User::as_select()).load(conn)?;
    let mut users_in = Vec::with_capacity(rows.len());
    let mut before = Map::with_capacity_and_hasher(rows.len(), Default::default());
    for u in &rows {
        // One bad row must not stop the others.
        let Ok(phone) = Msisdn::parse(&u.phone_number) else {
            errors.push(format!("user {}: unparsable phone number", u.id));
            continue;
        };
        let facts = captive::facts(u);
        before.insert(u.id, crate::domain::policy::resolve_status(&facts, now, fup));
        users_in.push(UserInput { id: u.id, facts, hotspot_name: phone.local() });
    }
    drop(rows);
    let device_rows: Vec<DeviceRow> = user_devices::table
        .select((
            user_devices::id,
            user_devices::user_id,
            user_devices::mac_address,
            user_devices::ip_address,
            user_devices::is_authorized,
            user_devices::last_seen_at,
        ))
        .load(conn)?;
    let mut devices = Vec::with_capacity(device_rows.len());
    for (id, user_id, mac, ip, authorized, last_seen) in device_rows {
        match MacAddress::parse(&mac) {
            Ok(mac) => devices.push(DeviceInput { id, user_id, mac, ip, authorized, last_seen }),
            Err(_) => errors.push(format!("device {id}: unparsable MAC")),
        }
    }
    let counters: Vec<(String, String, i64, i64)> = device_counters::table
        .filter(device_counters::router_id.eq(router_id))
        .select((
            device_counters::mac_address,
            device_counters::host_id,
            device_counters::last_bytes,
            device_counters::last_uptime_secs,
        ))
        .load(conn)?;
    let baselines = counters
        .into_iter()
        .filter_map(|(m, h, b, u)| {
            Some((
                MacAddress::parse(&m).ok()?,
                Baseline { host_id: h, bytes: u64::try_from(b).ok()?, uptime_secs: u64::try_from(u).ok()? },
            ))
        })
        .collect();
    Ok(Loaded { router_id, users: users_in, before, devices, baselines, errors })
}

/// The ledger keys of each user's charge in one cycle: a digest of the observations it comes
/// from, so the same observations can never be charged twice (e.g. two workers planning from one
/// baseline). One pass over the charges, whatever the number of users.
fn idempotency_keys(router_id: i32, plan: &Plan, baselines: &Map<MacAddress, Baseline>) -> Map<Uuid, String> {
    let mut digests: Map<Uuid, Sha256> = Map::default();
    for c in plan.charges.iter().filter(|c| c.bytes > 0) {
        let from = baselines.get(&c.mac).map(|b| (b.host_id.as_str(), b.bytes)).unwrap_or(("", 0));
        let d = digests.entry(c.user_id).or_default();
        // Fixed-width fields and a length-prefixed host id: no two observations read alike.
        d.update(c.mac.octets());
        d.update((from.0.len() as u64).to_le_bytes());
        d.update(from.0.as_bytes());
        d.update(from.1.to_le_bytes());
        d.update(c.bytes.to_le_bytes());
        d.update(c.device_id.to_le_bytes());
    }
    digests
        .into_iter()
        .map(|(user, h)| (user, format!("sync:{router_id}:{}:{}", user.simple(), hex::encode(&h.finalize()[..12]))))
        .collect()
}

const CHARGE_SQL: &str = r#"
WITH c AS (
    SELECT * FROM unnest($1::uuid[], $2::int8[], $3::text[]) AS t(user_id, delta, key)
), ins AS (
    INSERT INTO quota_ledger (user_id, delta_bytes, source, idempotency_key, details)
    SELECT user_id, delta, 'sync_usage', key, jsonb_build_object('run', $4::bigint) FROM c
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING user_id, delta_bytes
), upd AS (
    UPDATE users u SET quota_used_bytes = u.quota_used_bytes + ins.delta_bytes, updated_at = now()
    FROM ins WHERE u.id = ins.user_id
), daily AS (
    INSERT INTO usage_daily (user_id, day, bytes)
    SELECT user_id, $5::date, delta_bytes FROM ins
    ON CONFLICT (user_id, day) DO UPDATE SET bytes = usage_daily.bytes + EXCLUDED.bytes, updated_at = now()
)
SELECT count(*)::bigint AS users, COALESCE(sum(delta_bytes), 0)::bigint AS bytes FROM ins
"#;

/// Baselines of MACs seen before: a plain update (HOT, no index touched).
const BASELINE_UPDATE_SQL: &str = r#"
UPDATE device_counters d SET host_id = t.h, last_bytes = t.b, last_uptime_secs = t.u, updated_at = now()
FROM unnest($2::text[], $3::text[], $4::int8[], $5::int8[]) AS t(m, h, b, u)
WHERE d.router_id = $1 AND d.mac_address = t.m
"#;

/// Baselines of MACs seen for the first time (an upsert: another worker may have raced us).
const BASELINE_INSERT_SQL: &str = r#"
INSERT INTO device_counters (router_id, mac_address, host_id, last_bytes, last_uptime_secs, updated_at)
SELECT $1, m, h, b, u, now() FROM unnest($2::text[], $3::text[], $4::int8[], $5::int8[]) AS t(m, h, b, u)
ON CONFLICT (router_id, mac_address) DO UPDATE SET
    host_id = EXCLUDED.host_id, last_bytes = EXCLUDED.last_bytes,
    last_uptime_secs = EXCLUDED.last_uptime_secs, updated_at = now()
"#;

/// Devices seen: the planner picked those whose IP moved or whose `last_seen_at` is old.
const SEEN_SQL: &str = r#"
UPDATE user_devices d SET ip_address = COALESCE(t.ip, d.ip_address), last_seen_at = now()
FROM unnest($1::int8[], $2::text[]) AS t(id, ip)
WHERE d.id = t.id
"#;

#[derive(QueryableByName)]
struct Charged {
    #[diesel(sql_type = BigInt)]
    users: i64,
    #[diesel(sql_type = BigInt)]
    bytes: i64,
}

fn clamp(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Baseline columns, as bound to one statement.
#[derive(Default)]
struct BaselineColumns {
    macs: Vec<String>,
    hosts: Vec<String>,
    bytes: Vec<i64>,
    uptimes: Vec<i64>,
}

impl BaselineColumns {
    fn push(&mut self, b: &plan::NewBaseline) {
        self.macs.push(b.mac.canonical());
        self.hosts.push(b.baseline.host_id.clone());
        self.bytes.push(clamp(b.baseline.bytes));
        self.uptimes.push(clamp(b.baseline.uptime_secs));
    }

    fn write(self, sql: &str, router_id: i32, conn: &mut PgConnection) -> Result<(), DbError> {
        if self.macs.is_empty() {
            return Ok(());
        }
        diesel::sql_query(sql)
            .bind::<Int4, _>(router_id)
            .bind::<Array<Text>, _>(self.macs)
            .bind::<Array<Text>, _>(self.hosts)
            .bind::<Array<BigInt>, _>(self.bytes)
            .bind::<Array<BigInt>, _>(self.uptimes)
            .execute(conn)?;
        Ok(())
    }
}

/// One usage transaction's share of a cycle: a subset of the users with all of their devices,
/// so each user's charge, ledger row and baselines commit together.
#[derive(Default)]
struct Batch {
    stored: BaselineColumns,
    new: BaselineColumns,
    users: Vec<Uuid>,
    deltas: Vec<i64>,
    keys: Vec<String>,
    seen_ids: Vec<i64>,
    seen_ips: Vec<Option<String>>,
}

/// Splits a plan's writes into `n` batches by user.
fn batches(router_id: i32, plan: &Plan, baselines: &Map<MacAddress, Baseline>, n: usize) -> Vec<Batch> {
    let n = n.max(1);
    let of = |user: &Uuid| (user.as_u128() % n as u128) as usize;
    let mut out: Vec<Batch> = (0..n).map(|_| Batch::default()).collect();
    for b in &plan.baselines {
        let batch = &mut out[of(&b.user_id)];
        if b.stored { batch.stored.push(b) } else { batch.new.push(b) }
    }
    let mut keys = idempotency_keys(router_id, plan, baselines);
    for (user, bytes) in plan.per_user.iter().filter(|(_, b)| **b > 0) {
        // Charged bytes always come from charges, so every charged user has a key.
        let Some(key) = keys.remove(user) else { continue };
        let batch = &mut out[of(user)];
        batch.users.push(*user);
        batch.deltas.push(clamp(*bytes));
        batch.keys.push(key);
    }
    for s in &plan.seen {
        let batch = &mut out[of(&s.user_id)];
        batch.seen_ids.push(s.device_id);
        batch.seen_ips.push(s.ip.clone());
    }
    out.retain(|b| !(b.stored.macs.is_empty() && b.new.macs.is_empty() && b.users.is_empty() && b.seen_ids.is_empty()));
    out
}

/// Usage, daily usage, ledger rows and baselines of one batch in one transaction: all of it
/// lands, or none of it does.
fn apply_batch(
    conn: &mut PgConnection,
    run_id: i64,
    router_id: i32,
    day: chrono::NaiveDate,
    batch: Batch,
    fail: FailPoint,
) -> Result<(i64, i64), SyncError> {
    conn.transaction::<_, SyncError, _>(|tx| {
        batch.stored.write(BASELINE_UPDATE_SQL, router_id, tx)?;
        batch.new.write(BASELINE_INSERT_SQL, router_id, tx)?;
        let mut charged = Charged { users: 0, bytes: 0 };
        if !batch.users.is_empty() {
            charged = diesel::sql_query(CHARGE_SQL)
                .bind::<Array<SqlUuid>, _>(batch.users)
                .bind::<Array<BigInt>, _>(batch.deltas)
                .bind::<Array<Text>, _>(batch.keys)
                .bind::<BigInt, _>(run_id)
                .bind::<Date, _>(day)
                .get_result(tx)
                .map_err(DbError::from)?;
        }
        if !batch.seen_ids.is_empty() {
            diesel::sql_query(SEEN_SQL)
                .bind::<Array<BigInt>, _>(batch.seen_ids)
                .bind::<Array<Nullable<Text>>, _>(batch.seen_ips)
                .execute(tx)
                .map_err(DbError::from)?;
        }
        if fail == FailPoint::BeforeCommit {
            return Err(SyncError::Injected("before commit"));
        }
        Ok((charged.users, charged.bytes))
    })
}

fn finish(conn: &mut PgConnection, run_id: i64, s: &Summary, router_commands: usize) -> Result<(), DbError> {
    diesel::update(sync_runs::table.find(run_id))
        .set((
            sync_runs::status.eq(s.status),
            sync_runs::finished_at.eq(Utc::now()),
            sync_runs::users_count.eq(s.users as i32),
            sync_runs::devices_count.eq(s.devices as i32),
            sync_runs::bytes_charged.eq(clamp(s.bytes_charged)),
            sync_runs::router_commands.eq(router_commands as i32),
            sync_runs::router_writes.eq(s.router_writes as i32),
            sync_runs::error_count.eq(s.errors.len() as i32),
            sync_runs::errors.eq(serde_json::json!(s.errors.iter().take(100).collect::<Vec<_>>())),
        ))
        .execute(conn)?;
    Ok(())
}

/// Runs one cycle. A router that cannot be read fails the cycle (recorded) and charges nothing;
/// the next cycle catches up from the stored baselines.
pub async fn run_cycle(
    ctx: &SyncContext,
    trigger: &str,
    job_id: Option<String>,
    fail: FailPoint,
) -> Result<Summary, SyncError> {
    let started = Instant::now();
    let now = Utc::now();
    let trig = trigger.to_owned();
    let run_id: i64 = ctx
        .db
        .run(move |conn| {
            Ok(diesel::insert_into(sync_runs::table)
                .values((sync_runs::trigger.eq(trig), sync_runs::job_id.eq(job_id)))
                .returning(sync_runs::id)
                .get_result(conn)?)
        })
        .await?;
    let commands_before = ctx.router.client.stats().commands;
    let mut summary = Summary {
        run_id,
        status: "failed",
        users: 0,
        devices: 0,
        hosts: 0,
        bytes_charged: 0,
        users_charged: 0,
        router_commands: 0,
        router_writes: 0,
        status_changes: 0,
        errors: vec![],
        millis: 0,
    };
    let result = cycle(ctx, run_id, now, fail, &mut summary).await;
    // The cycle's snapshot and plan are dropped by now.
    crate::memory::release_free_memory();
    if let Err(e) = &result {
        summary.status = "failed";
        summary.errors.push(e.to_string());
    }
    summary.router_commands = (ctx.router.client.stats().commands - commands_before) as usize;
    summary.millis = started.elapsed().as_millis();
    let (s, commands) = (summary.clone(), summary.router_commands);
    if let Err(e) = ctx.db.run(move |conn| finish(conn, run_id, &s, commands)).await {
        tracing::error!(error = %e, run_id, "could not record the sync run");
    }
    tracing::info!(
        run_id,
        status = summary.status,
        users = summary.users,
        bytes = summary.bytes_charged,
        writes = summary.router_writes,
        ms = summary.millis as u64,
        "sync cycle"
    );
    result.map(|_| summary)
}

async fn cycle(
    ctx: &SyncContext,
    run_id: i64,
    now: DateTime<Utc>,
    fail: FailPoint,
    summary: &mut Summary,
) -> Result<(), SyncError> {
    ctx.report(Stage::Reading);
    let (name, host, fup) = (ctx.router_name.clone(), ctx.router_host.clone(), ctx.policy.fup_threshold);
    // The router and Postgres answer side by side.
    let (snapshot, loaded) =
        tokio::join!(ctx.router.snapshot(), ctx.db.run(move |conn| load(conn, &name, &host, fup, now)));
    let (snapshot, loaded) = (snapshot?, loaded?);
    let view = plan::Snapshot {
        hosts: &snapshot.hosts,
        bindings: &snapshot.bindings,
        list_entries: &snapshot.list_entries,
        users: &snapshot.users,
    };
    let plan = plan::plan(&view, &loaded.baselines, &loaded.users, &loaded.devices, &ctx.policy, now);
    summary.users = loaded.users.len();
    summary.devices = loaded.devices.len();
    summary.hosts = snapshot.hosts.len();
    summary.errors.extend(loaded.errors.iter().cloned());
    summary.status_changes = plan.statuses.iter().filter(|(id, s)| loaded.before.get(id) != Some(s)).count();
    let router_id = loaded.router_id;
    let batches = batches(router_id, &plan, &loaded.baselines, ctx.writers);
    let router_changes = plan.router;
    // Only the router diff is needed from here on.
    drop((snapshot, loaded, plan.charges, plan.baselines, plan.seen));

    ctx.report(Stage::Charging { hosts: summary.hosts, users: summary.users, devices: summary.devices });
    let day = now.with_timezone(&ctx.timezone).date_naive();
    let results = futures_util::future::join_all(batches.into_iter().map(|batch| {
        ctx.db.run(move |conn| {
            apply_batch(conn, run_id, router_id, day, batch, fail).map_err(|e| match e {
                SyncError::Db(d) => d,
                other => DbError::Task(other.to_string()),
            })
        })
    }))
    .await;
    // Batches are independent: each committed one is final, a failed one charges nothing and
    // its users are caught up from their unchanged baselines next cycle.
    let mut failed = None;
    for r in results {
        match r {
            Ok((users, bytes)) => {
                summary.users_charged += users as usize;
                summary.bytes_charged += bytes as u64;
            }
            Err(e) => failed = failed.or(Some(e)),
        }
    }
    if let Some(e) = failed {
        return Err(e.into());
    }
    if fail == FailPoint::AfterCommit {
        return Err(SyncError::Injected("after commit"));
    }
    ctx.report(Stage::WritingRouter { changes: router_changes.len() });
    let report = ctx.router.apply(router_changes).await;
    summary.router_writes = report.applied;
    for (change, e) in &report.failed {
        summary.errors.push(format!("{change:?}: {e}"));
    }
    summary.status = if report.failed.is_empty() && summary.errors.is_empty() { "succeeded" } else { "partial" };
    Ok(())
}

/// Waits helper for callers that poll (CLI progress).
pub const POLL: Duration = Duration::from_millis(200);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TickOutcome {
    Ran(Box<Summary>),
    /// Another process holds the lock.
    Locked,
    /// The last run is more recent than the interval allows.
    Throttled,
}

/// One scheduled tick as every worker process fires it: throttled by the last run's time,
/// serialized by the lock, so a tick is processed once however many workers there are.
pub async fn tick(
    ctx: &SyncContext,
    kv: &crate::kv::Kv,
    interval: Duration,
    trigger: &str,
    job_id: Option<String>,
) -> Result<TickOutcome, SyncError> {
    use super::lock;
    let kv_err = |e: crate::kv::KvError| SyncError::Db(DbError::Unavailable(e.to_string()));
    // 10 % slack: ticks of several processes are not perfectly aligned.
    let min_gap = interval.as_secs().saturating_mul(9) / 10;
    if trigger == "schedule" && lock::since_last_run(kv).await.map_err(kv_err)?.is_some_and(|s| s < min_gap) {
        return Ok(TickOutcome::Throttled);
    }
    // The lock outlives a stuck cycle by at most a few intervals.
    let Some(held) = lock::SyncLock::acquire(kv, interval.max(Duration::from_secs(60)) * 3).await.map_err(kv_err)?
    else {
        return Ok(TickOutcome::Locked);
    };
    // Re-check under the lock: a worker that just finished may have run this tick already.
    if trigger == "schedule" && lock::since_last_run(kv).await.map_err(kv_err)?.is_some_and(|s| s < min_gap) {
        let _ = held.release().await;
        return Ok(TickOutcome::Throttled);
    }
    let result = run_cycle(ctx, trigger, job_id, FailPoint::None).await;
    if result.is_ok() {
        let _ = lock::mark_run(kv).await;
    }
    if let Err(e) = held.release().await {
        tracing::warn!(error = %e, "could not release the sync lock; it expires by itself");
    }
    result.map(|s| TickOutcome::Ran(Box::new(s)))
}

impl PartialEq for Summary {
    fn eq(&self, other: &Self) -> bool {
        self.run_id == other.run_id
    }
}

impl Eq for Summary {}
