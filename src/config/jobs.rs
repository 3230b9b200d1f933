//! The worker's settings: schedules, queues, retries.

use std::time::Duration;

use super::{ConfigError, Source, err};

/// The worker: schedules, queues, retries.
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// Quota sync every this often (aligned to the epoch, so every process ticks together).
    pub sync_interval: Duration,
    /// Deadline of one sync attempt.
    pub sync_timeout: Duration,
    /// Cron (6 fields, seconds first, operator's timezone) of the refresh-token cleanup.
    pub token_cleanup_cron: cron::Schedule,
    /// Cron of the stale-device cleanup.
    pub device_cleanup_cron: cron::Schedule,
    /// Cron of quota on credit's rules (blocks, lifts, due-date reminders).
    pub debt_rules_cron: cron::Schedule,
    /// How often an idle worker polls the Redis queues.
    pub poll_interval: Duration,
    /// Extra attempts of a failed job (with exponential backoff).
    pub retries: usize,
    /// Usage transactions of one sync cycle run side by side (each on its own connection).
    pub sync_writers: usize,
    /// Where `hotspot worker` serves its own `/metrics` (the sync, router, queues); none: not served.
    pub metrics_listen: Option<std::net::SocketAddr>,
}

pub(super) fn job_settings(src: &Source<'_>) -> Result<JobSettings, ConfigError> {
    let cron = |var: &'static str, default: &str| -> Result<cron::Schedule, ConfigError> {
        hotspot_jobs::parse_cron(&src.string(var, default)).map_err(|e| err(var, e))
    };
    Ok(JobSettings {
        sync_interval: Duration::from_secs(src.ranged("HOTSPOT_SYNC_INTERVAL_SECS", 300, 10, 86_400)?),
        sync_timeout: Duration::from_secs(src.ranged("HOTSPOT_SYNC_TIMEOUT_SECS", 600, 10, 7_200)?),
        token_cleanup_cron: cron("HOTSPOT_CRON_TOKEN_CLEANUP", "0 15 * * * *")?,
        device_cleanup_cron: cron("HOTSPOT_CRON_DEVICE_CLEANUP", "0 30 3 * * *")?,
        debt_rules_cron: cron("HOTSPOT_CRON_DEBT_RULES", "0 */15 * * * *")?,
        poll_interval: src.millis("HOTSPOT_JOB_POLL_MS", 1_000, 50, 60_000)?,
        retries: src.ranged("HOTSPOT_JOB_RETRIES", 3, 0, 20)?,
        sync_writers: src.ranged("HOTSPOT_SYNC_WRITERS", 2, 1, 16)?,
        metrics_listen: match src.string("HOTSPOT_WORKER_METRICS_LISTEN", "").as_str() {
            "" => None,
            a => Some(a.parse().map_err(|_| err("HOTSPOT_WORKER_METRICS_LISTEN", "expected host:port"))?),
        },
    })
}
