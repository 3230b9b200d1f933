//! The worker: one apalis Monitor running the cron table and the Redis queues with retries,
//! backoff, deadlines and caught panics. The handlers come from the `hotspot` crate.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use apalis::layers::WorkerBuilderExt;
use apalis::layers::retry::backoff::Backoff;
use apalis::layers::retry::{BackoffRetryPolicy, RetryPolicy};
use apalis::prelude::{AbortError, BackendExt, Event, Monitor, WorkerBuilder};
use apalis_cron::CronScheduler;
use apalis_redis::{ConnectionManager, RedisStorage};
use futures_util::FutureExt;

use crate::payload::{Done, ManualSync, Notify, Reconcile, RouterRetry};
use crate::queue::{MANUAL_SYNC, NOTIFY, QueueError, QueueSettings, RECONCILE, ROUTER_RETRY};
use crate::schedule::{CronTable, Every};
use crate::tasks::{
    device_cleanup_job, expiry_warnings_job, gateway_watch_job, manual_sync_job, notify_job, payment_reconcile_job,
    quota_sync_job, reconcile_job, router_retry_job, token_cleanup_job,
};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub type JobFuture = Pin<Box<dyn Future<Output = Result<Done, BoxError>> + Send>>;

/// The work itself, implemented by the `hotspot` crate. Every handler must be safe to run again:
/// a retry, a re-queued job of a killed worker, or the same tick in two processes.
pub trait Handlers: Send + Sync + 'static {
    /// A scheduled quota sync at cron instant `tick` (the handler applies the throttle and lock).
    fn quota_sync(&self, tick: u64) -> JobFuture;
    /// A manual sync asked for through the queue; `job_id` is the id the admin was given.
    fn manual_sync(&self, job_id: String, job: ManualSync) -> JobFuture;
    /// Expired and revoked refresh tokens deleted.
    fn cleanup_refresh_tokens(&self) -> JobFuture;
    /// Devices unseen for the configured days removed, router entries too.
    fn cleanup_stale_devices(&self) -> JobFuture;
    /// Router removals that failed earlier, tried again.
    fn router_retry(&self, job: RouterRetry) -> JobFuture;
    /// One user's router entries brought in line with their status.
    fn reconcile(&self, job: Reconcile) -> JobFuture;
    /// Payments still pending after a while are asked about (missed notifications), stale ones
    /// expired.
    fn payment_reconcile(&self) -> JobFuture;
    /// Queues the expiry warnings due today.
    fn expiry_warnings(&self) -> JobFuture;
    /// Checks the WhatsApp gateway's session; a drop is logged and told to the operators.
    fn gateway_watch(&self) -> JobFuture;
    /// Sends one message to a user (or puts it off until the quiet hours end).
    fn notify(&self, job: Notify) -> JobFuture;
}

/// How hard each kind of job is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryRule {
    /// Extra attempts after the first.
    pub retries: usize,
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// Deadline of one attempt.
    pub timeout: Duration,
}

impl RetryRule {
    fn policy(&self) -> BackoffRetryPolicy<Doubling> {
        RetryPolicy::retries(self.retries).with_backoff(Doubling::new(self.backoff_min, self.backoff_max))
    }
}

/// Waits `min`, then twice as long after each failure, never more than `max`. A fresh copy per
/// task (the retry layer clones its policy for every call), so each job starts from `min`.
#[derive(Debug, Clone)]
pub struct Doubling {
    next: Duration,
    max: Duration,
}

impl Doubling {
    pub fn new(min: Duration, max: Duration) -> Self {
        Self { next: min, max: max.max(min) }
    }

    fn step(&mut self) -> Duration {
        let wait = self.next.min(self.max);
        self.next = self.next.saturating_mul(2);
        wait
    }
}

impl Backoff for Doubling {
    type Future = tokio::time::Sleep;

    fn next_backoff(&mut self) -> Self::Future {
        tokio::time::sleep(self.step())
    }
}

