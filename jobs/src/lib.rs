//! hotspot-jobs: the names and payloads the worker and the HTTP side agree on.
//!
//! This crate depends on nothing of the `hotspot` crate (no cycle): `hotspot` implements the
//! handlers and hands them in. The apalis wiring lives here as the worker grows.

use serde::{Deserialize, Serialize};

/// Redis queue of manual ("sync now") quota syncs.
pub const QUEUE_MANUAL_SYNC: &str = "hotspot:queue:manual-sync";
/// Redis queue of router writes that failed and are retried.
pub const QUEUE_ROUTER_RETRY: &str = "hotspot:queue:router-retry";

/// What started a sync cycle; stored in `sync_runs.trigger`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncTrigger {
    Schedule,
    Manual,
    Cli,
}

impl SyncTrigger {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncTrigger::Schedule => "schedule",
            SyncTrigger::Manual => "manual",
            SyncTrigger::Cli => "cli",
        }
    }
}

/// A manual sync request as queued by `POST /api/admin/sync`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualSync {
    /// The admin who asked (audit), as a UUID string.
    pub requested_by: Option<String>,
    pub request_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_text_matches_serde_and_the_schema_check() {
        for (t, s) in [(SyncTrigger::Schedule, "schedule"), (SyncTrigger::Manual, "manual"), (SyncTrigger::Cli, "cli")]
        {
            assert_eq!(t.as_str(), s);
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{s}\""));
            assert_eq!(serde_json::from_str::<SyncTrigger>(&format!("\"{s}\"")).unwrap(), t);
        }
    }
}
