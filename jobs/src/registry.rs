//! The worker: every schedule on one apalis Monitor, every queue's consumer on a monitor of its
//! own under a supervisor, with retries, backoff, deadlines and caught panics. A job is
//! registered in one line.
//!
//! apalis ends a queue's worker for good when its backend fails (a Redis blip: `PollNextError`,
//! broken pipe) while the rest of the monitor runs on, so a worker would look alive with dead
//! queues. Each consumer is therefore supervised: started again with a backoff, its state
//! reported (metrics, the health check through its heartbeats).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};

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

/// Told when a queue's consumer stops (`false`) and when it runs again (`true`).
pub type ConsumerReport = Arc<dyn Fn(&'static str, bool) + Send + Sync>;

/// Builds one run of a queue's consumer: a monitor holding its one worker, named for the run.
type ConsumerFactory = Arc<dyn Fn(usize) -> Monitor + Send + Sync>;

/// A worker being put together over the application's context `C`.
pub struct Worker<C> {
    config: Arc<WorkerConfig>,
    conn: ConnectionManager,
    ctx: Arc<C>,
    monitor: Monitor,
    consumers: Vec<(&'static str, ConsumerFactory)>,
    report: ConsumerReport,
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
            consumers: Vec::new(),
            report: Arc::new(|_, _| {}),
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
        let base = format!("{}:{}", self.config.name, J::QUEUE);
        let rule = queue_ctx.rule;
        // Each run has its own name: apalis hands a silent worker's jobs to others by name, so
        // a run that died must not be impersonated by the next one.
        let factory: ConsumerFactory = Arc::new(move |run| {
            let name = if run == 0 { base.clone() } else { format!("{base}:r{run}") };
            let (storage, queue_ctx) = (storage.clone(), queue_ctx.clone());
            Monitor::new().on_event(|ctx, ev| log_event(ctx.name(), ev)).register(move |_| {
                WorkerBuilder::new(name.clone())
                    .backend(storage.clone())
                    .retry(rule.policy())
                    .timeout(rule.backstop())
                    .catch_panic()
                    .data(queue_ctx.clone())
                    .build(queued_job)
            })
        });
        self.consumers.push((J::QUEUE, factory));
        self.queues.push(J::QUEUE);
        self
    }

    /// Called when a queue's consumer stops and when it runs again.
    pub fn on_consumer(mut self, report: impl Fn(&'static str, bool) + Send + Sync + 'static) -> Self {
        self.report = Arc::new(report);
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
        let signal: Shared<BoxFuture<'static, ()>> = signal.boxed().shared();
        let grace = me.config.shutdown_timeout;
        let consumers = futures_util::future::join_all(
            me.consumers
                .into_iter()
                .map(|(queue, make)| supervise(queue, make, signal.clone(), grace, me.report.clone())),
        );
        let stop = signal.clone();
        let schedules =
            me.monitor.on_event(|ctx, ev| log_event(ctx.name(), ev)).shutdown_timeout(grace).run_with_signal(
                async move {
                    stop.await;
                    tracing::info!("worker stopping");
                    Ok(())
                },
            );
        let (_, scheduled) = futures_util::future::join(consumers, schedules).await;
        scheduled.map_err(|e| WorkerError::Monitor(e.to_string()))
    }
}

/// The wait before a stopped consumer's next run: 1 s, doubling to 30 s.
fn backoff(failures: u32) -> Duration {
    Duration::from_secs(1u64 << failures.saturating_sub(1).min(5)).min(Duration::from_secs(30))
}

/// Runs one queue's consumer until `signal`, starting it again whenever it stops on its own.
async fn supervise(
    queue: &'static str,
    make: ConsumerFactory,
    signal: Shared<BoxFuture<'static, ()>>,
    grace: Duration,
    report: ConsumerReport,
) {
    let mut failures = 0u32;
    for run in 0usize.. {
        let monitor = make(run);
        let ctx = monitor.context();
        let started = Instant::now();
        let consumer = monitor.run();
        tokio::pin!(consumer);
        if run > 0 {
            tracing::info!(queue, run, "queue consumer started again");
            report(queue, true);
        }
        let ended = tokio::select! {
            r = &mut consumer => r,
            _ = signal.clone() => {
                let _ = ctx.shutdown();
                let _ = tokio::time::timeout(grace, consumer).await;
                return;
            }
        };
        // A run that held for a while starts the backoff over.
        failures = if started.elapsed() > Duration::from_secs(60) { 1 } else { failures + 1 };
        let wait = backoff(failures);
        let why = match ended {
            Ok(()) => "ended".to_owned(),
            Err(e) => e.to_string(),
        };
        tracing::error!(queue, error = %why, retry_in_s = wait.as_secs(), "queue consumer stopped; starting it again");
        report(queue, false);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = signal.clone() => return,
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

#[cfg(test)]
mod tests {
    use super::backoff;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_to_thirty_seconds() {
        let waits: Vec<u64> = (1..=8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(backoff(0), Duration::from_secs(1));
    }
}
