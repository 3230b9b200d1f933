//! A site's router housekeeping, planned from the same snapshot as the rest of the cycle (pure,
//! no I/O): static DHCP leases for signed-in devices, the list of hosts that have not signed
//! in, and idle hosts left from an address outside the client ranges. Only entries carrying our
//! comment prefix are changed or removed; an operator's own lease or list entry stands.

use std::net::IpAddr;

use super::{DeviceInput, Map, Rules, Set};
use crate::domain::housekeeping::Housekeeping;
use crate::domain::{Cidr, MacAddress};
use crate::router::ops::{ADDRESS_LIST, Change, DHCP_LEASE, HOST};
use crate::router::rows::{AddressListRow, HostRow, LeaseRow};

/// What housekeeping reads: the snapshot's hosts, leases and list entries, the site's devices.
pub struct Site<'a> {
    pub hosts: &'a [HostRow],
    pub leases: &'a [LeaseRow],
    /// The router's DHCP servers by name (read with the leases).
    pub dhcp_servers: &'a [String],
    pub list_entries: &'a [AddressListRow],
    pub devices: &'a [DeviceInput],
    pub clients: &'a [Cidr],
}

fn inside(clients: &[Cidr], ip: IpAddr) -> bool {
    clients.iter().any(|c| c.contains(ip))
}

/// The router changes the site's housekeeping calls for; problems it will not fix by itself
/// (an address another MAC's lease holds) are returned as notes.
pub fn plan(site: &Site<'_>, house: &Housekeeping, rules: &Rules) -> (Vec<Change>, Vec<String>) {
    let (mut out, mut notes) = (Vec::new(), Vec::new());
    // Without client ranges every address would look foreign and no phone's would be pinned.
    if site.clients.is_empty() {
        notes.push("housekeeping: the site has no client ranges; skipped".to_owned());
        return (out, notes);
    }
    let bound: Set<MacAddress> = site.devices.iter().filter(|d| d.authorized).map(|d| d.mac).collect();
    match &house.dhcp_lease_server {
        // A name the router does not have: nothing is added (each add would fail every cycle)
        // and nothing of ours is removed (a server renamed by hand keeps its leases).
        Some(server) if !site.dhcp_servers.iter().any(|s| s == server) => {
            notes.push(format!("housekeeping: the router has no DHCP server {server:?}; leases left as they are"));
        }
        Some(server) => leases(site, server, rules, &mut out, &mut notes),
        None => {}
    }
    if let Some(list) = &house.unauthorized_list {
        if rules.policy.managed_lists().iter().any(|l| l == list) {
            notes.push(format!("housekeeping: the unauthorized list {list:?} is a status list; left alone"));
        } else {
            unauthorized(site, &bound, list, u64::from(house.unauthorized_after_mins) * 60, rules, &mut out);
        }
    }
    if let Some(mins) = house.stale_host_idle_mins {
        let idle = u64::from(mins) * 60;
        for h in site.hosts {
            let foreign = h.address.is_some_and(|ip| !inside(site.clients, ip));
            if foreign && h.idle_secs.is_some_and(|s| s >= idle) {
                out.push(Change::Remove { menu: HOST, id: h.id.clone() });
            }
        }
    }
    (out, notes)
}

