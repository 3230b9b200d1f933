//! The two functions apalis calls, one for queued jobs and one for scheduled ones: the job's
//! run under its deadline and retry rule, a scheduled one claimed once per cron instant across
//! worker processes, a unique job's key released when it ends; and the queues' housekeeping.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::{AbortError, Attempt, Data, TaskId};
use apalis_core::backend::Vacuum;
use apalis_cron::Tick;
use apalis_redis::ConnectionManager;
use futures_util::FutureExt;
use serde_json::Value;

use crate::config::{RetryRule, WorkerConfig};
use crate::job::{BoxError, JobFuture};
use crate::payload::Done;
use crate::queue;

/// Decodes a queued job's JSON into its payload and runs it; errors when it does not decode.
pub(crate) type RunQueued = Arc<dyn Fn(Value, String) -> JobFuture + Send + Sync>;
/// Runs a scheduled job at a tick.
pub(crate) type RunScheduled = Arc<dyn Fn(u64) -> JobFuture + Send + Sync>;

/// What the worker of one queue holds.
#[derive(Clone)]
pub(crate) struct QueueCtx {
    pub(crate) queue: &'static str,
    pub(crate) unique: Option<&'static str>,
    pub(crate) rule: RetryRule,
    pub(crate) run: RunQueued,
    pub(crate) conn: ConnectionManager,
    pub(crate) config: Arc<WorkerConfig>,
}

/// What the worker of one scheduled job holds.
#[derive(Clone)]
pub(crate) struct ScheduledCtx {
    pub(crate) name: &'static str,
    pub(crate) rule: RetryRule,
    pub(crate) once_per_tick: bool,
    pub(crate) run: RunScheduled,
    pub(crate) conn: ConnectionManager,
    pub(crate) config: Arc<WorkerConfig>,
}

/// Runs `fut` under `deadline`, turning a panic into an error so the caller's clean-up runs.
pub(crate) async fn guarded(job: &'static str, deadline: Duration, fut: JobFuture) -> Result<Done, BoxError> {
    match tokio::time::timeout(deadline, AssertUnwindSafe(fut).catch_unwind()).await {
        Ok(Ok(result)) => result,
        Ok(Err(panic)) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-text panic".into());
            Err(Box::new(AbortError::new(format!("{job} panicked: {what}"))))
        }
        Err(_) => Err(format!("{job} did not finish within {} s", deadline.as_secs()).into()),
    }
}

pub(crate) fn is_abort(e: &BoxError) -> bool {
    e.downcast_ref::<AbortError>().is_some()
}

/// Logs the outcome; on the last attempt an error becomes an [`AbortError`], which apalis-redis
/// files as dead instead of rescheduling it (it otherwise re-runs failed jobs up to 25 times).
pub(crate) fn settle(
    job: &'static str,
    result: Result<Done, BoxError>,
    attempt: usize,
    rule: &RetryRule,
) -> Result<(), BoxError> {
    match result {
        Ok(done) => {
            tracing::info!(job, attempt, detail = %done.detail, "job done");
            Ok(())
        }
        Err(e) if is_abort(&e) || attempt > rule.retries => {
            tracing::error!(job, attempt, error = %e, "job failed; giving up");
            if is_abort(&e) { Err(e) } else { Err(Box::new(AbortError::new(e))) }
        }
        Err(e) => {
            tracing::warn!(job, attempt, retries = rule.retries, error = %e, "job failed; will retry");
            Err(e)
        }
    }
}

/// One queued job.
pub(crate) async fn queued_job(job: Value, id: TaskId, attempt: Attempt, ctx: Data<QueueCtx>) -> Result<(), BoxError> {
    let (rule, job_id, attempt) = (ctx.rule, id.to_string(), attempt.current());
    let r = guarded(ctx.queue, rule.timeout, (ctx.run)(job, job_id.clone())).await;
    let last = r.is_ok() || attempt > rule.retries || r.as_ref().is_err_and(is_abort);
    if let (true, Some(unique)) = (last, ctx.unique) {
        // The job is over: a new request must get a new job.
        let mut conn = ctx.conn.clone();
        if let Err(e) = queue::release_unique(&mut conn, &ctx.config.queues, ctx.queue, unique, &job_id).await {
            tracing::warn!(error = %e, "could not release a unique job's key; it expires by itself");
        }
    }
    settle(ctx.queue, r, attempt, &rule)
}

/// One tick of a scheduled job; with `once_per_tick`, only the first worker process to claim
/// the tick runs it.
pub(crate) async fn scheduled_job(
    tick: Tick<chrono_tz::Tz>,
    attempt: Attempt,
    ctx: Data<ScheduledCtx>,
) -> Result<(), BoxError> {
    let (rule, attempt, at) = (ctx.rule, attempt.current(), tick.get_timestamp());
    // A retry of our own claim must run; only a first attempt competes for the tick.
    if ctx.once_per_tick && attempt <= 1 {
        let mut conn = ctx.conn.clone();
        let keep = rule.timeout * (rule.retries as u32 + 2);
        match queue::claim_tick(&mut conn, &ctx.config.queues, ctx.name, at, keep).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::debug!(job = ctx.name, tick = at, "another worker has this tick");
                return Ok(());
            }
            Err(e) => return settle(ctx.name, Err(Box::new(e)), attempt, &rule),
        }
    }
    let r = guarded(ctx.name, rule.timeout, (ctx.run)(at)).await;
    settle(ctx.name, r, attempt, &rule)
}

/// Finished jobs older than `keep_finished` deleted from every queue (their data would grow
/// forever otherwise).
pub(crate) fn vacuum(config: Arc<WorkerConfig>, conn: ConnectionManager, queues: Vec<&'static str>) -> RunScheduled {
    Arc::new(move |_tick| {
        let (config, conn, queues) = (config.clone(), conn.clone(), queues.clone());
        Box::pin(async move {
            let mut removed = 0;
            for q in queues {
                let mut storage = config.queues.storage(conn.clone(), q);
                removed += storage.vacuum_before(config.keep_finished).await.map_err(|e| format!("{q}: {e}"))?;
            }
            Ok(Done::new(format!("{removed} finished jobs vacuumed")))
        })
    })
}
