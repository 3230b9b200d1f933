//! Quota on credit: an admin lends a package from the user editor, the user sees and pays the
//! debt online (Snap), an admin settles in cash; each pays once, whatever is resent or raced.

use diesel::prelude::*;
use hotspot::db::schema::{debt_settlements, quota_ledger, users};
use hotspot::domain::{GIB, Role};
use serde_json::{Value, json};

use crate::billing::sales::{buyer, package, purchased};
use crate::common::{TestApp, call, staff};

/// The admin's editor save lending `pkg`, under `key`.
async fn lend(app: &TestApp, admin: &reqwest::Client, user: uuid::Uuid, pkg: &str, key: &str) -> (u16, Value) {
    let body = json!({ "debt_package_id": pkg, "debt_date": null, "debt_note": "bayar akhir bulan" });
    let res = admin
        .put(app.url(&format!("/api/admin/users/{user}")))
        .header("Origin", "http://localhost:3000")
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

async fn sql(app: &TestApp, q: &'static str, user: uuid::Uuid) {
    app.backend
        .db
        .run(move |c| Ok(diesel::sql_query(q).bind::<diesel::sql_types::Uuid, _>(user).execute(c)?))
        .await
        .unwrap();
}

async fn counts(app: &TestApp, user: uuid::Uuid) -> (i64, i64) {
    app.backend
        .db
        .run(move |c| {
            let s = debt_settlements::table.filter(debt_settlements::user_id.eq(user)).count().get_result(c)?;
            let l = quota_ledger::table
                .filter(quota_ledger::user_id.eq(user))
                .filter(quota_ledger::source.eq("debt_settle"))
                .count()
                .get_result(c)?;
            Ok((s, l))
        })
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quota_lent_on_credit_is_paid_once_online_or_in_cash() {
    let app = TestApp::spawn_billing(&[("HOTSPOT_NOTIFY_QUIET_HOURS", "0-0")]).await;
    let (_, sup) = staff(&app, "081299990041", Role::SuperAdmin).await;
    let (_, adm) = staff(&app, "081299990042", Role::Admin).await;
    let pkg = package(&app, &sup, "Bulanan 20 GB", 50_000, 20, 30).await;
    let (user, c) = buyer(&app, "081234560041", 0).await;

    // Lent from the editor: the quota now, the debt open; the same save again lends nothing.
    let (s, v) = lend(&app, &adm, user, &pkg, "lend-1").await;
    assert_eq!((s, v["changed"].as_bool()), (200, Some(true)), "{v}");
    assert_eq!(v["user"]["quota_debt_manual_mb"].as_f64(), Some(20_480.0), "{v}");
    let (s, v) = lend(&app, &adm, user, &pkg, "lend-1").await;
    assert_eq!((s, v["changed"].as_bool()), (200, Some(false)), "{v}");
    assert_eq!(purchased(&app, &c).await, 20 * GIB);
    let (s, v) = call(&app, &c, "GET", "/api/users/me/quota-debts", None).await;
    assert_eq!((s, v["items"].as_array().map(Vec::len)), (200, Some(1)), "{v}");
    let item = &v["items"][0];
    assert_eq!((item["price_rp"].as_i64(), item["is_paid"].as_bool()), (Some(50_000), Some(false)), "{v}");
    assert!(item["note"].as_str().unwrap().starts_with("Paket: Bulanan 20 GB ("), "{v}");
    let (_, v) = call(&app, &adm, "GET", "/api/admin/users?status=debt", None).await;
    assert_eq!(v["total"].as_i64(), Some(1), "{v}");

    // 1 GiB used beyond the quota: the automatic debt, priced at the best rate (Rp2.500).
    sql(&app, "UPDATE users SET quota_used_bytes = quota_purchased_bytes + 1073741824 WHERE id = $1", user).await;
    let (_, q) = call(&app, &c, "GET", "/api/users/me/quota", None).await;
    assert_eq!(q["quota_debt_total_estimated_rp"].as_i64(), Some(52_500), "{q}");

    // Paid online: everything owed, one order however often it is asked for.
    let (s, v) = call(&app, &c, "POST", "/api/transactions/debt/initiate", None).await;
    assert_eq!((s, v["amount_idr"].as_i64()), (201, Some(52_500)), "{v}");
    let order = v["order_id"].as_str().unwrap().to_owned();
    assert!(order.starts_with("DEBT-") && v["status_url"].as_str().unwrap().contains("purpose=debt"), "{v}");
    let (_, again) = call(&app, &c, "POST", "/api/transactions/debt/initiate", Some(json!({}))).await;
    assert_eq!(again["order_id"].as_str(), Some(order.as_str()), "{again}");
    app.mt().act(&order, "pay", true).await.unwrap();
    app.mt().act(&order, "pay", true).await.unwrap();
    assert_eq!(counts(&app, user).await, (1, 1), "one settlement, one ledger row for the used-beyond quota");
    let (_, v) = call(&app, &c, "GET", "/api/users/me/quota-debts?status=all", None).await;
    assert_eq!(v["items"][0]["is_paid"].as_bool(), Some(true), "{v}");
    assert_eq!(v["items"][0]["last_paid_source"].as_str(), Some("midtrans"), "{v}");
    let (_, me) = call(&app, &c, "GET", "/api/auth/me", None).await;
    assert_eq!(
        (me["quota_purchased_bytes"].as_i64(), me["quota_debt_total_mb"].as_f64()),
        (Some(21 * GIB), Some(0.0)),
        "the used-beyond quota is paid, no quota added: {me}"
    );
    let (s, v) = call(&app, &c, "POST", "/api/transactions/debt/initiate", None).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("NO_DEBT")), "{v}");

    // In cash: one debt, once; then nothing is owed.
    let (_, v) = lend(&app, &adm, user, &pkg, "lend-2").await;
    assert_eq!(v["changed"].as_bool(), Some(true), "{v}");
    let (_, ledger) = call(&app, &adm, "GET", &format!("/api/admin/users/{user}/debts"), None).await;
    assert_eq!(ledger["summary"]["open_items"].as_i64(), Some(1), "{ledger}");
    let open = ledger["items"].as_array().unwrap().iter().find(|d| d["is_paid"] == false).unwrap()["id"].clone();
    let path = format!("/api/admin/users/{user}/debts/{}/settle", open.as_str().unwrap());
    let (s, v) = call(&app, &adm, "POST", &path, None).await;
    assert_eq!((s, v["amount_rp"].as_i64(), v["paid_manual_mb"].as_f64()), (200, Some(50_000), Some(20_480.0)), "{v}");
    let (s, v) = call(&app, &adm, "POST", &path, None).await;
    assert_eq!((s, v["code"].as_str()), (409, Some("DEBT_ALREADY_PAID")), "{v}");
    let (s, v) = call(&app, &adm, "POST", &format!("/api/admin/users/{user}/debts/settle-all"), None).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("NO_DEBT")), "{v}");

    // Raced: eight settle-alls at once pay once; a debt rule's block is lifted with it.
    lend(&app, &adm, user, &pkg, "lend-3").await;
    sql(
        &app,
        "UPDATE users SET is_blocked = true, block_cause = 'debt', blocked_reason = 'tunggakan' WHERE id = $1",
        user,
    )
    .await;
    let before = counts(&app, user).await.0;
    let all = format!("/api/admin/users/{user}/debts/settle-all");
    let tries = (0..8).map(|_| call(&app, &adm, "POST", &all, None));
    let answers = futures_util::future::join_all(tries).await;
    let ok: Vec<&Value> = answers.iter().filter(|(s, _)| *s == 200).map(|(_, v)| v).collect();
    assert_eq!(ok.len(), 1, "{answers:?}");
    assert!(answers.iter().all(|(s, v)| *s == 200 || v["code"] == "NO_DEBT"), "{answers:?}");
    assert_eq!(ok[0]["unblocked"].as_bool(), Some(true), "{:?}", ok[0]);
    assert_eq!(counts(&app, user).await.0, before + 1);
    let blocked: bool =
        app.backend.db.run(move |c| Ok(users::table.find(user).select(users::is_blocked).first(c)?)).await.unwrap();
    assert!(!blocked);

    // Whose: another user's debt is not found; the console is an admin's; a super admin's
    // account is not an admin's to settle.
    let (other, _) = buyer(&app, "081234560042", 0).await;
    let (s, _) =
        call(&app, &adm, "POST", &format!("/api/admin/users/{other}/debts/{}/settle", open.as_str().unwrap()), None)
            .await;
    assert_eq!(s, 404);
    let (s, _) = call(&app, &c, "GET", &format!("/api/admin/users/{user}/debts"), None).await;
    assert!(s == 401 || s == 403, "{s}");
    let (sup_id, _) = staff(&app, "081299990043", Role::SuperAdmin).await;
    let (s, _) = call(&app, &adm, "POST", &format!("/api/admin/users/{sup_id}/debts/settle-all"), None).await;
    assert_eq!(s, 403);
    let (s, v) = lend(&app, &adm, other, "not-a-uuid", "lend-4").await;
    assert_eq!((s, v["details"]["field"].as_str()), (422, Some("debt_package_id")), "{v}");
}
