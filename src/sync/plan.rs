//! The sync planner: pure, no I/O. From one router snapshot, the stored baselines and the users
//! and devices, it computes what to charge, the new baselines, and the router changes that
//! differ from what the router has now.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::policy::{RouterPolicy, UserFacts};
use crate::domain::{AccessStatus, ClientIp, MacAddress};
use crate::router::ops::{ADDRESS_LIST, Change, IP_BINDING};
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
    let mut out = Plan::default();
    let device_by_mac: Map<MacAddress, &DeviceInput> = devices.iter().map(|d| (d.mac, d)).collect();
    let mut host_ip: Map<MacAddress, IpAddr> = Map::default();

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

    // Router diff, managed entries only. Bindings: one per authorized device's MAC.
    let mut ours_by_mac: Map<MacAddress, Vec<&BindingRow>> = Map::default();
    let mut operator_macs: Set<MacAddress> = Set::default();
    for b in snapshot.bindings {
        let Some(mac) = b.mac else { continue };
        if rules.owns(b.comment.as_deref()) {
            ours_by_mac.entry(mac).or_default().push(b);
        } else {
            operator_macs.insert(mac);
        }
    }
    let mut wanted_macs: Set<MacAddress> = Set::default();
    for d in devices.iter().filter(|d| d.authorized) {
        let Some(status) = out.statuses.get(&d.user_id) else { continue };
        if operator_macs.contains(&d.mac) {
            continue;
        }
        wanted_macs.insert(d.mac);
        let want = policy.binding(*status);
        match ours_by_mac.get(&d.mac).map(Vec::as_slice) {
            None | Some([]) => out.router.push(Change::AddBinding {
                mac: d.mac,
                kind: want,
                comment: format!("{}u:{}", rules.comment_prefix, d.user_id.simple()),
            }),
            Some([first, rest @ ..]) => {
                if first.kind != want || first.disabled {
                    out.router.push(Change::SetBinding { id: first.id.clone(), kind: want });
                }
                for extra in rest {
                    out.router.push(Change::Remove { menu: IP_BINDING, id: extra.id.clone() });
                }
            }
        }
    }
    for (mac, rows) in &ours_by_mac {
        if !wanted_macs.contains(mac) {
            for r in rows {
                out.router.push(Change::Remove { menu: IP_BINDING, id: r.id.clone() });
            }
        }
    }

    // Address lists: each authorized device's current IP on its user's status list.
    let managed_lists: Set<String> = policy.managed_lists().into_iter().collect();
    let mut wanted_entries: Set<(String, String)> = Set::default();
    for d in devices.iter().filter(|d| d.authorized) {
        let Some(status) = out.statuses.get(&d.user_id) else { continue };
        let ip = host_ip.get(&d.mac).map(|a| a.to_string()).or_else(|| d.ip.map(|i| i.as_text()));
        let Some(ip) = ip else { continue };
        wanted_entries.insert((policy.list(*status).to_owned(), ip));
    }
    let mut present: Set<(String, String)> = Set::default();
    for e in snapshot.list_entries {
        if !managed_lists.contains(&e.list) {
            continue;
        }
        let key = (e.list.clone(), e.address.clone());
        if wanted_entries.contains(&key) {
            present.insert(key);
        } else if rules.owns(e.comment.as_deref()) {
            out.router.push(Change::Remove { menu: ADDRESS_LIST, id: e.id.clone() });
        } else {
            // The operator's own entry on one of our lists: it counts as present, never removed.
            present.insert(key);
        }
    }
    let mut adds: Vec<&(String, String)> = wanted_entries.iter().filter(|k| !present.contains(*k)).collect();
    adds.sort();
    for (list, address) in adds {
        out.router.push(Change::AddListEntry {
            list: list.clone(),
            address: address.clone(),
            comment: format!("{}sync", rules.comment_prefix),
        });
    }

    // Hotspot users we manage: their profile follows the status.
    let user_by_name: Map<&str, &UserInput> = users.iter().map(|u| (u.hotspot_name.as_str(), u)).collect();
    for hu in snapshot.users {
        if !rules.owns(hu.comment.as_deref()) {
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
mod tests {
    use super::*;
    use crate::domain::GIB;
    use crate::domain::policy::PerStatus;
    use crate::router::rows::BindingType;

    fn b(host: &str, bytes: u64, up: u64) -> Baseline {
        Baseline { host_id: host.into(), bytes, uptime_secs: up }
    }

    #[test]
    fn delta_rules() {
        // (name, stored baseline, host row id, bytes, uptime, expected)
        type Case = (&'static str, Option<Baseline>, &'static str, u64, u64, Observation);
        let cases: Vec<Case> = vec![
            ("first sight", None, "*80000001", 5_000, 60, Observation::FirstSight),
            (
                "normal delta",
                Some(b("*80000001", 5_000, 60)),
                "*80000001",
                7_500,
                360,
                Observation::Normal { charge: 2_500 },
            ),
            ("idle", Some(b("*80000001", 5_000, 60)), "*80000001", 5_000, 360, Observation::Normal { charge: 0 }),
            ("host row changed", Some(b("*80000001", 5_000, 60)), "*80000009", 100, 10, Observation::RowChanged),
            (
                "row changed beats counters",
                Some(b("*80000001", 5_000, 60)),
                "*80000009",
                9_000,
                900,
                Observation::RowChanged,
            ),
            (
                "uptime regressed",
                Some(b("*80000001", 5_000, 600)),
                "*80000001",
                6_000,
                30,
                Observation::UptimeRegressed,
            ),
            (
                "counter reset",
                Some(b("*80000001", 5_000, 600)),
                "*80000001",
                1_200,
                900,
                Observation::CounterReset { charge: 1_200 },
            ),
            (
                "beyond 2^32",
                Some(b("*1", 4_294_967_000, 1)),
                "*1",
                8_589_934_592,
                2,
                Observation::Normal { charge: 4_294_967_592 },
            ),
        ];
        for (name, prev, host, bytes, up, want) in cases {
            assert_eq!(observe(prev.as_ref(), host, bytes, up), want, "{name}");
        }
    }

    fn policy() -> Rules {
        let policy = RouterPolicy {
            fup_threshold: 3 * GIB,
            lists: PerStatus::standard_lists(),
            profiles: PerStatus::standard_profiles(),
        };
        Rules { policy: Arc::new(policy), comment_prefix: "hotspot:".into() }
    }

    fn user(purchased_gib: i64, used: i64) -> UserInput {
        UserInput {
            id: Uuid::new_v4(),
            facts: UserFacts {
                approved: true,
                is_active: true,
                is_blocked: false,
                is_unlimited: false,
                purchased_bytes: purchased_gib * GIB,
                used_bytes: used,
                expires_at: None,
            },
            hotspot_name: "081234567001".into(),
        }
    }

    fn mac(i: u8) -> MacAddress {
        MacAddress::from_octets([0x02, 0, 0, 0, 0, i])
    }

    fn host(i: u8, id: &str, bytes: u64, up: u64) -> HostRow {
        HostRow {
            id: id.into(),
            mac: mac(i),
            address: Some(format!("10.5.50.{i}").parse().unwrap()),
            bytes_in: bytes,
            bytes_out: 0,
            uptime_secs: up,
        }
    }

    fn device(u: &UserInput, i: u8, ip: &str) -> DeviceInput {
        DeviceInput {
            id: i64::from(i),
            user_id: u.id,
            mac: mac(i),
            ip: Some(ClientIp::parse(ip).unwrap()),
            authorized: true,
            last_seen: Utc::now(),
        }
    }

    fn binding(id: &str, i: u8, kind: BindingType, ours: bool) -> BindingRow {
        BindingRow {
            id: id.into(),
            mac: Some(mac(i)),
            kind,
            server: Some("all".into()),
            comment: Some(if ours { "hotspot:u:x".into() } else { "printer".into() }),
            disabled: false,
        }
    }

    fn entry(id: &str, list: &str, addr: &str, ours: bool) -> AddressListRow {
        AddressListRow {
            id: id.into(),
            list: list.into(),
            address: addr.into(),
            comment: Some(if ours { "hotspot:sync".into() } else { "manual".into() }),
            dynamic: false,
        }
    }

    #[test]
    fn steady_state_writes_nothing() {
        let u = user(10, 0);
        let hosts = [host(1, "*80000001", 1_000, 60)];
        let bindings = [binding("*1", 1, BindingType::Bypassed, true)];
        let entries = [entry("*1", "hs_active", "10.5.50.1", true)];
        let snap = Snapshot { hosts: &hosts, bindings: &bindings, list_entries: &entries, users: &[] };
        let baselines: Map<_, _> = [(mac(1), b("*80000001", 1_000, 30))].into_iter().collect();
        let p = plan(&snap, &baselines, std::slice::from_ref(&u), &[device(&u, 1, "10.5.50.1")], &policy(), Utc::now());
        assert!(p.router.is_empty(), "{:?}", p.router);
        assert_eq!(p.per_user.get(&u.id), None);
    }

    #[test]
    fn charges_move_users_between_statuses_and_the_router_follows() {
        // 10 GiB plan, 7.5 GiB used: 2.5 GiB left after 0.5 GiB more → FUP (below 3 GiB).
        let u = user(10, 7 * GIB);
        let half = (GIB / 2) as u64;
        let hosts = [host(1, "*80000001", 1_000 + half, 120)];
        let bindings = [binding("*1", 1, BindingType::Bypassed, true)];
        let entries = [entry("*1", "hs_active", "10.5.50.1", true)];
        let hu = [HotspotUserRow {
            id: "*5".into(),
            name: "081234567001".into(),
            profile: Some("default".into()),
            comment: Some("hotspot:u:x".into()),
        }];
        let snap = Snapshot { hosts: &hosts, bindings: &bindings, list_entries: &entries, users: &hu };
        let baselines: Map<_, _> = [(mac(1), b("*80000001", 1_000, 60))].into_iter().collect();
        let p = plan(&snap, &baselines, std::slice::from_ref(&u), &[device(&u, 1, "10.5.50.1")], &policy(), Utc::now());
        assert_eq!(p.per_user[&u.id], half);
        assert_eq!(p.statuses[&u.id], AccessStatus::Fup);
        assert_eq!(
            p.router,
            vec![
                Change::Remove { menu: ADDRESS_LIST, id: "*1".into() },
                Change::AddListEntry {
                    list: "hs_fup".into(),
                    address: "10.5.50.1".into(),
                    comment: "hotspot:sync".into()
                },
                Change::SetUserProfile { id: "*5".into(), profile: "fup".into() },
            ]
        );

        // Used up: habis, binding regular.
        let u2 = user(1, GIB - 10);
        let hosts = [host(2, "*80000002", 100, 120)];
        let bindings = [binding("*2", 2, BindingType::Bypassed, true)];
        let snap = Snapshot { hosts: &hosts, bindings: &bindings, list_entries: &[], users: &[] };
        let baselines: Map<_, _> = [(mac(2), b("*80000002", 50, 60))].into_iter().collect();
        let p =
            plan(&snap, &baselines, std::slice::from_ref(&u2), &[device(&u2, 2, "10.5.50.2")], &policy(), Utc::now());
        assert_eq!(p.statuses[&u2.id], AccessStatus::Habis);
        assert!(p.router.contains(&Change::SetBinding { id: "*2".into(), kind: BindingType::Regular }));
        assert!(p.router.contains(&Change::AddListEntry {
            list: "hs_habis".into(),
            address: "10.5.50.2".into(),
            comment: "hotspot:sync".into()
        }));

        // Expired: the date passed, whatever the quota.
        let mut u3 = user(10, 0);
        u3.facts.expires_at = Some(Utc::now() - chrono::Duration::minutes(1));
        let p = plan(
            &Snapshot { hosts: &[], bindings: &[], list_entries: &[], users: &[] },
            &Map::default(),
            std::slice::from_ref(&u3),
            &[],
            &policy(),
            Utc::now(),
        );
        assert_eq!(p.statuses[&u3.id], AccessStatus::Expired);
    }

    #[test]
    fn unknown_macs_are_not_charged_and_new_ips_move_the_list_entry() {
        let u = user(10, 0);
        let hosts = [host(1, "*80000001", 9_000, 600), host(9, "*80000009", 99_999, 600)];
        let bindings = [binding("*1", 1, BindingType::Bypassed, true)];
        // The device moved from .77 to .1: the old entry goes, the new one comes.
        let entries = [entry("*1", "hs_active", "10.5.50.77", true)];
        let snap = Snapshot { hosts: &hosts, bindings: &bindings, list_entries: &entries, users: &[] };
        let baselines: Map<_, _> = [(mac(1), b("*80000001", 8_000, 300))].into_iter().collect();
        let p =
            plan(&snap, &baselines, std::slice::from_ref(&u), &[device(&u, 1, "10.5.50.77")], &policy(), Utc::now());
        assert_eq!(p.unknown_hosts, 1);
        assert_eq!(p.per_user[&u.id], 1_000);
        assert_eq!(p.baselines.len(), 1);
        assert_eq!(p.seen, vec![DeviceSeen { device_id: 1, user_id: u.id, ip: ClientIp::parse("10.5.50.1").ok() }]);
        assert_eq!(
            p.router,
            vec![
                Change::Remove { menu: ADDRESS_LIST, id: "*1".into() },
                Change::AddListEntry {
                    list: "hs_active".into(),
                    address: "10.5.50.1".into(),
                    comment: "hotspot:sync".into()
                },
            ]
        );
    }

    #[test]
    fn operator_entries_are_left_alone_and_stale_bindings_of_ours_go() {
        let u = user(10, 0);
        let bindings = [
            binding("*1", 1, BindingType::Blocked, false), // operator's, for our user's MAC
            binding("*2", 2, BindingType::Bypassed, true), // ours, device no longer authorized
            binding("*3", 3, BindingType::Bypassed, true), // ours, duplicate below
            binding("*4", 3, BindingType::Bypassed, true),
        ];
        let entries = [entry("*7", "hs_blocked", "10.5.50.1", false)];
        let snap = Snapshot { hosts: &[], bindings: &bindings, list_entries: &entries, users: &[] };
        let mut gone = device(&u, 2, "10.5.50.2");
        gone.authorized = false;
        let devices = [device(&u, 1, "10.5.50.1"), gone, device(&u, 3, "10.5.50.3")];
        let p = plan(&snap, &Map::default(), std::slice::from_ref(&u), &devices, &policy(), Utc::now());
        assert!(!p.router.iter().any(|c| matches!(c, Change::SetBinding { id, .. } if id == "*1")));
        assert!(!p.router.iter().any(|c| matches!(c, Change::Remove { id, .. } if id == "*1" || id == "*7")));
        assert!(p.router.contains(&Change::Remove { menu: IP_BINDING, id: "*2".into() }));
        assert!(p.router.contains(&Change::Remove { menu: IP_BINDING, id: "*4".into() }));
        assert!(!p.router.iter().any(|c| matches!(c, Change::AddBinding { mac: m, .. } if *m == mac(1))));
    }

    #[test]
    fn a_device_row_is_rewritten_when_its_ip_moved_or_its_last_seen_is_old() {
        let now = Utc::now();
        let u = user(10, 0);
        let mins = chrono::Duration::minutes;
        // Device 1 refreshes after 31 minutes (30 + 1 % 31), device 30 after 60.
        let mut d1 = device(&u, 1, "10.5.50.1");
        let cases: [(i64, i64, &str, bool); 7] = [
            (1, 0, "10.5.50.1", false),
            (1, 30, "10.5.50.1", false),
            (1, 31, "10.5.50.1", true),
            (30, 59, "10.5.50.1", false),
            (30, 60, "10.5.50.1", true),
            (1, 0, "10.5.50.2", true),
            (31, 29, "10.5.50.1", false),
        ];
        for (id, age, ip, due) in cases {
            d1.id = id;
            d1.last_seen = now - mins(age);
            assert_eq!(d1.seen_due(ClientIp::parse(ip).ok(), now), due, "id {id}, age {age} min, ip {ip}");
        }
        // No address in the host row: only age counts.
        d1.last_seen = now;
        assert!(!d1.seen_due(None, now));
    }

    #[test]
    fn unchanged_baselines_and_recently_seen_devices_write_nothing() {
        let u = user(10, 0);
        let hosts = [host(1, "*80000001", 8_000, 300), host(2, "*80000002", 500, 60), host(3, "*80000003", 70, 9)];
        let snap = Snapshot { hosts: &hosts, bindings: &[], list_entries: &[], users: &[] };
        let baselines: Map<_, _> =
            [(mac(1), b("*80000001", 8_000, 300)), (mac(2), b("*80000002", 400, 30))].into_iter().collect();
        let devices = [device(&u, 1, "10.5.50.1"), device(&u, 2, "10.5.50.2"), device(&u, 3, "10.5.50.3")];
        let p = plan(&snap, &baselines, std::slice::from_ref(&u), &devices, &policy(), Utc::now());
        let written: Vec<(MacAddress, bool)> = p.baselines.iter().map(|b| (b.mac, b.stored)).collect();
        assert_eq!(written, vec![(mac(2), true), (mac(3), false)]);
        assert!(p.seen.is_empty());
        assert_eq!(p.per_user[&u.id], 100);
    }
}
