//! Circuit breaker: after repeated transport failures stop hammering a dead router, then let one
//! probe through after a pause.

use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open {
        until: Instant,
    },
    /// One probe is allowed; its outcome closes or re-opens the breaker.
    HalfOpen {
        probing: bool,
    },
}

#[derive(Debug, Clone)]
pub struct Breaker {
    threshold: u32,
    open_for: Duration,
    failures: u32,
    state: BreakerState,
}

impl Breaker {
    pub fn new(threshold: u32, open_for: Duration) -> Self {
        Self { threshold: threshold.max(1), open_for, failures: 0, state: BreakerState::Closed }
    }

    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// May a call go through now? `Err(wait)` says how long until the next probe.
    pub fn allow(&mut self, now: Instant) -> Result<(), Duration> {
        match self.state {
            BreakerState::Closed => Ok(()),
            BreakerState::Open { until } if now < until => Err(until - now),
            BreakerState::Open { .. } => {
                self.state = BreakerState::HalfOpen { probing: true };
                Ok(())
            }
            BreakerState::HalfOpen { probing: true } => Err(Duration::from_millis(100)),
            BreakerState::HalfOpen { probing: false } => {
                self.state = BreakerState::HalfOpen { probing: true };
                Ok(())
            }
        }
    }

    pub fn record_success(&mut self) {
        self.failures = 0;
        self.state = BreakerState::Closed;
    }

    pub fn record_failure(&mut self, now: Instant) {
        match self.state {
            BreakerState::Closed => {
                self.failures += 1;
                if self.failures >= self.threshold {
                    self.state = BreakerState::Open { until: now + self.open_for };
                }
            }
            BreakerState::HalfOpen { .. } | BreakerState::Open { .. } => {
                self.state = BreakerState::Open { until: now + self.open_for };
            }
        }
    }

    pub fn is_open(&self) -> bool {
        !matches!(self.state, BreakerState::Closed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_threshold_half_opens_and_recovers() {
        let t0 = Instant::now();
        let mut b = Breaker::new(3, Duration::from_secs(10));
        for _ in 0..2 {
            assert!(b.allow(t0).is_ok());
            b.record_failure(t0);
        }
        assert_eq!(b.state(), BreakerState::Closed);
        b.record_failure(t0);
        assert!(matches!(b.state(), BreakerState::Open { .. }));
        assert_eq!(b.allow(t0 + Duration::from_secs(4)), Err(Duration::from_secs(6)));
        // After the pause exactly one probe passes.
        let later = t0 + Duration::from_secs(10);
        assert!(b.allow(later).is_ok());
        assert!(b.allow(later).is_err());
        // A failed probe re-opens for another full pause.
        b.record_failure(later);
        assert_eq!(b.allow(later + Duration::from_secs(9)), Err(Duration::from_secs(1)));
        let again = later + Duration::from_secs(10);
        assert!(b.allow(again).is_ok());
        b.record_success();
        assert_eq!(b.state(), BreakerState::Closed);
        assert!(b.allow(again).is_ok());
    }

    #[test]
    fn success_resets_the_count() {
        let t0 = Instant::now();
        let mut b = Breaker::new(2, Duration::from_secs(1));
        b.record_failure(t0);
        b.record_success();
        b.record_failure(t0);
        assert_eq!(b.state(), BreakerState::Closed);
    }
}
