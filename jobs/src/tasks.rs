//! Each job's function as apalis calls it: the handler run under its deadline and retry rule,
//! scheduled ones claimed once per cron instant across worker processes, the manual sync's
//! key released when it ends, the queues' housekeeping.

use apalis::prelude::{Attempt, Data, TaskId};
use apalis_core::backend::Vacuum;
use apalis_cron::Tick;
use apalis_redis::RedisStorage;

use crate::payload::{ManualSync, Notify, Reconcile, RouterRetry};
use crate::queue::{self, MANUAL_SYNC, NOTIFY, RECONCILE, ROUTER_RETRY};
use crate::worker::{BoxError, Ctx, JobFuture, guarded, is_abort, settle};

pub(crate) async fn quota_sync_job(tick: Tick, attempt: Attempt, ctx: Data<Ctx>) -> Result<(), BoxError> {
    let rule = ctx.config.sync;
    let r = guarded("quota-sync", rule.timeout, ctx.handlers.quota_sync(tick.get_timestamp())).await;
    settle("quota-sync", r, attempt.current(), &rule)
}

/// Runs a maintenance handler once per cron instant across all worker processes.
pub(crate) async fn once_per_tick(
    ctx: &Ctx,
    job: &'static str,
    tick: u64,
    attempt: usize,
    run: impl FnOnce() -> JobFuture,
) -> Result<(), BoxError> {
    let rule = ctx.config.maintenance;
    // A retry of our own claim must run; only a first attempt competes for the tick.
    if attempt <= 1 {
        let mut conn = ctx.conn.clone();
        let keep = rule.timeout * (rule.retries as u32 + 2);
        match queue::claim_tick(&mut conn, &ctx.config.queues, job, tick, keep).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::debug!(job, tick, "another worker has this tick");
                return Ok(());
            }
            Err(e) => return settle(job, Err(Box::new(e)), attempt, &rule),
        }
    }
    let r = guarded(job, rule.timeout, run()).await;
    settle(job, r, attempt, &rule)
}

pub(crate) async fn token_cleanup_job(
    tick: Tick<chrono_tz::Tz>,
    attempt: Attempt,
    ctx: Data<Ctx>,
) -> Result<(), BoxError> {
    let c = (*ctx).clone();
    let handlers = c.handlers.clone();
    once_per_tick(&c, "refresh-token-cleanup", tick.get_timestamp(), attempt.current(), move || {
        handlers.cleanup_refresh_tokens()
    })
    .await?;
    // Queue housekeeping rides on this hourly job: finished jobs' data would grow forever.
    vacuum(&c).await;
    Ok(())
}

pub(crate) async fn vacuum(ctx: &Ctx) {
    let keep = ctx.config.keep_finished;
    let mut manual =
        RedisStorage::<ManualSync>::new(ctx.conn.clone()).with_config(ctx.config.queues.redis_config(MANUAL_SYNC));
    let mut retry =
        RedisStorage::<RouterRetry>::new(ctx.conn.clone()).with_config(ctx.config.queues.redis_config(ROUTER_RETRY));
    let mut reconcile =
        RedisStorage::<Reconcile>::new(ctx.conn.clone()).with_config(ctx.config.queues.redis_config(RECONCILE));
    let mut notify = RedisStorage::<Notify>::new(ctx.conn.clone()).with_config(ctx.config.queues.redis_config(NOTIFY));
    let results = [
        manual.vacuum_before(keep).await,
        retry.vacuum_before(keep).await,
        reconcile.vacuum_before(keep).await,
        notify.vacuum_before(keep).await,
    ];
    match results.iter().find_map(|r| r.as_ref().err()) {
        None => tracing::debug!(removed = results.iter().flatten().sum::<usize>(), "queues vacuumed"),
        Some(e) => tracing::warn!(error = %e, "queue vacuum failed; next hour tries again"),
    }
}

pub(crate) async fn device_cleanup_job(
    tick: Tick<chrono_tz::Tz>,
    attempt: Attempt,
    ctx: Data<Ctx>,
) -> Result<(), BoxError> {
    let handlers = ctx.handlers.clone();
    once_per_tick(&ctx, "stale-device-cleanup", tick.get_timestamp(), attempt.current(), move || {
        handlers.cleanup_stale_devices()
    })
    .await
}

pub(crate) async fn payment_reconcile_job(tick: Tick, attempt: Attempt, ctx: Data<Ctx>) -> Result<(), BoxError> {
    let handlers = ctx.handlers.clone();
    once_per_tick(&ctx, "payment-reconcile", tick.get_timestamp(), attempt.current(), move || {
        handlers.payment_reconcile()
    })
    .await
}

pub(crate) async fn manual_sync_job(
    job: ManualSync,
    id: TaskId,
    attempt: Attempt,
    ctx: Data<Ctx>,
) -> Result<(), BoxError> {
    let rule = ctx.config.sync;
    let job_id = id.to_string();
    let attempt = attempt.current();
    let r = guarded("manual-sync", rule.timeout, ctx.handlers.manual_sync(job_id.clone(), job)).await;
    let last = r.is_ok() || attempt > rule.retries || r.as_ref().is_err_and(is_abort);
    if last {
        // The job is over: a new "sync now" must get a new job.
        let mut conn = ctx.conn.clone();
        if let Err(e) = queue::release_manual_sync(&mut conn, &ctx.config.queues, &job_id).await {
            tracing::warn!(error = %e, "could not release the manual sync key; it expires by itself");
        }
    }
    settle("manual-sync", r, attempt, &rule)
}

pub(crate) async fn router_retry_job(job: RouterRetry, attempt: Attempt, ctx: Data<Ctx>) -> Result<(), BoxError> {
    let rule = ctx.config.router_retry;
    let r = guarded("router-retry", rule.timeout, ctx.handlers.router_retry(job)).await;
    settle("router-retry", r, attempt.current(), &rule)
}

pub(crate) async fn expiry_warnings_job(
    tick: Tick<chrono_tz::Tz>,
    attempt: Attempt,
    ctx: Data<Ctx>,
) -> Result<(), BoxError> {
    let handlers = ctx.handlers.clone();
    once_per_tick(&ctx, "expiry-warnings", tick.get_timestamp(), attempt.current(), move || handlers.expiry_warnings())
        .await
}

pub(crate) async fn gateway_watch_job(tick: Tick, attempt: Attempt, ctx: Data<Ctx>) -> Result<(), BoxError> {
    let handlers = ctx.handlers.clone();
    once_per_tick(&ctx, "gateway-watch", tick.get_timestamp(), attempt.current(), move || handlers.gateway_watch())
        .await
}

pub(crate) async fn notify_job(job: Notify, attempt: Attempt, ctx: Data<Ctx>) -> Result<(), BoxError> {
    let rule = ctx.config.router_retry;
    let r = guarded("notify", rule.timeout, ctx.handlers.notify(job)).await;
    settle("notify", r, attempt.current(), &rule)
}

pub(crate) async fn reconcile_job(job: Reconcile, attempt: Attempt, ctx: Data<Ctx>) -> Result<(), BoxError> {
    let rule = ctx.config.router_retry;
    let r = guarded("reconcile", rule.timeout, ctx.handlers.reconcile(job)).await;
    settle("reconcile", r, attempt.current(), &rule)
}
