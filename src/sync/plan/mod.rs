//! The sync planner: pure, no I/O. From one router snapshot, the stored baselines and the users
//! and devices, it computes what to charge, the new baselines, and the router changes that
//! differ from what the router has now.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::network::witness_expiry;
use crate::domain::policy::{RouterPolicy, UserFacts};
use crate::domain::{AccessStatus, ClientIp, MacAddress};
use crate::router::ops::{ADDRESS_LIST, Change, HOTSPOT_USER, IP_BINDING};
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
    /// The host row was re-created (the device left and came back): start again, no charge.
    RowChanged,
    /// Uptime went backwards on the same row: start again, no charge.
    UptimeRegressed,
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
            Observation::CounterReset { charge } | Observation::Normal { charge } => *charge,
            _ => 0,
        }
    }
}

/// The delta rule for one MAC.
pub fn observe(previous: Option<&Baseline>, host_id: &str, bytes: u64, uptime_secs: u64) -> Observation {
    let Some(b) = previous else { return Observation::FirstSight };
    if b.host_id != host_id {
        return Observation::RowChanged;
    }
    if uptime_secs < b.uptime_secs {
        return Observation::UptimeRegressed;
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
    fn owns(&self, comment: Option<&str>) -> bool {
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
    let policy = &*rules.policy;
    // Maps and vectors sized up front: at 250,000 devices a doubling's old and new tables side
    // by side were a large share of the cycle's peak memory.
    let mut out = Plan {
        charges: Vec::with_capacity(snapshot.hosts.len()),
        baselines: Vec::with_capacity(snapshot.hosts.len()),
        statuses: Map::with_capacity_and_hasher(users.len(), Default::default()),
        ..Plan::default()
    };
    let mut device_by_mac: Map<MacAddress, &DeviceInput> =
        Map::with_capacity_and_hasher(devices.len(), Default::default());
    device_by_mac.extend(devices.iter().map(|d| (d.mac, d)));
    let mut host_ip: Map<MacAddress, IpAddr> = Map::with_capacity_and_hasher(snapshot.hosts.len(), Default::default());

    for h in snapshot.hosts {
        let Some(dev) = device_by_mac.get(&h.mac) else {
            out.unknown_hosts += 1;
            continue;
        };
        if let Some(ip) = h.address {
            host_ip.insert(h.mac, ip);
        }
        let bytes = h.total_bytes();
        let stored = baselines.get(&h.mac);
        let observation = observe(stored, &h.id, bytes, h.uptime_secs);
        let charge = observation.charge();
        if charge > 0 {
            *out.per_user.entry(dev.user_id).or_insert(0) += charge;
        }
        out.charges.push(DeviceCharge {
            device_id: dev.id,
            user_id: dev.user_id,
            mac: h.mac,
            bytes: charge,
            observation,
        });
        let baseline = Baseline { host_id: h.id.clone(), bytes, uptime_secs: h.uptime_secs };
        if stored != Some(&baseline) {
            out.baselines.push(NewBaseline { mac: h.mac, user_id: dev.user_id, baseline, stored: stored.is_some() });
        }
        let ip = h.address.and_then(|a| ClientIp::new(a).ok());
        if dev.seen_due(ip, now) {
            out.seen.push(DeviceSeen { device_id: dev.id, user_id: dev.user_id, ip });
        }
    }

    // Statuses after charging.
    for u in users {
        let mut facts = u.facts;
        let extra = out.per_user.get(&u.id).copied().unwrap_or(0);
        facts.used_bytes = facts.used_bytes.saturating_add(i64::try_from(extra).unwrap_or(i64::MAX));
        out.statuses.insert(u.id, policy.status(&facts, now));
    }

    // Router diff, managed entries only. Bindings: one per authorized device's MAC. The first
    // of ours per MAC in one map, the rare duplicates in another (not a vector per MAC).
    let mut ours_by_mac: Map<MacAddress, &BindingRow> =
        Map::with_capacity_and_hasher(snapshot.bindings.len(), Default::default());
    let mut extra_by_mac: Map<MacAddress, Vec<&BindingRow>> = Map::default();
    let mut operator_macs: Set<MacAddress> = Set::default();
    for b in snapshot.bindings {
        let Some(mac) = b.mac else { continue };
        if rules.owns(b.comment.as_deref()) {
            match ours_by_mac.entry(mac) {
                Entry::Vacant(v) => {
                    v.insert(b);
                }
                Entry::Occupied(_) => extra_by_mac.entry(mac).or_default().push(b),
            }
        } else {
            operator_macs.insert(mac);
        }
    }
    let no_extras: &[&BindingRow] = &[];
    let extras_of = |mac: &MacAddress| extra_by_mac.get(mac).map_or(no_extras, Vec::as_slice);
    let mut wanted_macs: Set<MacAddress> = Set::with_capacity_and_hasher(devices.len(), Default::default());
    for d in devices.iter().filter(|d| d.authorized) {
        let Some(status) = out.statuses.get(&d.user_id) else { continue };
        if operator_macs.contains(&d.mac) {
            continue;
        }
        wanted_macs.insert(d.mac);
        let want = policy.binding(*status);
        match ours_by_mac.get(&d.mac) {
            None => out.router.push(Change::AddBinding {
                mac: d.mac,
                kind: want,
                comment: format!("{}u:{}", rules.comment_prefix, d.user_id.simple()),
            }),
            Some(first) => {
                if first.kind != want || first.disabled {
                    out.router.push(Change::SetBinding { id: first.id.clone(), kind: want });
                }
                for extra in extras_of(&d.mac) {
                    out.router.push(Change::Remove { menu: IP_BINDING, id: extra.id.clone() });
                }
            }
        }
    }
    for (mac, first) in &ours_by_mac {
        if !wanted_macs.contains(mac) {
            for r in std::iter::once(first).chain(extras_of(mac)) {
                out.router.push(Change::Remove { menu: IP_BINDING, id: r.id.clone() });
            }
        }
    }

    // Address lists: each authorized device's current IP on its user's status list.
    // Keyed by the list's name (borrowed from the policy) and the parsed address: no strings
    // per device.
    let managed_lists: Set<String> = policy.managed_lists().into_iter().collect();
    let mut wanted_entries: Set<(&str, IpAddr)> = Set::with_capacity_and_hasher(devices.len(), Default::default());
    for d in devices.iter().filter(|d| d.authorized) {
        let Some(status) = out.statuses.get(&d.user_id) else { continue };
        let Some(ip) = host_ip.get(&d.mac).copied().or_else(|| d.ip.map(|i| i.addr())) else { continue };
        wanted_entries.insert((policy.list(*status), ip));
    }
    let mut present: Set<(&str, IpAddr)> =
        Set::with_capacity_and_hasher(snapshot.list_entries.len(), Default::default());
    for e in snapshot.list_entries {
        if !managed_lists.contains(&e.list) {
            continue;
        }
        // An address that is not one IP (a range, a name) is never one we want.
        let key = e.address.parse::<IpAddr>().ok().map(|ip| (e.list.as_str(), ip));
        if let Some(key) = key.filter(|k| wanted_entries.contains(k)) {
            present.insert(key);
        } else if rules.owns(e.comment.as_deref()) {
            out.router.push(Change::Remove { menu: ADDRESS_LIST, id: e.id.clone() });
        } else {
            // The operator's own entry on one of our lists: it counts as present, never removed.
            present.extend(key);
        }
    }
    let mut adds: Vec<&(&str, IpAddr)> = wanted_entries.iter().filter(|k| !present.contains(*k)).collect();
    adds.sort();
    for (list, address) in adds {
        out.router.push(Change::AddListEntry {
            list: (*list).to_owned(),
            address: address.to_string(),
            comment: format!("{}sync", rules.comment_prefix),
        });
    }

    // Hotspot users we manage: their profile follows the status.
    let mut user_by_name: Map<&str, &UserInput> = Map::with_capacity_and_hasher(users.len(), Default::default());
    user_by_name.extend(users.iter().map(|u| (u.hotspot_name.as_str(), u)));
    for hu in snapshot.users {
        if !rules.owns(hu.comment.as_deref()) {
            continue;
        }
        // A one-time witness user left behind (its watcher did not finish): gone once expired.
        if let Some(expires) = witness_expiry(&hu.name) {
            if expires < now.timestamp() {
                out.router.push(Change::Remove { menu: HOTSPOT_USER, id: hu.id.clone() });
            }
            continue;
        }
        let Some(u) = user_by_name.get(hu.name.as_str()) else { continue };
        let Some(status) = out.statuses.get(&u.id) else { continue };
        let profile = policy.profile(*status);
        if hu.profile.as_deref() != Some(profile) {
            out.router.push(Change::SetUserProfile { id: hu.id.clone(), profile: profile.to_owned() });
        }
    }
    out
}

#[cfg(test)]
mod tests;
