//! One sync cycle: snapshot the router, load users, devices and baselines, plan, apply usage and
//! baselines in one transaction, then the router diff, and record the cycle in sync_runs.

use std::time::{Duration, Instant};

use std::sync::Arc;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::apply::{apply_batch, batches, finish};
use super::load::load;
use super::plan::{self, Rules};
use super::progress::write_reporting;
pub use super::progress::{Progress, Stage};
use crate::db::schema::sync_runs;
use crate::db::{Db, DbError};
use crate::domain::AccessStatus;
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

#[derive(Clone)]
pub struct SyncContext {
    pub db: Db,
    pub router: Ops,
    pub router_name: String,
    pub router_host: String,
    /// Runtime settings: what each status means on the router (the one policy sign-in uses
    /// too), read afresh by each cycle.
    pub runtime: crate::runtime::Runtime,
    /// Marks the router entries we own.
    pub comment_prefix: String,
    pub timezone: chrono_tz::Tz,
    /// Usage transactions of one cycle run side by side on this many connections, each for its
    /// share of the users (a user's devices, ledger row and totals always in one transaction).
    pub writers: usize,
    /// Told of each stage as it starts, and of the router writes' progress.
    pub progress: Option<Progress>,
    /// How often a long write-out reports its progress (the callback and the cycle's row).
    pub progress_every: Duration,
    /// How long the cycle lock lasts without renewal: longer than a cycle may take.
    pub lock_ttl: Duration,
    /// Tests only: stop between planning and charging until told to go on (an overlap).
    pub pause: Option<Arc<Pause>>,
    /// Where the users' messages go (status changes, quota running low); none: nobody is told.
    pub notify: Option<hotspot_jobs::Queues>,
}

/// A place a cycle waits at (tests of overlapping cycles).
#[derive(Default)]
pub struct Pause {
    pub reached: tokio::sync::Notify,
    pub resume: tokio::sync::Notify,
}

