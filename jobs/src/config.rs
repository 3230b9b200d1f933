//! How hard each kind of job is tried, and every knob of a worker.

use std::time::Duration;

use apalis::layers::retry::backoff::Backoff;
use apalis::layers::retry::{BackoffRetryPolicy, RetryPolicy};

use crate::job::Rule;
use crate::queue::QueueSettings;

/// How hard one kind of job is tried.
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
    pub(crate) fn policy(&self) -> BackoffRetryPolicy<Doubling> {
        RetryPolicy::retries(self.retries).with_backoff(Doubling::new(self.backoff_min, self.backoff_max))
    }

    /// The outer apalis timeout: a backstop behind our own deadline, which lets clean-up run.
    pub(crate) fn backstop(&self) -> Duration {
        self.timeout + Duration::from_secs(5)
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
    /// The timezone cron expressions are read in (the operator's).
    pub timezone: chrono_tz::Tz,
    /// Syncs: a few retries soon after each other.
    pub sync: RetryRule,
    /// Housekeeping and scheduled checks.
    pub maintenance: RetryRule,
    /// Deliveries to a peer that may be down for a while (router retries, reconciles, messages).
    pub delivery: RetryRule,
    /// How long running jobs get to finish after the shutdown signal.
    pub shutdown_timeout: Duration,
    /// Finished queue jobs older than this are vacuumed, hourly.
    pub keep_finished: Duration,
}

impl WorkerConfig {
    pub fn rule(&self, r: Rule) -> RetryRule {
        match r {
            Rule::Sync => self.sync,
            Rule::Maintenance => self.maintenance,
            Rule::Delivery => self.delivery,
        }
    }
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
