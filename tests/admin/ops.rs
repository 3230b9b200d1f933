//! Issue 31: the operations pages — the day's figures, the access parity report and its fix,
//! the router check and the walled garden the worker keeps.

use serde_json::{Value, json};

use crate::common::{TestApp, call, staff};
use hotspot::domain::Role;

const ADMIN: &str = "081299990041";

/// Users out of step with the router are listed with what differs and what fixes it; the fix
/// queues the reconcile, after which nobody is out of step; the dashboard's count follows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_parity_report_finds_what_differs_and_the_fix_repairs_it() {
    let app = TestApp::spawn_captive(&[]).await;
    let (_, adm) = staff(&app, ADMIN, Role::Admin).await;
    let u = app.user("081266660101", "Out Of Step", 2).await;
    app.owned_device(u.id, "02:DE:00:00:66:01", "10.5.50.61").await;
    app.user("081266660102", "No Device", 2).await;

    let (s, r) = call(&app, &adm, "GET", "/api/admin/metrics/access-parity", None).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["summary"]["users"], 2);
    assert_eq!(
        (r["summary"]["mismatches"].as_i64(), r["summary"]["non_parity_mismatches"].as_i64()),
        (Some(1), Some(1)),
        "{r}"
    );
    let item = &r["items"][0];
    assert_eq!(item["mismatches"], json!(["address_list", "missing_ip_binding"]), "{item}");
    assert_eq!((item["auto_fixable"].as_bool(), item["mac"].as_str()), (Some(true), Some("02:DE:00:00:66:01")));
    assert!(item["action_plan"].as_array().is_some_and(|a| !a.is_empty()));
    let (_, all) = call(&app, &adm, "GET", "/api/admin/metrics/access-parity?include_non_parity=true", None).await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(2), "{all}");
    let (_, m) = call(&app, &adm, "GET", "/api/admin/metrics", None).await;
    assert_eq!(m["metrics"]["policy.parity.latest_mismatches"], 1, "{m}");
    assert_eq!(m["reliability_signals"]["policy_parity_degraded"], true);

    let (s, f) = call(&app, &adm, "POST", "/api/admin/metrics/access-parity/fix", Some(json!({}))).await;
    assert_eq!((s, f["queued"].as_i64()), (202, Some(1)), "{f}");
    let (_w, _j) = app.start_worker();
    let mut r = Value::Null;
    for _ in 0..100 {
        r = call(&app, &adm, "GET", "/api/admin/metrics/access-parity", None).await.1;
        if r["summary"]["mismatches"] == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(r["summary"]["mismatches"], 0, "{r}");
    let (_, m) = call(&app, &adm, "GET", "/api/admin/metrics", None).await;
    assert_eq!(m["reliability_signals"]["policy_parity_degraded"], false, "{m}");

    app.sim().set_faults(|f| f.down = true);
    app.sim().drop_connections_and_wait().await;
    let (s, e) = call(&app, &adm, "GET", "/api/admin/metrics/access-parity", None).await;
    assert_eq!((s, e["code"].as_str()), (503, Some("ROUTER_UNAVAILABLE")), "{e}");
}

/// A fresh router lacks the setup the policy relies on; each missing item comes with the line
/// (and the attributes) that add it; once added — the walled garden by the worker's job —
/// everything is found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_check_names_what_is_missing_and_how_to_add_it() {
    let app = TestApp::spawn_captive(&[]).await;
    let (_, adm) = staff(&app, ADMIN, Role::Admin).await;
    let (s, v) = call(&app, &adm, "GET", "/api/admin/mikrotik/verify-rules", None).await;
    assert_eq!((s, v["status"].as_str(), v["all_found"].as_bool()), (200, Some("error"), Some(false)), "{v}");
    let missing: Vec<&Value> = v["checks"].as_array().unwrap().iter().filter(|c| c["found"] == false).collect();
    assert!(missing.iter().any(|c| c["fix"].as_str().unwrap().starts_with("/ip firewall nat add chain=srcnat")), "{v}");
    assert!(
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["label"] == "hotspot user profile default" && c["found"] == true),
        "the router's own default profile is found: {v}"
    );

    let ops = app.backend.router.clone().unwrap();
    let hosts = app.backend.settings.walled_garden_hosts();
    let report = ops.ensure_walled_garden(&hosts).await.unwrap();
    assert_eq!(report.added, hosts.len());
    assert_eq!(ops.ensure_walled_garden(&hosts).await.unwrap().added, 0, "kept, not added twice");
    for c in missing.iter().filter(|c| !c["label"].as_str().unwrap().starts_with("walled garden")) {
        let attrs: Vec<(String, String)> = c["add"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_str().unwrap().to_owned(), p[1].as_str().unwrap().to_owned()))
            .collect();
        ops.add_row(c["menu"].as_str().unwrap(), &attrs).await.unwrap();
    }
    let (_, v) = call(&app, &adm, "GET", "/api/admin/mikrotik/verify-rules", None).await;
    assert_eq!((v["status"].as_str(), v["all_found"].as_bool()), (Some("ok"), Some(true)), "{v}");
    assert_eq!(v["total_filter_rules"], 4);
}

