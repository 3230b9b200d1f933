//! One sync cycle: snapshot the router and load users, devices and baselines side by side,
//! plan (pure), charge usage and baselines in one transaction per batch, store the statuses
//! that moved and queue the users' messages, then write the router diff; the cycle is recorded
//! in the sites room's `sync_runs`.

use std::time::Instant;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::apply::{Batch, apply_batch, batches};
use super::context::{FailPoint, Stage, Summary, SyncContext, SyncError};
use super::load::load;
use super::plan::{self, Rules};
use super::progress::write_reporting;
use crate::db::DbError;
use crate::domain::policy::RouterPolicy;
use crate::domain::{AccessStatus, RunStatus, SyncTrigger};
use crate::notify::{Event, tell};
use crate::router::ops::Change;

/// Runs one cycle. A router that cannot be read fails the cycle (recorded) and charges nothing;
/// the next cycle catches up from the stored baselines.
pub async fn run_cycle(
    ctx: &SyncContext,
    trigger: SyncTrigger,
    job_id: Option<String>,
    fail: FailPoint,
) -> Result<Summary, SyncError> {
    let started = Instant::now();
    let now = Utc::now();
    let (name, host) = (ctx.site.name.clone(), ctx.site.host.clone());
    let (run_id, router_id) =
        ctx.db.run(move |conn| crate::sites::runs::start(conn, (&name, &host), trigger, job_id)).await?;
    let commands_before = ctx.router.client.stats().commands;
    let mut summary = Summary::new(run_id);
    let result = cycle(ctx, (run_id, router_id), now, fail, &mut summary).await;
    // The cycle's snapshot and plan are dropped by now.
    crate::db::release_free_memory();
    if let Err(e) = &result {
        summary.status = RunStatus::Failed;
        summary.errors.push(e.to_string());
    }
    summary.router_commands = (ctx.router.client.stats().commands - commands_before) as usize;
    summary.millis = started.elapsed().as_millis();
    record(ctx, &summary).await;
    result.map(|_| summary)
}

/// The cycle's row, metrics and log line.
async fn record(ctx: &SyncContext, summary: &Summary) {
    let (run_id, finished) = (summary.run_id, summary.finished());
    if let Err(e) = ctx.db.run(move |conn| crate::sites::runs::finish(conn, run_id, &finished)).await {
        tracing::error!(error = %e, run_id, "could not record the sync run");
    }
    crate::metrics::with(|m| {
        let status = summary.status.as_str();
        m.sync_duration.with_label_values(&[status]).observe(summary.millis as f64 / 1000.0);
        m.sync_bytes_charged.inc_by(summary.bytes_charged);
        m.sync_router_writes.inc_by(summary.router_writes as u64);
        if summary.status == RunStatus::Failed {
            m.sync_failures.inc();
        } else {
            m.sync_devices_seen.set(summary.online as i64);
            m.sync_last_success.set(Utc::now().timestamp());
        }
    });
    tracing::info!(
        run_id,
        status = %summary.status,
        users = summary.users,
        bytes = summary.bytes_charged,
        writes = summary.router_writes,
        ms = summary.millis as u64,
        "sync cycle"
    );
}

/// What planning leaves for the rest of the cycle.
struct Planned {
    batches: Vec<Batch>,
    router: Vec<Change>,
    /// Statuses that differ from the stored ones.
    statuses: Vec<(Uuid, AccessStatus)>,
    /// Users whose remaining quota crossed a threshold: (user, percent, purchased).
    crossings: Vec<(Uuid, u8, i64)>,
}

async fn cycle(
    ctx: &SyncContext,
    (run_id, router_id): (i64, i32),
    now: DateTime<Utc>,
    fail: FailPoint,
    summary: &mut Summary,
) -> Result<(), SyncError> {
    ctx.report(run_id, Stage::Reading).await;
    // One policy for the whole cycle, even if an operator changes the settings meanwhile.
    let policy = std::sync::Arc::new(ctx.site.policy(&ctx.runtime.policy()));
    let planned = read_and_plan(ctx, router_id, policy, now, summary).await?;
    if let Some(p) = &ctx.pause {
        p.reached.notify_one();
        p.resume.notified().await;
    }
    let stage = Stage::Charging { hosts: summary.hosts, users: summary.users, devices: summary.devices };
    ctx.report(run_id, stage).await;
    let day = now.with_timezone(&ctx.timezone).date_naive();
    charge(ctx, run_id, router_id, day, planned.batches, fail, summary).await?;
    // The statuses this cycle's usage led to, for the admin's filters and counts (the router
    // below is told the same).
    let updates = planned.statuses.clone();
    if !updates.is_empty()
        && let Err(e) = ctx.db.run(move |conn| crate::accounts::status::store_all(conn, &updates)).await
    {
        summary.errors.push(format!("stored statuses not updated: {e}"));
    }
    if let Some(queues) = &ctx.notify {
        tell_users(queues, run_id, &planned.statuses, &planned.crossings).await;
    }
    if fail == FailPoint::AfterCommit {
        return Err(SyncError::Injected("after commit"));
    }
    let changes = planned.router.len();
    ctx.report(run_id, Stage::WritingRouter { done: 0, changes }).await;
    let report = write_reporting(ctx, run_id, planned.router).await;
    summary.router_writes = report.applied;
    for (change, e) in &report.failed {
        summary.errors.push(format!("{}: {e}", change.label()));
    }
    summary.status =
        if report.failed.is_empty() && summary.errors.is_empty() { RunStatus::Succeeded } else { RunStatus::Partial };
    Ok(())
}

