//! Issue 31: the users page's side panels, as the existing frontend sends and reads them — the
//! public update form's submissions and the inactive-account policy.

use serde_json::{Value, json};

use crate::common::{TestApp, audit_count, call, staff};
use hotspot::audit::Actor;
use hotspot::domain::Role;

const SUPER: &str = "081299990011";
const ADMIN: &str = "081299990012";

fn form(phone: &str, name: &str, role: &str, blok: Option<&str>, kamar: Option<&str>) -> Value {
    json!({ "full_name": name, "role": role, "blok": blok, "kamar": kamar, "tamping_type": null, "phone_number": phone })
}

/// The form is closed until the operator opens it; a submission is checked (a user names a
/// block and a room), replaces the number's pending one, shows in the admin's list, and its
/// approval gives the account the stated name and room once; a komandan claim is a super
/// admin's to approve; a rejection closes it; the status speaks of submissions only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_form_submissions_are_filed_reviewed_and_applied_once() {
    let app = TestApp::spawn_captive(&[]).await;
    let (_, sup) = staff(&app, SUPER, Role::SuperAdmin).await;
    let (_, adm) = staff(&app, ADMIN, Role::Admin).await;
    let resident = app.user("081277770001", "Imported 0001", 1).await;
    let other = app.user("081277770002", "Imported 0002", 1).await;
    let anon = app.client.clone();
    let status_of = |phone: &str| format!("/api/users/database-update-submissions/status?phone={phone}");

    // The page's panels load on a fresh install (they were a 404 and a 422).
    let (s, body) =
        call(&app, &adm, "GET", "/api/admin/update-submissions?status=PENDING&page=1&itemsPerPage=20", None).await;
    assert_eq!((s, body["totalItems"].clone()), (200, json!(0)), "{body}");

    let submit = |b: Value| call(&app, &anon, "POST", "/api/users/database-update-submissions", Some(b));
    let (s, body) = submit(form("+6281277770001", "Budi", "USER", Some("A"), Some("3"))).await;
    assert_eq!((s, body["code"].as_str()), (403, Some("FEATURE_DISABLED")), "{body}");
    let (s, _) =
        call(&app, &sup, "PUT", "/api/admin/settings", Some(json!({ "settings": { "update_form_open": true } }))).await;
    assert_eq!(s, 200);

    let (s, body) = submit(form("+6281277770001", "Budi", "USER", Some("A"), None)).await;
    assert_eq!((s, body["details"]["field"].as_str()), (422, Some("kamar")), "{body}");
    let (s, body) = submit(form("+6281277770001", "Budi Typo", "USER", Some("A"), Some("3"))).await;
    assert_eq!((s, body["success"].clone()), (201, json!(true)), "{body}");
    let (s, body) = submit(form("081277770001", "Budi Santoso", "USER", Some("B"), Some("4"))).await;
    assert_eq!(s, 201, "{body}");
    let (_, body) = call(&app, &anon, "GET", &status_of("%2B6281277770001"), None).await;
    assert_eq!(body, json!({ "success": true, "status": "reviewing" }));
    // A number that submitted nothing reads "none", whether or not it holds an account.
    let (_, body) = call(&app, &anon, "GET", &status_of("081277770002"), None).await;
    assert_eq!(body["status"], "none");

    let (_, list) = call(&app, &adm, "GET", "/api/admin/update-submissions", None).await;
    assert_eq!(list["totalItems"], 1, "the second submission replaced the first: {list}");
    let item = &list["items"][0];
    assert_eq!(
        (item["full_name"].as_str(), item["blok"].as_str(), item["kamar"].as_str()),
        (Some("Budi Santoso"), Some("B"), Some("4"))
    );
    let id = item["id"].as_str().unwrap().to_owned();

    let approve = |c: &reqwest::Client, id: &str| {
        let (c, path) = (c.clone(), format!("/api/admin/update-submissions/{id}/approve"));
        let app = &app;
        async move { call(app, &c, "POST", &path, None).await }
    };
    let (s, body) = approve(&adm, &id).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["user"]["full_name"], "Budi Santoso");
    assert_eq!(
        (body["user"]["profile"]["blok"].as_str(), body["user"]["profile"]["kamar"].as_str()),
        (Some("B"), Some("4"))
    );
    assert_eq!(body["submission"]["approval_status"], "APPROVED");
    let (s, body) = approve(&adm, &id).await;
    assert_eq!((s, body["message"].as_str()), (409, Some("Pengajuan sudah diproses sebelumnya.")), "{body}");
    assert_eq!(audit_count(&app, "submission.approve").await, 1);
    let (_, body) = call(&app, &anon, "GET", &status_of("081277770001"), None).await;
    assert_eq!(body["status"], "approved");
    let after = app.backend.accounts().get(resident.id).await.unwrap();
    assert_eq!(after.role, Role::User);

    // A komandan claim: an admin may not change a role, a super admin may.
    let (s, _) = submit(form("081277770002", "Kom Andi", "KOMANDAN", None, None)).await;
    assert_eq!(s, 201);
    let (_, list) = call(&app, &adm, "GET", "/api/admin/update-submissions?search=Kom", None).await;
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let (s, body) = approve(&adm, &id).await;
    assert_eq!(s, 403, "{body}");
    assert_eq!(app.backend.accounts().get(other.id).await.unwrap().role, Role::User, "nothing changed");
    let (s, body) = approve(&sup, &id).await;
    assert_eq!((s, body["user"]["role"].as_str()), (200, Some("KOMANDAN")), "{body}");

    // A rejection closes a submission; a bad id is a 404, not a 500.
    let (s, _) = submit(form("081277770003", "Nobody", "USER", Some("A"), Some("1"))).await;
    assert_eq!(s, 201);
    let (_, list) = call(&app, &adm, "GET", "/api/admin/update-submissions", None).await;
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let (s, body) = approve(&adm, &id).await;
    assert_eq!(s, 409, "no account holds the number: {body}");
    let path = format!("/api/admin/update-submissions/{id}/reject");
    let (s, body) = call(&app, &adm, "POST", &path, Some(json!({ "rejection_reason": "bukan warga" }))).await;
    assert_eq!((s, body["submission"]["rejection_reason"].as_str()), (200, Some("bukan warga")), "{body}");
    let (s, _) = call(&app, &adm, "POST", &path, None).await;
    assert_eq!(s, 409);
    let (s, _) = call(&app, &adm, "POST", "/api/admin/update-submissions/not-an-id/approve", None).await;
    assert_eq!(s, 404);
    let (_, list) = call(&app, &adm, "GET", "/api/admin/update-submissions?status=rejected", None).await;
    assert_eq!(list["totalItems"], 1);
    let (s, _) = call(&app, &anon, "GET", "/api/admin/update-submissions", None).await;
    assert_eq!(s, 401);
}