/// One static lease on `server` per signed-in device the router sees at an address in the
/// client ranges; ours for a signed-in device it does not see now stay as they are (a phone
/// away keeps its address), ours that no signed-in device wants, on another server, or
/// duplicated, removed. An address a lease not ours holds, or that two devices show, is never
/// taken.
fn leases(site: &Site<'_>, server: &str, rules: &Rules, out: &mut Vec<Change>, notes: &mut Vec<String>) {
    let bound: Set<MacAddress> = site.devices.iter().filter(|d| d.authorized).map(|d| d.mac).collect();
    let mut wanted: Map<MacAddress, IpAddr> = Map::default();
    let mut shown: Map<IpAddr, usize> = Map::default();
    for h in site.hosts.iter().filter(|h| bound.contains(&h.mac)) {
        if let Some(ip) = h.address.filter(|ip| inside(site.clients, *ip)) {
            wanted.insert(h.mac, ip);
            *shown.entry(ip).or_default() += 1;
        }
    }
    wanted.retain(|_, ip| shown.get(ip) == Some(&1));
    // Addresses held by a lease that is not ours (the operator's, or the DHCP server's own).
    let mut held: Map<IpAddr, MacAddress> = Map::default();
    let mut done: Set<MacAddress> = Set::default();
    for l in site.leases.iter().filter(|l| !rules.owns(l.comment.as_deref())) {
        if let (Some(ip), Some(mac)) = (l.address, l.mac) {
            held.insert(ip, mac);
        }
        // The operator's own static lease for a device stands for ours.
        if let Some(mac) = l.mac.filter(|_| !l.dynamic && l.server == server) {
            done.insert(mac);
        }
    }
    let taken = |ip: &IpAddr, mac: &MacAddress| held.get(ip).is_some_and(|other| other != mac);
    for l in site.leases.iter().filter(|l| rules.owns(l.comment.as_deref())) {
        let mine = l.mac.filter(|m| l.server == server && bound.contains(m) && !done.contains(m));
        let Some(mac) = mine else {
            out.push(Change::Remove { menu: DHCP_LEASE, id: l.id.clone() });
            continue;
        };
        done.insert(mac);
        match wanted.get(&mac) {
            Some(ip) if l.address != Some(*ip) && taken(ip, &mac) => {
                notes.push(format!("housekeeping: a lease not ours holds the new address of {mac}; not moved"));
            }
            Some(ip) if l.address != Some(*ip) => out.push(Change::SetLeaseAddress { id: l.id.clone(), address: *ip }),
            _ => {}
        }
    }
    let mut adds: Vec<(MacAddress, IpAddr)> = wanted.into_iter().filter(|(m, _)| !done.contains(m)).collect();
    adds.sort();
    for (mac, ip) in adds {
        if taken(&ip, &mac) {
            notes.push(format!("housekeeping: a lease not ours holds the address of {mac}; not pinned"));
            continue;
        }
        // A dynamic lease of the device itself is what the static one replaces.
        out.push(Change::AddLease {
            mac,
            address: ip,
            server: server.to_owned(),
            comment: format!("{}lease", rules.comment_prefix),
        });
    }
}

