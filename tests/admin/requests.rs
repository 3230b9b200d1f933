//! Issue 31: komandans' quota requests (`/requests`, `/admin/requests`) and who hears of which
//! operator event (`/admin/settings/notifications`), as the pages send and read them.

use serde_json::{Value, json};

use crate::common::{TestApp, audit_count, call, staff};
use hotspot::domain::{MIB, Role};

const SUPER: &str = "081299990031";
const ADMIN: &str = "081299990032";
const KOMANDAN: &str = "081233330001";

/// A komandan signed in with a code, off the hotspot.
async fn komandan(app: &TestApp) -> (uuid::Uuid, reqwest::Client) {
    let u = app.user_with(KOMANDAN, "Komandan Budi", 1, |u| u.role = Role::Komandan).await;
    let c = app.internet();
    let code = app.code_for(&c, KOMANDAN).await;
    let (s, body) = app.post(&c, "/api/auth/verify-otp", json!({ "phone_number": KOMANDAN, "otp": code })).await;
    assert_eq!(s, 200, "{body}");
    (u.id, c)
}

/// Filed within the limits, one waiting at a time, a cooldown after; the subscribed admin hears
/// of it; an approval grants once through the grant path and tells the komandan; a partial
/// approval and a rejection close it as the pages show them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_komandans_request_is_filed_decided_and_granted_once() {
    let app = TestApp::spawn_captive(&[]).await;
    let (sup_id, sup) = staff(&app, SUPER, Role::SuperAdmin).await;
    let (_, adm) = staff(&app, ADMIN, Role::Admin).await;
    let (kid, k) = komandan(&app).await;
    let (s, _) = call(&app, &adm, "GET", "/api/admin/notification-recipients", None).await;
    assert_eq!(s, 403, "a super admin's page");
    let body = json!({ "notification_type": "NEW_KOMANDAN_REQUEST", "subscribed_admin_ids": [sup_id, kid] });
    let (s, v) = call(&app, &sup, "POST", "/api/admin/notification-recipients", Some(body)).await;
    assert_eq!((s, v["total_recipients"].as_i64()), (200, Some(1)), "the komandan is no admin: {v}");
    let (_, list) =
        call(&app, &sup, "GET", "/api/admin/notification-recipients?notification_type=NEW_KOMANDAN_REQUEST", None)
            .await;
    let on: Vec<&Value> = list.as_array().unwrap().iter().filter(|r| r["is_subscribed"] == true).collect();
    assert_eq!(on.len(), 1, "{list}");
    let (_w, _j) = app.start_worker();

    let file = |b: Value| call(&app, &k, "POST", "/api/komandan/requests", Some(b));
    let (s, _) =
        file(json!({ "request_type": "QUOTA", "requested_mb": 999_999_999, "requested_duration_days": 30 })).await;
    assert_eq!(s, 422, "above the operator's limit");
    let (s, v) = file(json!({ "request_type": "QUOTA", "requested_mb": 10240, "requested_duration_days": 30 })).await;
    assert_eq!((s, v["status"].as_str()), (201, Some("PENDING")), "{v}");
    let (s, _) = file(json!({ "request_type": "UNLIMITED" })).await;
    assert_eq!(s, 409, "one waits already");
    let mut told = false;
    for _ in 0..100 {
        if app.wa().outbox().iter().any(|m| m.message.contains("permintaan kuota baru dari komandan Komandan Budi")) {
            told = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(told, "the subscribed super admin hears of it");

    let (_, page) = call(
        &app,
        &adm,
        "GET",
        "/api/admin/quota-requests?status=PENDING&page=1&itemsPerPage=10&sortBy=created_at&sortOrder=desc",
        None,
    )
    .await;
    assert_eq!(page["totalItems"], 1, "{page}");
    let item = &page["items"][0];
    assert_eq!(
        (item["requester"]["full_name"].as_str(), item["request_details"]["requested_mb"].as_i64()),
        (Some("Komandan Budi"), Some(10240))
    );
    let id = item["id"].as_str().unwrap().to_owned();
    let process = |b: Value, id: String| {
        let adm = adm.clone();
        let app = &app;
        async move { call(app, &adm, "POST", &format!("/api/admin/quota-requests/{id}/process"), Some(b)).await }
    };
    let before = app.backend.accounts().get(kid).await.unwrap().quota_purchased_bytes;
    let (s, v) = process(json!({ "action": "APPROVE" }), id.clone()).await;
    assert_eq!((s, v["new_status"].as_str()), (200, Some("APPROVED")), "{v}");
    let (s, _) = process(json!({ "action": "APPROVE" }), id.clone()).await;
    assert_eq!(s, 409, "decided once");
    let after = app.backend.accounts().get(kid).await.unwrap();
    assert_eq!(after.quota_purchased_bytes - before, 10240 * MIB, "granted once");
    assert_eq!(audit_count(&app, "quota_request.process").await, 1);

    // The cooldown: 429 with when to try again, as the form counts down.
    let (s, v) = file(json!({ "request_type": "QUOTA", "requested_mb": 1024, "requested_duration_days": 7 })).await;
    assert_eq!(s, 429, "{v}");
    assert!(v["retry_after_seconds"].as_u64().unwrap() > 3_600 && v["retry_at"].is_string(), "{v}");
    let (s, _) = call(
        &app,
        &sup,
        "PUT",
        "/api/admin/settings",
        Some(json!({ "settings": { "KOMANDAN_REQUEST_COOLDOWN_HOURS": 0 } })),
    )
    .await;
    assert_eq!(s, 200);

    // Unlimited needs its days; a partial approval grants what the admin gave.
    let (s, v) = file(json!({ "request_type": "UNLIMITED" })).await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let (s, _) = process(json!({ "action": "APPROVE" }), id.clone()).await;
    assert_eq!(s, 422);
    let (s, _) = process(json!({ "action": "APPROVE", "unlimited_duration_days": 14 }), id).await;
    assert_eq!(s, 200);
    assert!(app.backend.accounts().get(kid).await.unwrap().is_unlimited_user);
    let (_, v) = file(json!({ "request_type": "QUOTA", "requested_mb": 20480, "requested_duration_days": 30 })).await;
    let id = v["id"].as_str().unwrap().to_owned();
    let partial = json!({ "action": "REJECT_AND_GRANT_QUOTA", "rejection_reason": "stok terbatas", "granted_quota_mb": 5120, "granted_duration_days": 0 });
    let (s, v) = process(partial, id).await;
    assert_eq!((s, v["new_status"].as_str()), (200, Some("PARTIALLY_APPROVED")), "{v}");
    let (_, v) = file(json!({ "request_type": "QUOTA", "requested_mb": 1024, "requested_duration_days": 1 })).await;
    let id = v["id"].as_str().unwrap().to_owned();
    let (s, _) = process(json!({ "action": "REJECT" }), id.clone()).await;
    assert_eq!(s, 422, "a rejection says why");
    let (s, _) = process(json!({ "action": "REJECT", "rejection_reason": "tidak perlu" }), id).await;
    assert_eq!(s, 200);

    let (s, h) = call(&app, &k, "GET", "/api/komandan/requests/history?page=1&itemsPerPage=10", None).await;
    assert_eq!((s, h["totalItems"].as_i64()), (200, Some(4)), "{h}");
    let statuses: Vec<&str> = h["items"].as_array().unwrap().iter().filter_map(|i| i["status"].as_str()).collect();
    assert_eq!(statuses, ["REJECTED", "PARTIALLY_APPROVED", "APPROVED", "APPROVED"]);
    assert_eq!(h["items"][1]["granted_details"]["granted_mb"], 5120);
    assert_eq!(h["items"][0]["processed_by_admin"], "Staff");
    let decided =
        |m: &hotspot::sim::whatsapp::OutMessage| m.to.ends_with("81233330001") && m.message.contains("permintaan Anda");
    let mut told = 0;
    for _ in 0..100 {
        told = app.wa().outbox().iter().filter(|m| decided(m)).count();
        if told == 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(told, 4, "the komandan hears each decision once");

    // A user is no komandan.
    let (s, _) = call(&app, &adm, "GET", "/api/komandan/requests/history", None).await;
    assert_eq!(s, 403);
}
