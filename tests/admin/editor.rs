//! Issue 31: the user editor's tools as the existing frontend calls them — the router view,
//! a super admin's quota correction, reset-login, the console password reset, the detail
//! summary and the quota history.

use serde_json::{Value, json};

use crate::common::{STAFF_PASSWORD, TestApp, audit_count, call, staff};
use hotspot::domain::{MIB, Role};
use hotspot::sim::whatsapp::Mode;

const SUPER: &str = "081299990021";
const ADMIN: &str = "081299990022";

/// The router view reads the router live and compares it with the policy: a device the router
/// has no entries for is out of step; a router that is down is `live_available: false`, not an
/// error. Reset-login ends the sessions and removes the devices; the summary and history load in
/// the shapes the dialogs read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_editor_reads_the_router_and_resets_a_login() {
    let app = TestApp::spawn_captive(&[]).await;
    let (_, adm) = staff(&app, ADMIN, Role::Admin).await;
    let u = app.user("081255550001", "Sinta", 2).await;
    app.owned_device(u.id, "02:DE:00:00:55:01", "10.5.50.51").await;
    let base = format!("/api/admin/users/{}", u.id);

    let (s, v) = call(&app, &adm, "GET", &format!("{base}/mikrotik-status"), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["live_available"], true);
    let d = &v["router"]["devices"][0];
    assert_eq!((d["expected_binding"].as_str(), d["binding"].as_str()), (Some("bypassed"), None), "{v}");
    assert_eq!(d["in_step"], false, "no binding on the router yet: {v}");
    assert_eq!(v["db_quota_purchased_mb"], json!(2048.0));

    // The sync puts the router in step; the view then says so, with the host's counters.
    let (s, _) = call(&app, &adm, "POST", "/api/admin/sync", None).await;
    assert_eq!(s, 202);
    let (_w, _j) = app.start_worker();
    let mut v = Value::Null;
    for _ in 0..100 {
        v = call(&app, &adm, "GET", &format!("{base}/mikrotik-status"), None).await.1;
        if v["router"]["devices"][0]["in_step"] == true {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(v["router"]["devices"][0]["in_step"], true, "{v}");
    assert_eq!(v["exists_on_mikrotik"], true);
    assert_eq!(v["details"]["name"], "081255550001");

    let (s, sum) = call(&app, &adm, "GET", &format!("{base}/detail-summary"), None).await;
    assert_eq!((s, sum["device_count"].as_i64()), (200, Some(1)), "{sum}");
    assert!(sum["recent_purchases"].as_array().unwrap().is_empty());
    let q = format!("{base}/quota-history?startDate=2026-01-01&endDate=2026-12-31&page=1&itemsPerPage=50");
    let (s, h) = call(&app, &adm, "GET", &q, None).await;
    assert_eq!(s, 200, "{h}");
    assert!(
        h["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["deltas_display"].is_object() && i["created_at_display"].is_string())
    );

    let (s, r) = call(&app, &adm, "POST", &format!("{base}/reset-login"), None).await;
    assert_eq!((s, r["summary"]["devices_deleted"].as_i64()), (200, Some(1)), "{r}");
    let (_, v) = call(&app, &adm, "GET", &format!("{base}/mikrotik-status"), None).await;
    assert_eq!(v["router"]["devices"], json!([]));
    assert_eq!(audit_count(&app, "user.reset_login").await, 1);

    // The router down: an answer that says so.
    app.sim().set_faults(|f| f.down = true);
    app.sim().drop_connections_and_wait().await;
    let (s, v) = call(&app, &adm, "GET", &format!("{base}/mikrotik-status"), None).await;
    app.sim().set_faults(|f| f.down = false);
    assert_eq!((s, v["live_available"].clone()), (200, json!(false)), "{v}");
}

/// The direct correction is a super admin's: it sets the totals (each change a ledger row with
/// the reason), the same values again change nothing, bad input changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quota_totals_are_corrected_by_a_super_admin_only() {
    let app = TestApp::spawn_captive(&[]).await;
    let (_, sup) = staff(&app, SUPER, Role::SuperAdmin).await;
    let (_, adm) = staff(&app, ADMIN, Role::Admin).await;
    let u = app.user("081255550002", "Tono", 1).await;
    let path = format!("/api/admin/users/{}/quota-adjust", u.id);
    let body = json!({ "reason": "salah input paket", "set_purchased_mb": 5120, "set_used_mb": 100 });

    let (s, _) = call(&app, &adm, "POST", &path, Some(body.clone())).await;
    assert_eq!(s, 403);
    for bad in [
        json!({ "reason": "x" }),
        json!({ "reason": " ", "set_used_mb": 1 }),
        json!({ "reason": "x", "set_used_mb": -1 }),
    ] {
        let (s, v) = call(&app, &sup, "POST", &path, Some(bad)).await;
        assert_eq!(s, 422, "{v}");
    }
    let (s, v) = call(&app, &sup, "POST", &path, Some(body.clone())).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["total_quota_purchased_mb"].clone(), v["total_quota_used_mb"].clone()),
        (json!(5120.0), json!(100.0))
    );
    assert_eq!(v["remaining_mb"], json!(5020.0));
    let after = app.backend.accounts().get(u.id).await.unwrap();
    assert_eq!((after.quota_purchased_bytes, after.quota_used_bytes), (5120 * MIB, 100 * MIB));
    let (_, v) = call(&app, &sup, "POST", &path, Some(body)).await;
    assert_eq!(v["changed"], false, "{v}");
    assert_eq!(audit_count(&app, "user.quota").await, 1);
    let (_, h) = call(&app, &sup, "GET", &format!("/api/admin/users/{}/quota-history", u.id), None).await;
    let cats: Vec<&str> = h["items"].as_array().unwrap().iter().filter_map(|i| i["category"].as_str()).collect();
    assert_eq!(cats.iter().filter(|c| **c == "adjustment").count(), 2, "{h}");
}

