//! One tick of the schedule (or a manual sync) as every worker process fires it: throttled by
//! the last run's time, serialized by the lock, so a tick is processed once however many workers
//! there are.

use std::time::Duration;

use super::context::{FailPoint, Summary, SyncContext, SyncError};
use super::lock;
use super::run::run_cycle;
use crate::db::DbError;
use crate::domain::SyncTrigger;

/// How long the sync lock is held without being renewed: the holder renews it every third of
/// this while its cycle runs, so a crashed holder (kill -9, a lost machine) frees it within this
/// lease instead of after the longest cycle; an overlap is fenced by the baselines anyway.
pub const LOCK_LEASE: Duration = Duration::from_secs(20);

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
    trigger: SyncTrigger,
    job_id: Option<String>,
) -> Result<TickOutcome, SyncError> {
    let kv_err = |e: crate::kv::KvError| SyncError::Db(DbError::Unavailable(e.to_string()));
    // 10 % slack: ticks of several processes are not perfectly aligned.
    let min_gap = interval.as_secs().saturating_mul(9) / 10;
    let site = ctx.site.key_suffix();
    if trigger == SyncTrigger::Schedule
        && lock::since_last_run(kv, &site).await.map_err(kv_err)?.is_some_and(|s| s < min_gap)
    {
        return Ok(TickOutcome::Throttled);
    }
    // The lock is a short lease renewed while this cycle runs, so no second cycle starts beside
    // it and a dead holder's lease runs out soon; the baseline compare-and-set fences whatever
    // overlaps anyway.
    let Some(held) = lock::SyncLock::acquire(kv, &site, ctx.lock_ttl).await.map_err(kv_err)? else {
        return Ok(TickOutcome::Locked);
    };
    // Re-check under the lock: a worker that just finished may have run this tick already.
    if trigger == SyncTrigger::Schedule
        && lock::since_last_run(kv, &site).await.map_err(kv_err)?.is_some_and(|s| s < min_gap)
    {
        let _ = held.release().await;
        return Ok(TickOutcome::Throttled);
    }
    let renewing = held.keep_alive(ctx.lock_ttl);
    let result = run_cycle(ctx, trigger, job_id, FailPoint::None).await;
    renewing.abort();
    if result.is_ok() {
        let _ = lock::mark_run(kv, &site).await;
    }
    if let Err(e) = held.release().await {
        tracing::warn!(error = %e, "could not release the sync lock; it expires by itself");
    }
    result.map(|s| TickOutcome::Ran(Box::new(s)))
}
