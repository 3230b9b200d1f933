//! hotspot: backend for WiFi hotspot operators running MikroTik routers.

pub mod admin;
pub mod auth;
pub mod bench;
pub mod billing;
pub mod captive;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod history;
pub mod http;
pub mod kv;
pub mod memory;
pub mod metrics;
pub mod modes;
pub mod notify;
pub mod router;
pub mod runtime;
pub mod services;
pub mod shutdown;
pub mod sim;
pub mod sync;
pub mod telemetry;
pub mod usage;
pub mod users;
pub mod whatsapp;
pub mod worker;

/// Installs the process-wide rustls provider (ring). reqwest (`rustls-no-provider`) and
/// mikrotik-rs TLS panic without one; every path that builds a TLS client calls this first.
pub fn ensure_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err means another provider is already installed, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