/// Hosts on the hotspot long enough, in the client ranges, neither signed in nor bypassed nor
/// a bound device, on `list`; ours on it that are no longer such a host, removed.
fn unauthorized(
    site: &Site<'_>,
    bound: &Set<MacAddress>,
    list: &str,
    after_secs: u64,
    rules: &Rules,
    out: &mut Vec<Change>,
) {
    let wanted: Set<IpAddr> = site
        .hosts
        .iter()
        .filter(|h| !h.authorized && !h.bypassed && !bound.contains(&h.mac))
        .filter(|h| h.uptime_secs.is_some_and(|u| u >= after_secs))
        .filter_map(|h| h.address.filter(|ip| inside(site.clients, *ip)))
        .collect();
    let mut present: Set<IpAddr> = Set::default();
    for e in site.list_entries.iter().filter(|e| e.list == list) {
        let ip = e.address.parse::<IpAddr>().ok();
        match ip.filter(|ip| wanted.contains(ip)) {
            Some(ip) => {
                present.insert(ip);
            }
            None if rules.owns(e.comment.as_deref()) => {
                out.push(Change::Remove { menu: ADDRESS_LIST, id: e.id.clone() })
            }
            // The operator's own entry stays, and counts.
            None => present.extend(ip),
        }
    }
    let mut adds: Vec<IpAddr> = wanted.into_iter().filter(|ip| !present.contains(ip)).collect();
    adds.sort();
    for ip in adds {
        out.push(Change::AddListEntry {
            list: list.to_owned(),
            address: ip.to_string(),
            comment: format!("{}unauthorized", rules.comment_prefix),
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::domain::policy::{PerStatus, RouterPolicy};

    fn mac(i: u8) -> MacAddress {
        MacAddress::from_octets([0x02, 0, 0, 0, 1, i])
    }

    fn host(i: u8, ip: &str, authorized: bool, uptime: u64, idle: u64) -> HostRow {
        HostRow {
            id: format!("*{i:X}"),
            mac: mac(i),
            address: Some(ip.parse().unwrap()),
            bytes_in: 0,
            bytes_out: 0,
            uptime_secs: Some(uptime),
            authorized,
            bypassed: authorized,
            idle_secs: Some(idle),
        }
    }

    fn device(i: u8, ip: &str) -> DeviceInput {
        DeviceInput {
            id: i64::from(i),
            user_id: uuid::Uuid::nil(),
            mac: mac(i),
            ip: Some(crate::domain::ClientIp::parse(ip).unwrap()),
            authorized: true,
            last_seen: chrono::Utc::now(),
        }
    }

    fn lease(id: &str, i: u8, ip: &str, server: &str, ours: bool) -> LeaseRow {
        LeaseRow {
            id: id.into(),
            mac: Some(mac(i)),
            address: Some(ip.parse().unwrap()),
            server: server.into(),
            dynamic: !ours,
            comment: ours.then(|| "hotspot:lease".to_owned()),
        }
    }

    fn policy() -> RouterPolicy {
        RouterPolicy { fup_threshold: 1, lists: PerStatus::standard_lists(), profiles: PerStatus::standard_profiles() }
    }

    fn rules() -> Rules {
        Rules { policy: Arc::new(policy()), comment_prefix: "hotspot:".into() }
    }

    #[test]
    fn leases_pin_bound_devices_and_repair_ours() {
        let clients = [Cidr::parse("10.5.50.0/24").unwrap()];
        // Seen: 1 with no lease yet; 2 with ours at an old address; 3 with ours on another
        // server; 4 outside the ranges; 5 at an address another MAC's lease holds; 8 and 10 at
        // one address; 11 moved to an address another MAC's lease holds. Not seen: 6 (ours
        // stays). 9: ours, no device any more.
        let hosts = [
            host(1, "10.5.50.11", true, 60, 0),
            host(2, "10.5.50.12", true, 60, 0),
            host(3, "10.5.50.13", true, 60, 0),
            host(4, "192.168.1.4", true, 60, 0),
            host(5, "10.5.50.15", true, 60, 0),
            host(8, "10.5.50.18", true, 60, 0),
            host(10, "10.5.50.18", true, 60, 0),
            host(11, "10.5.50.22", true, 60, 0),
        ];
        let devices: Vec<DeviceInput> =
            [1, 2, 3, 4, 5, 6, 8, 10, 11].into_iter().map(|i| device(i, &format!("10.5.50.{i}"))).collect();
        let leases = [
            lease("*A", 2, "10.5.50.2", "dhcp1", true),
            lease("*B", 3, "10.5.50.13", "other", true),
            lease("*C", 7, "10.5.50.15", "dhcp1", false),
            lease("*D", 9, "10.5.50.19", "dhcp1", true),
            lease("*G", 6, "10.5.50.16", "dhcp1", true),
            lease("*H", 11, "10.5.50.21", "dhcp1", true),
            lease("*I", 12, "10.5.50.22", "dhcp1", false),
        ];
        let servers = ["dhcp1".to_owned(), "other".to_owned()];
        let site = Site {
            hosts: &hosts,
            leases: &leases,
            dhcp_servers: &servers,
            list_entries: &[],
            devices: &devices,
            clients: &clients,
        };
        let house = Housekeeping { dhcp_lease_server: Some("dhcp1".into()), ..Housekeeping::default() };
        let (changes, notes) = plan(&site, &house, &rules());
        let add = |i: u8, ip: &str| Change::AddLease {
            mac: mac(i),
            address: ip.parse().unwrap(),
            server: "dhcp1".into(),
            comment: "hotspot:lease".into(),
        };
        assert!(changes.contains(&Change::SetLeaseAddress { id: "*A".into(), address: "10.5.50.12".parse().unwrap() }));
        assert!(changes.contains(&Change::Remove { menu: DHCP_LEASE, id: "*B".into() }));
        assert!(changes.contains(&Change::Remove { menu: DHCP_LEASE, id: "*D".into() }));
        assert!(changes.contains(&add(1, "10.5.50.11")));
        assert!(changes.contains(&add(3, "10.5.50.13")));
        assert_eq!(changes.len(), 5, "{changes:?}");
        assert_eq!(notes.len(), 2, "{notes:?}");
        // Repaired: the router as the changes leave it asks for nothing more.
        let repaired = [
            lease("*A", 2, "10.5.50.12", "dhcp1", true),
            lease("*C", 7, "10.5.50.15", "dhcp1", false),
            lease("*E", 1, "10.5.50.11", "dhcp1", true),
            lease("*F", 3, "10.5.50.13", "dhcp1", true),
            lease("*G", 6, "10.5.50.16", "dhcp1", true),
            lease("*H", 11, "10.5.50.21", "dhcp1", true),
            lease("*I", 12, "10.5.50.22", "dhcp1", false),
        ];
        let site = Site { leases: &repaired, ..site };
        assert!(plan(&site, &house, &rules()).0.is_empty());
        // A server the router does not have: nothing added, nothing of ours removed.
        let missing = Housekeeping { dhcp_lease_server: Some("dhcp9".into()), ..house.clone() };
        let (changes, notes) = plan(&Site { leases: &leases, ..site }, &missing, &rules());
        assert!(changes.is_empty() && notes.len() == 1, "{changes:?} {notes:?}");
        // No client ranges: nothing is done at all.
        let site = Site { clients: &[], ..site };
        let stale = Housekeeping { stale_host_idle_mins: Some(5), ..house };
        assert!(plan(&site, &stale, &rules()).0.is_empty());
    }

    #[test]
    fn unauthorized_list_and_stale_hosts() {
        let clients = [Cidr::parse("10.5.50.0/24").unwrap()];
        let hosts = [
            host(1, "10.5.50.11", false, 900, 0), // on the hotspot 15 min, not signed in: listed
            host(2, "10.5.50.12", false, 60, 0),  // just arrived: not yet
            host(3, "10.5.50.13", true, 900, 0),  // signed in
            host(4, "10.5.50.14", false, 900, 0), // a bound device the router has not bypassed yet
            host(5, "172.16.9.5", true, 9000, 7200), // a foreign address, idle 2 h: removed
            host(6, "172.16.9.6", true, 9000, 60), // foreign but in use: kept
        ];
        let devices = [device(4, "10.5.50.14")];
        let entries = [
            AddressListRow {
                id: "*1".into(),
                list: "unauthorized".into(),
                address: "10.5.50.13".into(),
                comment: Some("hotspot:unauthorized".into()),
                dynamic: false,
            },
            AddressListRow {
                id: "*2".into(),
                list: "unauthorized".into(),
                address: "10.5.50.99".into(),
                comment: Some("the operator's".into()),
                dynamic: false,
            },
        ];
        let site = Site {
            hosts: &hosts,
            leases: &[],
            dhcp_servers: &[],
            list_entries: &entries,
            devices: &devices,
            clients: &clients,
        };
        let house = Housekeeping {
            unauthorized_list: Some("unauthorized".into()),
            stale_host_idle_mins: Some(60),
            ..Housekeeping::default()
        };
        let (changes, _) = plan(&site, &house, &rules());
        assert_eq!(
            changes,
            vec![
                Change::Remove { menu: ADDRESS_LIST, id: "*1".into() },
                Change::AddListEntry {
                    list: "unauthorized".into(),
                    address: "10.5.50.11".into(),
                    comment: "hotspot:unauthorized".into()
                },
                Change::Remove { menu: HOST, id: "*5".into() },
            ]
        );
        // A status list's name is never used for it.
        let clash = Housekeeping { unauthorized_list: Some(policy().lists.active), ..Housekeeping::default() };
        let (changes, notes) = plan(&site, &clash, &rules());
        assert!(changes.is_empty() && notes.len() == 1);
    }
}
