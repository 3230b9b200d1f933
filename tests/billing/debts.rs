//! Quota on credit: an admin lends a package from the user editor, the user sees and pays the
//! debt online (Snap), an admin settles in cash; each pays once, whatever is resent or raced.

use diesel::prelude::*;
use hotspot::db::schema::{debt_settlements, quota_ledger, users};
use hotspot::domain::{GIB, Role};
use serde_json::{Value, json};

use crate::billing::sales::{buyer, package, purchased};
use crate::common::{TestApp, call, staff};

/// The admin's editor save lending `pkg`, under `key`.
pub(super) async fn lend(
    app: &TestApp,
    admin: &reqwest::Client,
    user: uuid::Uuid,
    pkg: &str,
    key: &str,
) -> (u16, Value) {
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
    // The dashboard counts the debt paid as revenue, never as a package sold.
    let (_, stats) = call(&app, &sup, "GET", "/api/admin/dashboard/stats", None).await;
    fn find<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
        match v {
            Value::Object(m) => m.get(key).or_else(|| m.values().find_map(|x| find(x, key))),
            Value::Array(a) => a.iter().find_map(|x| find(x, key)),
            _ => None,
        }
    }
    let top = find(&stats, "paketTerlaris").expect("the dashboard's best sellers").to_string();
    assert!(!top.contains("Pelunasan"), "{top}");

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

/// The operator's debt rules: past the limit the account is blocked (the admins chosen hear it),
/// turning the limit off lifts it; an overdue debt blocks until it is paid; an admin's block is
/// never lifted by them; a debt falling due is reminded once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debt_rules_block_and_lift_and_remind() {
    use hotspot::db::schema::{audit_log, message_log};

    let app = TestApp::spawn_billing(&[("HOTSPOT_NOTIFY_QUIET_HOURS", "0-0")]).await;
    let (sup_id, sup) = staff(&app, "081299990051", Role::SuperAdmin).await;
    let (_, adm) = staff(&app, "081299990052", Role::Admin).await;
    let pkg = package(&app, &sup, "Mingguan 5 GB", 20_000, 5, 7).await;
    let (user, c) = buyer(&app, "081234560051", 1).await;
    let (held, _) = buyer(&app, "081234560052", 1).await;
    let set = |k: &'static str, v: &'static str| {
        call(&app, &sup, "PUT", "/api/admin/settings", Some(json!({ "settings": { k: v } })))
    };
    let (s, v) = set("QUOTA_DEBT_LIMIT_MB", "512").await;
    assert_eq!(s, 200, "{v}");
    let (s, _) = call(
        &app,
        &sup,
        "POST",
        "/api/admin/notification-recipients",
        Some(json!({ "notification_type": "QUOTA_DEBT_LIMIT_EXCEEDED", "subscribed_admin_ids": [sup_id] })),
    )
    .await;
    assert_eq!(s, 200);
    let admin = app.backend.admin();
    let rules = || admin.apply_debt_rules(chrono::Utc::now());
    let state =
        |id: uuid::Uuid| {
            app.backend.db.run(move |c| {
                Ok(users::table
                    .find(id)
                    .select((users::is_blocked, users::block_cause, users::blocked_reason))
                    .first::<(bool, Option<String>, Option<String>)>(c)?)
            })
        };

    // 600 MiB beyond the quota: past the 512 MiB limit. An admin's block stays an admin's.
    sql(&app, "UPDATE users SET quota_used_bytes = quota_purchased_bytes + 629145600 WHERE id = $1", user).await;
    sql(&app, "UPDATE users SET quota_used_bytes = quota_purchased_bytes + 629145600 WHERE id = $1", held).await;
    let (s, _) =
        call(&app, &adm, "POST", &format!("/api/admin/users/{held}/block"), Some(json!({ "reason": "abuse" }))).await;
    assert_eq!(s, 200);
    let run = rules().await.unwrap();
    assert_eq!((run.blocked, run.lifted), (1, 0), "{run:?}");
    let (blocked, cause, reason) = state(user).await.unwrap();
    assert_eq!((blocked, cause.as_deref()), (true, Some("debt")), "{reason:?}");
    assert_eq!(rules().await.unwrap().blocked, 0, "applied again: nothing new");
    let (s, v) = set("QUOTA_DEBT_LIMIT_MB", "0").await;
    assert_eq!(s, 200, "{v}");
    let run = rules().await.unwrap();
    assert_eq!((run.blocked, run.lifted), (0, 1), "{run:?}");
    assert!(!state(user).await.unwrap().0);
    assert_eq!(state(held).await.unwrap(), (true, Some("admin".into()), Some("abuse".into())));

    // Overdue: a debt lent last month, due at its end, blocks until it is paid.
    let last_month = (chrono::Utc::now() - chrono::Duration::days(35)).format("%Y-%m-%d").to_string();
    let res = adm
        .put(app.url(&format!("/api/admin/users/{user}")))
        .header("Origin", "http://localhost:3000")
        .json(&json!({ "debt_package_id": pkg, "debt_date": last_month }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(rules().await.unwrap().blocked, 1);
    let (s, v) = call(&app, &c, "POST", "/api/transactions/debt/initiate", None).await;
    assert_eq!(s, 201, "a debt rule's block does not stop paying the debt: {v}");
    let (s, v) = call(&app, &adm, "POST", &format!("/api/admin/users/{user}/debts/settle-all"), None).await;
    assert_eq!((s, v["unblocked"].as_bool()), (200, Some(true)), "{v}");
    assert_eq!(rules().await.unwrap().blocked, 0);

    // Falling due in 3 days: reminded once.
    let res = adm
        .put(app.url(&format!("/api/admin/users/{user}")))
        .header("Origin", "http://localhost:3000")
        .json(&json!({ "debt_package_id": pkg }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    sql(&app, "UPDATE quota_debts SET due_date = (now() AT TIME ZONE 'Asia/Makassar')::date + 3 WHERE user_id = $1 AND paid_at IS NULL", user).await;
    assert_eq!(rules().await.unwrap().reminded, 1);
    rules().await.unwrap();
    let (_w, _j) = app.start_worker();
    let mut reminded = 0;
    for _ in 0..100 {
        reminded = app
            .backend
            .db
            .run(|c| {
                Ok(message_log::table.filter(message_log::template.eq("debt_due")).count().get_result::<i64>(c)?)
            })
            .await
            .unwrap();
        if reminded > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let audited: i64 = app
        .backend
        .db
        .run(|c| Ok(audit_log::table.filter(audit_log::action.eq("debt.block")).count().get_result(c)?))
        .await
        .unwrap();
    let alerted: i64 = app
        .backend
        .db
        .run(|c| Ok(message_log::table.filter(message_log::template.eq("alert_debt_limit")).count().get_result(c)?))
        .await
        .unwrap();
    assert_eq!(
        (reminded, audited, alerted),
        (1, 3, 1),
        "one reminder; the limit's block and lift, the overdue block; one alert"
    );
}
