//! hotspot: backend for WiFi hotspot operators running MikroTik routers.
//!
//! Floors, top to bottom (imports point down only; docs/architecture.md has the whole map):
//! the command line (`cli`, with the `bench` programs) → the assembler (`app`) → the doors
//! (`http`, `worker`) → the flow rooms (`captive`, `admin`, `billing`, `sync`; siblings that
//! never import each other) → the core rooms that own tables (`accounts`, `devices`, `auth`,
//! `audit`, `settings`, `notify`, `sites`) → infrastructure and peers (`db`, `kv`, `config`,
//! `metrics`, `crypto`, `telemetry`, `shutdown`, `router`, `whatsapp`, `midtrans`) → `domain`. The
//! simulators of every peer (`sim`) stand beside them.

pub mod accounts;
pub mod admin;
pub mod app;
pub mod audit;
pub mod auth;
pub mod bench;
pub mod billing;
pub mod captive;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod db;
pub mod devices;
pub mod domain;
pub mod http;
pub mod kv;
pub mod metrics;
pub mod midtrans;
pub mod notify;
pub mod pdf;
pub mod radius;
pub mod router;
pub mod settings;
pub mod shutdown;
pub mod sim;
pub mod sites;
pub mod sync;
pub mod telegram;
pub mod telemetry;
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
