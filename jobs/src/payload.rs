//! What goes on the queues: plain serde types, no domain types (this crate knows none).

use serde::{Deserialize, Serialize};

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

/// A manual sync request as queued by `POST /api/admin/sync`. The job id is the queue's task id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualSync {
    /// The admin who asked (audit), as a UUID string.
    pub requested_by: Option<String>,
    pub request_id: Option<String>,
}

/// Router entries to remove that could not be removed at the time (the router was down when a
/// user logged out or a device was deleted). Keyed by MAC and IP, never by router `.id`: ids are
/// renumbered when the router reboots, so replaying an id later could hit someone else's entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouterRetry {
    /// MAC addresses whose managed ip-binding must go (canonical `AA:BB:…` text).
    #[serde(default)]
    pub forget_macs: Vec<String>,
    /// Client IPs whose managed status-list entries must go.
    #[serde(default)]
    pub forget_ips: Vec<String>,
    /// Why (logout, device removed, …), for the logs.
    pub reason: String,
}

/// One user's router entries brought in line with their access status now (an admin changed
/// it, a grant landed). Safe to run any number of times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconcile {
    /// The user, as a UUID string.
    pub user_id: String,
    /// What changed (approve, block, quota, …), for the logs.
    pub reason: String,
}

/// One message to a user about their account (a status change, quota running low, expiry
/// soon, approval, a receipt). The application owns the event's meaning; `key` names the
/// (user, event, period) it is sent once for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notify {
    /// The user, as a UUID string.
    pub user_id: String,
    /// The event, as the application wrote it.
    pub event: serde_json::Value,
    /// Sent once per key (the message log holds it).
    pub key: String,
}

/// What a job handler reports back (logged; scheduled jobs have no one else to tell).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Done {
    pub detail: String,
}

impl Done {
    pub fn new(detail: impl Into<String>) -> Self {
        Self { detail: detail.into() }
    }
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

    #[test]
    fn router_retry_reads_payloads_without_optional_lists() {
        let r: RouterRetry =
            serde_json::from_str(r#"{"reason":"logout","forget_macs":["AA:BB:CC:DD:EE:FF"]}"#).unwrap();
        assert_eq!(r.forget_macs.len(), 1);
        assert!(r.forget_ips.is_empty());
    }
}
