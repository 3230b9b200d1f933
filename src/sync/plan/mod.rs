//! The sync planner: pure, no I/O. From one router snapshot, the stored baselines and the users
//! and devices, it computes what to charge, the new baselines, and the router changes that
//! differ from what the router has now.

mod charges;
mod diff;
pub mod housekeeping;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::policy::{RouterPolicy, UserFacts};
use crate::domain::{AccessStatus, ClientIp, MacAddress};
use crate::router::ops::Change;
use crate::router::rows::{AddressListRow, BindingRow, HostRow, HotspotUserRow};

/// The planner's maps hold every device and user of the hotspot each cycle: foldhash (seeded per
/// map) instead of SipHash, which was a tenth of a cycle's CPU time.
pub type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
pub type Set<K> = HashSet<K, foldhash::fast::RandomState>;

/// What the router last told us about a MAC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baseline {
    pub host_id: String,
    pub bytes: u64,
    pub uptime_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation {
    /// No baseline yet: start counting from here.
    FirstSight,
    /// Another host row, no younger than the one we knew: which of its bytes are new cannot be
    /// told, so counting starts again from here.
    RowChanged,
    /// The row's uptime went backwards (a router reboot, or the device's row re-created, under
    /// the same or a new id): its counter started again with it, so all of it is new traffic.
    Restarted {
        charge: u64,
    },
    /// The counter went backwards (router reboot): the new counter is all new traffic.
    CounterReset {
        charge: u64,
    },
    Normal {
        charge: u64,
    },
}

impl Observation {
    pub fn charge(&self) -> u64 {
        match self {
            Observation::CounterReset { charge }
            | Observation::Normal { charge }
            | Observation::Restarted { charge } => *charge,
            _ => 0,
        }
    }
}

/// The delta rule for one MAC.
pub fn observe(previous: Option<&Baseline>, host_id: &str, bytes: u64, uptime_secs: u64) -> Observation {
    let Some(b) = previous else { return Observation::FirstSight };
    if uptime_secs < b.uptime_secs {
        return Observation::Restarted { charge: bytes };
    }
    if b.host_id != host_id {
        return Observation::RowChanged;
    }
    if bytes < b.bytes {
        return Observation::CounterReset { charge: bytes };
    }
    Observation::Normal { charge: bytes - b.bytes }
}

#[derive(Debug, Clone)]
pub struct UserInput {
    pub id: Uuid,
    pub facts: UserFacts,
    /// The router-side user name (local phone form).
    pub hotspot_name: String,
}

#[derive(Debug, Clone)]
pub struct DeviceInput {
    pub id: i64,
    pub user_id: Uuid,
    pub mac: MacAddress,
    pub ip: Option<ClientIp>,
    pub authorized: bool,
    /// When the device's row last recorded it as seen.
    pub last_seen: DateTime<Utc>,
}

impl DeviceInput {
    /// Whether this cycle rewrites the device's row: when its IP moved, or when `last_seen_at` is
    /// older than 30 to 60 minutes (spread by id, so rows do not all come due in one cycle).
    /// Stale-device cleanup counts in days; rewriting every device every cycle cost more than
    /// anything else in a steady cycle.
    pub fn seen_due(&self, ip: Option<ClientIp>, now: DateTime<Utc>) -> bool {
        let moved = ip.is_some_and(|ip| self.ip != Some(ip));
        let refresh = chrono::Duration::minutes(30 + self.id.rem_euclid(31));
        moved || now - self.last_seen >= refresh
    }
}

/// The planner's rules: the one router policy sign-in uses too, and the comment prefix that
/// marks the router entries we own.
#[derive(Debug, Clone)]
pub struct Rules {
    pub policy: Arc<RouterPolicy>,
    pub comment_prefix: String,
}

impl Rules {
    pub(crate) fn owns(&self, comment: Option<&str>) -> bool {
        comment.is_some_and(|c| c.starts_with(&self.comment_prefix))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCharge {
    pub device_id: i64,
    pub user_id: Uuid,
    pub mac: MacAddress,
    pub bytes: u64,
    pub observation: Observation,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBaseline {
    pub mac: MacAddress,
    /// The device's owner (writes are grouped by user).
    pub user_id: Uuid,
    pub baseline: Baseline,
    /// A baseline is stored for this MAC already (updated, not inserted).
    pub stored: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSeen {
    pub device_id: i64,
    pub user_id: Uuid,
    pub ip: Option<ClientIp>,
}

#[derive(Debug, Default, Clone)]
pub struct Plan {
    pub charges: Vec<DeviceCharge>,
    /// Bytes per user this cycle (sum of the device charges).
    pub per_user: BTreeMap<Uuid, u64>,
    /// Baselines that differ from the stored ones.
    pub baselines: Vec<NewBaseline>,
    /// Devices whose row records them as seen this cycle (see [`DeviceInput::seen_due`]).
    pub seen: Vec<DeviceSeen>,
    /// Status after this cycle's charges.
    pub statuses: Map<Uuid, AccessStatus>,
    pub router: Vec<Change>,
    /// Hosts whose MAC belongs to no device (not charged, not baselined).
    pub unknown_hosts: usize,
}

pub struct Snapshot<'a> {
    pub hosts: &'a [HostRow],
    pub bindings: &'a [BindingRow],
    pub list_entries: &'a [AddressListRow],
    pub users: &'a [HotspotUserRow],
}

/// Computes the cycle. `baselines` are keyed by MAC (one router).
pub fn plan(
    snapshot: &Snapshot<'_>,
    baselines: &Map<MacAddress, Baseline>,
    users: &[UserInput],
    devices: &[DeviceInput],
    rules: &Rules,
    now: DateTime<Utc>,
) -> Plan {
    // Maps and vectors sized up front: at 250,000 devices a doubling's old and new tables side
    // by side were a large share of the cycle's peak memory.
    let mut out = Plan {
        charges: Vec::with_capacity(snapshot.hosts.len()),
        baselines: Vec::with_capacity(snapshot.hosts.len()),
        statuses: Map::with_capacity_and_hasher(users.len(), Default::default()),
        ..Plan::default()
    };
    let host_ip = charges::charge_hosts(snapshot.hosts, baselines, devices, now, &mut out);
    // Statuses after charging.
    for u in users {
        let mut facts = u.facts;
        let extra = out.per_user.get(&u.id).copied().unwrap_or(0);
        facts.used_bytes = facts.used_bytes.saturating_add(i64::try_from(extra).unwrap_or(i64::MAX));
        out.statuses.insert(u.id, rules.policy.status(&facts, now));
    }
    // The router diff, our entries only.
    let statuses = &out.statuses;
    diff::bindings(snapshot.bindings, devices, statuses, rules, &mut out.router);
    diff::list_entries(snapshot.list_entries, devices, &host_ip, statuses, rules, &mut out.router);
    diff::hotspot_users(snapshot.users, users, statuses, rules, now, &mut out.router);
    out
}

#[cfg(test)]
mod tests;
