//! Sync cycles as recorded: started, their stage while they run, their figures when they end;
//! read back for the admin's sync status and dashboard; pruned past retention.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::models::SyncRun;
use crate::db::schema::sync_runs;
use crate::db::{Db, DbError};
use crate::domain::{RunStatus, SyncTrigger};

/// What a cycle's row says when it ends.
#[derive(Debug, Clone)]
pub struct Finished {
    pub status: RunStatus,
    pub users: usize,
    pub devices: usize,
    /// Our devices among the router's hosts.
    pub online: usize,
    pub bytes_charged: u64,
    pub router_commands: usize,
    pub router_writes: usize,
    pub errors: Vec<String>,
}

fn clamp(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// A cycle's row, `running`; its id. A cycle starts under the sync lock, so a row still
/// `running` then belongs to a cycle of this site whose process died (or lost its database) before it could
/// say how it ended: it is closed as failed first, in the same transaction.
pub fn start(
    conn: &mut PgConnection,
    site: (&str, &str),
    trigger: SyncTrigger,
    job_id: Option<String>,
) -> Result<(i64, i32), DbError> {
    conn.transaction(|tx| {
        let router_id = super::register(tx, site.0, site.1)?;
        let this_site = sync_runs::router_id.eq(router_id).or(sync_runs::router_id.is_null());
        let running = sync_runs::table.filter(sync_runs::status.eq(RunStatus::Running)).filter(this_site);
        let abandoned = diesel::update(running)
            .set((
                sync_runs::status.eq(RunStatus::Failed),
                sync_runs::finished_at.eq(Utc::now()),
                sync_runs::error_count.eq(1),
                sync_runs::errors.eq(serde_json::json!(["abandoned: its process stopped before the cycle ended"])),
                sync_runs::stage.eq(None::<String>),
            ))
            .execute(tx)?;
        if abandoned > 0 {
            tracing::warn!(abandoned, "sync runs left running by a stopped process closed as failed");
        }
        let run_id = diesel::insert_into(sync_runs::table)
            .values((sync_runs::trigger.eq(trigger), sync_runs::job_id.eq(job_id), sync_runs::router_id.eq(router_id)))
            .returning(sync_runs::id)
            .get_result(tx)?;
        Ok((run_id, router_id))
    })
}

/// What the running cycle is doing now.
pub fn stage(conn: &mut PgConnection, run_id: i64, text: &str) -> Result<(), DbError> {
    diesel::update(sync_runs::table.find(run_id)).set(sync_runs::stage.eq(text)).execute(conn)?;
    Ok(())
}

pub fn finish(conn: &mut PgConnection, run_id: i64, f: &Finished) -> Result<(), DbError> {
    diesel::update(sync_runs::table.find(run_id))
        .set((
            sync_runs::status.eq(f.status),
            sync_runs::finished_at.eq(Utc::now()),
            sync_runs::users_count.eq(clamp(f.users)),
            sync_runs::devices_count.eq(clamp(f.devices)),
            sync_runs::bytes_charged.eq(i64::try_from(f.bytes_charged).unwrap_or(i64::MAX)),
            sync_runs::router_commands.eq(clamp(f.router_commands)),
            sync_runs::router_writes.eq(clamp(f.router_writes)),
            sync_runs::error_count.eq(clamp(f.errors.len())),
            sync_runs::hosts_count.eq(clamp(f.online)),
            sync_runs::errors.eq(serde_json::json!(f.errors.iter().take(100).collect::<Vec<_>>())),
            sync_runs::stage.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// The last `limit` cycles, newest first.
pub async fn recent(db: &Db, limit: i64) -> Result<Vec<SyncRun>, DbError> {
    db.run(move |conn| {
        Ok(sync_runs::table.order(sync_runs::id.desc()).limit(limit).select(SyncRun::as_select()).load(conn)?)
    })
    .await
}

/// Each site's latest cycle.
pub fn latest_per_site(conn: &mut PgConnection) -> Result<Vec<SyncRun>, DbError> {
    Ok(sync_runs::table
        .filter(sync_runs::router_id.is_not_null())
        .distinct_on(sync_runs::router_id)
        .order((sync_runs::router_id, sync_runs::id.desc()))
        .select(SyncRun::as_select())
        .load(conn)?)
}

/// When the last cycle that succeeded finished.
pub async fn last_success(db: &Db) -> Result<Option<DateTime<Utc>>, DbError> {
    db.run(|conn| {
        Ok(sync_runs::table
            .filter(sync_runs::status.eq(RunStatus::Succeeded))
            .order(sync_runs::id.desc())
            .select(sync_runs::finished_at)
            .first::<Option<DateTime<Utc>>>(conn)
            .optional()?
            .flatten())
    })
    .await
}

/// Our devices the router showed online at the last cycle that did not fail, when it ended
/// after `since`.
pub fn online_since(conn: &mut PgConnection, since: DateTime<Utc>) -> Result<i64, DbError> {
    Ok(sync_runs::table
        .filter(sync_runs::finished_at.ge(since))
        .filter(sync_runs::status.ne(RunStatus::Failed))
        .order(sync_runs::id.desc())
        .select(sync_runs::hosts_count)
        .first::<i32>(conn)
        .optional()?
        .map(i64::from)
        .unwrap_or(0))
}

/// Deletes finished cycles older than `before` (a running one never goes); how many.
pub fn prune(conn: &mut PgConnection, before: DateTime<Utc>) -> Result<usize, DbError> {
    let aged = crate::db::Aged { table: "sync_runs", at: "started_at", also: "AND finished_at IS NOT NULL" };
    crate::db::delete_older(conn, aged, before)
}
