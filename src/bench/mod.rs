//! Benchmark programs (`hotspot bench …`): they print figures; nothing asserts on time.

pub mod auth;
pub mod router;
pub mod sync;

/// Median of a few timings, in milliseconds.
pub fn median_ms(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    samples.get(samples.len() / 2).copied().unwrap_or(0.0)
}
