//! Issue 31: the existing frontend's console pages, as they send and read.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{STAFF_PASSWORD, TestApp, audit_count, call, staff};
use hotspot::domain::{GIB, Role};

const SUPER: &str = "081299990001";

/// What `/admin/settings/general` sends on save: every switch as "True"/"False", the layout,
/// the payment keys as lower-case lists, and whatever the GET gave back with a value.
fn general_page_save(payment_mode: &str, banks: &str) -> Value {
    json!({ "settings": {
        "MAINTENANCE_MODE_ACTIVE": "False", "MAINTENANCE_MODE_MESSAGE": "",
        "ENABLE_WHATSAPP_NOTIFICATIONS": "True", "ENABLE_WHATSAPP_LOGIN_NOTIFICATION": "True",
        "ENABLE_TELEGRAM_NOTIFICATIONS": "False", "DEMO_MODE_ENABLED": "False",
        "THEME": "system", "SKIN": "bordered", "LAYOUT": "horizontal", "CONTENT_WIDTH": "boxed",
        "APP_NAME": "Hotspot Desa", "APP_BROWSER_TITLE": "Hotspot Desa",
        "PAYMENT_PROVIDER_MODE": payment_mode,
        "CORE_API_ENABLED_PAYMENT_METHODS": "qris,va", "CORE_API_ENABLED_VA_BANKS": banks,
        "MIDTRANS_SERVER_KEY": "SB-Mid-server-typed-in", "WHATSAPP_API_KEY": "typed-in",
        "MIKROTIK_HOST": "10.0.0.1", "TELEGRAM_BOT_USERNAME": "hotspot_bot"
    }})
}

