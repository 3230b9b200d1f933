//! The hourly housekeeping: dead refresh tokens, registrations nobody proved, history past the
//! operator's retention (sign-ins, messages, sync runs, the audit log), each deleted by the room
//! that owns it; and, when the operator turns it on, the inactive-account policy.

use std::time::Duration;

use chrono::{DateTime, Utc};
use hotspot_jobs::{Done, JobFuture, Schedule, Scheduled};

use super::{Ctx, boxed, counted};
use crate::audit::Actor;
use crate::config::RuntimeSettings;
use crate::db::{Db, DbError};

/// Revoked tokens are kept this long after revocation (an attacker replaying one in that window
/// still meets a revoked family rather than an unknown token), then deleted.
pub const REVOKED_RETENTION: Duration = Duration::from_secs(24 * 3600);

pub struct Housekeeping;

impl Scheduled<Ctx> for Housekeeping {
    const NAME: &'static str = "housekeeping";

    fn schedule(ctx: &Ctx) -> Schedule {
        Schedule::cron(ctx.settings.jobs.token_cleanup_cron.clone())
    }

    fn run(ctx: &Ctx, _tick: u64) -> JobFuture {
        let (db, runtime, admin, radius) = (ctx.db.clone(), ctx.runtime.get(), ctx.admin.clone(), ctx.radius.clone());
        counted(Self::NAME, async move {
            let tokens = db.run(|c| crate::auth::refresh::delete_dead(c, REVOKED_RETENTION)).await?;
            let unproven = db.run(crate::accounts::create::delete_unproven).await?;
            let kept = retention(&db, &runtime, Utc::now()).await?;
            let idle = if runtime.inactive_cleanup {
                let s = admin.sweep_inactive(&Actor::job("inactive-cleanup")).await.map_err(boxed)?;
                format!("; inactive accounts: {} deactivated, {} deleted", s.deactivated, s.deleted)
            } else {
                String::new()
            };
            // RADIUS sessions whose reports stopped (a Stop lost on the way) are closed.
            let quiet = match &radius {
                Some(r) => format!("; {} quiet RADIUS sessions closed", r.close_quiet().await?),
                None => String::new(),
            };
            Ok(Done::new(format!(
                "{tokens} refresh tokens and {unproven} unproven registrations deleted; {kept}{idle}{quiet}"
            )))
        })
    }
}

/// Rows deleted per history table by one pass.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Deleted {
    pub login_history: usize,
    pub message_log: usize,
    pub sync_runs: usize,
    pub audit_log: usize,
}

impl std::fmt::Display for Deleted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} sign-ins, {} messages, {} sync runs, {} audit entries past retention deleted",
            self.login_history, self.message_log, self.sync_runs, self.audit_log
        )
    }
}

fn cutoff(now: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    now - chrono::Duration::days(i64::from(days))
}

/// One pass over every history table, with the retention settings in force.
pub async fn retention(db: &Db, r: &RuntimeSettings, now: DateTime<Utc>) -> Result<Deleted, DbError> {
    let (sign_ins, messages) = (cutoff(now, r.retention_login_history_days), cutoff(now, r.retention_message_log_days));
    let (runs, audit) = (cutoff(now, r.retention_sync_runs_days), cutoff(now, r.retention_audit_log_days));
    db.run(move |conn| {
        Ok(Deleted {
            login_history: crate::accounts::history::prune(conn, sign_ins)?,
            message_log: crate::notify::log::prune(conn, messages)?,
            sync_runs: crate::sites::runs::prune(conn, runs)?,
            audit_log: crate::audit::prune(conn, audit)?,
        })
    })
    .await
}