/// The router snapshot and the database load side by side, then the plan; the snapshot is
/// dropped as soon as the plan is made (at 250,000 devices it is a third of the peak memory).
async fn read_and_plan(
    ctx: &SyncContext,
    router_id: i32,
    policy: std::sync::Arc<RouterPolicy>,
    now: DateTime<Utc>,
    summary: &mut Summary,
) -> Result<Planned, SyncError> {
    let (default, p, wants) = (ctx.site.default, policy.clone(), ctx.site.snapshot_wants());
    let (snapshot, loaded) =
        tokio::join!(ctx.router.snapshot_with(&wants), ctx.db.run(move |conn| load(conn, router_id, default, &p, now)));
    let (snapshot, mut loaded) = (snapshot?, loaded?);
    let view = plan::Snapshot {
        hosts: &snapshot.hosts,
        bindings: &snapshot.bindings,
        list_entries: &snapshot.list_entries,
        users: &snapshot.users,
    };
    let rules = Rules { policy, comment_prefix: ctx.comment_prefix.clone() };
    let mut plan = plan::plan(&view, &loaded.baselines, &loaded.users, &loaded.devices, &rules, now);
    if wants.host_state || wants.leases || !wants.lists.is_empty() {
        let site = plan::housekeeping::Site {
            hosts: &snapshot.hosts,
            leases: &snapshot.leases,
            dhcp_servers: &snapshot.dhcp_servers,
            list_entries: &snapshot.list_entries,
            devices: &loaded.devices,
            clients: &ctx.site.clients,
        };
        let (changes, notes) = plan::housekeeping::plan(&site, &ctx.site.housekeeping, &rules);
        plan.router.extend(changes);
        for note in notes {
            tracing::info!(site = %ctx.site.name, "{note}");
        }
    }
    summary.hosts = snapshot.hosts.len();
    drop(snapshot);
    summary.users = loaded.users.len();
    summary.devices = loaded.devices.len();
    summary.online = plan.charges.len();
    summary.errors.extend(loaded.errors.iter().cloned());
    summary.status_changes = plan.statuses.iter().filter(|(id, s)| loaded.before.get(id) != Some(s)).count();
    let statuses =
        plan.statuses.iter().filter(|(id, s)| loaded.stored.get(id) != Some(s)).map(|(id, s)| (*id, *s)).collect();
    // Who is told what once this cycle's usage is committed.
    let thresholds = ctx.runtime.get().quota_low_percents.clone();
    let crossings = loaded
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
    Ok(Planned { batches, router: plan.router, statuses, crossings })
}

/// The batches' usage transactions, side by side. Batches are independent: each committed one
/// is final, a failed one charges nothing and its users are caught up from their unchanged
/// baselines next cycle.
async fn charge(
    ctx: &SyncContext,
    run_id: i64,
    router_id: i32,
    day: chrono::NaiveDate,
    batches: Vec<Batch>,
    fail: FailPoint,
    summary: &mut Summary,
) -> Result<(), SyncError> {
    let results = futures_util::future::join_all(batches.into_iter().enumerate().map(|(shard, batch)| {
        ctx.db.run(move |conn| {
            apply_batch(conn, run_id, router_id, day, shard as i32, batch, fail).map_err(|e| match e {
                SyncError::Db(d) => d,
                other => DbError::Task(other.to_string()),
            })
        })
    }))
    .await;
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
    match failed {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// Queues the cycle's messages: each status change (named by the run, so a change is told
/// once) and each quota threshold crossed. Many at once over the one multiplexed Redis
/// connection: a cycle that moves thousands of users waits for a few round trips, not thousands.
async fn tell_users(
    queues: &hotspot_jobs::Queues,
    run_id: i64,
    statuses: &[(Uuid, AccessStatus)],
    crossings: &[(Uuid, u8, i64)],
) {
    use futures_util::StreamExt;
    let changed: std::collections::HashSet<Uuid> = statuses.iter().map(|(u, _)| *u).collect();
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