impl SyncContext {
    /// Tells the progress callback and records the stage on the cycle's row (the admin's sync
    /// status shows it); a failure to record it is only logged.
    pub(super) async fn report(&self, run_id: i64, stage: Stage) {
        if let Some(p) = &self.progress {
            p(stage);
        }
        let text = stage.to_string();
        let recorded = self
            .db
            .run(move |conn| {
                diesel::update(sync_runs::table.find(run_id)).set(sync_runs::stage.eq(text)).execute(conn)?;
                Ok(())
            })
            .await;
        if let Err(e) = recorded {
            tracing::debug!(error = %e, run_id, "sync stage not recorded");
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
    /// Our devices among the router's hosts (online this cycle).
    pub online: usize,
    pub bytes_charged: u64,
    pub users_charged: usize,
    pub router_commands: usize,
    pub router_writes: usize,
    pub status_changes: usize,
    pub errors: Vec<String>,
    pub millis: u128,
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
        online: 0,
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
    crate::metrics::with(|m| {
        m.sync_duration.with_label_values(&[summary.status]).observe(started.elapsed().as_secs_f64());
        m.sync_bytes_charged.inc_by(summary.bytes_charged);
        m.sync_router_writes.inc_by(summary.router_writes as u64);
        if summary.status == "failed" {
            m.sync_failures.inc();
        } else {
            m.sync_devices_seen.set(summary.online as i64);
            m.sync_last_success.set(Utc::now().timestamp());
        }
    });
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
    ctx.report(run_id, Stage::Reading).await;
    // One policy for the whole cycle, even if an operator changes the settings meanwhile.
    let policy_now = ctx.runtime.policy();
    let (name, host, policy) = (ctx.router_name.clone(), ctx.router_host.clone(), policy_now.clone());
    // The router and Postgres answer side by side.
    let (snapshot, loaded) =
        tokio::join!(ctx.router.snapshot(), ctx.db.run(move |conn| load(conn, &name, &host, &policy, now)));
    let (snapshot, mut loaded) = (snapshot?, loaded?);
    let view = plan::Snapshot {
        hosts: &snapshot.hosts,
        bindings: &snapshot.bindings,
        list_entries: &snapshot.list_entries,
        users: &snapshot.users,
    };
    let rules = Rules { policy: policy_now.clone(), comment_prefix: ctx.comment_prefix.clone() };
    let mut plan = plan::plan(&view, &loaded.baselines, &loaded.users, &loaded.devices, &rules, now);
    summary.hosts = snapshot.hosts.len();
    // The snapshot's part is done: at 250,000 devices it is a third of the cycle's peak memory.
    drop(snapshot);
    summary.users = loaded.users.len();
    summary.devices = loaded.devices.len();
    summary.online = plan.charges.len();
    summary.errors.extend(loaded.errors.iter().cloned());
    summary.status_changes = plan.statuses.iter().filter(|(id, s)| loaded.before.get(id) != Some(s)).count();
    let router_id = loaded.router_id;
    let status_updates: Vec<(uuid::Uuid, AccessStatus)> =
        plan.statuses.iter().filter(|(id, s)| loaded.stored.get(id) != Some(s)).map(|(id, s)| (*id, *s)).collect();
    // Who is told what once this cycle's usage is committed.
    let thresholds = ctx.runtime.get().quota_low_percents.clone();
    let crossings: Vec<(uuid::Uuid, u8, i64)> = loaded
        .users
        .iter()
        .filter(|u| !u.facts.is_unlimited)
        .filter_map(|u| {
            let charged = *plan.per_user.get(&u.id)? as i64;
            let f = &u.facts;
            crate::notify::events::threshold_crossed(
                f.purchased_bytes,
                f.used_bytes,
                f.used_bytes + charged,
                &thresholds,
            )
            .map(|p| (u.id, p, f.purchased_bytes))
        })
        .collect();
    let baselines = std::mem::take(&mut loaded.baselines);
    drop(loaded);
    let batches = batches(&mut plan, baselines, ctx.writers);
    // Only the router diff is needed from here on.
    let router_changes = plan.router;

    if let Some(p) = &ctx.pause {
        p.reached.notify_one();
        p.resume.notified().await;
    }
    ctx.report(run_id, Stage::Charging { hosts: summary.hosts, users: summary.users, devices: summary.devices }).await;
    let day = now.with_timezone(&ctx.timezone).date_naive();
    let results = futures_util::future::join_all(batches.into_iter().enumerate().map(|(shard, batch)| {
        ctx.db.run(move |conn| {
            apply_batch(conn, run_id, router_id, day, shard as i32, batch, fail).map_err(|e| match e {
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
    // The statuses this cycle's usage led to, for the admin's filters and counts (the router
    // below is told the same).
    if !status_updates.is_empty()
        && let Err(e) = {
            let updates = status_updates.clone();
            ctx.db.run(move |conn| super::apply::write_statuses(conn, &updates)).await
        }
    {
        summary.errors.push(format!("stored statuses not updated: {e}"));
    }
    if let Some(queues) = &ctx.notify {
        tell_users(queues, run_id, &status_updates, &crossings).await;
    }
    if fail == FailPoint::AfterCommit {
        return Err(SyncError::Injected("after commit"));
    }
    let changes = router_changes.len();
    ctx.report(run_id, Stage::WritingRouter { done: 0, changes }).await;
    let report = write_reporting(ctx, run_id, router_changes).await;
    summary.router_writes = report.applied;
    for (change, e) in &report.failed {
        summary.errors.push(format!("{change:?}: {e}"));
    }
    summary.status = if report.failed.is_empty() && summary.errors.is_empty() { "succeeded" } else { "partial" };
    Ok(())
}

/// Queues the cycle's messages: each status change (named by the run, so a change is told
/// once) and each quota threshold crossed. Many at once over the one multiplexed Redis
/// connection: a cycle that moves thousands of users waits for a few round trips, not thousands.
async fn tell_users(
    queues: &hotspot_jobs::Queues,
    run_id: i64,
    statuses: &[(uuid::Uuid, AccessStatus)],
    crossings: &[(uuid::Uuid, u8, i64)],
) {
    use crate::notify::{Event, tell};
    use futures_util::StreamExt;
    let changed: std::collections::HashSet<uuid::Uuid> = statuses.iter().map(|(u, _)| *u).collect();
    let status_events = statuses
        .iter()
        .filter(|(_, s)| Event::worth_telling(*s))
        .map(|(id, to)| (*id, Event::Status { to: *to, cause: format!("run-{run_id}"), reason: None }));
    // Below FUP or empty, the status message says it; the threshold one would repeat it.
    let low_events = crossings
        .iter()
        .filter(|(id, _, _)| !changed.contains(id))
        .map(|(id, percent, purchased)| (*id, Event::QuotaLow { percent: *percent, purchased: *purchased }));
    futures_util::stream::iter(status_events.chain(low_events))
        .for_each_concurrent(TELL_CONCURRENCY, |(id, event)| async move { tell(queues, id, event).await })
        .await;
}

/// Messages queued side by side by one cycle.
const TELL_CONCURRENCY: usize = 64;

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
    // The lock outlives the longest cycle and is renewed while this one runs, so no second
    // cycle starts beside it; the baseline compare-and-set fences whatever overlaps anyway.
    let Some(held) = lock::SyncLock::acquire(kv, ctx.lock_ttl).await.map_err(kv_err)? else {
        return Ok(TickOutcome::Locked);
    };
    // Re-check under the lock: a worker that just finished may have run this tick already.
    if trigger == "schedule" && lock::since_last_run(kv).await.map_err(kv_err)?.is_some_and(|s| s < min_gap) {
        let _ = held.release().await;
        return Ok(TickOutcome::Throttled);
    }
    let renewing = held.keep_alive(ctx.lock_ttl);
    let result = run_cycle(ctx, trigger, job_id, FailPoint::None).await;
    renewing.abort();
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
