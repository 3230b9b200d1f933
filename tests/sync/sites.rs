//! Sync per site (issue 33, item 3): each enabled site's cycle is its own (its router, its
//! devices, its baselines, its lock, its row in `sync_runs`); one user's quota is charged from
//! every site exactly once per byte; a site that is down fails alone; two workers never sync
//! one site twice in a tick.

use std::time::Duration;

use diesel::prelude::*;
use hotspot::db::schema::{sync_runs, user_devices};
use hotspot::domain::{MacAddress, Role};
use hotspot::sim::router::{SimConfig, SimRouter};
use hotspot::worker::jobs::QuotaSync;
use hotspot_jobs::Scheduled;
use serde_json::json;

use super::cycles::used;
use crate::common::{TestApp, call, staff};

/// Cycles per site: (site name, status) of every run, oldest first.
fn runs(app: &TestApp) -> Vec<(String, String)> {
    use hotspot::db::schema::routers;
    let mut conn = app.db.conn();
    sync_runs::table
        .inner_join(routers::table.on(sync_runs::router_id.eq(routers::id.nullable())))
        .order(sync_runs::id)
        .select((routers::name, sync_runs::status))
        .load::<(String, String)>(&mut conn)
        .unwrap()
}

fn clear_throttle(app: &TestApp) {
    crate::common::clear_redis_prefix(&format!("{}sync:last_run_ts", app.redis_prefix));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_quota_is_charged_from_two_sites_once_per_byte_and_a_site_down_fails_alone() {
    // Every site's client shares the breaker settings: open for a second after an outage.
    let app = TestApp::spawn_with_router(&[("HOTSPOT_ROUTER_BREAKER_OPEN_SECS", "1")]).await;
    let (_, root) = staff(&app, "+6281100000011", Role::SuperAdmin).await;
    let second =
        SimRouter::start("127.0.0.1:0".parse().unwrap(), SimConfig { seed: 7, ..Default::default() }).await.unwrap();
    let (status, b) = call(
        &app,
        &root,
        "POST",
        "/api/admin/routers",
        Some(json!({ "name": "gedung-b", "address": second.addr().to_string(), "password": "sim-password" })),
    )
    .await;
    assert_eq!(status, 201, "{b}");
    let b_id = b["id"].as_i64().unwrap() as i32;
    // Wait for the environment's site (written at start).
    for _ in 0..100 {
        let (_, v) = call(&app, &root, "GET", "/api/admin/routers", None).await;
        if v["items"].as_array().is_some_and(|i| i.len() == 2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // One user, a phone at each site: both on the same client range, the same address even.
    let u = app.user("081255501001", "Dua Gedung", 100).await;
    let (mac_a, mac_b) = ("02:5C:00:00:0A:01", "02:5C:00:00:0B:01");
    app.owned_device(u.id, mac_a, "10.5.50.10").await;
    let mb = MacAddress::parse(mac_b).unwrap();
    second.with_state(|s| s.add_host(mb, "10.5.50.10".parse().unwrap()));
    let ip = hotspot::domain::ClientIp::parse("10.5.50.10").unwrap();
    let uid = u.id;
    app.backend.db.run(move |c| hotspot::captive::register_device(c, uid, &mb, &ip, vec![])).await.unwrap();
    {
        let mut conn = app.db.conn();
        diesel::update(user_devices::table.filter(user_devices::mac_address.eq(mac_b)))
            .set(user_devices::router_id.eq(b_id))
            .execute(&mut conn)
            .unwrap();
    }

    let ctx = app.backend.worker_ctx();
    let done = QuotaSync::run(&ctx, 0).await.expect("the first tick");
    assert!(format!("{done:?}").contains("gedung-b: run"), "{done:?}");
    let truth = |sim: &SimRouter, m: &str| {
        let m = MacAddress::parse(m).unwrap();
        sim.with_state(|s| s.lifetime_bytes.get(&m).copied().unwrap_or(0))
    };
    let start = truth(app.sim(), mac_a) + truth(&second, mac_b);
    for _ in 0..3 {
        app.sim().advance(60);
        second.advance(60);
        clear_throttle(&app);
        QuotaSync::run(&ctx, 0).await.expect("a tick");
    }
    let charged = used(&app, u.id).await;
    let now = truth(app.sim(), mac_a) + truth(&second, mac_b);
    assert!(now > start, "the simulators moved bytes");
    assert_eq!(charged as u64, now - start, "every byte of both sites, once");
    let r = runs(&app);
    assert_eq!(r.iter().filter(|(n, _)| n == "main").count(), 4, "{r:?}");
    assert_eq!(r.iter().filter(|(n, _)| n == "gedung-b").count(), 4, "{r:?}");
    // Each site's baselines are its own.
    let baselines: i64 = {
        use hotspot::db::schema::device_counters;
        let mut conn = app.db.conn();
        device_counters::table.filter(device_counters::router_id.eq(b_id)).count().get_result(&mut conn).unwrap()
    };
    assert_eq!(baselines, 1);

    // Gedung B goes down: its cycle fails alone, the other site still charges.
    second.set_faults(|f| f.down = true);
    second.drop_connections_and_wait().await;
    app.sim().advance(60);
    clear_throttle(&app);
    let before = used(&app, u.id).await;
    let done = QuotaSync::run(&ctx, 0).await.expect("one site down does not fail the tick");
    assert!(format!("{done:?}").contains("gedung-b: failed"), "{done:?}");
    assert!(used(&app, u.id).await > before, "main charged");
    let r = runs(&app);
    assert_eq!(r.last().map(|(n, s)| (n.as_str(), s.as_str())), Some(("gedung-b", "failed")), "{r:?}");

    // Back up: what it used meanwhile is charged then, once (its client reconnects after its
    // backoff and its breaker's pause, so a few ticks may still find it failing).
    second.clear_faults();
    second.advance(60);
    app.sim().advance(60);
    for _ in 0..50 {
        clear_throttle(&app);
        QuotaSync::run(&ctx, 0).await.unwrap();
        if runs(&app).iter().rev().find(|(n, _)| n == "gedung-b").is_some_and(|(_, s)| s == "succeeded") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let end = truth(app.sim(), mac_a) + truth(&second, mac_b);
    assert_eq!(used(&app, u.id).await as u64, end - start);

    // Two workers at one tick: each site is synced once.
    app.sim().advance(60);
    second.advance(60);
    clear_throttle(&app);
    let n_before = runs(&app).len();
    let (a, b) = tokio::join!(QuotaSync::run(&ctx, 1), QuotaSync::run(&ctx, 1));
    a.unwrap();
    b.unwrap();
    let r = runs(&app);
    let new: Vec<&String> = r[n_before..].iter().map(|(n, _)| n).collect();
    assert_eq!(new.len(), 2, "one cycle per site: {new:?}");
    assert!(new.contains(&&"main".to_owned()) && new.contains(&&"gedung-b".to_owned()));
    let end = truth(app.sim(), mac_a) + truth(&second, mac_b);
    assert_eq!(used(&app, u.id).await as u64, end - start, "still once per byte");
    // Each site shows its latest cycle and its figures.
    let (_, v) = call(&app, &root, "GET", "/api/admin/routers", None).await;
    for s in v["items"].as_array().unwrap() {
        assert_eq!(s["last_cycle"]["status"], "succeeded", "{s}");
        assert_eq!(s["last_cycle"]["hosts_count"], 1, "its one phone seen: {s}");
    }
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(text.contains("hotspot_site_devices_seen{router=\"gedung-b\"} 1"), "{text}");
    assert!(text.contains("hotspot_site_last_cycle_timestamp_seconds{router=\"main\"}"));
    app.stop().await;
}
