//! What a job is: a payload on a queue with its run ([`Queued`]), or a scheduled run
//! ([`Scheduled`]), over the application's context `C`. Every run must be safe to repeat: a
//! retry, a re-queued job of a killed worker, or the same tick in two processes.

use std::future::Future;
use std::pin::Pin;

use apalis::prelude::AbortError;

use crate::payload::{Done, Payload};
use crate::schedule::Schedule;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub type JobFuture = Pin<Box<dyn Future<Output = Result<Done, BoxError>> + Send>>;

/// Which retry rule of the worker's config a job is tried under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Sync,
    Maintenance,
    Delivery,
}

/// A payload's run, by the worker that consumes its queue.
pub trait Queued<C>: Payload {
    const RULE: Rule;
    /// Runs one job; `job_id` is the queue's task id (what a producer was given).
    fn run(self, ctx: &C, job_id: String) -> JobFuture;
}

/// A job that runs on a schedule in every worker process.
pub trait Scheduled<C>: 'static {
    /// Names the worker, the logs and the once-per-tick claim.
    const NAME: &'static str;
    const RULE: Rule = Rule::Maintenance;
    /// Claimed once per tick across all worker processes; a job with its own throttle and lock
    /// (the quota sync) says false.
    const ONCE_PER_TICK: bool = true;
    fn schedule(ctx: &C) -> Schedule;
    /// Runs at cron instant `tick` (Unix seconds).
    fn run(ctx: &C, tick: u64) -> JobFuture;
}

/// An error no retry can fix (a malformed payload): the job is filed as dead at once.
pub fn give_up(reason: String) -> BoxError {
    Box::new(AbortError::new(reason))
}