/// Item 1: the general settings page saves. The keys this backend takes are stored (the
/// payment keys for the money pages), the rest named in `ignored` instead of refusing the
/// save, secrets never taken; the same save again changes nothing and says so; an invalid
/// value refuses the save and stores nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_general_settings_page_saves_what_it_means() {
    let app = TestApp::spawn_captive(&[]).await;
    let (_, sup) = staff(&app, SUPER, Role::SuperAdmin).await;

    let (status, body) =
        call(&app, &sup, "PUT", "/api/admin/settings", Some(general_page_save("core_api", "bni,bri"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["message"], "Pengaturan berhasil diperbarui.");
    let changed: Vec<&str> = body["changed"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    for key in [
        "payment_provider_mode",
        "core_api_payment_methods",
        "core_api_va_banks",
        "admin_login_notifications",
        "app_name",
    ] {
        assert!(changed.contains(&key), "{key} not in {changed:?}");
    }
    let ignored: Vec<&str> = body["ignored"].as_array().unwrap().iter().filter_map(|i| i["key"].as_str()).collect();
    for key in [
        "MIDTRANS_SERVER_KEY",
        "WHATSAPP_API_KEY",
        "MIKROTIK_HOST",
        "DEMO_MODE_ENABLED",
        "ENABLE_TELEGRAM_NOTIFICATIONS",
        "TELEGRAM_BOT_USERNAME",
    ] {
        assert!(ignored.contains(&key), "{key} not in {ignored:?}");
    }
    assert!(!body.to_string().contains("SB-Mid-server-typed-in"), "a secret came back: {body}");
    // /beli reads how to pay from the public settings (its method picker opens on core_api).
    let public: Value = app.client.get(app.url("/api/settings/public")).send().await.unwrap().json().await.unwrap();
    let read =
        |k: &str| public.as_array().unwrap().iter().find(|s| s["setting_key"] == k).map(|s| s["setting_value"].clone());
    assert_eq!(read("PAYMENT_PROVIDER_MODE"), Some(json!("core_api")), "{public}");
    assert_eq!(read("CORE_API_ENABLED_PAYMENT_METHODS"), Some(json!("qris,va")), "{public}");
    assert_eq!(read("CORE_API_ENABLED_VA_BANKS"), Some(json!("bni,bri")), "{public}");

    // The page reads its own spellings back.
    let (_, list) = call(&app, &sup, "GET", "/api/admin/settings", None).await;
    let text = |key: &str| {
        list.as_array().unwrap().iter().find(|e| e["setting_key"] == key).map(|e| e["setting_value"].clone())
    };
    assert_eq!(text("PAYMENT_PROVIDER_MODE"), Some(json!("core_api")));
    assert_eq!(text("CORE_API_ENABLED_PAYMENT_METHODS"), Some(json!("qris,va")));
    assert_eq!(text("CORE_API_ENABLED_VA_BANKS"), Some(json!("bni,bri")));
    assert_eq!(text("ENABLE_WHATSAPP_LOGIN_NOTIFICATION"), Some(json!("True")));
    assert_eq!(text("MIDTRANS_SERVER_KEY"), None);

    // The same save: nothing changes, nothing is audited again.
    let audited = audit_count(&app, "settings.update").await;
    let (status, body) =
        call(&app, &sup, "PUT", "/api/admin/settings", Some(general_page_save("core_api", "bni,bri"))).await;
    assert_eq!((status, body["message"].as_str()), (200, Some("Tidak ada perubahan.")), "{body}");
    assert_eq!(body["changed"], json!([]));
    assert_eq!(audit_count(&app, "settings.update").await, audited);

    // A bank we do not know: refused, nothing stored (the mode stays core_api).
    let (status, body) =
        call(&app, &sup, "PUT", "/api/admin/settings", Some(general_page_save("snap", "bni,bank-x"))).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("VALIDATION_ERROR")), "{body}");
    assert_eq!(app.backend.runtime.get().payment_provider_mode, hotspot::domain::ProviderMode::CoreApi);

    // The login notice the page switched on: the next console sign-in tells the admin.
    let b = app.browser();
    let (status, _) =
        app.post(&b, "/api/auth/admin/login", json!({ "username": SUPER, "password": STAFF_PASSWORD })).await;
    assert_eq!(status, 200);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !app.wa().outbox().iter().any(|m| m.to == "6281299990001" && m.message.contains("baru saja masuk")) {
        assert!(std::time::Instant::now() < deadline, "no sign-in notice: {:?}", app.wa().outbox());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.stop().await;
}

/// Item 2: the packages page sends the whole object back, ours and its spellings side by side:
/// the field the admin edited wins, whichever spelling it is in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_packages_editor_saves_the_field_that_was_edited() {
    let app = TestApp::spawn().await;
    let (_, admin) = staff(&app, "081299990002", Role::Admin).await;
    let (status, made) = call(
        &app,
        &admin,
        "POST",
        "/api/admin/packages",
        Some(json!({ "name": "Mingguan", "price": 15000, "data_quota_gb": 5, "duration_days": 7 })),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_str().unwrap().to_owned();
    let item = || async {
        let (_, page) = call(&app, &admin, "GET", "/api/admin/packages?page=1&itemsPerPage=10", None).await;
        page["items"].as_array().unwrap().iter().find(|p| p["id"] == id.as_str()).cloned().unwrap()
    };
    let save = |mut body: Value| {
        let (c, url) = (admin.clone(), app.url(&format!("/api/admin/packages/{id}")));
        body.as_object_mut().unwrap().remove("profile");
        async move {
            let r = c.put(url).json(&body).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    for (field, value) in [("price", json!(20000)), ("data_quota_gb", json!(8)), ("duration_days", json!(30))] {
        let mut body = item().await;
        body[field] = value.clone();
        let (status, saved) = save(body).await;
        assert_eq!(status, 200, "{field}: {saved}");
        assert_eq!(item().await[field].as_f64(), value.as_f64(), "{field} edited, not the stale copy of ours");
    }
    let now = item().await;
    assert_eq!(
        (now["price_idr"].as_i64(), now["quota_bytes"].as_i64(), now["validity_days"].as_i64()),
        (Some(20_000), Some(8 * GIB), Some(30))
    );
    // 0 GB in the page's dialog: unlimited, though our `is_unlimited: false` came back with it.
    let mut body = now.clone();
    body["data_quota_gb"] = json!(0);
    assert_eq!(save(body).await.0, 200);
    assert_eq!(item().await["is_unlimited"], true);
    app.stop().await;
}

/// `/akun` as an admin: the profile saves (the number must stay the account's own) and the
/// password changes with the current one; the other sessions end, this one stays, the new
/// password signs in and the old one no more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_saves_their_profile_and_changes_their_password() {
    let app = TestApp::spawn().await;
    let (_, admin) = staff(&app, "081299990002", Role::Admin).await;
    let other_session = app.browser();
    let (status, _) = app
        .post(
            &other_session,
            "/api/auth/admin/login",
            json!({ "username": "081299990002", "password": STAFF_PASSWORD }),
        )
        .await;
    assert_eq!(status, 200);
    let (status, me) = call(
        &app,
        &admin,
        "PUT",
        "/api/admin/users/me",
        Some(json!({ "full_name": "Admin Baru", "phone_number": "+6281299990002" })),
    )
    .await;
    assert_eq!((status, me["full_name"].as_str()), (200, Some("Admin Baru")), "{me}");
    let (status, body) = call(
        &app,
        &admin,
        "PUT",
        "/api/admin/users/me",
        Some(json!({ "full_name": "X", "phone_number": "+6281299990099" })),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (422, Some("VALIDATION_ERROR")), "{body}");

    let change = |current: &str, new: &str| {
        let body = json!({ "current_password": current, "new_password": new });
        let c = admin.clone();
        let url = app.url("/api/auth/me/change-password");
        async move {
            let r = c.post(url).json(&body).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    assert_eq!(change("wrong-password-x", "a-brand-new-password").await.0, 422);
    assert_eq!(change(STAFF_PASSWORD, "short").await.0, 422);
    let (status, body) = change(STAFF_PASSWORD, "a-brand-new-password").await;
    assert_eq!((status, body["message"].as_str()), (200, Some("Kata sandi berhasil diubah.")), "{body}");
    assert_eq!(call(&app, &admin, "GET", "/api/admin/users", None).await.0, 200, "this session stays");
    assert_eq!(call(&app, &other_session, "GET", "/api/admin/users", None).await.0, 401, "the other session ended");
    for (password, want) in [(STAFF_PASSWORD, 401), ("a-brand-new-password", 200)] {
        let b = app.browser();
        let (status, _) =
            app.post(&b, "/api/auth/admin/login", json!({ "username": "081299990002", "password": password })).await;
        assert_eq!(status, want, "{password}");
    }
    app.stop().await;
}

/// Item 3 (address options): a fresh install offers the operator's lists (default blocks A–F,
/// rooms 1–6), so the user editor can create a USER; values users hold are offered after them;
/// the lists are runtime settings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn address_options_have_defaults_and_follow_the_settings() {
    let app = TestApp::spawn().await;
    let (_, sup) = staff(&app, SUPER, Role::SuperAdmin).await;
    let (status, opts) = call(&app, &sup, "GET", "/api/admin/form-options/alamat", None).await;
    assert_eq!(status, 200, "{opts}");
    assert_eq!(opts["bloks"], json!(["A", "B", "C", "D", "E", "F"]));
    assert_eq!(opts["kamars"], json!(["1", "2", "3", "4", "5", "6"]));
    let (status, made) = call(
        &app,
        &sup,
        "POST",
        "/api/admin/users",
        Some(json!({ "phone_number": "081234565001", "full_name": "Warga Baru", "role": "USER", "blok": "Melati", "kamar": "2" })),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let (status, body) = call(
        &app,
        &sup,
        "PUT",
        "/api/admin/settings",
        Some(json!({ "settings": { "address_bloks": "Mawar, Anggrek", "address_kamars": ["1", "2", "3"] } })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, opts) = call(&app, &sup, "GET", "/api/admin/form-options/alamat", None).await;
    assert_eq!(opts["bloks"], json!(["Mawar", "Anggrek", "Melati"]));
    assert_eq!(opts["kamars"], json!(["1", "2", "3"]));
    app.stop().await;
}
