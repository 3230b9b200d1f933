//! Router housekeeping per site (issue 33, item 6): static DHCP leases for signed-in devices,
//! the list of hosts that have not signed in, idle hosts from a foreign address removed — each
//! a site setting a super admin sets, each repaired by the site's sync, and nothing written once
//! the router is right.

use std::collections::BTreeMap;
use std::time::Duration;

use hotspot::domain::{MacAddress, Role};
use hotspot::sim::router::SimRouter;
use hotspot::sim::router::state::{ADDRESS_LIST, DHCP_LEASE, DHCP_SERVER};
use hotspot::worker::jobs::QuotaSync;
use hotspot_jobs::Scheduled;
use serde_json::json;

use crate::common::{TestApp, call, staff};

/// (mac, address, server, comment) of every lease.
fn leases(sim: &SimRouter) -> Vec<(String, String, String, String)> {
    sim.with_state(|s| {
        let mut v: Vec<_> = s
            .table(DHCP_LEASE)
            .unwrap()
            .rows()
            .map(|r| {
                let a = |k: &str| r.attrs.get(k).cloned().unwrap_or_default();
                (a("mac-address"), a("address"), a("server"), a("comment"))
            })
            .collect();
        v.sort();
        v
    })
}

/// The addresses on a list.
fn listed(sim: &SimRouter, list: &str) -> Vec<String> {
    sim.with_state(|s| {
        let mut v: Vec<String> = s
            .table(ADDRESS_LIST)
            .unwrap()
            .rows()
            .filter(|r| r.attrs.get("list").map(String::as_str) == Some(list))
            .map(|r| r.attrs["address"].clone())
            .collect();
        v.sort();
        v
    })
}

/// One scheduled tick (its throttle cleared first); what it said.
async fn tick(app: &TestApp) -> String {
    crate::common::clear_redis_prefix(&format!("{}sync:last_run_ts", app.redis_prefix));
    format!("{:?}", QuotaSync::run(&app.backend.worker_ctx(), 0).await.expect("a tick"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn housekeeping_is_a_site_setting_repaired_by_the_sync() {
    let app = TestApp::spawn_with_router(&[]).await;
    let (_, root) = staff(&app, "+6281100000031", Role::SuperAdmin).await;
    let (_, admin) = staff(&app, "+6281100000032", Role::Admin).await;
    let mut main = None;
    for _ in 0..100 {
        let (_, v) = call(&app, &root, "GET", "/api/admin/routers", None).await;
        if let Some(id) = v["items"].as_array().and_then(|i| i.first()).and_then(|s| s["id"].as_i64()) {
            main = Some(id);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let path = format!("/api/admin/routers/{}", main.expect("the environment's site"));
    let sim = app.sim();

    // Off until set; an admin may not set it; a bad part is named and changes nothing.
    let (_, site) = call(&app, &root, "GET", &path, None).await;
    assert_eq!(site["housekeeping"]["dhcp_lease_server"], json!(null), "{site}");
    let on = json!({ "housekeeping": {
        "dhcp_lease_server": "dhcp1", "unauthorized_list": "unauthorized",
        "unauthorized_after_mins": 0, "stale_host_idle_mins": 60 } });
    let (status, _) = call(&app, &admin, "PATCH", &path, Some(on.clone())).await;
    assert_eq!(status, 403);
    for bad in [
        json!({ "housekeeping": { "dhcp_lease_server": "dhcp 1" } }),
        json!({ "housekeeping": { "unauthorized_list": "hs_active" } }), // a status list
    ] {
        let (status, body) = call(&app, &root, "PATCH", &path, Some(bad)).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["details"]["field"], "housekeeping", "{body}");
    }
    let (_, unchanged) = call(&app, &root, "GET", &path, None).await;
    assert_eq!(unchanged["updated_at"], site["updated_at"]);

    // The router before: a signed-in phone, a visitor who has not signed in, a device idle for
    // two hours at a foreign address, a lease of ours left on a server no longer used, and the
    // operator's own static lease (never touched).
    let u = app.user("081255502001", "Rapi Router", 10).await;
    app.owned_device(u.id, "02:5D:00:00:00:01", "10.5.50.21").await;
    app.device("02:5D:00:00:00:02", "10.5.50.22");
    app.device("02:5D:00:00:00:03", "172.16.9.3");
    sim.with_state(|s| s.set_idle(&MacAddress::parse("02:5D:00:00:00:03").unwrap(), 7200));
    let lease = |mac: &str, ip: &str, server: &str, comment: &str| {
        let attrs: BTreeMap<String, String> = [
            ("mac-address", mac),
            ("address", ip),
            ("server", server),
            ("comment", comment),
            ("dynamic", "false"),
            ("disabled", "false"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        sim.with_state(|s| s.table_mut(DHCP_LEASE).map(|t| t.insert(attrs)));
    };
    lease("02:5D:00:00:00:09", "10.5.50.29", "old", "hotspot:lease");
    lease("02:5D:00:00:00:08", "10.5.50.28", "dhcp1", "printer");
    sim.advance(60);

    let (status, site) = call(&app, &root, "PATCH", &path, Some(on)).await;
    assert_eq!(status, 200, "{site}");
    assert_eq!(site["housekeeping"]["unauthorized_list"], "unauthorized");
    // The router has no DHCP server of that name yet: no lease is added and ours stay.
    let before = leases(sim);
    let said = tick(&app).await;
    assert!(said.contains("main: run"), "{said}");
    assert_eq!(leases(sim), before);
    sim.with_state(|s| {
        let attrs: BTreeMap<String, String> =
            [("name", "dhcp1"), ("interface", "bridge-hotspot"), ("disabled", "false")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
        s.table_mut(DHCP_SERVER).map(|t| t.insert(attrs))
    });
    sim.advance(60);
    tick(&app).await;
    assert_eq!(
        leases(sim),
        vec![
            ("02:5D:00:00:00:01".into(), "10.5.50.21".into(), "dhcp1".into(), "hotspot:lease".into()),
            ("02:5D:00:00:00:08".into(), "10.5.50.28".into(), "dhcp1".into(), "printer".into()),
        ]
    );
    assert_eq!(listed(sim, "unauthorized"), vec!["10.5.50.22".to_owned()]);
    let hosts = sim.with_state(|s| s.hosts.iter().map(|h| h.address.to_string()).collect::<Vec<_>>());
    assert!(!hosts.contains(&"172.16.9.3".to_owned()), "{hosts:?}");

    // Right now: the next cycle writes nothing.
    sim.advance(60);
    let said = tick(&app).await;
    assert!(said.contains(" 0 router writes"), "{said}");

    // The visitor signs in; the phone moves to another address: both repaired at the next cycle.
    let v = app.user("081255502002", "Tamu Baru", 10).await;
    app.owned_device(v.id, "02:5D:00:00:00:02", "10.5.50.22").await;
    app.device("02:5D:00:00:00:01", "10.5.50.31");
    sim.advance(60);
    tick(&app).await;
    assert_eq!(listed(sim, "unauthorized"), Vec::<String>::new());
    let pinned: Vec<(String, String)> = leases(sim).into_iter().map(|(m, a, _, _)| (m, a)).collect();
    assert_eq!(
        pinned,
        vec![
            ("02:5D:00:00:00:01".into(), "10.5.50.31".into()),
            ("02:5D:00:00:00:02".into(), "10.5.50.22".into()),
            ("02:5D:00:00:00:08".into(), "10.5.50.28".into()),
        ]
    );
}
