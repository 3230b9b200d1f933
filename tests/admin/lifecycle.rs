//! The admin side over HTTP: the lifecycle with its refusals and audit rows, the idempotent
//! grant, the router following through the reconcile job, runtime settings (maintenance mode,
//! invalidation across two servers), list, search and stats.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use hotspot::db::schema::{audit_log, quota_ledger};
use hotspot::domain::{GIB, Role};
use serde_json::{Value, json};

use crate::common::{TestApp, call, staff};

const SUPER: &str = "081299990001";
const ADMIN: &str = "081299990002";

async fn audit_rows(app: &TestApp, target: uuid::Uuid) -> Vec<(String, Option<uuid::Uuid>, String)> {
    let t = target.to_string();
    app.backend
        .db
        .run(move |c| {
            Ok(audit_log::table
                .filter(audit_log::target_id.eq(t))
                .order(audit_log::id.asc())
                .select((audit_log::action, audit_log::actor_user_id, audit_log::actor))
                .load(c)?)
        })
        .await
        .unwrap()
}

async fn wait_for<F: FnMut() -> bool>(what: &str, within: Duration, mut f: F) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < within, "{what} did not happen within {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_approves_grants_and_blocks_and_the_router_follows() {
    let app = TestApp::spawn_captive(&[("HOTSPOT_JOB_POLL_MS", "100")]).await;
    let (_worker, _w) = app.start_worker();
    let (admin_id, admin) = staff(&app, ADMIN, Role::Admin).await;

    // A registration from the captive page waits.
    let user = app.browser();
    let (status, body) =
        app.post(&user, "/api/auth/register", json!({ "phone_number": "081234567004", "full_name": "Siti" })).await;
    assert_eq!(status, 201, "{body}");
    let id: uuid::Uuid = body["user_id"].as_str().unwrap().parse().unwrap();

    // The admin finds them by a local form of the number, waiting.
    let (status, page) =
        call(&app, &admin, "GET", "/api/admin/users?q=0812-3456-7004&approval=PENDING_APPROVAL", None).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total"], 1);
    assert_eq!(page["totalItems"], 1);
    assert_eq!(page["items"][0]["id"], id.to_string());

    // Approve: the user is told, and can now sign in with a code.
    let (status, body) = call(&app, &admin, "POST", &format!("/api/admin/users/{id}/approve"), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["approval_status"], "APPROVED");
    wait_for("the approval message", Duration::from_secs(5), || {
        app.wa().outbox().iter().any(|m| m.message.contains("sudah aktif"))
    })
    .await;
    let code = app.code_for(&app.internet(), "081234567004").await;
    let (status, body) =
        app.post(&app.internet(), "/api/auth/verify-otp", json!({ "phone_number": "081234567004", "otp": code })).await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();
    let me = |app: &TestApp| {
        let t = token.clone();
        let c = app.client.clone();
        let url = app.url("/api/auth/me");
        async move { c.get(url).bearer_auth(t).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    assert_eq!(me(&app).await["quota_purchased_bytes"], 0);

    // A device of theirs on the hotspot.
    let (mac, ip) = ("02:AD:00:00:00:01", "10.5.50.77");
    app.owned_device(id, mac, ip).await;

    // Grant 2 GiB with an Idempotency-Key: a double click grants once.
    let grant = |key: &'static str, bytes: i64| {
        let (c, url) = (admin.clone(), app.url(&format!("/api/admin/users/{id}/quota")));
        async move {
            let r = c
                .post(url)
                .header("Idempotency-Key", key)
                .json(&json!({ "bytes": bytes, "reason": "top up at the counter" }))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s1, b1) = grant("click-1", 2 * GIB).await;
    let (s2, b2) = grant("click-1", 2 * GIB).await;
    assert_eq!((s1, s2), (200, 200), "{b1} {b2}");
    assert_eq!(b1["replayed"], false);
    assert_eq!(b2["replayed"], true);
    let (s3, b3) = grant("click-1", GIB).await;
    assert_eq!(s3, 409, "{b3}");
    assert_eq!(b3["code"], "IDEMPOTENCY_CONFLICT");
    let rows: i64 = app
        .backend
        .db
        .run(move |c| Ok(quota_ledger::table.filter(quota_ledger::user_id.eq(id)).count().get_result(c)?))
        .await
        .unwrap();
    assert_eq!(rows, 1, "one ledger row for one key");
    assert_eq!(me(&app).await["quota_purchased_bytes"], 2 * GIB);

    // The reconcile put the device on the router as the policy says: bypassed while active.
    wait_for("the active binding", Duration::from_secs(10), || {
        app.sim().with_state(|s| s.binding_type_of(mac)).as_deref() == Some("bypassed")
    })
    .await;

    // Block: the user's session ends at once and the binding turns blocked within seconds.
    let (status, body) =
        call(&app, &admin, "POST", &format!("/api/admin/users/{id}/block"), Some(json!({ "reason": "abuse" }))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["access_status"], "blocked");
    wait_for("the blocked binding", Duration::from_secs(10), || {
        app.sim().with_state(|s| s.binding_type_of(mac)).as_deref() == Some("blocked")
    })
    .await;
    assert_eq!(me(&app).await["code"], "AUTH_REQUIRED", "the blocked user's token ended");

    // Extend, unblock; every mutation is one audit row naming the admin.
    let (status, body) =
        call(&app, &admin, "POST", &format!("/api/admin/users/{id}/expiry"), Some(json!({ "extend_days": 30 }))).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["user"]["quota_expiry_date"].is_string());
    let (status, _) = call(&app, &admin, "POST", &format!("/api/admin/users/{id}/unblock"), None).await;
    assert_eq!(status, 200);
    // Unblocking an unblocked user changes nothing and writes nothing.
    let (status, body) = call(&app, &admin, "POST", &format!("/api/admin/users/{id}/unblock"), None).await;
    assert_eq!((status, body["changed"].clone()), (200, json!(false)));
    let trail = audit_rows(&app, id).await;
    let actions: Vec<&str> = trail.iter().map(|(a, _, _)| a.as_str()).collect();
    assert_eq!(actions, ["user.approve", "user.quota", "user.block", "user.expiry", "user.unblock"]);
    assert!(trail.iter().all(|(_, actor, label)| *actor == Some(admin_id) && label.ends_with("002")));

    // The detail page: devices, 30 zero-filled days, the ledger.
    let (status, d) = call(&app, &admin, "GET", &format!("/api/admin/users/{id}"), None).await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["usage_30d"].as_array().unwrap().len(), 30);
    assert_eq!(d["devices"].as_array().unwrap().len(), 1);
    assert_eq!(d["ledger"].as_array().unwrap().len(), 2, "the grant and the extension");

    // The audit endpoint filters by target and action.
    let (status, a) = call(&app, &admin, "GET", &format!("/api/admin/audit?target={id}&action=user."), None).await;
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["total"], 5);
    assert_eq!(a["items"][0]["action"], "user.unblock", "newest first");
    // The login of the admin is in the trail too.
    let (_, logins) = call(&app, &admin, "GET", "/api/admin/audit?action=admin.login", None).await;
    assert_eq!(logins["total"], 1);
    // The message log shows the approval and the code (sent, and by now perhaps delivered or read:
    // the worker hears the gateway's receipts).
    let (status, msgs) = call(&app, &admin, "GET", "/api/admin/messages", None).await;
    assert_eq!(status, 200, "{msgs}");
    assert!(msgs["total"].as_i64().unwrap() >= 2);
    assert!(msgs.to_string().contains("approved"));

    // Devices seen lately list it; revoking it removes its row and its binding.
    let (status, seen) = call(&app, &admin, "GET", "/api/admin/devices?seen_within=600", None).await;
    assert_eq!(status, 200, "{seen}");
    let device =
        seen["devices"].as_array().unwrap().iter().find(|d| d["mac_address"] == mac).expect("the device").clone();
    let (status, _) = call(&app, &admin, "DELETE", &format!("/api/admin/devices/{}", device["id"]), None).await;
    assert_eq!(status, 200);
    wait_for("the binding removed", Duration::from_secs(10), || {
        app.sim().with_state(|s| s.binding_type_of(mac)).is_none()
    })
    .await;
    let (_, devices) = call(&app, &admin, "GET", &format!("/api/admin/users/{id}/devices"), None).await;
    assert_eq!(devices["devices"], json!([]));

    // Deactivate: sessions end, the account stays readable, inactive.
    let (status, body) = call(&app, &admin, "DELETE", &format!("/api/admin/users/{id}"), None).await;
    assert_eq!((status, body["user"]["access_status"].as_str()), (200, Some("inactive")), "{body}");

    // A registration whose phone was proved, rejected: the user is told why (an unproven one
    // is rejected silently: tests/captive/limits.rs).
    let (_, reg) = app
        .post(&app.browser(), "/api/auth/register", json!({ "phone_number": "081234567005", "full_name": "Joko" }))
        .await;
    let rid = reg["user_id"].as_str().unwrap().to_owned();
    app.prove_phone(rid.parse().unwrap()).await;
    let (status, body) = call(
        &app,
        &admin,
        "POST",
        &format!("/api/admin/users/{rid}/reject"),
        Some(json!({ "reason": "Bukan warga blok ini" })),
    )
    .await;
    assert_eq!((status, body["user"]["approval_status"].as_str()), (200, Some("REJECTED")), "{body}");
    wait_for("the rejection message", Duration::from_secs(5), || {
        app.wa().outbox().iter().any(|m| m.message.contains("Bukan warga blok ini"))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_in_the_envelope_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (super_id, sup) = staff(&app, SUPER, Role::SuperAdmin).await;
    let (admin_id, admin) = staff(&app, ADMIN, Role::Admin).await;
    let user = app.user("081234560001", "Budi", 1).await;
    let id = user.id;

    // No session, or a plain user's: refused.
    let (status, body) = call(&app, &app.client, "GET", "/api/admin/users", None).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("AUTH_REQUIRED")));

    // An admin acts on users, never on a super admin or another admin account, never on roles
    // or settings.
    for (method, path, b) in [
        ("POST", format!("/api/admin/users/{super_id}/block"), Some(json!({ "reason": "x" }))),
        ("POST", format!("/api/admin/users/{super_id}/quota"), Some(json!({ "bytes": 1, "reason": "x" }))),
        ("DELETE", format!("/api/admin/users/{super_id}"), None),
        ("POST", format!("/api/admin/users/{id}/role"), Some(json!({ "role": "KOMANDAN" }))),
        ("GET", "/api/admin/settings".to_owned(), None),
        ("PUT", "/api/admin/settings".to_owned(), Some(json!({ "settings": { "device_limit": 5 } }))),
    ] {
        let (status, body) = call(&app, &admin, method, &path, b).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("FORBIDDEN")), "{method} {path}: {body}");
    }
    // Admin accounts are not created directly: a member is made, then promoted by a super admin.
    let (status, body) = call(
        &app,
        &sup,
        "POST",
        "/api/admin/users",
        Some(json!({ "phone_number": "081234560009", "full_name": "X", "role": "ADMIN" })),
    )
    .await;
    assert_eq!((status, body["details"]["field"].as_str()), (422, Some("role")), "{body}");
    let (status, body) = call(
        &app,
        &admin,
        "POST",
        "/api/admin/users",
        Some(json!({ "phone_number": "081234560009", "full_name": "Kasir", "add_gb": 1.5, "add_days": 30.0 })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["quota_purchased_bytes"], 3 * GIB / 2);
    assert!(body["quota_expiry_date"].is_string());
    let new_id = body["id"].as_str().unwrap().to_owned();
    let (status, body) = call(
        &app,
        &admin,
        "POST",
        &format!("/api/admin/users/{new_id}/role"),
        Some(json!({ "role": "ADMIN", "password": crate::common::STAFF_PASSWORD })),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (403, Some("FORBIDDEN")), "roles are the super admin's");
    // A super admin does not lock themselves out.
    let (status, _) =
        call(&app, &sup, "POST", &format!("/api/admin/users/{super_id}/block"), Some(json!({ "reason": "x" }))).await;
    assert_eq!(status, 403);

    // Bad input: 422 naming the field; unknown ids 404; state conflicts 409.
    let cases: Vec<(&str, String, Option<Value>, u16, &str)> = vec![
        (
            "POST",
            format!("/api/admin/users/{id}/quota"),
            Some(json!({ "bytes": -2 * GIB, "reason": "x" })),
            422,
            "VALIDATION_ERROR",
        ),
        ("POST", format!("/api/admin/users/{id}/block"), Some(json!({ "reason": "  " })), 422, "VALIDATION_ERROR"),
        ("POST", format!("/api/admin/users/{id}/expiry"), Some(json!({})), 422, "VALIDATION_ERROR"),
        ("POST", format!("/api/admin/users/{id}/expiry"), Some(json!({ "extend_days": 0 })), 422, "VALIDATION_ERROR"),
        ("POST", format!("/api/admin/users/{id}/reject"), Some(json!({ "reason": "x" })), 409, "INVALID_STATE"),
        (
            "POST",
            "/api/admin/users/not-a-uuid/block".to_owned(),
            Some(json!({ "reason": "x" })),
            422,
            "VALIDATION_ERROR",
        ),
        (
            "POST",
            format!("/api/admin/users/{}/block", uuid::Uuid::new_v4()),
            Some(json!({ "reason": "x" })),
            404,
            "USER_NOT_FOUND",
        ),
        ("DELETE", "/api/admin/devices/999999".to_owned(), None, 404, "DEVICE_NOT_FOUND"),
        ("GET", "/api/admin/users?sort=password_hash".to_owned(), None, 422, "VALIDATION_ERROR"),
        ("GET", "/api/admin/users?per_page=0".to_owned(), None, 422, "VALIDATION_ERROR"),
        ("GET", "/api/admin/users?status=nope".to_owned(), None, 422, "VALIDATION_ERROR"),
        (
            "PUT",
            "/api/admin/settings".to_owned(),
            Some(json!({ "settings": { "device_limit": 0 } })),
            422,
            "VALIDATION_ERROR",
        ),
        (
            "POST",
            "/api/admin/users".to_owned(),
            Some(json!({ "phone_number": "081234560001", "full_name": "Dup" })),
            409,
            "PHONE_TAKEN",
        ),
    ];
    for (method, path, b, want, code) in cases {
        let c = if path.contains("settings") { &sup } else { &admin };
        let (status, body) = call(&app, c, method, &path, b).await;
        assert_eq!((status, body["code"].as_str()), (want, Some(code)), "{method} {path}: {body}");
        assert_eq!(body["success"], false);
    }
    // A secret is never taken from the API: left out and named, nothing stored.
    let (status, body) =
        call(&app, &sup, "PUT", "/api/admin/settings", Some(json!({ "settings": { "MIDTRANS_SERVER_KEY": "x" } })))
            .await;
    assert_eq!(
        (status, body["changed"].clone(), body["ignored"][0]["key"].as_str()),
        (200, json!([]), Some("MIDTRANS_SERVER_KEY"))
    );
    assert!(!body.to_string().contains("\"x\""), "{body}");
    // Nothing of the above changed the user or wrote an audit row.
    let after = app.backend.db.run(move |c| hotspot::accounts::find(c, id)).await.unwrap().unwrap();
    assert_eq!((after.quota_purchased_bytes, after.is_blocked), (GIB, false));
    assert!(audit_rows(&app, id).await.is_empty());

    // The super admin changes roles: an admin role needs a password.
    let (status, body) =
        call(&app, &sup, "POST", &format!("/api/admin/users/{id}/role"), Some(json!({ "role": "ADMIN" }))).await;
    assert_eq!((status, body["details"]["field"].as_str()), (422, Some("password")), "{body}");
    let (status, body) =
        call(&app, &sup, "POST", &format!("/api/admin/users/{id}/role"), Some(json!({ "role": "KOMANDAN" }))).await;
    assert_eq!((status, body["user"]["role"].as_str()), (200, Some("KOMANDAN")), "{body}");
    // ...and may act on admin accounts.
    let (status, _) =
        call(&app, &sup, "POST", &format!("/api/admin/users/{admin_id}/block"), Some(json!({ "reason": "gone" })))
            .await;
    assert_eq!(status, 200);
    // The blocked admin is out at once.
    let (status, _) = call(&app, &admin, "GET", "/api/admin/users", None).await;
    assert_eq!(status, 401);

    // A failed admin login is in the trail, phone masked.
    let (status, _) = app
        .post(&app.browser(), "/api/auth/admin/login", json!({ "username": SUPER, "password": "not-the-password" }))
        .await;
    assert_eq!(status, 401);
    let (_, fails) = call(&app, &sup, "GET", "/api/admin/audit?action=admin.login_failed", None).await;
    assert_eq!(fails["total"], 1, "{fails}");
    assert_eq!(fails["items"][0]["details"]["phone_number"], "+62********001");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_search_filters_paging_and_stats() {
    let app = TestApp::spawn().await;
    let (_, admin) = staff(&app, ADMIN, Role::Admin).await;
    for i in 0..12 {
        let name = if i % 3 == 0 { format!("Rina {i}") } else { format!("Budi {i}") };
        let quota = if i == 0 { 0 } else { 5 };
        app.user(&format!("0812777700{i:02}"), &name, quota).await;
    }
    let (_, p) = call(&app, &admin, "GET", "/api/admin/users?q=rina", None).await;
    assert_eq!(p["total"], 4, "{p}");
    let (_, p) = call(&app, &admin, "GET", "/api/admin/users?q=%2B628127777001", None).await;
    assert_eq!(p["total"], 2, "numbers from their start: 0812777700 10 and 11");
    let (_, p) = call(&app, &admin, "GET", "/api/admin/users?q=70011", None).await;
    assert_eq!(p["total"], 1, "digits anywhere in the number");
    let (_, p) = call(&app, &admin, "GET", "/api/admin/users?status=habis", None).await;
    assert_eq!(p["total"], 2, "the zero-quota user and the admin");
    let (_, p) = call(&app, &admin, "GET", "/api/admin/users?role=ADMIN", None).await;
    assert_eq!(p["total"], 1);
    let (_, p) = call(&app, &admin, "GET", "/api/admin/users?q=budi&sort=full_name&page=2&per_page=5", None).await;
    assert_eq!((p["total"].as_i64(), p["items"].as_array().map(Vec::len)), (Some(8), Some(3)));
    assert_eq!(p["items"][0]["full_name"], "Budi 5", "text order: Budi 1, 10, 11, 2, 4 | 5, 7, 8");
    let (_, p) =
        call(&app, &admin, "GET", "/api/admin/users?search=budi&sortBy=full_name&sortOrder=desc&itemsPerPage=2", None)
            .await;
    assert_eq!(p["items"][0]["full_name"], "Budi 8");
    assert_eq!(p["items"][0]["total_quota_purchased_mb"], 5120.0);

    let (status, s) = call(&app, &admin, "GET", "/api/admin/stats", None).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["users_total"], 13);
    assert_eq!(s["users_by_status"]["habis"], 2, "the zero-quota user and the admin: {s}");
    assert_eq!(s["users_by_status"]["active"], 11);
    assert_eq!(s["whatsapp_session"], "not_configured");
    let (status, same) = call(&app, &admin, "GET", "/api/admin/dashboard/stats", None).await;
    assert_eq!((status, &same["users_total"]), (200, &s["users_total"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maintenance_mode_and_settings_reach_another_server_at_once() {
    let app = TestApp::spawn().await;
    let (_, sup) = staff(&app, SUPER, Role::SuperAdmin).await;
    // A second server over the same database and Redis namespace: another process.
    let other = app.second_server().await;

    let (status, body) = call(
        &app,
        &sup,
        "PUT",
        "/api/admin/settings",
        Some(json!({ "settings": { "MAINTENANCE_MODE_ACTIVE": "True", "maintenance_message": "Perbaikan jaringan", "device_limit": 5 } })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let limit = body["settings"].as_array().unwrap().iter().find(|e| e["key"] == "device_limit").unwrap().clone();
    assert_eq!((limit["value"].as_i64(), limit["setting_value"].as_str()), (Some(5), Some("5")));

    // This server and the other one both refuse the user endpoints with the message.
    for base in [app.base.clone(), other.clone()] {
        let start = Instant::now();
        loop {
            let r = app
                .client
                .post(format!("{base}/api/auth/request-otp"))
                .json(&json!({ "phone_number": "081234560001" }))
                .send()
                .await
                .unwrap();
            if r.status() == 503 {
                let b: Value = r.json().await.unwrap();
                assert_eq!(b["code"], "MAINTENANCE");
                assert_eq!(b["message"], "Perbaikan jaringan");
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(3), "{base} did not see the change");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let public: Value =
            app.client.get(format!("{base}/api/settings/public")).send().await.unwrap().json().await.unwrap();
        assert!(
            public.to_string().contains(r#""setting_key":"MAINTENANCE_MODE_ACTIVE","setting_value":"True""#),
            "{public}"
        );
    }
    // Admin endpoints keep working.
    let (status, _) = call(&app, &sup, "GET", "/api/admin/stats", None).await;
    assert_eq!(status, 200);
    // Off again; the change is audited with what it was before.
    let (status, _) =
        call(&app, &sup, "PUT", "/api/admin/settings", Some(json!({ "settings": { "maintenance_mode": false } })))
            .await;
    assert_eq!(status, 200);
    let r = app
        .client
        .post(app.url("/api/auth/request-otp"))
        .json(&json!({ "phone_number": "081234560001" }))
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), 503);
    let (_, trail) = call(&app, &sup, "GET", "/api/admin/audit?action=settings.update", None).await;
    assert_eq!(trail["total"], 2);
    assert_eq!(trail["items"][1]["details"]["changed"]["device_limit"], 5);

    // Registration closed: the register endpoint refuses.
    call(&app, &sup, "PUT", "/api/admin/settings", Some(json!({ "settings": { "registration_open": false } }))).await;
    let (status, body) = app
        .post(&app.browser(), "/api/auth/register", json!({ "phone_number": "081234560002", "full_name": "Late" }))
        .await;
    assert_eq!((status, body["code"].as_str()), (403, Some("REGISTRATION_CLOSED")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_frontends_editor_saves_the_whole_user_and_only_differences_act() {
    let app = TestApp::spawn().await;
    let (_, admin) = staff(&app, ADMIN, Role::Admin).await;
    let id = app.user("081234560011", "Budi", 1).await.id;
    let (_, detail) = call(&app, &admin, "GET", &format!("/api/admin/users/{id}"), None).await;
    // What the edit dialog sends: the user as the list showed it, plus its fields.
    let mut user = detail["user"].clone();
    let save = |user: Value| {
        let (c, url) = (admin.clone(), app.url(&format!("/api/admin/users/{id}")));
        async move {
            let r = c.put(url).header("Idempotency-Key", "save-1").json(&user).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    // Unchanged: nothing happens.
    let (status, body) = save(user.clone()).await;
    assert_eq!((status, body["changed"].clone()), (200, json!(false)), "{body}");
    // Quota, days and a block in one save; a retry of it grants nothing more.
    user["add_gb"] = json!(2);
    user["add_days"] = json!(30);
    user["is_blocked"] = json!(true);
    user["blocked_reason"] = json!("Pelanggaran aturan");
    user["blok"] = json!("A");
    let (status, body) = save(user.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["quota_purchased_bytes"], 3 * GIB);
    assert_eq!(body["user"]["is_blocked"], true);
    assert_eq!(body["user"]["blocked_reason"], "Pelanggaran aturan");
    assert_eq!(body["user"]["blok"], "A");
    let (_, again) = save(user.clone()).await;
    assert_eq!(again["user"]["quota_purchased_bytes"], 3 * GIB, "one key, one grant");
    // The editor's choices: the operator's address lists (A is one already), the router's names.
    let (status, alamat) = call(&app, &admin, "GET", "/api/admin/form-options/alamat", None).await;
    assert_eq!(
        (status, alamat["bloks"][0].clone(), alamat["bloks"].as_array().map(Vec::len)),
        (200, json!("A"), Some(6))
    );
    let (status, router) = call(&app, &admin, "GET", "/api/admin/form-options/mikrotik", None).await;
    assert_eq!(status, 200);
    assert_eq!(router["defaults"]["profile_active"], router["profileOptions"][0], "{router}");
    // Unblock and deactivate, then reactivate.
    user["add_gb"] = json!(0);
    user["add_days"] = json!(0);
    user["is_blocked"] = json!(false);
    user["is_active"] = json!(false);
    let (_, body) = save(user.clone()).await;
    assert_eq!((body["user"]["is_blocked"].clone(), body["user"]["is_active"].clone()), (json!(false), json!(false)));
    user["is_active"] = json!(true);
    let (_, body) = save(user.clone()).await;
    assert_eq!(body["user"]["is_active"], true);
    let actions: Vec<String> = audit_rows(&app, id).await.into_iter().map(|(a, _, _)| a).collect();
    assert_eq!(
        actions,
        [
            "user.update",
            "user.quota",
            "user.expiry",
            "user.block",
            "user.unblock",
            "user.deactivate",
            "user.reactivate"
        ]
    );
}
