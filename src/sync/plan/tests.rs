//! The planner's tables: delta rules, statuses, the router diff.

use super::*;
use crate::domain::GIB;
use crate::domain::policy::PerStatus;
use crate::router::ops::{ADDRESS_LIST, HOTSPOT_USER, IP_BINDING};
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
        (
            "a younger row: the reboot (issue 30, item 13)",
            Some(b("*80000001", 5_000, 60)),
            "*80000009",
            100,
            10,
            Observation::Restarted { charge: 100 },
        ),
        ("an older row", Some(b("*80000001", 5_000, 60)), "*80000009", 100, 600, Observation::RowChanged),
        (
            "row changed, not younger, beats counters",
            Some(b("*80000001", 5_000, 60)),
            "*80000009",
            9_000,
            900,
            Observation::RowChanged,
        ),
        (
            "uptime regressed on a reused id",
            Some(b("*80000001", 5_000, 600)),
            "*80000001",
            6_000,
            30,
            Observation::Restarted { charge: 6_000 },
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
        uptime_secs: Some(up),
        authorized: true,
        bypassed: true,
        idle_secs: Some(0),
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
            Change::AddListEntry { list: "hs_fup".into(), address: "10.5.50.1".into(), comment: "hotspot:sync".into() },
            Change::SetUserProfile { id: "*5".into(), profile: "fup".into() },
        ]
    );

    // Used up: habis, binding regular.
    let u2 = user(1, GIB - 10);
    let hosts = [host(2, "*80000002", 100, 120)];
    let bindings = [binding("*2", 2, BindingType::Bypassed, true)];
    let snap = Snapshot { hosts: &hosts, bindings: &bindings, list_entries: &[], users: &[] };
    let baselines: Map<_, _> = [(mac(2), b("*80000002", 50, 60))].into_iter().collect();
    let p = plan(&snap, &baselines, std::slice::from_ref(&u2), &[device(&u2, 2, "10.5.50.2")], &policy(), Utc::now());
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

/// Review of issue 30, item 13: a MAC listed twice (its old row waiting out its keepalive
/// after the device moved to another hotspot server) is charged from one row only: the
/// baseline's row while it is there, then the younger row's counter once; a row whose uptime
/// did not parse charges nothing.
#[test]
fn a_mac_listed_twice_is_charged_once() {
    let u = user(10, 0);
    let devices = [device(&u, 1, "10.5.50.1")];
    let charge = |hosts: &[HostRow], baselines: &Map<MacAddress, Baseline>| {
        let snap = Snapshot { hosts, bindings: &[], list_entries: &[], users: &[] };
        let p = plan(&snap, baselines, std::slice::from_ref(&u), &devices, &policy(), Utc::now());
        (
            p.per_user.get(&u.id).copied().unwrap_or(0),
            p.baselines.iter().map(|b| b.baseline.clone()).collect::<Vec<_>>(),
        )
    };
    let known: Map<_, _> = [(mac(1), b("*80000001", 5_000, 600))].into_iter().collect();
    // Old row still listed (grown by 100), the new one young with 3,000: the old row counts.
    let both = [host(1, "*80000009", 3_000, 30), host(1, "*80000001", 5_100, 630)];
    let (charged, baselines) = charge(&both, &known);
    assert_eq!(charged, 100);
    assert_eq!(baselines, vec![b("*80000001", 5_100, 630)]);
    // Next cycle, the same: the young row is never charged against the old row's baseline.
    let known: Map<_, _> = [(mac(1), b("*80000001", 5_100, 630))].into_iter().collect();
    let both = [host(1, "*80000009", 4_000, 330), host(1, "*80000001", 5_100, 930)];
    let (charged, baselines) = charge(&both, &known);
    assert_eq!(charged, 0);
    let known: Map<_, _> = baselines.into_iter().map(|b| (mac(1), b)).collect();
    // The old row gone: the young row's whole counter, once.
    let (charged, baselines) = charge(&[host(1, "*80000009", 4_500, 630)], &known);
    assert_eq!(charged, 4_500);
    let known: Map<_, _> = baselines.into_iter().map(|b| (mac(1), b)).collect();
    assert_eq!(charge(&[host(1, "*80000009", 4_600, 930)], &known).0, 100);
    // An uptime the router did not give: nothing charged, the baseline kept.
    let mut unreadable = host(1, "*80000009", 9_999, 0);
    unreadable.uptime_secs = None;
    assert_eq!(charge(&[unreadable], &known), (0, vec![]));
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
    let p = plan(&snap, &baselines, std::slice::from_ref(&u), &[device(&u, 1, "10.5.50.77")], &policy(), Utc::now());
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

#[test]
fn expired_one_time_hotspot_users_go_and_live_ones_stay() {
    use crate::domain::network::witness_username;
    let u = user(10, 0);
    let now = Utc::now();
    let hu = |id: &str, name: String, ours: bool| HotspotUserRow {
        id: id.into(),
        name,
        profile: Some("default".into()),
        comment: Some(if ours { "hotspot:w:x".into() } else { "guest".into() }),
    };
    let users = vec![
        hu("*1", witness_username(now.timestamp() - 10, "aaaaaa"), true),
        hu("*2", witness_username(now.timestamp() + 300, "bbbbbb"), true),
        hu("*3", witness_username(now.timestamp() - 10, "cccccc"), false),
    ];
    let snap = Snapshot { hosts: &[], bindings: &[], list_entries: &[], users: &users };
    let p = plan(&snap, &Map::default(), std::slice::from_ref(&u), &[], &policy(), now);
    assert_eq!(p.router, vec![Change::Remove { menu: HOTSPOT_USER, id: "*1".into() }]);
}
