//! The signed-in user's own records after real sync cycles: usage by day, week and month
//! (zero-filled, operator's days), the quota history (usage per day beside grants), the
//! sign-ins, the quota card's thresholds, and the profile they may change.

use hotspot::domain::GIB;
use hotspot::sync::{FailPoint, run_cycle};
use serde_json::json;

use crate::common::{TestApp, call};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_history_sign_ins_and_profile_after_real_syncs() {
    let app = TestApp::spawn_captive(&[]).await;
    let phone = "081234561001";
    let u = app.user(phone, "Pemakai", 10).await;
    let (mac, ip) = ("02:AC:00:00:00:01", "10.5.60.11");
    let id = u.id;
    app.owned_device(id, mac, ip).await;
    let ctx = app.backend.sync_context().unwrap();
    app.sim().advance(60);
    run_cycle(&ctx, hotspot::domain::SyncTrigger::Cli, None, FailPoint::None).await.unwrap();
    for _ in 0..3 {
        app.sim().advance(300);
        run_cycle(&ctx, hotspot::domain::SyncTrigger::Schedule, None, FailPoint::None).await.unwrap();
    }
    let c = app.internet();
    let code = app.code_for(&c, phone).await;
    let (status, body) = app.post(&c, "/api/auth/verify-otp", json!({ "phone_number": phone, "otp": code })).await;
    assert_eq!(status, 200, "{body}");
    let me = call(&app, &c, "GET", "/api/auth/me", None).await.1;
    let used = me["quota_used_bytes"].as_i64().unwrap();
    assert!(used > 0, "the sync charged something: {me}");

    // Usage by day, week and month: zero-filled, today's point holds what was charged.
    for (period, points) in [("day", 30), ("week", 12), ("month", 12)] {
        let (status, s) = call(&app, &c, "GET", &format!("/api/users/me/usage?period={period}"), None).await;
        assert_eq!(status, 200, "{s}");
        let p = s["points"].as_array().unwrap();
        assert_eq!(p.len(), points, "{period}");
        assert_eq!(p.last().unwrap()["bytes"].as_i64(), Some(used), "{period}");
        assert_eq!(s["total_bytes"].as_i64(), Some(used));
        assert!(p[..points - 1].iter().all(|x| x["bytes"] == 0), "{period}: zero-filled");
    }
    let (status, body) = call(&app, &c, "GET", "/api/users/me/usage?period=year", None).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("VALIDATION_ERROR")));

    // The history: three cycles' usage as one line for today, beside a grant.
    let (admin_id, admin) = crate::common::staff(&app, "081299990002", hotspot::domain::Role::Admin).await;
    let _ = admin_id;
    let (status, _) = call(
        &app,
        &admin,
        "POST",
        &format!("/api/admin/users/{}/quota", u.id),
        Some(json!({ "bytes": GIB, "reason": "bonus" })),
    )
    .await;
    assert_eq!(status, 200);
    let (status, h) = call(&app, &c, "GET", "/api/users/me/quota-history?itemsPerPage=10", None).await;
    assert_eq!(status, 200, "{h}");
    assert_eq!(h["total"], 3, "{h}");
    // Newest first: the bonus, today's usage, the account's opening quota.
    let kinds: Vec<&str> = h["items"].as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["grant", "usage", "grant"], "{h}");
    assert_eq!(h["items"][2]["bytes"].as_i64(), Some(10 * GIB));
    assert_eq!(h["items"][0]["bytes"].as_i64(), Some(GIB));
    assert_eq!(h["items"][0]["description"], "bonus");
    assert_eq!(h["items"][1]["bytes"].as_i64(), Some(used));
    assert_eq!(h["totalItems"], 3);
    let (_, page2) = call(&app, &c, "GET", "/api/users/me/quota-history?per_page=2&page=2", None).await;
    assert_eq!(page2["items"].as_array().unwrap().len(), 1, "{page2}");

    // Sign-ins, the quota card's thresholds.
    let (_, s) = call(&app, &c, "GET", "/api/users/me/login-history", None).await;
    assert_eq!((s["total"].as_i64(), s["items"][0]["method"].as_str()), (Some(1), Some("otp")), "{s}");
    let (_, q) = call(&app, &c, "GET", "/api/users/me/quota", None).await;
    assert_eq!(q["quota_low_percents"], json!([20, 5]), "{q}");
    assert!(q["remaining_percent"].as_f64().unwrap() > 90.0);

    // The profile: name, language, reminders; bad values change nothing.
    let (status, after) = call(
        &app,
        &c,
        "PUT",
        "/api/auth/me/profile",
        Some(json!({ "full_name": "  Pemakai  Baru ", "language": "en", "messages_opt_out": true })),
    )
    .await;
    assert_eq!(status, 200, "{after}");
    assert_eq!((after["full_name"].as_str(), after["language"].as_str()), (Some("Pemakai Baru"), Some("en")));
    assert_eq!(after["messages_opt_out"], true);
    let (status, body) = call(&app, &c, "PUT", "/api/auth/me/profile", Some(json!({ "language": "fr" }))).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("VALIDATION_ERROR")), "{body}");
    let (status, _) = call(&app, &c, "PUT", "/api/auth/me/profile", Some(json!({ "full_name": " " }))).await;
    assert_eq!(status, 422);
    let me = call(&app, &c, "GET", "/api/auth/me", None).await.1;
    assert_eq!((me["full_name"].as_str(), me["language"].as_str()), (Some("Pemakai Baru"), Some("en")));

    // Used half a GiB beyond what was bought: the automatic debt, priced at the best rate on sale
    // (10 GiB for Rp20.000 beats 1 GiB for Rp5.000); no manual debts.
    let (_, d) = call(&app, &c, "GET", "/api/users/me/quota-debts?status=open", None).await;
    assert_eq!((d["auto_debt_bytes"].as_i64(), d["items"].as_array().map(Vec::len)), (Some(0), Some(0)), "{d}");
    for (name, price, gib) in [("Kecil", 5_000, 1), ("Besar", 20_000, 10)] {
        let body = json!({ "name": name, "price_idr": price, "quota_bytes": gib * GIB, "validity_days": 30 });
        let (status, p) = call(&app, &admin, "POST", "/api/admin/packages", Some(body)).await;
        assert_eq!(status, 201, "{p}");
    }
    let over = 11 * GIB + GIB / 2;
    app.backend
        .db
        .run(move |c| {
            use diesel::prelude::*;
            use hotspot::db::schema::users;
            Ok(diesel::update(users::table.find(id)).set(users::quota_used_bytes.eq(over)).execute(c)?)
        })
        .await
        .unwrap();
    let (_, q) = call(&app, &c, "GET", "/api/users/me/quota", None).await;
    assert_eq!(
        (q["quota_debt_bytes"].as_i64(), q["quota_debt_total_mb"].as_f64()),
        (Some(GIB / 2), Some(512.0)),
        "{q}"
    );
    assert_eq!(q["quota_debt_total_estimated_rp"], 1_000, "{q}");
    let (status, d) = call(&app, &c, "GET", "/api/users/me/quota-debts?status=open", None).await;
    assert_eq!(status, 200, "{d}");
    assert_eq!((d["auto_debt_bytes"].as_i64(), d["auto_debt_estimated_rp"].as_i64()), (Some(GIB / 2), Some(1_000)));
    assert_eq!(d["items"], json!([]));
    let (status, _) = call(&app, &c, "GET", "/api/users/me/quota-debts?status=lunas", None).await;
    assert_eq!(status, 422);
}
