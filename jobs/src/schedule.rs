//! The cron table: when each scheduled job fires.

use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use apalis_cron::Tick;

/// Fires at every multiple of `period` since the Unix epoch. Every worker process computes the
/// same instants, so the Redis throttle sees one tick, not one per process start time.
#[derive(Debug, Clone)]
pub struct Every {
    period: u64,
    last: u64,
}

impl Every {
    /// `period` is rounded down to whole seconds (at least one).
    pub fn new(period: Duration) -> Self {
        Self { period: period.as_secs().max(1), last: 0 }
    }

    /// The first instant strictly after `now_secs` (and after the last one handed out).
    pub fn next_after(&mut self, now_secs: u64) -> u64 {
        let p = self.period;
        // A timer that fires a hair early must not hand out the same instant twice.
        let next = (now_secs / p + 1) * p;
        let next = if next <= self.last { self.last + p } else { next };
        self.last = next;
        next
    }
}

impl<Tz> apalis_cron::Schedule<Tz> for Every {
    fn next_tick(&mut self, _tz: &Tz) -> Option<Tick<Tz>> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
        Some(Tick::new(self.next_after(now)))
    }
}

/// Parses a 6-field cron expression (seconds first, as the cron crate wants), with an error that
/// says what is expected.
pub fn parse_cron(expr: &str) -> Result<cron::Schedule, String> {
    let fields = expr.split_whitespace().count();
    if !(6..=7).contains(&fields) {
        return Err(format!("expected 6 fields, seconds first (e.g. \"0 30 3 * * *\" for 03:30 daily), got {fields}"));
    }
    cron::Schedule::from_str(expr).map_err(|e| format!("not a cron expression: {e}"))
}

/// Every scheduled job, with the settings that drive it.
#[derive(Debug, Clone)]
pub struct CronTable {
    /// The quota sync: every this often, aligned to the epoch.
    pub quota_sync_every: Duration,
    /// Expired and revoked refresh tokens deleted.
    pub token_cleanup: cron::Schedule,
    /// Devices unseen for the configured days removed (router entries too).
    pub device_cleanup: cron::Schedule,
    /// The WhatsApp gateway's session checked (a drop alerts the operators): every this often.
    pub gateway_watch_every: Duration,
    /// Expiry warnings queued (7, 3 and 1 days before), at a sane local hour.
    pub expiry_warnings: cron::Schedule,
    /// Pending payments checked with the provider: every this often, aligned to the epoch.
    pub payment_reconcile_every: Duration,
    /// The timezone the cron expressions are read in (the operator's).
    pub timezone: chrono_tz::Tz,
}

impl CronTable {
    /// The next `n` fire times of each entry, for `hotspot worker --print-schedule` and the logs.
    pub fn preview(&self, n: usize) -> Vec<(&'static str, Vec<String>)> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
        let aligned = |period: Duration| -> Vec<String> {
            let mut every = Every::new(period);
            let mut at = now;
            (0..n)
                .map(|_| {
                    at = every.next_after(at);
                    chrono::DateTime::from_timestamp(at as i64, 0)
                        .map(|t| t.with_timezone(&self.timezone).to_rfc3339())
                        .unwrap_or_default()
                })
                .collect()
        };
        let (sync, pay) = (aligned(self.quota_sync_every), aligned(self.payment_reconcile_every));
        let upcoming = |s: &cron::Schedule| s.upcoming(self.timezone).take(n).map(|t| t.to_rfc3339()).collect();
        vec![
            ("quota-sync", sync),
            ("refresh-token-cleanup", upcoming(&self.token_cleanup)),
            ("stale-device-cleanup", upcoming(&self.device_cleanup)),
            ("payment-reconcile", pay),
            ("expiry-warnings", upcoming(&self.expiry_warnings)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_aligns_to_the_epoch_and_never_repeats() {
        let cases: &[(u64, &[u64], &[u64])] = &[
            // period, successive "now" readings, expected instants
            (300, &[1_000, 1_200, 1_200], &[1_200, 1_500, 1_800]),
            (300, &[1_199, 1_200], &[1_200, 1_500]),
            (60, &[0, 59, 60, 61], &[60, 120, 180, 240]),
            (1, &[10, 10, 11], &[11, 12, 13]),
        ];
        for (period, nows, want) in cases {
            let mut e = Every::new(Duration::from_secs(*period));
            let got: Vec<u64> = nows.iter().map(|n| e.next_after(*n)).collect();
            assert_eq!(&got, want, "period {period}");
        }
    }

    #[test]
    fn two_processes_started_apart_tick_at_the_same_instants() {
        let (mut a, mut b) = (Every::new(Duration::from_secs(300)), Every::new(Duration::from_secs(300)));
        assert_eq!(a.next_after(10_001), b.next_after(10_150));
    }

    #[test]
    fn cron_expressions_need_six_fields() {
        assert!(parse_cron("0 30 3 * * *").is_ok());
        assert!(parse_cron("0 */5 * * * *").is_ok());
        let e = parse_cron("30 3 * * *").unwrap_err();
        assert!(e.contains("6 fields"), "{e}");
        assert!(parse_cron("0 99 3 * * *").is_err());
        assert!(parse_cron("").is_err());
    }
}