/// The day's figures come from the records: a console sign-in and a failed one show.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_days_figures_come_from_the_records() {
    let app = TestApp::spawn_captive(&[]).await;
    let (_, adm) = staff(&app, ADMIN, Role::Admin).await;
    let b = app.browser();
    let (s, _) =
        app.post(&b, "/api/auth/admin/login", json!({ "username": ADMIN, "password": "wrong-password-here" })).await;
    assert_eq!(s, 401);
    let (s, m) = call(&app, &adm, "GET", "/api/admin/metrics", None).await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(
        (m["metrics"]["admin.login.success"].as_i64(), m["metrics"]["admin.login.failed"].as_i64()),
        (Some(1), Some(1)),
        "{m}"
    );
    assert_eq!(m["metrics"]["payment.idempotency.redis_unavailable"], 0);
    assert_eq!(m["reliability_signals"]["hotspot_sync_lock_degraded"], false);
}

/// A test message goes at once (a gateway that refuses is an error, not a silent success); a
/// broadcast reaches every approved, active, unblocked account of the role through the queue,
/// once each, and its progress says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_test_and_broadcast_reach_who_they_should() {
    // A broadcast is a reminder: no quiet hours, or after 21:00 local it waits for the morning.
    let app = TestApp::spawn_captive(&[("HOTSPOT_NOTIFY_QUIET_HOURS", "0-0")]).await;
    let (_, adm) = staff(&app, ADMIN, Role::Admin).await;
    let body = json!({ "phone_number": "081277771234", "message": "Halo dari konsol" });
    let (s, v) = call(&app, &adm, "POST", "/api/admin/whatsapp/test-send", Some(body.clone())).await;
    assert_eq!(s, 200, "{v}");
    assert!(app.wa().outbox().iter().any(|m| m.message == "Halo dari konsol"));
    app.wa().set_mode(hotspot::sim::whatsapp::Mode::Down);
    let (s, _) = call(&app, &adm, "POST", "/api/admin/whatsapp/test-send", Some(body)).await;
    app.wa().set_mode(hotspot::sim::whatsapp::Mode::Ok);
    assert_eq!(s, 409);

    app.user_with("081277770011", "Kom Satu", 1, |u| u.role = Role::Komandan).await;
    let blocked = app.user_with("081277770012", "Kom Dua", 1, |u| u.role = Role::Komandan).await;
    app.user("081277770013", "Pengguna", 1).await;
    let (s, _) =
        call(&app, &adm, "POST", &format!("/api/admin/users/{}/block", blocked.id), Some(json!({ "reason": "uji" })))
            .await;
    assert_eq!(s, 200);
    let (s, _) = call(
        &app,
        &adm,
        "POST",
        "/api/admin/whatsapp/broadcast",
        Some(json!({ "target_role": "ADMIN", "message": "x" })),
    )
    .await;
    assert_eq!(s, 422);
    let b = json!({ "target_role": "KOMANDAN", "message": "Rapat komandan jam 8" });
    let (s, v) = call(&app, &adm, "POST", "/api/admin/whatsapp/broadcast", Some(b)).await;
    assert_eq!((s, v["total_recipients"].as_i64()), (202, Some(1)), "the blocked komandan is left out: {v}");
    let id = v["broadcast_id"].as_str().unwrap().to_owned();
    let (_w, _j) = app.start_worker();
    let mut p = Value::Null;
    for _ in 0..100 {
        p = call(&app, &adm, "GET", &format!("/api/admin/whatsapp/broadcast/{id}"), None).await.1;
        if p["pending"] == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(p["pending"], 0, "{p}");
    assert_eq!(p["sent_count"].as_i64().unwrap() + p["delivered_count"].as_i64().unwrap(), 1, "{p}");
    let got: Vec<String> =
        app.wa().outbox().iter().filter(|m| m.message == "Rapat komandan jam 8").map(|m| m.to.clone()).collect();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].ends_with("81277770011"));
    let (s, _) =
        call(&app, &adm, "GET", &format!("/api/admin/whatsapp/broadcast/{}", uuid::Uuid::new_v4()), None).await;
    assert_eq!(s, 404);
}
