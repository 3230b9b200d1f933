//! The worker: every registered queue and schedule on one apalis Monitor, with retries,
//! backoff, deadlines and caught panics. A job is registered in one line.

use std::future::Future;
use std::sync::Arc;

use apalis::layers::WorkerBuilderExt;
use apalis::prelude::{BackendExt, Event, Monitor, WorkerBuilder};
use apalis_cron::CronScheduler;
use apalis_redis::ConnectionManager;

use crate::config::{RetryRule, WorkerConfig};
use crate::job::{BoxError, Queued, Rule, Scheduled, give_up};
use crate::queue::QueueError;
use crate::runner::{QueueCtx, RunQueued, RunScheduled, ScheduledCtx, queued_job, scheduled_job, vacuum};
use crate::schedule::Schedule;

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error("worker stopped with errors: {0}")]
    Monitor(String),
}

/// A worker being put together over the application's context `C`.
pub struct Worker<C> {
    config: Arc<WorkerConfig>,
    conn: ConnectionManager,
    ctx: Arc<C>,
    monitor: Monitor,
    queues: Vec<&'static str>,
    schedules: Vec<(&'static str, Schedule)>,
}

impl<C: Send + Sync + 'static> Worker<C> {
    pub fn new(config: WorkerConfig, conn: ConnectionManager, ctx: C) -> Self {
        Self {
            config: Arc::new(config),
            conn,
            ctx: Arc::new(ctx),
            monitor: Monitor::new(),
            queues: Vec::new(),
            schedules: Vec::new(),
        }
    }

    /// Consumes `J`'s queue.
    pub fn queued<J: Queued<C>>(mut self) -> Self {
        let ctx = self.ctx.clone();
        let run: RunQueued = Arc::new(move |value, job_id| match serde_json::from_value::<J>(value) {
            Ok(job) => job.run(&ctx, job_id),
            // A payload that does not decode can never succeed.
            Err(e) => {
                Box::pin(async move { Err::<_, BoxError>(give_up(format!("undecodable {} job: {e}", J::QUEUE))) })
            }
        });
        let queue_ctx = QueueCtx {
            queue: J::QUEUE,
            unique: J::UNIQUE,
            rule: self.config.rule(J::RULE),
            run,
            conn: self.conn.clone(),
            config: self.config.clone(),
        };
        let storage = self
            .config
            .queues
            .storage(self.conn.clone(), J::QUEUE)
            .poll_with_interval(self.config.queues.poll_interval);
        let name = format!("{}:{}", self.config.name, J::QUEUE);
        let rule = queue_ctx.rule;
        self.monitor = self.monitor.register(move |_| {
            WorkerBuilder::new(name.clone())
                .backend(storage.clone())
                .retry(rule.policy())
                .timeout(rule.backstop())
                .catch_panic()
                .data(queue_ctx.clone())
                .build(queued_job)
        });
        self.queues.push(J::QUEUE);
        self
    }

    /// Runs `J` on its schedule.
    pub fn scheduled<J: Scheduled<C>>(self) -> Self {
        let ctx = self.ctx.clone();
        let run: RunScheduled = Arc::new(move |tick| J::run(&ctx, tick));
        let schedule = J::schedule(&self.ctx);
        let rule = self.config.rule(J::RULE);
        self.schedule(J::NAME, schedule, rule, J::ONCE_PER_TICK, run)
    }

    fn schedule(
        mut self,
        name: &'static str,
        schedule: Schedule,
        rule: RetryRule,
        once_per_tick: bool,
        run: RunScheduled,
    ) -> Self {
        let job_ctx =
            ScheduledCtx { name, rule, once_per_tick, run, conn: self.conn.clone(), config: self.config.clone() };
        let (worker, tz) = (format!("{}:{name}", self.config.name), self.config.timezone);
        let backend = CronScheduler::new(schedule.clone()).with_timezone(tz);
        self.monitor = self.monitor.register(move |_| {
            WorkerBuilder::new(worker.clone())
                .backend(backend.clone())
                .retry(rule.policy())
                .timeout(rule.backstop())
                .catch_panic()
                .data(job_ctx.clone())
                .build(scheduled_job)
        });
        self.schedules.push((name, schedule));
        self
    }

    /// The names of every registered job: queues, then scheduled jobs (for the metrics' zeroed
    /// series: a new job is counted without being listed anywhere else).
    pub fn jobs(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.queues.iter().copied().chain(self.schedules.iter().map(|(name, _)| *name))
    }

    /// The queues this worker consumes.
    pub fn queues(&self) -> &[&'static str] {
        &self.queues
    }

    /// The next `n` fire times of each scheduled job.
    pub fn preview(&self, n: usize) -> Vec<(&'static str, Vec<String>)> {
        self.schedules.iter().map(|(name, s)| (*name, s.preview(self.config.timezone, n))).collect()
    }

    /// Runs every registered job until `signal` resolves, then gives running jobs
    /// `shutdown_timeout` to finish. Finished jobs are vacuumed from the queues hourly.
    pub async fn run(self, signal: impl Future<Output = ()> + Send + 'static) -> Result<(), WorkerError> {
        let housekeeping = vacuum(self.config.clone(), self.conn.clone(), self.queues.clone());
        let hourly = Schedule::every(std::time::Duration::from_secs(3_600));
        let rule = self.config.rule(Rule::Maintenance);
        let me = self.schedule("queue-vacuum", hourly, rule, true, housekeeping);
        for (job, next) in me.preview(1) {
            tracing::info!(job, next = next.first().map(String::as_str).unwrap_or("never"), "scheduled");
        }
        me.monitor
            .on_event(|ctx, ev| log_event(ctx.name(), ev))
            .shutdown_timeout(me.config.shutdown_timeout)
            .run_with_signal(async move {
                signal.await;
                tracing::info!("worker stopping");
                Ok(())
            })
            .await
            .map_err(|e| WorkerError::Monitor(e.to_string()))
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
