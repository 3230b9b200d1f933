//! hotspot-jobs: the worker side of hotspot — job payloads, queue names, the cron table, retry
//! rules and the apalis wiring.
//!
//! This crate depends on nothing of the `hotspot` crate (no cycle): `hotspot` implements
//! [`Handlers`] and hands them in.

pub mod payload;
pub mod queue;
pub mod schedule;
mod tasks;
pub mod worker;

pub use payload::{Done, ManualSync, Notify, Reconcile, RouterRetry, SyncTrigger};
pub use queue::{Enqueued, QueueCounts, QueueError, QueueSettings, Queues};
pub use schedule::{CronTable, Every, parse_cron};
pub use worker::{BoxError, Handlers, JobFuture, RetryRule, WorkerConfig, WorkerError, give_up};

/// Re-exported so callers build the connection the queues share without naming the redis crate.
pub use apalis_redis::ConnectionManager;
