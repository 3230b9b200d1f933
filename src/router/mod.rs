//! The backend's hands on the network: RouterOS wire facts, value formats, the resilient client
//! over mikrotik-rs and the hotspot operations.

pub mod breaker;
pub mod client;
pub mod coa;
pub mod command;
pub mod error;
pub mod ops;
pub mod rows;
pub mod tls;
pub mod values;
pub mod wire;

pub use client::{RouterClient, RouterConfig};
pub use command::Command;
pub use error::RouterError;