/// A console password reset reaches the admin over WhatsApp and works at once; an undelivered
/// one changes nothing; a user account has no password to reset.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_reset_takes_effect_only_when_delivered() {
    let app = TestApp::spawn_captive(&[]).await;
    let (_, sup) = staff(&app, SUPER, Role::SuperAdmin).await;
    let (adm_id, _) = staff(&app, ADMIN, Role::Admin).await;
    let u = app.user("081255550003", "Rina", 0).await;
    let login = |password: String| {
        let b = app.browser();
        let app = &app;
        async move { app.post(&b, "/api/auth/admin/login", json!({ "username": ADMIN, "password": password })).await.0 }
    };

    let (s, _) = call(&app, &sup, "POST", &format!("/api/admin/users/{}/reset-password", u.id), None).await;
    assert_eq!(s, 409);
    let path = format!("/api/admin/users/{adm_id}/reset-password");
    app.wa().set_mode(Mode::Down);
    let (s, v) = call(&app, &sup, "POST", &path, None).await;
    app.wa().set_mode(Mode::Ok);
    assert_eq!(s, 409, "{v}");
    assert_eq!(login(STAFF_PASSWORD.into()).await, 200, "the old password still works");

    let (s, v) = call(&app, &sup, "POST", &path, None).await;
    assert_eq!((s, v["whatsapp_sent"].clone()), (200, json!(true)), "{v}");
    let text = app.wa().outbox().last().map(|m| m.message.clone()).unwrap();
    let fresh = text.split("Kata sandi baru: ").nth(1).and_then(|t| t.split_whitespace().next()).unwrap().to_owned();
    assert_eq!(login(STAFF_PASSWORD.into()).await, 401);
    assert_eq!(login(fresh).await, 200);
    let (s, _) =
        call(&app, &sup, "POST", &format!("/api/admin/users/{}/reset-password", uuid::Uuid::new_v4()), None).await;
    assert_eq!(s, 404);
}
