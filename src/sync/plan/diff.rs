//! The router diff: for our entries only (the comment prefix marks them), what makes the
//! router match the statuses: one binding per authorized device's MAC, each device's address on
//! its user's status list, each managed hotspot user's profile. Operators' own entries are
//! never touched.

use std::collections::hash_map::Entry;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{DeviceInput, Map, Rules, Set, UserInput};
use crate::domain::network::witness_expiry;
use crate::domain::{AccessStatus, MacAddress};
use crate::router::ops::{ADDRESS_LIST, Change, HOTSPOT_USER, IP_BINDING};
use crate::router::rows::{AddressListRow, BindingRow, HotspotUserRow};

/// Bindings: one per authorized device's MAC of the kind its status calls for; ours that no
/// device wants, and duplicates, removed.
pub(super) fn bindings(
    rows: &[BindingRow],
    devices: &[DeviceInput],
    statuses: &Map<Uuid, AccessStatus>,
    rules: &Rules,
    out: &mut Vec<Change>,
) {
    // The first of ours per MAC in one map, the rare duplicates in another (not a vector per MAC).
    let mut ours_by_mac: Map<MacAddress, &BindingRow> = Map::with_capacity_and_hasher(rows.len(), Default::default());
    let mut extra_by_mac: Map<MacAddress, Vec<&BindingRow>> = Map::default();
    let mut operator_macs: Set<MacAddress> = Set::default();
    for b in rows {
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
        let Some(status) = statuses.get(&d.user_id) else { continue };
        if operator_macs.contains(&d.mac) {
            continue;
        }
        wanted_macs.insert(d.mac);
        let want = rules.policy.binding(*status);
        match ours_by_mac.get(&d.mac) {
            None => out.push(Change::AddBinding {
                mac: d.mac,
                kind: want,
                comment: format!("{}u:{}", rules.comment_prefix, d.user_id.simple()),
            }),
            Some(first) => {
                if first.kind != want || first.disabled {
                    out.push(Change::SetBinding { id: first.id.clone(), kind: want });
                }
                for extra in extras_of(&d.mac) {
                    out.push(Change::Remove { menu: IP_BINDING, id: extra.id.clone() });
                }
            }
        }
    }
    for (mac, first) in &ours_by_mac {
        if !wanted_macs.contains(mac) {
            for r in std::iter::once(first).chain(extras_of(mac)) {
                out.push(Change::Remove { menu: IP_BINDING, id: r.id.clone() });
            }
        }
    }
}

/// Address lists: each authorized device's current IP on its user's status list, keyed by the
/// list's name (borrowed from the policy) and the parsed address: no strings per device.
pub(super) fn list_entries(
    rows: &[AddressListRow],
    devices: &[DeviceInput],
    host_ip: &Map<MacAddress, IpAddr>,
    statuses: &Map<Uuid, AccessStatus>,
    rules: &Rules,
    out: &mut Vec<Change>,
) {
    let policy = &*rules.policy;
    let managed_lists: Set<String> = policy.managed_lists().into_iter().collect();
    let mut wanted: Set<(&str, IpAddr)> = Set::with_capacity_and_hasher(devices.len(), Default::default());
    for d in devices.iter().filter(|d| d.authorized) {
        let Some(status) = statuses.get(&d.user_id) else { continue };
        let Some(ip) = host_ip.get(&d.mac).copied().or_else(|| d.ip.map(|i| i.addr())) else { continue };
        wanted.insert((policy.list(*status), ip));
    }
    let mut present: Set<(&str, IpAddr)> = Set::with_capacity_and_hasher(rows.len(), Default::default());
    for e in rows {
        if !managed_lists.contains(&e.list) {
            continue;
        }
        // An address that is not one IP (a range, a name) is never one we want.
        let key = e.address.parse::<IpAddr>().ok().map(|ip| (e.list.as_str(), ip));
        if let Some(key) = key.filter(|k| wanted.contains(k)) {
            present.insert(key);
        } else if rules.owns(e.comment.as_deref()) {
            out.push(Change::Remove { menu: ADDRESS_LIST, id: e.id.clone() });
        } else {
            // The operator's own entry on one of our lists: it counts as present, never removed.
            present.extend(key);
        }
    }
    let mut adds: Vec<&(&str, IpAddr)> = wanted.iter().filter(|k| !present.contains(*k)).collect();
    adds.sort();
    for (list, address) in adds {
        out.push(Change::AddListEntry {
            list: (*list).to_owned(),
            address: address.to_string(),
            comment: format!("{}sync", rules.comment_prefix),
        });
    }
}

/// Hotspot users we manage: their profile follows the status; a one-time witness user left
/// behind (its watcher did not finish) goes once expired.
pub(super) fn hotspot_users(
    rows: &[HotspotUserRow],
    users: &[UserInput],
    statuses: &Map<Uuid, AccessStatus>,
    rules: &Rules,
    now: DateTime<Utc>,
    out: &mut Vec<Change>,
) {
    let mut user_by_name: Map<&str, &UserInput> = Map::with_capacity_and_hasher(users.len(), Default::default());
    user_by_name.extend(users.iter().map(|u| (u.hotspot_name.as_str(), u)));
    for hu in rows {
        if !rules.owns(hu.comment.as_deref()) {
            continue;
        }
        if let Some(expires) = witness_expiry(&hu.name) {
            if expires < now.timestamp() {
                out.push(Change::Remove { menu: HOTSPOT_USER, id: hu.id.clone() });
            }
            continue;
        }
        let Some(u) = user_by_name.get(hu.name.as_str()) else { continue };
        let Some(status) = statuses.get(&u.id) else { continue };
        let profile = rules.policy.profile(*status);
        if hu.profile.as_deref() != Some(profile) {
            out.push(Change::SetUserProfile { id: hu.id.clone(), profile: profile.to_owned() });
        }
    }
}
