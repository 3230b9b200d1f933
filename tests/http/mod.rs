//! The HTTP door: the envelope, the input extractor, the contract, the metrics.

mod contract;
mod envelope;
mod input;
mod metrics;