/// Every knob of the worker.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// This process's worker name prefix (host and pid make it unique).
    pub name: String,
    pub queues: QueueSettings,
    pub cron: CronTable,
    pub sync: RetryRule,
    pub maintenance: RetryRule,
    pub router_retry: RetryRule,
    /// How long running jobs get to finish after the shutdown signal.
    pub shutdown_timeout: Duration,
    /// Finished queue jobs older than this are vacuumed by the token-cleanup job.
    pub keep_finished: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error("worker stopped with errors: {0}")]
    Monitor(String),
}

#[derive(Clone)]
pub(crate) struct Ctx {
    pub(crate) handlers: Arc<dyn Handlers>,
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

/// An error no retry can fix (a malformed payload): the job is filed as dead at once.
pub fn give_up(reason: String) -> BoxError {
    Box::new(AbortError::new(reason))
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

fn log_event(worker: &str, ev: &Event) {
    match ev {
        Event::Error(e) => tracing::warn!(worker, error = %e, "worker error"),
        Event::Start => tracing::debug!(worker, "worker started"),
        Event::Stop | Event::Exit => tracing::debug!(worker, "worker stopped"),
        _ => {}
    }
}

/// Runs every scheduled job and queue consumer until `signal` resolves, then gives running jobs
/// `shutdown_timeout` to finish.
pub async fn run(
    config: WorkerConfig,
    conn: ConnectionManager,
    handlers: Arc<dyn Handlers>,
    signal: impl Future<Output = ()> + Send + 'static,
) -> Result<(), WorkerError> {
    let config = Arc::new(config);
    let ctx = Ctx { handlers, conn: conn.clone(), config: config.clone() };
    let name = config.name.clone();
    let tz = config.cron.timezone;

    let manual = RedisStorage::<ManualSync>::new(conn.clone())
        .with_config(config.queues.redis_config(MANUAL_SYNC))
        .poll_with_interval(config.queues.poll_interval);
    let retry = RedisStorage::<RouterRetry>::new(conn.clone())
        .with_config(config.queues.redis_config(ROUTER_RETRY))
        .poll_with_interval(config.queues.poll_interval);

    let reconcile = RedisStorage::<Reconcile>::new(conn.clone())
        .with_config(config.queues.redis_config(RECONCILE))
        .poll_with_interval(config.queues.poll_interval);

    let (c1, c2, c3, c4, c5, c6, c7) =
        (ctx.clone(), ctx.clone(), ctx.clone(), ctx.clone(), ctx.clone(), ctx.clone(), ctx.clone());
    let (n7, n8, c8, n9, c9) = (name.clone(), name.clone(), ctx.clone(), name.clone(), ctx.clone());
    let expiry = config.cron.expiry_warnings.clone();
    let (n10, c10) = (name.clone(), ctx.clone());
    let watch = Every::new(config.cron.gateway_watch_every);
    let notify = RedisStorage::<Notify>::new(conn.clone())
        .with_config(config.queues.redis_config(NOTIFY))
        .poll_with_interval(config.queues.poll_interval);
    let payments = Every::new(config.cron.payment_reconcile_every);
    let (n1, n2, n3, n4, n5, n6) = (name.clone(), name.clone(), name.clone(), name.clone(), name.clone(), name.clone());
    let every = Every::new(config.cron.quota_sync_every);
    let (tokens, devices) = (config.cron.token_cleanup.clone(), config.cron.device_cleanup.clone());
    let (sync_rule, maint_rule, retry_rule) = (config.sync, config.maintenance, config.router_retry);
    // The outer apalis timeout is a backstop behind our own deadline, which lets clean-up run.
    let backstop = |r: &RetryRule| r.timeout + Duration::from_secs(5);

    let monitor = Monitor::new()
        .register(move |_| {
            WorkerBuilder::new(format!("{n1}:quota-sync"))
                .backend(CronScheduler::new(every.clone()))
                .retry(sync_rule.policy())
                .timeout(backstop(&sync_rule))
                .catch_panic()
                .data(c1.clone())
                .build(quota_sync_job)
        })
        .register(move |_| {
            WorkerBuilder::new(format!("{n2}:refresh-token-cleanup"))
                .backend(CronScheduler::new(tokens.clone()).with_timezone(tz))
                .retry(maint_rule.policy())
                .timeout(backstop(&maint_rule))
                .catch_panic()
                .data(c2.clone())
                .build(token_cleanup_job)
        })
        .register(move |_| {
            WorkerBuilder::new(format!("{n3}:stale-device-cleanup"))
                .backend(CronScheduler::new(devices.clone()).with_timezone(tz))
                .retry(maint_rule.policy())
                .timeout(backstop(&maint_rule))
                .catch_panic()
                .data(c3.clone())
                .build(device_cleanup_job)
        })
        .register(move |_| {
            WorkerBuilder::new(format!("{n4}:manual-sync"))
                .backend(manual.clone())
                .retry(sync_rule.policy())
                .timeout(backstop(&sync_rule))
                .catch_panic()
                .data(c4.clone())
                .build(manual_sync_job)
        })
        .register(move |_| {
            WorkerBuilder::new(format!("{n5}:router-retry"))
                .backend(retry.clone())
                .retry(retry_rule.policy())
                .timeout(backstop(&retry_rule))
                .catch_panic()
                .data(c5.clone())
                .build(router_retry_job)
        })
        .register(move |_| {
            WorkerBuilder::new(format!("{n6}:reconcile"))
                .backend(reconcile.clone())
                .retry(retry_rule.policy())
                .timeout(backstop(&retry_rule))
                .catch_panic()
                .data(c6.clone())
                .build(reconcile_job)
        })
        .register(move |_| {
            WorkerBuilder::new(format!("{n7}:payment-reconcile"))
                .backend(CronScheduler::new(payments.clone()))
                .retry(maint_rule.policy())
                .timeout(backstop(&maint_rule))
                .catch_panic()
                .data(c7.clone())
                .build(payment_reconcile_job)
        })
        .register(move |_| {
            WorkerBuilder::new(format!("{n8}:notify"))
                .backend(notify.clone())
                .retry(retry_rule.policy())
                .timeout(backstop(&retry_rule))
                .catch_panic()
                .data(c8.clone())
                .build(notify_job)
        })
        .register(move |_| {
            WorkerBuilder::new(format!("{n9}:expiry-warnings"))
                .backend(CronScheduler::new(expiry.clone()).with_timezone(tz))
                .retry(maint_rule.policy())
                .timeout(backstop(&maint_rule))
                .catch_panic()
                .data(c9.clone())
                .build(expiry_warnings_job)
        })
        .register(move |_| {
            WorkerBuilder::new(format!("{n10}:gateway-watch"))
                .backend(CronScheduler::new(watch.clone()))
                .retry(maint_rule.policy())
                .timeout(backstop(&maint_rule))
                .catch_panic()
                .data(c10.clone())
                .build(gateway_watch_job)
        })
        .on_event(|ctx, ev| log_event(ctx.name(), ev))
        .shutdown_timeout(config.shutdown_timeout);

    for (job, next) in config.cron.preview(1) {
        tracing::info!(job, next = next.first().map(String::as_str).unwrap_or("never"), "scheduled");
    }
    monitor
        .run_with_signal(async move {
            signal.await;
            tracing::info!("worker stopping");
            Ok(())
        })
        .await
        .map_err(|e| WorkerError::Monitor(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_min_up_to_max() {
        let cases: &[(u64, u64, &[u64])] = &[
            (5, 60, &[5, 10, 20, 40, 60, 60]),
            (2, 2, &[2, 2, 2]),
            // A max below min is read as min.
            (10, 1, &[10, 10]),
        ];
        for (min, max, want) in cases {
            let mut d = Doubling::new(Duration::from_secs(*min), Duration::from_secs(*max));
            let got: Vec<u64> = want.iter().map(|_| d.step().as_secs()).collect();
            assert_eq!(&got, want, "min {min} max {max}");
        }
    }
}
