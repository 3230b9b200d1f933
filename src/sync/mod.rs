//! Quota sync: snapshot → plan (pure) → apply (Postgres in one transaction, then the router).

mod apply;
mod load;
pub mod lock;
pub mod plan;
mod progress;
pub mod reconcile;
pub mod run;

pub use run::{FailPoint, Summary, SyncContext, run_cycle};

use crate::db::models::SyncRun;
use crate::db::{Db, DbError};

/// The last `limit` cycles, newest first.
pub async fn recent_runs(db: &Db, limit: i64) -> Result<Vec<SyncRun>, DbError> {
    use crate::db::schema::sync_runs;
    use diesel::prelude::*;
    db.run(move |conn| {
        Ok(sync_runs::table.order(sync_runs::id.desc()).limit(limit).select(SyncRun::as_select()).load(conn)?)
    })
    .await
}

/// When the last cycle that succeeded finished.
pub async fn last_success(db: &Db) -> Result<Option<chrono::DateTime<chrono::Utc>>, DbError> {
    use crate::db::schema::sync_runs;
    use diesel::prelude::*;
    db.run(|conn| {
        Ok(sync_runs::table
            .filter(sync_runs::status.eq("succeeded"))
            .order(sync_runs::id.desc())
            .select(sync_runs::finished_at)
            .first::<Option<chrono::DateTime<chrono::Utc>>>(conn)
            .optional()?
            .flatten())
    })
    .await
}
