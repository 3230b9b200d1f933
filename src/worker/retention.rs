//! History kept for as long as the operator's retention settings say, then deleted by the
//! worker's daily housekeeping: sign-ins, the message log, sync runs, the audit log.
//!
//! Deletes go in chunks of [`CHUNK`] rows, each its own short statement, so a first run over
//! years of history neither holds long locks nor one huge transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamptz};

use crate::config::RuntimeSettings;
use crate::db::{Db, DbError};

pub const CHUNK: i64 = 10_000;

/// One history table: its name and the time its rows are aged by (fixed names, never input).
struct Kept {
    table: &'static str,
    /// An indexed time column.
    at: &'static str,
    also: &'static str,
}

const LOGIN_HISTORY: Kept = Kept { table: "login_history", at: "created_at", also: "" };
const MESSAGE_LOG: Kept = Kept { table: "message_log", at: "created_at", also: "" };
// A running cycle is never deleted.
const SYNC_RUNS: Kept = Kept { table: "sync_runs", at: "started_at", also: "AND finished_at IS NOT NULL" };
const AUDIT_LOG: Kept = Kept { table: "audit_log", at: "created_at", also: "" };

/// Rows deleted per table by one pass.
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

/// Deletes rows of `t` older than `before`, chunk by chunk; how many.
fn delete_older(conn: &mut PgConnection, t: &Kept, before: DateTime<Utc>) -> Result<usize, DbError> {
    let sql = format!(
        "DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {at} < $1 {also} ORDER BY {at} LIMIT $2)",
        table = t.table,
        at = t.at,
        also = t.also
    );
    let mut total = 0;
    loop {
        let n = diesel::sql_query(&sql).bind::<Timestamptz, _>(before).bind::<BigInt, _>(CHUNK).execute(conn)?;
        total += n;
        if (n as i64) < CHUNK {
            return Ok(total);
        }
    }
}

/// One pass over every history table, with the retention settings in force.
pub async fn apply(db: &Db, r: &RuntimeSettings, now: DateTime<Utc>) -> Result<Deleted, DbError> {
    let plan = [
        (LOGIN_HISTORY, cutoff(now, r.retention_login_history_days)),
        (MESSAGE_LOG, cutoff(now, r.retention_message_log_days)),
        (SYNC_RUNS, cutoff(now, r.retention_sync_runs_days)),
        (AUDIT_LOG, cutoff(now, r.retention_audit_log_days)),
    ];
    db.run(move |conn| {
        let mut n = [0usize; 4];
        for (i, (t, before)) in plan.iter().enumerate() {
            n[i] = delete_older(conn, t, *before)?;
        }
        Ok(Deleted { login_history: n[0], message_log: n[1], sync_runs: n[2], audit_log: n[3] })
    })
    .await
}
