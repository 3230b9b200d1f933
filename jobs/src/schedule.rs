//! When scheduled jobs fire: periods aligned to the epoch, or cron expressions.

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

/// When a scheduled job fires: every period aligned to the epoch, or a cron expression in the
/// worker's timezone.
#[derive(Debug, Clone)]
pub enum Schedule {
    Every(Every),
    Cron(Box<cron::Schedule>),
}

impl Schedule {
    pub fn every(period: Duration) -> Self {
        Schedule::Every(Every::new(period))
    }

    pub fn cron(schedule: cron::Schedule) -> Self {
        Schedule::Cron(Box::new(schedule))
    }

    /// The next `n` fire times after now, in `tz`, for `hotspot worker --print-schedule` and
    /// the logs.
    pub fn preview(&self, tz: chrono_tz::Tz, n: usize) -> Vec<String> {
        match self {
            Schedule::Every(e) => {
                let mut every = Every::new(Duration::from_secs(e.period));
                let mut at = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
                (0..n)
                    .map(|_| {
                        at = every.next_after(at);
                        chrono::DateTime::from_timestamp(at as i64, 0)
                            .map(|t| t.with_timezone(&tz).to_rfc3339())
                            .unwrap_or_default()
                    })
                    .collect()
            }
            Schedule::Cron(c) => c.upcoming(tz).take(n).map(|t| t.to_rfc3339()).collect(),
        }
    }
}

impl apalis_cron::Schedule<chrono_tz::Tz> for Schedule {
    fn next_tick(&mut self, tz: &chrono_tz::Tz) -> Option<Tick<chrono_tz::Tz>> {
        match self {
            Schedule::Every(e) => apalis_cron::Schedule::next_tick(e, tz),
            Schedule::Cron(c) => apalis_cron::Schedule::next_tick(c.as_mut(), tz),
        }
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
