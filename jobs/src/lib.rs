//! hotspot-jobs: the worker side of hotspot — job traits, payloads, queues, schedules, retry
//! rules and the apalis wiring.
//!
//! This crate depends on nothing of the `hotspot` crate (no cycle). A job is one type: a
//! [`Payload`] on a queue with its [`Queued::run`], or a [`Scheduled`] job with its schedule and
//! run, both over the application's context `C`; the application registers each in one line
//! ([`Worker::queued`], [`Worker::scheduled`]) and runs the [`Worker`].

pub mod config;
pub mod job;
pub mod payload;
pub mod queue;
mod registry;
mod runner;
pub mod schedule;

pub use config::{Doubling, RetryRule, WorkerConfig};
pub use job::{BoxError, JobFuture, Queued, Rule, Scheduled, give_up};
pub use payload::{Done, ManualSync, Notify, Payload, QUEUES, Reconcile, RouterRetry};
pub use queue::{Enqueued, QueueCounts, QueueError, QueueSettings, Queues};
pub use registry::{Worker, WorkerError};
pub use schedule::{Every, Schedule, parse_cron};

/// Re-exported so callers build the connection the queues share without naming the redis crate.
pub use apalis_redis::ConnectionManager;
