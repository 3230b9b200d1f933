//! What goes on the queues: plain serde types, no domain types (this crate knows none). Each
//! names its queue; the application gives each its run ([`crate::Queued`]).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A job's data on its queue.
pub trait Payload: Serialize + DeserializeOwned + Send + 'static {
    /// The queue's short name; in Redis it is `{namespace}queue:{QUEUE}`.
    const QUEUE: &'static str;
    /// At most one job of this queue waits or runs at a time: a second push while one does
    /// returns the first's id (the key is released when the job ends).
    const UNIQUE: Option<&'static str> = None;
}

/// Every queue, for the metrics (a new payload adds itself here).
pub const QUEUES: &[&str] = &[ManualSync::QUEUE, RouterRetry::QUEUE, Reconcile::QUEUE, Notify::QUEUE];

/// A manual sync request as queued by `POST /api/admin/sync`. The job id is the queue's task id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualSync {
    /// The admin who asked (audit), as a UUID string.
    pub requested_by: Option<String>,
    pub request_id: Option<String>,
}

impl Payload for ManualSync {
    const QUEUE: &'static str = "manual-sync";
    const UNIQUE: Option<&'static str> = Some("manual-sync");
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

impl Payload for RouterRetry {
    const QUEUE: &'static str = "router-retry";
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

impl Payload for Reconcile {
    const QUEUE: &'static str = "reconcile";
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

impl Payload for Notify {
    const QUEUE: &'static str = "notify";
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
    fn router_retry_reads_payloads_without_optional_lists() {
        let r: RouterRetry =
            serde_json::from_str(r#"{"reason":"logout","forget_macs":["AA:BB:CC:DD:EE:FF"]}"#).unwrap();
        assert_eq!(r.forget_macs.len(), 1);
        assert!(r.forget_ips.is_empty());
    }
}
