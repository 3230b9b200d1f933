//! hotspot: backend for WiFi hotspot operators running MikroTik routers.

pub mod app;
pub mod bench;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod http;
pub mod kv;
pub mod router;
pub mod shutdown;
pub mod sim;
pub mod telemetry;
pub mod users;
