//! Selling quota over HTTP against the Midtrans simulator: purchases and the notification
//! webhook (signatures, amounts, repeats, races, order), the reconciliation job catching a
//! missed notification, vouchers (races, revocation, guessing), cash sales, packages, and the
//! router following a purchase.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use hotspot::db::schema::{audit_log, quota_ledger, transactions};
use hotspot::domain::{GIB, Role};
use serde_json::{Value, json};

use crate::common::{MIDTRANS_KEY, TestApp, call, staff};

const ADMIN: &str = "081299990002";

async fn wait_for<F: FnMut() -> bool>(what: &str, within: Duration, mut f: F) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < within, "{what} did not happen within {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An approved user signed in from the internet (cookies, the trusted Origin).
pub(super) async fn buyer(app: &TestApp, phone: &str, quota_gib: i64) -> (uuid::Uuid, reqwest::Client) {
    let u = app.user(phone, "Pembeli", quota_gib).await;
    let c = app.internet();
    let code = app.code_for(&c, phone).await;
    let (status, body) = app.post(&c, "/api/auth/verify-otp", json!({ "phone_number": phone, "otp": code })).await;
    assert_eq!(status, 200, "{body}");
    (u.id, c)
}

pub(super) async fn package(
    app: &TestApp,
    admin: &reqwest::Client,
    name: &str,
    price: i64,
    gib: i64,
    days: i32,
) -> String {
    let (status, body) = call(
        app,
        admin,
        "POST",
        "/api/admin/packages",
        Some(json!({ "name": name, "price_idr": price, "quota_bytes": gib * GIB, "validity_days": days })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

pub(super) async fn start(app: &TestApp, c: &reqwest::Client, package_id: &str) -> String {
    let (status, body) = call(app, c, "POST", "/api/transactions", Some(json!({ "package_id": package_id }))).await;
    assert_eq!(status, 201, "{body}");
    assert!(body["snap_token"].as_str().is_some_and(|t| !t.is_empty()), "{body}");
    body["order_id"].as_str().unwrap().to_owned()
}

pub(super) async fn notify(app: &TestApp, body: &Value) -> (u16, Value) {
    let res = app.client.post(app.url("/api/transactions/notification")).json(body).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The transaction's state and the number of ledger rows its order granted.
pub(super) async fn settled(app: &TestApp, order: &str) -> (String, i64) {
    let o = order.to_owned();
    app.backend
        .db
        .run(move |c| {
            let state: String =
                transactions::table.filter(transactions::order_id.eq(&o)).select(transactions::state).first(c)?;
            let grants: i64 = quota_ledger::table
                .filter(quota_ledger::idempotency_key.eq(format!("order:{o}")))
                .count()
                .get_result(c)?;
            Ok((state, grants))
        })
        .await
        .unwrap()
}

pub(super) async fn purchased(app: &TestApp, c: &reqwest::Client) -> i64 {
    call(app, c, "GET", "/api/auth/me", None).await.1["quota_purchased_bytes"].as_i64().unwrap()
}

/// A notification as Midtrans would send it now for `order`, signed with `key`.
pub(super) fn word(app: &TestApp, order: &str, action: &str, key: &str) -> Value {
    let mut b = app.mt().notification_body(order, key).expect("order known to the simulator");
    let (status, code) = match action {
        "settlement" => ("settlement", "200"),
        "pending" => ("pending", "201"),
        "expire" => ("expire", "202"),
        other => panic!("{other}"),
    };
    b["transaction_status"] = json!(status);
    b["status_code"] = json!(code);
    let gross = b["gross_amount"].as_str().unwrap().to_owned();
    b["signature_key"] = json!(hotspot::midtrans::signature(order, code, &gross, key));
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purchase_is_granted_once_whatever_midtrans_sends() {
    let app = TestApp::spawn_billing(&[("HOTSPOT_JOB_POLL_MS", "100"), ("HOTSPOT_NOTIFY_QUIET_HOURS", "0-0")]).await;
    let (_worker, _w) = app.start_worker();
    let (_, admin) = staff(&app, ADMIN, Role::Admin).await;
    let pkg = package(&app, &admin, "Mingguan 5 GB", 15_000, 5, 7).await;
    let (_, c) = buyer(&app, "081234560001", 1).await;

    // The shop lists it, in both vocabularies.
    let (_, shop) = call(&app, &app.client, "GET", "/api/packages", None).await;
    assert_eq!(shop["success"], true);
    assert_eq!(shop["data"][0]["price_idr"], 15_000);
    assert_eq!(shop["data"][0]["price"], 15_000);
    assert_eq!(shop["data"][0]["data_quota_gb"], 5.0);

    let order = start(&app, &c, &pkg).await;
    assert!(order.starts_with("HS-") && order.len() == 29, "{order}");
    assert_eq!(app.mt().transaction(&order).unwrap().gross_amount, 15_000, "Snap got the stored amount");
    assert_eq!(settled(&app, &order).await, ("pending".into(), 0));

    // A bad signature, a missing one, a wrong amount: refused, nothing changes.
    app.mt().act(&order, "pay", false).await.unwrap();
    let good = word(&app, &order, "settlement", MIDTRANS_KEY);
    let mut forged = good.clone();
    forged["signature_key"] = json!(hotspot::midtrans::signature(&order, "200", "15000.00", "guess"));
    let (status, body) = notify(&app, &forged).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("PAYMENT_SIGNATURE_INVALID")), "{body}");
    let mut unsigned = good.clone();
    unsigned.as_object_mut().unwrap().remove("signature_key");
    assert_eq!(notify(&app, &unsigned).await.0, 401);
    let mut cheaper = good.clone();
    cheaper["gross_amount"] = json!("1500.00");
    cheaper["signature_key"] = json!(hotspot::midtrans::signature(&order, "200", "1500.00", MIDTRANS_KEY));
    let (status, body) = notify(&app, &cheaper).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("PAYMENT_AMOUNT_MISMATCH")), "{body}");
    assert_eq!(settled(&app, &order).await, ("pending".into(), 0));
    assert_eq!(purchased(&app, &c).await, GIB);

    // The same settlement twice at once, then again: one grant.
    let (a, b) = tokio::join!(notify(&app, &good), notify(&app, &good));
    assert_eq!((a.0, b.0), (200, 200), "{a:?} {b:?}");
    assert_eq!(notify(&app, &good).await.1["changed"], false);
    assert_eq!(settled(&app, &order).await, ("paid".into(), 1));
    assert_eq!(purchased(&app, &c).await, 6 * GIB);

    // Late or out-of-order words never move a paid transaction back.
    for late in ["pending", "expire"] {
        let (status, body) = notify(&app, &word(&app, &order, late, MIDTRANS_KEY)).await;
        assert_eq!((status, body["state"].as_str()), (200, Some("paid")), "{late}: {body}");
    }
    assert_eq!(settled(&app, &order).await, ("paid".into(), 1));
    assert_eq!(purchased(&app, &c).await, 6 * GIB);

    // The buyer sees it, in both vocabularies, with its events; nobody else does.
    let (status, t) = call(&app, &c, "GET", &format!("/api/transactions/{order}"), None).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!((t["state"].as_str(), t["status"].as_str()), (Some("paid"), Some("SUCCESS")));
    assert!(t["events"].as_array().unwrap().len() >= 2, "{t}");
    let (_, mine) = call(&app, &c, "GET", "/api/users/me/transactions", None).await;
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["transactions"][0]["midtrans_order_id"], order.as_str());
    let (_, other) = buyer(&app, "081234560002", 1).await;
    let (status, body) = call(&app, &other, "GET", &format!("/api/transactions/{order}"), None).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("TRANSACTION_NOT_FOUND")));

    // The dashboard counts the sale; the buyer's spending chart shows it.
    let (_, stats) = call(&app, &admin, "GET", "/api/admin/dashboard/stats", None).await;
    assert_eq!(stats["sales"]["revenue_today_idr"], 15_000, "{stats}");
    assert_eq!(stats["pendapatanHariIni"], 15_000);
    assert_eq!(stats["transaksiHariIni"], 1);
    assert_eq!(stats["kuotaTerjual7HariMb"], 5 * 1024);
    assert_eq!(stats["paketTerlaris"][0]["name"], "Mingguan 5 GB");
    assert_eq!(stats["transaksiTerakhir"][0]["order_id"], order.as_str());
    let (_, spent) = call(&app, &c, "GET", "/api/users/me/weekly-spending", None).await;
    assert_eq!(spent["total_this_week"], 15_000, "{spent}");
    assert_eq!(spent["series"][0]["data"][6], 15_000);

    // The buyer got a receipt.
    wait_for("the receipt", Duration::from_secs(5), || {
        app.wa().outbox().iter().any(|m| m.message.contains(&order) && m.message.contains("Rp15.000"))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settlement_first_then_the_simulator_resends_and_failures_close_orders() {
    let app = TestApp::spawn_billing(&[]).await;
    let (_, admin) = staff(&app, ADMIN, Role::Admin).await;
    let pkg = package(&app, &admin, "Harian 1 GB", 5_000, 1, 1).await;
    let (_, c) = buyer(&app, "081234560003", 0).await;

    // Settlement arrives before any pending word; the simulator sends it twice.
    let order = start(&app, &c, &pkg).await;
    let deliveries = app.mt().act(&order, "pay", true).await.unwrap();
    assert_eq!(deliveries.iter().filter(|d| d.http_status == 200).count(), 2, "{deliveries:?}");
    assert_eq!(settled(&app, &order).await, ("paid".into(), 1));
    app.mt().act(&order, "pending", true).await.unwrap();
    assert_eq!(settled(&app, &order).await, ("paid".into(), 1));

    // Deny and expire close other orders without a grant.
    let denied = start(&app, &c, &pkg).await;
    app.mt().act(&denied, "deny", true).await.unwrap();
    assert_eq!(settled(&app, &denied).await, ("failed".into(), 0));
    let expired = start(&app, &c, &pkg).await;
    app.mt().act(&expired, "expire", true).await.unwrap();
    assert_eq!(settled(&app, &expired).await, ("expired".into(), 0));

    // A refund of a paid order is recorded; the order never goes back to pending.
    app.mt().act(&order, "refund", true).await.unwrap();
    assert_eq!(settled(&app, &order).await, ("refunded".into(), 1));

    // Notifications signed with the wrong key change nothing.
    let forged = start(&app, &c, &pkg).await;
    app.mt().set_mode(hotspot::sim::midtrans::Mode::BadSignature);
    let deliveries = app.mt().act(&forged, "pay", true).await.unwrap();
    assert!(deliveries.iter().all(|d| d.http_status == 401), "{deliveries:?}");
    assert_eq!(settled(&app, &forged).await, ("pending".into(), 0));

    // The buyer closes the payment page: cancelled.
    app.mt().set_mode(hotspot::sim::midtrans::Mode::Ok);
    let closed = start(&app, &c, &pkg).await;
    let (status, body) = call(&app, &c, "POST", &format!("/api/transactions/{closed}/cancel"), None).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("CANCELLED")), "{body}");

    // Midtrans down: a clear 503, and the order recorded as failed.
    app.mt().set_mode(hotspot::sim::midtrans::Mode::Down);
    let (status, body) = call(&app, &c, "POST", "/api/transactions", Some(json!({ "package_id": pkg }))).await;
    assert_eq!((status, body["code"].as_str()), (503, Some("PAYMENT_GATEWAY_UNAVAILABLE")), "{body}");
    let failed: i64 = app
        .backend
        .db
        .run(|c| {
            Ok(transactions::table
                .filter(transactions::failure_reason.eq("provider_unavailable"))
                .count()
                .get_result(c)?)
        })
        .await
        .unwrap();
    assert_eq!(failed, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reconciliation_job_catches_a_missed_notification_and_expires_stale_orders() {
    let app = TestApp::spawn_billing(&[]).await;
    let (_, admin) = staff(&app, ADMIN, Role::Admin).await;
    let pkg = package(&app, &admin, "Bulanan 20 GB", 50_000, 20, 30).await;
    let (_, c) = buyer(&app, "081234560004", 0).await;
    let paid = start(&app, &c, &pkg).await;
    let abandoned = start(&app, &c, &pkg).await;
    let fresh = start(&app, &c, &pkg).await;
    // Paid on Midtrans, the notification lost.
    app.mt().act(&paid, "pay", false).await.unwrap();
    // The first two are old enough to ask about; the abandoned one's window has passed.
    let (p, a) = (paid.clone(), abandoned.clone());
    app.backend
        .db
        .run(move |c| {
            let old = chrono::Utc::now() - chrono::Duration::minutes(10);
            diesel::update(transactions::table.filter(transactions::order_id.eq_any([&p, &a])))
                .set(transactions::created_at.eq(old))
                .execute(c)?;
            diesel::update(transactions::table.filter(transactions::order_id.eq(&a)))
                .set(transactions::expires_at.eq(old))
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    use hotspot::worker::jobs::payment_reconcile::PaymentReconcile;
    let ctx = app.backend.worker_ctx();
    let done = <PaymentReconcile as hotspot_jobs::Scheduled<_>>::run(&ctx, 0).await.expect("job");
    assert!(format!("{done:?}").contains("2 pending payments checked"), "{done:?}");
    assert_eq!(settled(&app, &paid).await, ("paid".into(), 1));
    assert_eq!(settled(&app, &abandoned).await, ("expired".into(), 0));
    assert_eq!(settled(&app, &fresh).await, ("pending".into(), 0), "too young to ask about");
    assert_eq!(purchased(&app, &c).await, 20 * GIB);

    // The admin's "check with Midtrans" on a paid order changes nothing more, and is audited.
    let (status, body) = call(&app, &admin, "POST", &format!("/api/admin/transactions/{paid}/reconcile"), None).await;
    assert_eq!((status, body["quota_applied"].as_bool()), (200, Some(false)), "{body}");
    assert_eq!(body["midtrans_status"], "settlement");
    let (status, list) = call(&app, &admin, "GET", "/api/admin/transactions?state=paid", None).await;
    assert_eq!((status, list["totalItems"].as_i64()), (200, Some(1)), "{list}");
    assert_eq!(list["items"][0]["user"]["full_name"], "Pembeli");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vouchers_redeem_once_and_revoked_batches_and_guesses_are_refused() {
    let app = TestApp::spawn_billing(&[("HOTSPOT_JOB_POLL_MS", "100"), ("HOTSPOT_NOTIFY_QUIET_HOURS", "0-0")]).await;
    let (_worker, _w) = app.start_worker();
    let (_, admin) = staff(&app, ADMIN, Role::Admin).await;
    let pkg = package(&app, &admin, "Harian 1 GB", 5_000, 1, 1).await;
    let (status, made) =
        call(&app, &admin, "POST", "/api/admin/vouchers", Some(json!({ "package_id": pkg, "count": 3 }))).await;
    assert_eq!(status, 201, "{made}");
    let batch = made["batch"]["id"].as_str().unwrap().to_owned();
    let codes: Vec<String> = made["codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert_eq!(codes.len(), 3);

    // The CSV prints the same codes again; the database keeps none of them.
    let csv =
        admin.get(app.url(&format!("/api/admin/vouchers/{batch}.csv"))).send().await.unwrap().text().await.unwrap();
    for code in &codes {
        assert!(csv.contains(code.as_str()), "{csv}");
    }
    let stored: Vec<String> = app
        .backend
        .db
        .run(|c| Ok(hotspot::db::schema::vouchers::table.select(hotspot::db::schema::vouchers::code_hash).load(c)?))
        .await
        .unwrap();
    assert!(stored.iter().all(|h| !codes.iter().any(|c| h.contains(&c.replace('-', "")))));

    // Two phones race for one code: one wins, the other is told it is used.
    let (_, p1) = buyer(&app, "081234560005", 0).await;
    let (_, p2) = buyer(&app, "081234560006", 0).await;
    let body = json!({ "code": codes[0].to_lowercase() });
    let (a, b) = tokio::join!(
        call(&app, &p1, "POST", "/api/vouchers/redeem", Some(body.clone())),
        call(&app, &p2, "POST", "/api/vouchers/redeem", Some(body.clone()))
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
    let loser = if a.0 == 409 { &a.1 } else { &b.1 };
    assert_eq!(loser["code"], "VOUCHER_USED");
    assert_eq!(purchased(&app, &p1).await + purchased(&app, &p2).await, GIB);
    // The one who lost the race redeems the next code; each gets their own receipt.
    let loser_client = if a.0 == 409 { &p1 } else { &p2 };
    let (status, body) =
        call(&app, loser_client, "POST", "/api/vouchers/redeem", Some(json!({ "code": codes[1] }))).await;
    assert_eq!(status, 200, "{body}");
    wait_for("both receipts", Duration::from_secs(10), || {
        let out = app.wa().outbox();
        ["6281234560005", "6281234560006"]
            .iter()
            .all(|to| out.iter().any(|m| m.to == *to && m.message.contains("voucher Anda berhasil")))
    })
    .await;

    // Revoked: the rest no longer redeem.
    let (status, _) = call(&app, &admin, "POST", &format!("/api/admin/vouchers/{batch}/revoke"), None).await;
    assert_eq!(status, 200);
    let (status, body) = call(&app, &p1, "POST", "/api/vouchers/redeem", Some(json!({ "code": codes[2] }))).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("VOUCHER_INVALID")), "{body}");
    let (_, detail) = call(&app, &admin, "GET", &format!("/api/admin/vouchers/{batch}"), None).await;
    let states: Vec<&str> = detail["codes"].as_array().unwrap().iter().map(|c| c["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["redeemed", "redeemed", "revoked"]);

    // Guessing is limited: after the allowance, even a right code waits.
    let (_, p3) = buyer(&app, "081234560007", 0).await;
    let mut last = 0;
    for i in 0..6 {
        last =
            call(&app, &p3, "POST", "/api/vouchers/redeem", Some(json!({ "code": format!("AAAA-BBBB-CCC{}", i + 2) })))
                .await
                .0;
    }
    assert_eq!(last, 429);
    assert_eq!(purchased(&app, &p3).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cash_sales_packages_and_the_router_following_a_purchase() {
    let app = TestApp::spawn_billing(&[("HOTSPOT_JOB_POLL_MS", "100")]).await;
    let (_worker, _w) = app.start_worker();
    let (_, admin) = staff(&app, ADMIN, Role::Admin).await;
    let pkg = package(&app, &admin, "Mingguan 5 GB", 15_000, 5, 7).await;

    // Packages: a duplicate name is refused, an edit and a withdrawal are audited, the shop
    // shows only what is on sale.
    let (status, body) = call(
        &app,
        &admin,
        "POST",
        "/api/admin/packages",
        Some(json!({ "name": "mingguan 5 gb", "price": 1000, "data_quota_gb": 1, "duration_days": 1 })),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("CONFLICT")), "{body}");
    let (status, frontend_made) = call(
        &app,
        &admin,
        "POST",
        "/api/admin/packages",
        Some(json!({ "name": "Unlimited", "price": 100000, "data_quota_gb": 0, "duration_days": 30, "is_active": false })),
    )
    .await;
    assert_eq!(status, 201, "{frontend_made}");
    assert_eq!(frontend_made["is_unlimited"], true, "0 GB is the frontend's unlimited");
    let (_, shop) = call(&app, &app.client, "GET", "/api/packages", None).await;
    assert_eq!(shop["data"].as_array().unwrap().len(), 1, "the inactive one is not on sale");
    let (status, _) =
        call(&app, &admin, "PUT", &format!("/api/admin/packages/{pkg}"), Some(json!({ "price": 16000 }))).await;
    assert_eq!(status, 200);
    let (_, list) = call(&app, &admin, "GET", "/api/admin/packages?page=1&itemsPerPage=10&sortBy=price", None).await;
    assert_eq!(list["totalItems"], 2);

    // A user out of quota with a device on the hotspot.
    let (id, c) = buyer(&app, "081234560008", 0).await;
    let (mac, ip) = ("02:AD:00:00:00:08", "10.5.50.88");
    app.owned_device(id, mac, ip).await;
    let me = call(&app, &c, "GET", "/api/auth/me", None).await.1;
    assert_eq!(me["access_status"], "habis", "{me}");

    // A purchase: the status is recomputed and the router follows within seconds.
    let order = start(&app, &c, &pkg).await;
    app.mt().act(&order, "pay", true).await.unwrap();
    let me = call(&app, &c, "GET", "/api/auth/me", None).await.1;
    assert_eq!((me["access_status"].as_str(), me["quota_purchased_bytes"].as_i64()), (Some("active"), Some(5 * GIB)));
    wait_for("the bypassed binding", Duration::from_secs(10), || {
        app.sim().with_state(|s| s.binding_type_of(mac)).as_deref() == Some("bypassed")
    })
    .await;

    // A cash sale with an Idempotency-Key: a double click records one sale.
    let sale = |key: &'static str| {
        let (a, url) = (admin.clone(), app.url(&format!("/api/admin/users/{id}/sales")));
        let body = json!({ "package_id": pkg, "note": "paid at the counter" });
        async move {
            let r = a.post(url).header("Idempotency-Key", key).json(&body).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s1, b1) = sale("till-1").await;
    let (s2, b2) = sale("till-1").await;
    assert_eq!((s1, s2), (201, 200), "{b1} {b2}");
    assert_eq!((b1["replayed"].as_bool(), b2["replayed"].as_bool()), (Some(false), Some(true)));
    assert_eq!(b1["order_id"], b2["order_id"]);
    assert_eq!(b1["transaction"]["amount_idr"], 16_000, "the price at the time of sale");
    assert_eq!(purchased(&app, &c).await, 10 * GIB);
    let target = id.to_string();
    let sales: i64 = app
        .backend
        .db
        .run(move |c| {
            Ok(audit_log::table
                .filter(audit_log::action.eq("billing.cash_sale"))
                .filter(audit_log::target_id.eq(target))
                .count()
                .get_result(c)?)
        })
        .await
        .unwrap();
    assert_eq!(sales, 1);
    let packages_audited: i64 = app
        .backend
        .db
        .run(|c| Ok(audit_log::table.filter(audit_log::action.like("package.%")).count().get_result(c)?))
        .await
        .unwrap();
    assert_eq!(packages_audited, 3, "two creates and an update");
    // An account made by an admin with a package to start with.
    let (status, made) = call(
        &app,
        &admin,
        "POST",
        "/api/admin/users",
        Some(json!({ "phone_number": "081234560009", "full_name": "Baru", "package_id": pkg })),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(
        (made["quota_purchased_bytes"].as_i64(), made["access_status"].as_str()),
        (Some(5 * GIB), Some("active"))
    );
    assert!(made["quota_expiry_date"].is_string(), "{made}");
    let (status, body) = call(
        &app,
        &admin,
        "POST",
        "/api/admin/users",
        Some(json!({ "phone_number": "081234560010", "full_name": "Salah", "package_id": uuid::Uuid::new_v4() })),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (404, Some("PACKAGE_NOT_FOUND")), "no account without its package");
    let (_, page) = call(&app, &admin, "GET", "/api/admin/users?q=081234560010", None).await;
    assert_eq!(page["total"], 0);
    let (status, _) = call(&app, &admin, "DELETE", &format!("/api/admin/packages/{pkg}"), None).await;
    assert_eq!(status, 200);
    let (status, body) = call(&app, &c, "POST", "/api/transactions", Some(json!({ "package_id": pkg }))).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("PACKAGE_NOT_FOUND")));
}

/// An order id that cannot be one (a NUL byte, a space, too long) names no transaction: 404 in
/// the envelope, before anything reaches the database (a NUL once answered 500).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_order_ids_are_not_found() {
    let app = TestApp::spawn_billing(&[]).await;
    let (_, c) = buyer(&app, "081234569901", 0).await;
    let (_, admin) = staff(&app, "081299990901", hotspot::domain::Role::Admin).await;
    for id in ["HS-%00X", "HS%20X", &"A".repeat(51)] {
        for (client, method, path) in [
            (&c, "GET", format!("/api/transactions/{id}")),
            (&c, "GET", format!("/api/transactions/by-order-id/{id}")),
            (&c, "POST", format!("/api/transactions/{id}/cancel")),
            (&admin, "GET", format!("/api/admin/transactions/{id}")),
        ] {
            let (status, body) = call(&app, client, method, &path, None).await;
            assert_eq!(status, 404, "{method} {path}: {body}");
            assert_eq!(body["code"], "TRANSACTION_NOT_FOUND", "{method} {path}: {body}");
        }
    }
}