/// Sets when a user was last seen: made, signed in and (no devices) seen `days` ago.
async fn idle_for(app: &TestApp, id: uuid::Uuid, days: i64) {
    app.backend
        .db
        .run(move |c| {
            use diesel::prelude::*;
            use hotspot::db::schema::users;
            let at = chrono::Utc::now() - chrono::Duration::days(days);
            diesel::update(users::table.find(id))
                .set((users::created_at.eq(at), users::last_login_at.eq(Some(at))))
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
}

/// The preview lists who the policy would deactivate and delete, never an admin nor an
/// account still holding usable quota; a sweep deactivates and deletes exactly those, audited,
/// and a second sweep finds nothing more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inactive_policy_previews_and_sweeps_only_its_candidates() {
    let app = TestApp::spawn_captive(&[]).await;
    let (admin_id, adm) = staff(&app, ADMIN, Role::Admin).await;
    let idle = app.user("081266660001", "Idle 50 days", 0).await;
    let gone = app.user("081266660002", "Idle 200 days", 0).await;
    let holding = app.user("081266660003", "Holds quota", 5).await;
    let fresh = app.user("081266660004", "Fresh", 0).await;
    for (id, days) in [(idle.id, 50), (gone.id, 200), (holding.id, 200), (fresh.id, 3), (admin_id, 400)] {
        idle_for(&app, id, days).await;
    }

    let (s, p) = call(&app, &adm, "GET", "/api/admin/users/inactive-cleanup-preview?limit=10", None).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["thresholds"], json!({ "deactivate_days": 45, "delete_days": 90, "enabled": false }));
    let names = |k: &str| -> Vec<String> {
        p["items"][k].as_array().unwrap().iter().map(|c| c["full_name"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(names("deactivate_candidates"), ["Idle 200 days", "Idle 50 days"]);
    assert_eq!(names("delete_candidates"), ["Idle 200 days"]);
    assert_eq!(p["summary"], json!({ "deactivate_candidates": 2, "delete_candidates": 1 }));
    assert!(p["items"]["delete_candidates"][0]["days_inactive"].as_i64().unwrap() >= 199);
    let (s, _) = call(&app, &adm, "GET", "/api/admin/users/inactive-cleanup-preview?limit=0", None).await;
    assert_eq!(s, 422);

    let swept = app.backend.admin().sweep_inactive(&Actor::job("inactive-cleanup")).await.unwrap();
    assert_eq!((swept.deactivated, swept.deleted), (1, 1));
    let accounts = app.backend.accounts();
    assert!(accounts.find(gone.id).await.unwrap().is_none(), "deleted");
    assert!(!accounts.get(idle.id).await.unwrap().is_active, "deactivated");
    assert!(accounts.get(holding.id).await.unwrap().is_active);
    assert!(accounts.get(fresh.id).await.unwrap().is_active);
    assert!(accounts.get(admin_id).await.unwrap().is_active);
    assert_eq!(audit_count(&app, "user.delete").await, 1);
    assert_eq!(audit_count(&app, "user.deactivate").await, 1);
    let again = app.backend.admin().sweep_inactive(&Actor::job("inactive-cleanup")).await.unwrap();
    assert_eq!((again.deactivated, again.deleted), (0, 0));
}

/// Promotions as the promos page writes them: super admins only, checked; the running ones are
/// public; a registration bonus running at approval is granted once, with the default package.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promotions_show_while_running_and_the_bonus_is_granted_on_approval() {
    let app = TestApp::spawn_captive(&[]).await;
    let (_, sup) = staff(&app, SUPER, Role::SuperAdmin).await;
    let (_, adm) = staff(&app, ADMIN, Role::Admin).await;
    let now = chrono::Utc::now();
    let bonus = json!({ "name": "Bonus Desember", "description": "Daftar sekarang", "status": "ACTIVE",
        "event_type": "BONUS_REGISTRATION", "start_date": now - chrono::Duration::days(1),
        "bonus_value_mb": 2048, "bonus_duration_days": 7 });
    let (s, _) = call(&app, &adm, "POST", "/api/admin/promos", Some(bonus.clone())).await;
    assert_eq!(s, 403, "an admin lists, a super admin writes");
    let mut bad = bonus.clone();
    bad["bonus_duration_days"] = json!(0);
    let (s, _) = call(&app, &sup, "POST", "/api/admin/promos", Some(bad)).await;
    assert_eq!(s, 422);
    let (s, p) = call(&app, &sup, "POST", "/api/admin/promos", Some(bonus)).await;
    assert_eq!(s, 201, "{p}");
    let draft = json!({ "name": "Pengumuman", "status": "DRAFT", "event_type": "GENERAL_ANNOUNCEMENT",
        "start_date": now, "bonus_value_mb": 0, "bonus_duration_days": 30 });
    let (s, d) = call(&app, &sup, "POST", "/api/admin/promos", Some(draft)).await;
    assert_eq!((s, d["bonus_value_mb"].clone()), (201, Value::Null), "{d}");

    let (_, list) =
        call(&app, &adm, "GET", "/api/admin/promos?page=1&itemsPerPage=10&sortBy=name&sortOrder=asc", None).await;
    assert_eq!(list["totalItems"], 2, "{list}");
    let (_, running) = call(&app, &app.client.clone(), "GET", "/api/public/promos/active", None).await;
    assert_eq!(running.as_array().map(Vec::len), Some(1), "only the active one: {running}");

    // The page sends the whole object back on edit; an emptied end date is cleared.
    let mut edited = d.clone();
    edited["status"] = json!("ACTIVE");
    edited["end_date"] = json!(now + chrono::Duration::days(3));
    let (s, e) =
        call(&app, &sup, "PUT", &format!("/api/admin/promos/{}", d["id"].as_str().unwrap()), Some(edited.clone()))
            .await;
    assert_eq!((s, e["status"].as_str()), (200, Some("ACTIVE")), "{e}");
    edited.as_object_mut().unwrap().remove("end_date");
    let (_, e) =
        call(&app, &sup, "PUT", &format!("/api/admin/promos/{}", d["id"].as_str().unwrap()), Some(edited)).await;
    assert_eq!(e["end_date"], Value::Null);

    // A registration approved while the bonus runs gets it once.
    let pending =
        app.user_with("081244440001", "Baru", 0, |u| u.approval = hotspot::domain::ApprovalStatus::Pending).await;
    let (s, _) = call(&app, &adm, "POST", &format!("/api/admin/users/{}/approve", pending.id), None).await;
    assert_eq!(s, 200);
    let u = app.backend.accounts().get(pending.id).await.unwrap();
    assert_eq!(u.quota_purchased_bytes, 2048 * hotspot::domain::MIB);
    assert!(u.quota_expiry_date.is_some());
    let (s, _) = call(&app, &sup, "DELETE", &format!("/api/admin/promos/{}", p["id"].as_str().unwrap()), None).await;
    assert_eq!(s, 200);
    let (s, _) = call(&app, &sup, "DELETE", &format!("/api/admin/promos/{}", p["id"].as_str().unwrap()), None).await;
    assert_eq!(s, 404);
    assert_eq!(audit_count(&app, "promo.create").await, 2);
}

/// The logs page: the trail in its shape (its action names, admin and target), filtered by
/// text, target and local days, exported as CSV with formula cells neutralised; the purge is a
/// super admin's, keeps the last year and is itself recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_logs_page_reads_exports_and_purges_the_trail() {
    let app = TestApp::spawn_captive(&[]).await;
    let (_, sup) = staff(&app, SUPER, Role::SuperAdmin).await;
    let (admin_id, adm) = staff(&app, ADMIN, Role::Admin).await;
    let u = app.user("081244449901", "=HYPERLINK(\"x\")", 1).await;
    let (s, _) =
        call(&app, &adm, "POST", &format!("/api/admin/users/{}/block", u.id), Some(json!({ "reason": "uji log" })))
            .await;
    assert_eq!(s, 200);

    let (s, page) = call(
        &app,
        &adm,
        "GET",
        &format!(
            "/api/admin/action-logs?page=1&itemsPerPage=15&sortBy=created_at&sortOrder=desc&search=&target_user_id={}",
            u.id
        ),
        None,
    )
    .await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["totalItems"], 1, "{page}");
    let item = &page["items"][0];
    assert_eq!(
        (item["action_type"].as_str(), item["admin"]["id"].as_str()),
        (Some("BLOCK_USER"), Some(admin_id.to_string().as_str()))
    );
    assert_eq!(item["target_user"]["id"], u.id.to_string());
    assert!(item["details"].as_str().unwrap().contains("uji log"));
    let (_, found) = call(&app, &adm, "GET", "/api/admin/action-logs?search=uji%20log", None).await;
    assert_eq!(found["totalItems"], 1);
    // The page sends the instant of a local midnight (a browser in the operator's timezone); the
    // local day is meant. (Another timezone's day differs for an hour a day: 16:00–17:00 UTC
    // for Jakarta, which made this test fail then.)
    let tz = chrono_tz::Asia::Makassar;
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    let midnight = hotspot::domain::days::local_midnight(today, tz).to_rfc3339();
    let q = format!(
        "/api/admin/action-logs?start_date={}&end_date={}",
        midnight.replace('+', "%2B"),
        midnight.replace('+', "%2B")
    );
    let (s, days) = call(&app, &adm, "GET", &q, None).await;
    assert_eq!(s, 200, "{days}");
    assert!(days["totalItems"].as_i64().unwrap() >= 3, "today's entries: {days}");

    let res = adm.get(app.url("/api/admin/action-logs/export?format=csv&page=1&itemsPerPage=-1")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(text.starts_with("\"Waktu\",\"Admin Pelaku\""), "{text}");
    assert!(
        text.contains(",\"'=HYPERLINK") && !text.contains(",\"=HYPERLINK"),
        "a formula cell went out as a formula: {text}"
    );

    // An entry older than a year goes; today's stay; the purge is recorded.
    app.backend
        .db
        .run(|c| {
            use diesel::prelude::*;
            diesel::sql_query("UPDATE audit_log SET created_at = now() - interval '400 days' WHERE action = 'admin.login' AND id = (SELECT min(id) FROM audit_log WHERE action = 'admin.login')").execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    let (s, _) = call(&app, &adm, "DELETE", "/api/admin/action-logs", None).await;
    assert_eq!(s, 403);
    let (s, v) = call(&app, &sup, "DELETE", "/api/admin/action-logs", None).await;
    assert_eq!((s, v["deleted"].as_i64()), (200, Some(1)), "{v}");
    assert_eq!(audit_count(&app, "user.block").await, 1, "the last year is kept");
    assert_eq!(audit_count(&app, "audit.purge").await, 1);
}
