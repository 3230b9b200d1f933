//! The captive flow end to end: real Postgres and Redis, the RouterOS and WhatsApp simulators
//! over sockets.

use hotspot::sim::whatsapp::Mode;
use serde_json::{Value, json};

use crate::common::TestApp;

const PHONE: &str = "081234567001";
const MAC: &str = "02:DE:00:00:00:01";
const IP: &str = "10.5.50.11";

async fn app() -> TestApp {
    let app = TestApp::spawn_captive(&[]).await;
    app.user(PHONE, "Budi Aktif", 10).await;
    app.device(MAC, IP);
    app
}

fn set_cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok().map(str::to_owned)).collect()
}

fn cookie_value(cookies: &[String], name: &str) -> Option<String> {
    cookies
        .iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")).map(|rest| rest.split(';').next().unwrap_or("").to_owned()))
}

/// verify-otp for `phone` at `ip`, the raw response (cookies and all).
async fn verify(app: &TestApp, b: &reqwest::Client, phone: &str, code: &str, ip: &str) -> reqwest::Response {
    b.post(app.url("/api/auth/verify-otp"))
        .json(&json!({ "phone_number": phone, "otp": code, "client_ip": ip }))
        .send()
        .await
        .unwrap()
}

fn bindings(app: &TestApp) -> Vec<(String, String, String)> {
    app.sim().with_state(|s| {
        s.table("/ip/hotspot/ip-binding")
            .unwrap()
            .rows()
            .map(|r| {
                (
                    r.attrs["mac-address"].clone(),
                    r.attrs["type"].clone(),
                    r.attrs.get("comment").cloned().unwrap_or_default(),
                )
            })
            .collect()
    })
}

fn list_of(app: &TestApp, ip: &str) -> Vec<String> {
    app.sim().with_state(|s| {
        s.table("/ip/firewall/address-list")
            .unwrap()
            .rows()
            .filter(|r| r.attrs["address"] == ip)
            .map(|r| r.attrs["list"].clone())
            .collect()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_captive_flow_then_logout() {
    let app = app().await;
    let b = app.browser();
    let code = app.code_for(&b, PHONE).await;
    let res = b
        .post(app.url("/api/auth/verify-otp"))
        .json(
            &json!({ "phone_number": "+6281234567001", "otp": code, "client_ip": IP, "hotspot_login_context": "true" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookies = set_cookies(&res);
    let auth_cookie = cookies.iter().find(|c| c.starts_with("auth_token=")).unwrap();
    assert!(auth_cookie.contains("HttpOnly") && auth_cookie.contains("SameSite=Lax") && auth_cookie.contains("Path=/"));
    assert!(cookie_value(&cookies, "refresh_token").is_some_and(|v| v.len() >= 40));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["hotspot_login_required"], false);
    assert_eq!(body["hotspot_binding_active"], true);
    assert!(body.get("hotspot_password").is_none(), "bypassed users get no hotspot credentials");
    assert!(body["session_url"].as_str().unwrap().starts_with("http://localhost:3000/session/consume?token="));
    assert!(body["session_url"].as_str().unwrap().ends_with("next=%2Fcaptive%2Fterhubung"));

    // The router: one bypassed MAC-only binding, the IP on the active list, the hotspot user.
    let binds = bindings(&app);
    assert_eq!(binds.len(), 1);
    assert_eq!((binds[0].0.as_str(), binds[0].1.as_str()), (MAC, "bypassed"));
    assert!(binds[0].2.starts_with("hotspot:u:"));
    assert_eq!(list_of(&app, IP), vec!["hs_active"]);
    let users = app.sim().with_state(|s| {
        s.table("/ip/hotspot/user").unwrap().rows().map(|r| r.attrs["name"].clone()).collect::<Vec<_>>()
    });
    assert_eq!(users, vec![PHONE.to_string()]);

    // /me with the cookie, and with the bearer token.
    let me: Value = b.get(app.url("/api/auth/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["phone_number"], "+6281234567001");
    assert_eq!(me["access_status"], "active");
    assert_eq!(me["quota_remaining_bytes"], 10i64 * 1024 * 1024 * 1024);
    let bearer = body["access_token"].as_str().unwrap();
    let plain = reqwest::Client::new();
    assert_eq!(plain.get(app.url("/api/auth/me")).bearer_auth(bearer).send().await.unwrap().status(), 200);

    // Logout: family revoked, the access token refused, the device gone from the router.
    let (status, _) = app.post(&b, "/api/auth/logout", json!({})).await;
    assert_eq!(status, 200);
    let after = plain.get(app.url("/api/auth/me")).bearer_auth(bearer).send().await.unwrap();
    assert_eq!(after.status(), 401);
    assert!(bindings(&app).is_empty());
    assert!(list_of(&app, IP).is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_phone_form_reaches_the_same_user() {
    let app =
        TestApp::spawn_captive(&[("HOTSPOT_OTP_COOLDOWN_SECS", "0"), ("HOTSPOT_OTP_PER_PHONE_PER_HOUR", "50")]).await;
    app.user("081234567001", "Budi", 1).await;
    let b = app.browser();
    for form in ["081234567001", "81234567001", "6281234567001", "+6281234567001", "006281234567001", "0812-3456-7001"]
    {
        let (status, body) = app.post(&b, "/api/auth/request-otp", json!({ "phone_number": form })).await;
        assert_eq!(status, 200, "{form}: {body}");
    }
    let sent = app.wa().outbox();
    assert_eq!(sent.len(), 6);
    assert!(sent.iter().all(|m| m.to == "6281234567001"));
    let (status, body) = app.post(&b, "/api/auth/request-otp", json!({ "phone_number": "0812" })).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("VALIDATION_ERROR")));
    assert_eq!(body["details"]["field"], "phone_number");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_otp_refusals() {
    let app = TestApp::spawn_captive(&[]).await;
    let pending =
        app.user_with("081234567002", "Pending", 1, |u| u.approval = hotspot::domain::ApprovalStatus::Pending).await;
    app.prove_phone(pending.id).await;
    let blocked = app.user("081234567003", "Blocked", 1).await;
    let id = blocked.id;
    app.backend
        .db
        .run(move |c| {
            use diesel::prelude::*;
            use hotspot::db::schema::users;
            diesel::update(users::table.find(id))
                .set((users::is_blocked.eq(true), users::blocked_reason.eq("abuse")))
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    app.user("081234567004", "Ok", 1).await;
    let b = app.browser();

    let (status, body) = app.post(&b, "/api/auth/request-otp", json!({ "phone_number": "081299999999" })).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("USER_NOT_FOUND")));

    // An account waiting for approval gets its code (it signs in to a session showing it waiting).
    let (status, _) = app.post(&b, "/api/auth/request-otp", json!({ "phone_number": "081234567002" })).await;
    assert_eq!(status, 200);

    // A blocked account gets its code too, and the code a session that only shows its state:
    // the existing frontend opens /policy/blocked for a signed-in blocked user (a refusal's
    // status token it loses: its 403 handler signs out and clears it). No device is bound, even
    // from the hotspot; nothing else is open to it; refresh refuses it.
    let code = app.code_for(&b, "081234567003").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, body) =
        app.post(&b, "/api/auth/verify-otp", json!({ "phone_number": "081234567003", "otp": wrong })).await;
    assert_eq!((status, body["status"].as_str()), (401, None), "a wrong code tells nothing: {body}");
    let (status, body) = app
        .post(
            &b,
            "/api/auth/verify-otp",
            json!({ "phone_number": "081234567003", "otp": code, "client_ip": "10.5.50.13", "client_mac": "02:DE:00:00:00:03" }),
        )
        .await;
    assert_eq!((status, body["hotspot_binding_active"].as_bool()), (200, Some(false)), "{body}");
    let me: Value = b.get(app.url("/api/auth/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!((me["is_blocked"].as_bool(), me["access_status"].as_str()), (Some(true), Some("blocked")), "{me}");
    let list: Value = b.get(app.url("/api/users/me/devices")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["devices"].as_array().map(Vec::len), Some(0), "{list}");
    let (status, body) = app
        .post(
            &b,
            "/api/users/me/devices/bind-current",
            json!({ "client_ip": "10.5.50.13", "client_mac": "02:DE:00:00:00:03" }),
        )
        .await;
    assert_eq!((status, body["status"].as_str()), (403, Some("blocked")), "{body}");
    let token = body["status_token"].as_str().unwrap();
    let (_, v) = app.post(&b, "/api/auth/status-token/verify", json!({ "status": "blocked", "token": token })).await;
    assert_eq!(v["valid"], true);
    let (_, v) = app.post(&b, "/api/auth/status-token/verify", json!({ "status": "inactive", "token": token })).await;
    assert_eq!(v["valid"], false);
    let res = b.post(app.url("/api/auth/refresh")).send().await.unwrap();
    assert_eq!(res.status(), 401, "the status session ends with its access token");

    // A deactivated account (the inactive-account policy) likewise, to the inactive page.
    let dormant = app.user("081234567005", "Dormant", 1).await.id;
    app.backend
        .db
        .run(move |c| {
            use diesel::prelude::*;
            use hotspot::db::schema::users;
            diesel::update(users::table.find(dormant)).set(users::is_active.eq(false)).execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    let d = app.browser();
    let code = app.code_for(&d, "081234567005").await;
    let (status, body) =
        app.post(&d, "/api/auth/verify-otp", json!({ "phone_number": "081234567005", "otp": code })).await;
    assert_eq!(status, 200, "{body}");
    let me: Value = d.get(app.url("/api/auth/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!((me["is_active"].as_bool(), me["access_status"].as_str()), (Some(false), Some("inactive")), "{me}");

    // Cooldown: a second request within 60 s is refused with Retry-After.
    assert_eq!(app.post(&b, "/api/auth/request-otp", json!({ "phone_number": "081234567004" })).await.0, 200);
    let res =
        b.post(app.url("/api/auth/request-otp")).json(&json!({ "phone_number": "081234567004" })).send().await.unwrap();
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(app.wa().outbox().len(), 4);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_down_is_503_leaves_no_code_and_recovers() {
    let app = app().await;
    let b = app.browser();
    app.wa().set_mode(Mode::Down);
    let (status, body) = app.post(&b, "/api/auth/request-otp", json!({ "phone_number": PHONE })).await;
    assert_eq!((status, body["code"].as_str()), (503, Some("WHATSAPP_UNAVAILABLE")));
    assert!(app.wa().outbox().is_empty());
    // Nothing to verify against.
    let (status, _) =
        app.post(&b, "/api/auth/verify-otp", json!({ "phone_number": PHONE, "otp": "000000", "client_ip": IP })).await;
    assert_eq!(status, 401);
    // The message log says so.
    let failed = app
        .backend
        .db
        .run(|c| {
            use diesel::prelude::*;
            use hotspot::db::schema::message_log;
            Ok(message_log::table.select((message_log::status, message_log::attempts)).load::<(String, i32)>(c)?)
        })
        .await
        .unwrap();
    assert_eq!(failed, vec![("failed".to_string(), 2)]);
    // Recovery: the cooldown was not burned, a code goes out at once.
    app.wa().set_mode(Mode::Ok);
    let code = app.code_for(&b, PHONE).await;
    let (status, _) =
        app.post(&b, "/api/auth/verify-otp", json!({ "phone_number": PHONE, "otp": code, "client_ip": IP })).await;
    assert_eq!(status, 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_wrong_codes_lock_whatever_the_ip_or_user_agent() {
    let app = app().await;
    let b = app.browser();
    let code = app.code_for(&b, PHONE).await;
    let wrong = if code == "111111" { "222222" } else { "111111" };
    for i in 0..5 {
        let res = reqwest::Client::new()
            .post(app.url("/api/auth/verify-otp"))
            .header("user-agent", format!("agent-{i}"))
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .json(&json!({ "phone_number": PHONE, "otp": wrong, "client_ip": IP }))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap();
        if i < 4 {
            assert_eq!((status, body["code"].as_str()), (401, Some("OTP_INVALID")), "guess {i}");
            assert_eq!(body["details"]["remaining_attempts"], 4 - i);
        } else {
            assert_eq!((status, body["code"].as_str()), (429, Some("OTP_LOCKED")), "guess {i}");
        }
    }
    // The sixth try, with the right code, from yet another agent and address: still locked.
    let res = reqwest::Client::new()
        .post(app.url("/api/auth/verify-otp"))
        .header("user-agent", "fresh-agent")
        .header("x-forwarded-for", "203.0.113.99")
        .json(&json!({ "phone_number": PHONE, "otp": code, "client_ip": IP }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    assert!(bindings(&app).is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_works_once() {
    let app = app().await;
    let b = app.browser();
    let code = app.code_for(&b, PHONE).await;
    let body = json!({ "phone_number": PHONE, "otp": code, "client_ip": IP });
    assert_eq!(app.post(&b, "/api/auth/verify-otp", body.clone()).await.0, 200);
    let (status, again) = app.post(&app.browser(), "/api/auth/verify-otp", body).await;
    assert_eq!((status, again["code"].as_str()), (401, Some("OTP_INVALID")));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn router_down_is_503_and_the_code_stays_valid() {
    let app = app().await;
    let b = app.browser();
    let code = app.code_for(&b, PHONE).await;
    app.sim().set_faults(|f| f.down = true);
    app.sim().drop_connections_and_wait().await;
    let body = json!({ "phone_number": PHONE, "otp": code, "client_ip": IP });
    let (status, err) = app.post(&b, "/api/auth/verify-otp", body.clone()).await;
    assert_eq!((status, err["code"].as_str()), (503, Some("ROUTER_UNAVAILABLE")));
    app.sim().set_faults(|f| f.down = false);
    // Past the client's reconnect backoff.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (status, ok) = app.post(&b, "/api/auth/verify-otp", body).await;
    assert_eq!(status, 200, "{ok}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_decides_which_device_it_is() {
    let app = app().await;
    let b = app.browser();
    let code = app.code_for(&b, PHONE).await;
    let (status, body) = app
        .post(
            &b,
            "/api/auth/verify-otp",
            json!({ "phone_number": PHONE, "otp": code, "client_ip": IP, "client_mac": "02:DE:00:00:00:99" }),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (403, Some("DEVICE_MISMATCH")));
    let (status, body) = app
        .post(&b, "/api/auth/verify-otp", json!({ "phone_number": PHONE, "otp": code, "client_ip": "10.5.99.99" }))
        .await;
    assert_eq!((status, body["code"].as_str()), (401, Some("DEVICE_NOT_FOUND")));
    // Neither refusal used the code up; a form post with the aliases works.
    let form = [("phone_number", PHONE), ("otp", code.as_str()), ("ip", IP), ("mac", "02%3ADE%3A00%3A00%3A00%3A01")];
    let res = b.post(app.url("/api/auth/verify-otp")).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 200);
    app.stop().await;
}

async fn login(app: &TestApp, phone: &str, mac: &str, ip: &str, extra: Value) -> (u16, Value) {
    let b = app.browser();
    let code = app.code_for(&b, phone).await;
    let mut body = json!({ "phone_number": phone, "otp": code, "client_ip": ip });
    if let (Some(o), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    let _ = mac;
    app.post(&b, "/api/auth/verify-otp", body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_limit_evicts_stale_devices_first() {
    let app =
        TestApp::spawn_captive(&[("HOTSPOT_OTP_COOLDOWN_SECS", "0"), ("HOTSPOT_OTP_PER_PHONE_PER_HOUR", "50")]).await;
    let user = app.user(PHONE, "Budi", 10).await;
    for i in 1..=4 {
        app.device(&format!("02:DE:00:00:01:0{i}"), &format!("10.5.51.{i}"));
    }
    for i in 1..=3 {
        let (status, body) = login(&app, PHONE, "", &format!("10.5.51.{i}"), json!({})).await;
        assert_eq!(status, 200, "device {i}: {body}");
    }
    let (status, body) = login(&app, PHONE, "", "10.5.51.4", json!({})).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("DEVICE_LIMIT")));
    // The first device has not been seen for 60 days: it makes room.
    let uid = user.id;
    app.backend
        .db
        .run(move |c| {
            use diesel::prelude::*;
            use hotspot::db::schema::user_devices;
            diesel::update(
                user_devices::table
                    .filter(user_devices::user_id.eq(uid))
                    .filter(user_devices::mac_address.eq("02:DE:00:00:01:01")),
            )
            .set(user_devices::last_seen_at.eq(chrono::Utc::now() - chrono::Duration::days(60)))
            .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    let (status, body) = login(&app, PHONE, "", "10.5.51.4", json!({})).await;
    assert_eq!(status, 200, "{body}");
    let macs = app
        .backend
        .db
        .run(move |c| {
            use diesel::prelude::*;
            use hotspot::db::schema::user_devices;
            Ok(user_devices::table
                .filter(user_devices::user_id.eq(uid))
                .select(user_devices::mac_address)
                .order(user_devices::mac_address)
                .load::<String>(c)?)
        })
        .await
        .unwrap();
    assert_eq!(macs, vec!["02:DE:00:00:01:02", "02:DE:00:00:01:03", "02:DE:00:00:01:04"]);
    // Its router entry goes too (in the background).
    for _ in 0..50 {
        if !bindings(&app).iter().any(|b| b.0 == "02:DE:00:00:01:01") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(!bindings(&app).iter().any(|b| b.0 == "02:DE:00:00:01:01"));
    app.stop().await;
}

/// A device of another account never moves by a hint (redirect mode), confirmed or not; it moves
/// when the router witnesses the device itself logging in (router-login mode, see boundary.rs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_accounts_device_never_moves_by_a_hint() {
    let app = TestApp::spawn_captive(&[("HOTSPOT_OTP_COOLDOWN_SECS", "0")]).await;
    app.user(PHONE, "Budi Aktif", 10).await;
    app.device(MAC, IP);
    app.user("081234567009", "Sari", 5).await;
    assert_eq!(login(&app, PHONE, MAC, IP, json!({})).await.0, 200);
    let (status, body) = login(&app, "081234567009", MAC, IP, json!({})).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("DEVICE_TAKEOVER_REQUIRED")));
    let (status, body) = login(&app, "081234567009", MAC, IP, json!({ "confirm_device_takeover": true })).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("DEVICE_TAKEOVER_REQUIRED")));
    let owner = app
        .backend
        .db
        .run(|c| {
            use diesel::prelude::*;
            use hotspot::db::schema::{user_devices, users};
            Ok(user_devices::table
                .inner_join(users::table)
                .filter(user_devices::mac_address.eq(MAC))
                .select(users::phone_number)
                .first::<String>(c)?)
        })
        .await
        .unwrap();
    assert_eq!(owner, "+6281234567001");
    assert_eq!(bindings(&app).len(), 1, "still exactly one binding for the MAC");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = TestApp::spawn_captive(&[("HOTSPOT_REFRESH_GRACE_SECS", "0")]).await;
    app.user(PHONE, "Budi", 10).await;
    app.device(MAC, IP);
    let b = app.browser();
    let code = app.code_for(&b, PHONE).await;
    let res = verify(&app, &b, PHONE, &code, IP).await;
    let first = cookie_value(&set_cookies(&res), "refresh_token").unwrap();
    let client = reqwest::Client::new();
    let refresh = |token: String| {
        client
            .post(app.url("/api/auth/refresh"))
            .header("origin", "http://localhost:3000")
            .header("cookie", format!("refresh_token={token}"))
            .send()
    };
    let res = refresh(first.clone()).await.unwrap();
    assert_eq!(res.status(), 200);
    let second = cookie_value(&set_cookies(&res), "refresh_token").unwrap();
    assert_ne!(first, second);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // The old token again: reuse. The whole family dies, the newest token included.
    assert_eq!(refresh(first).await.unwrap().status(), 401);
    let res = refresh(second).await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(cookie_value(&set_cookies(&res), "refresh_token").is_some_and(|v| v.is_empty()), "cookies cleared");
    // Without a trusted Origin the cookie is not even looked at.
    let res = client
        .post(app.url("/api/auth/refresh"))
        .header("origin", "https://evil.example")
        .header("cookie", "refresh_token=x")
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "ORIGIN_INVALID");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn me_refreshes_silently_and_session_tokens_work_once() {
    let app = app().await;
    let b = app.browser();
    let code = app.code_for(&b, PHONE).await;
    let res = verify(&app, &b, PHONE, &code, IP).await;
    let refresh = cookie_value(&set_cookies(&res), "refresh_token").unwrap();
    let body: Value = res.json().await.unwrap();
    // Only the refresh cookie (the access cookie expired): /me still answers, with new cookies.
    let res = reqwest::Client::new()
        .get(app.url("/api/auth/me"))
        .header("cookie", format!("refresh_token={refresh}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookies = set_cookies(&res);
    assert!(cookie_value(&cookies, "auth_token").is_some_and(|v| !v.is_empty()));
    assert!(cookie_value(&cookies, "refresh_token").is_some_and(|v| v != refresh));

    let token = body["session_token"].as_str().unwrap();
    let other = app.browser();
    let (status, s) = app.post(&other, "/api/auth/session/consume", json!({ "token": token })).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(other.get(app.url("/api/auth/me")).send().await.unwrap().status(), 200);
    let (status, s) = app.post(&app.browser(), "/api/auth/session/consume", json!({ "token": token })).await;
    assert_eq!((status, s["code"].as_str()), (401, Some("SESSION_INVALID")));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn habis_users_get_a_regular_binding_and_hotspot_credentials() {
    let app = TestApp::spawn_captive(&[]).await;
    app.user(PHONE, "Budi", 0).await; // no quota: habis
    app.device(MAC, IP);
    let (status, body) = login(&app, PHONE, MAC, IP, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["hotspot_login_required"], true);
    assert_eq!(body["hotspot_username"], PHONE);
    let password = body["hotspot_password"].as_str().unwrap();
    assert_eq!(password.len(), 12);
    assert_eq!(bindings(&app)[0].1, "regular");
    assert_eq!(list_of(&app, IP), vec!["hs_habis"]);
    let (profile, stored) = app.sim().with_state(|s| {
        let r = &s.table("/ip/hotspot/user").unwrap().rows().next().unwrap();
        (r.attrs["profile"].clone(), r.attrs["password"].clone())
    });
    assert_eq!((profile.as_str(), stored.as_str()), ("habis", password));
    // The password is not in our database.
    let leaked = app
        .backend
        .db
        .run({
            let p = password.to_owned();
            move |c| {
                use diesel::prelude::*;
                #[derive(QueryableByName)]
                struct N {
                    #[diesel(sql_type = diesel::sql_types::BigInt)]
                    n: i64,
                }
                let q = "SELECT count(*) AS n FROM users u, user_devices d, login_history l \
                         WHERE u::text LIKE $1 OR d::text LIKE $1 OR l::text LIKE $1";
                Ok(diesel::sql_query(q).bind::<diesel::sql_types::Text, _>(format!("%{p}%")).get_result::<N>(c)?.n)
            }
        })
        .await
        .unwrap();
    assert_eq!(leaked, 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_status_auto_login_and_reset() {
    let app = app().await;
    let status_path = format!("/api/auth/hotspot-session-status?ip={IP}");
    // No session: the endpoint says nothing about anyone's device.
    assert_eq!(app.get(&status_path).await.status(), 401);
    // auto-login refuses a device nobody authorized.
    let (code, body) = app.post(&app.browser(), "/api/auth/auto-login", json!({ "client_ip": IP })).await;
    assert_eq!((code, body["code"].as_str()), (401, Some("DEVICE_NOT_FOUND")));
    let b = app.browser();
    let code = app.code_for(&b, PHONE).await;
    let res = verify(&app, &b, PHONE, &code, IP).await;
    assert_eq!(res.status(), 200);
    assert!(cookie_value(&set_cookies(&res), "device_token").is_some_and(|v| v.len() >= 40), "a proof cookie");
    let after: Value = b.get(app.url(&status_path)).send().await.unwrap().json().await.unwrap();
    assert_eq!(after, json!({ "hotspot_login_required": false, "hotspot_binding_active": true }));
    // The device's own browser (it holds the proof cookie) signs in again; another does not.
    let (code, body) = app.post(&b, "/api/auth/auto-login", json!({ "clientIp": IP })).await;
    assert_eq!(code, 200, "{body}");
    let (code, body) = app.post(&app.browser(), "/api/auth/auto-login", json!({ "clientIp": IP })).await;
    assert_eq!((code, body["code"].as_str()), (401, Some("DEVICE_PROOF_REQUIRED")));
    let (code, body) = app.post(&b, "/api/auth/reset-login", json!({})).await;
    assert_eq!((code, body["network_reset"].as_bool()), (200, Some(true)));
    assert!(bindings(&app).is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_and_admin_login() {
    let app = TestApp::spawn_captive(&[]).await;
    let b = app.browser();
    let (status, body) = app
        .post(
            &b,
            "/api/auth/register",
            json!({ "phone_number": "0812 7777 0001", "full_name": "  Dewi  Lestari ", "email": "dewi@example.id" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert!(body["user_id"].is_string());
    let first_id = body["user_id"].clone();
    // Nobody has proven the phone yet: registering it again replaces the registration.
    let (status, body) =
        app.post(&b, "/api/auth/register", json!({ "phone_number": "+6281277770001", "full_name": "Dup" })).await;
    assert_eq!((status, &body["user_id"]), (201, &first_id), "{body}");
    let uid: uuid::Uuid = serde_json::from_value(first_id).unwrap();
    app.prove_phone(uid).await;
    let (status, body) =
        app.post(&b, "/api/auth/register", json!({ "phone_number": "+6281277770001", "full_name": "Dup" })).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("PHONE_TAKEN")));
    let (status, body) =
        app.post(&b, "/api/auth/register", json!({ "phone_number": "081277770002", "full_name": "" })).await;
    assert_eq!((status, body["details"]["field"].as_str()), (422, Some("full_name")));
    // The new account waits for approval: its code signs it in to a session that shows it
    // waiting (the frontend's pending page reads that), never to the hotspot.
    let code = app.code_for(&b, "081277770001").await;
    let (status, body) = app
        .post(&b, "/api/auth/verify-otp", json!({ "phone_number": "081277770001", "otp": code, "client_ip": IP }))
        .await;
    assert_eq!((status, body["hotspot_binding_active"].as_bool()), (200, Some(false)), "{body}");
    let me: Value = b.get(app.url("/api/auth/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        (me["approval_status"].as_str(), me["access_status"].as_str()),
        (Some("PENDING_APPROVAL"), Some("inactive"))
    );

    app.user_with("081200000001", "Admin", 0, |u| {
        u.role = hotspot::domain::Role::Admin;
        u.password = Some("a-long-admin-password".into());
    })
    .await;
    let (status, body) = app
        .post(&b, "/api/auth/admin/login", json!({ "username": "081200000001", "password": "wrong-password-x" }))
        .await;
    assert_eq!((status, body["code"].as_str()), (401, Some("INVALID_CREDENTIALS")));
    let (status, body) = app
        .post(&b, "/api/auth/admin/login", json!({ "username": "081277770001", "password": "anything-at-all" }))
        .await;
    assert_eq!((status, body["code"].as_str()), (401, Some("INVALID_CREDENTIALS")), "non-admins cannot use it");
    let (status, body) = app
        .post(&b, "/api/auth/admin/login", json!({ "username": "+6281200000001", "password": "a-long-admin-password" }))
        .await;
    assert_eq!(status, 200, "{body}");
    let me: Value = b.get(app.url("/api/auth/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["role"], "ADMIN");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_endpoints() {
    let app = app().await;
    app.device("02:DE:00:00:00:02", "10.5.50.12");
    let b = app.browser();
    let code = app.code_for(&b, PHONE).await;
    assert_eq!(
        app.post(&b, "/api/auth/verify-otp", json!({ "phone_number": PHONE, "otp": code, "client_ip": IP })).await.0,
        200
    );
    let (status, body) = app
        .post(
            &b,
            "/api/users/me/devices/bind-current",
            json!({ "client_ip": "10.5.50.12", "client_mac": "02-de-00-00-00-02" }),
        )
        .await;
    assert_eq!((status, body["bound"].as_bool()), (200, Some(true)), "{body}");
    let (status, body) =
        app.post(&b, "/api/users/me/devices/bind-current?best_effort=true", json!({ "client_ip": "10.9.9.9" })).await;
    assert_eq!((status, body["bound"].as_bool(), body["success"].as_bool()), (200, Some(false), Some(false)));
    let list: Value = b.get(app.url("/api/users/me/devices")).send().await.unwrap().json().await.unwrap();
    let devices = list["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 2);
    let id = devices.iter().find(|d| d["mac_address"] == "02:DE:00:00:00:02").unwrap()["id"].as_i64().unwrap();
    let res = b
        .put(app.url(&format!("/api/users/me/devices/{id}/label")))
        .json(&json!({ "label": "Tablet" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let d: Value = res.json().await.unwrap();
    assert_eq!(d["label"], "Tablet");
    let res = b
        .put(app.url(&format!("/api/users/me/devices/{id}/label")))
        .json(&json!({ "label": "x".repeat(101) }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let res = b.delete(app.url(&format!("/api/users/me/devices/{id}"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(!bindings(&app).iter().any(|b| b.0 == "02:DE:00:00:00:02"));
    let res = b.delete(app.url(&format!("/api/users/me/devices/{id}"))).send().await.unwrap();
    assert_eq!(res.status(), 404);
    // Cookie-authenticated changes need a trusted Origin.
    let no_origin = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let res = no_origin.get(app.url("/api/users/me/devices")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_change_nothing() {
    let app = app().await;
    let b = app.browser();
    let huge = json!({ "phone_number": PHONE, "pad": "x".repeat(100_000) });
    let (status, body) = app.post(&b, "/api/auth/request-otp", huge).await;
    assert_eq!((status, body["code"].as_str()), (413, Some("PAYLOAD_TOO_LARGE")));
    let res = b
        .post(app.url("/api/auth/request-otp"))
        .header("content-type", "application/json")
        .body("{\"phone_number\":")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let (status, _) =
        app.post(&b, "/api/auth/verify-otp", json!({ "phone_number": PHONE, "otp": "12ab56", "client_ip": IP })).await;
    assert_eq!(status, 422);
    assert!(app.wa().outbox().is_empty());
    assert!(bindings(&app).is_empty());
    // And a real request still works afterwards (no cooldown was taken).
    app.code_for(&b, PHONE).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_webhooks_are_signed_and_move_forward_only() {
    let app = TestApp::spawn_captive(&[("HOTSPOT_WA_WEBHOOK_SECRET", "hook-secret")]).await;
    app.user(PHONE, "Budi", 1).await;
    let b = app.browser();
    app.code_for(&b, PHONE).await;
    let id = app.wa().outbox()[0].id.clone();
    let send = |status: &str, secret: &str| {
        let body = json!({ "messageId": id, "status": status }).to_string();
        let ts = chrono::Utc::now().timestamp();
        let sig = hotspot::crypto::sign_body(secret.as_bytes(), ts, body.as_bytes());
        reqwest::Client::new()
            .post(app.url("/api/webhooks/whatsapp/seed"))
            .header("x-hotspot-timestamp", ts.to_string())
            .header("x-hotspot-signature", sig)
            .body(body)
            .send()
    };
    assert_eq!(send("delivered", "wrong").await.unwrap().status(), 401);
    let v: Value = send("read", "hook-secret").await.unwrap().json().await.unwrap();
    assert_eq!(v["updated"], true);
    let v: Value = send("delivered", "hook-secret").await.unwrap().json().await.unwrap();
    assert_eq!(v["updated"], false, "read is not undone by a late delivered");
    let status = app
        .backend
        .db
        .run(|c| {
            use diesel::prelude::*;
            use hotspot::db::schema::message_log;
            Ok(message_log::table.select(message_log::status).first::<String>(c)?)
        })
        .await
        .unwrap();
    assert_eq!(status, "read");
    app.stop().await;
}

/// A restarted gateway numbers its messages from the start again. The code still goes out and
/// request-otp answers 200 (it was a 500 on the old unique index, after the code was sent), and a
/// delivery report moves the newest message with that id, not the old one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_repeating_message_ids_is_not_an_error() {
    let app = TestApp::spawn_captive(&[("HOTSPOT_WA_WEBHOOK_SECRET", "hook-secret")]).await;
    app.user(PHONE, "Budi", 1).await;
    // What the gateway's previous life left: a read message with the id it hands out next.
    app.backend
        .db
        .run(|c| {
            use diesel::prelude::*;
            diesel::sql_query(
                "INSERT INTO message_log (to_msisdn, template, provider, provider_message_id, status) \
                 VALUES ('+6281234567001', 'otp', 'seed', 'sim-1', 'read')",
            )
            .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    let b = app.browser();
    let (status, body) = app.post(&b, "/api/auth/request-otp", json!({ "phone_number": PHONE })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.wa().outbox()[0].id, "sim-1");
    let body = json!({ "messageId": "sim-1", "status": "delivered" }).to_string();
    let ts = chrono::Utc::now().timestamp();
    let sig = hotspot::crypto::sign_body(b"hook-secret", ts, body.as_bytes());
    let res = reqwest::Client::new()
        .post(app.url("/api/webhooks/whatsapp/seed"))
        .header("x-hotspot-timestamp", ts.to_string())
        .header("x-hotspot-signature", sig)
        .body(body)
        .send()
        .await
        .unwrap();
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["updated"], true);
    let rows: Vec<String> = app
        .backend
        .db
        .run(|c| {
            use diesel::prelude::*;
            use hotspot::db::schema::message_log;
            Ok(message_log::table.order(message_log::id.asc()).select(message_log::status).load::<String>(c)?)
        })
        .await
        .unwrap();
    assert_eq!(rows, vec!["read", "delivered"]);
    app.stop().await;
}

/// Redis behind a relay: dropped connections and an outage are 503s while they last, and the
/// shared connection finds its way back by itself (no pool to drain, no restart).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_dropping_connections_and_coming_back() {
    let target = crate::common::redis_url()
        .trim_start_matches("redis://")
        .split('/')
        .next()
        .and_then(|a| a.parse().ok())
        .expect("HOTSPOT_TEST_REDIS_URL is redis://ip:port/…");
    let relay = crate::common::Relay::start(target).await;
    let url = format!("redis://{}/0", relay.addr);
    let app = TestApp::spawn_captive(&[
        ("REDIS_URL", &url),
        ("HOTSPOT_REDIS_TIMEOUT_MS", "500"),
        ("HOTSPOT_OTP_COOLDOWN_SECS", "0"),
    ])
    .await;
    app.user(PHONE, "Budi Aktif", 10).await;
    app.device(MAC, IP);
    let b = app.browser();
    let code = app.code_for(&b, PHONE).await;
    let res = verify(&app, &b, PHONE, &code, IP).await;
    assert_eq!(res.status(), 200);
    let token = res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    let plain = reqwest::Client::new();
    let me = || async { plain.get(app.url("/api/auth/me")).bearer_auth(&token).send().await.unwrap() };
    // Within a few requests of `since`: a dropped connection costs at most the command that found it.
    let recovers = |what: &'static str| async move {
        for _ in 0..20 {
            if me().await.status() == 200 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("/me did not recover after {what}");
    };
    assert_eq!(me().await.status(), 200);

    relay.sever(true).await;
    recovers("the connection was dropped").await;

    relay.sever(false).await;
    for _ in 0..3 {
        let res = me().await;
        assert_eq!(res.status(), 503);
        assert_eq!(res.json::<Value>().await.unwrap()["code"], "REDIS_UNAVAILABLE");
    }
    relay.set_up();
    recovers("Redis came back").await;
    // The whole flow works again: a fresh code, verified.
    let code = app.code_for(&b, PHONE).await;
    assert_eq!(verify(&app, &b, PHONE, &code, IP).await.status(), 200);
    app.stop().await;
}

/// What one login writes, in its single statement: the device, a history row, a refresh token in
/// a new family and the user's last login; a second login reuses the device row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_records_device_history_token_and_last_login() {
    use diesel::prelude::*;
    use hotspot::db::schema::{login_history, refresh_tokens, user_devices, users};

    let app = TestApp::spawn_captive(&[("HOTSPOT_OTP_COOLDOWN_SECS", "0")]).await;
    let user = app.user(PHONE, "Budi Aktif", 10).await;
    app.device(MAC, IP);
    let b = app.browser();
    for _ in 0..2 {
        let code = app.code_for(&b, PHONE).await;
        let res = b
            .post(app.url("/api/auth/verify-otp"))
            .header("user-agent", "Kampus-Phone/1.0")
            .json(&json!({ "phone_number": PHONE, "otp": code, "client_ip": IP }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let uid = user.id;
    type Device = (i64, uuid::Uuid, Option<String>, bool);
    type History = (Option<i64>, String, Option<String>, Option<String>, Option<String>);
    type Token = (uuid::Uuid, chrono::DateTime<chrono::Utc>, Option<String>, Option<String>);
    let (devices, history, tokens, last_login): (
        Vec<Device>,
        Vec<History>,
        Vec<Token>,
        Option<chrono::DateTime<chrono::Utc>>,
    ) = app
        .backend
        .db
        .run(move |c| {
            let devices = user_devices::table
                .filter(user_devices::mac_address.eq(MAC))
                .select((
                    user_devices::id,
                    user_devices::user_id,
                    user_devices::ip_address,
                    user_devices::is_authorized,
                ))
                .load(c)?;
            let history = login_history::table
                .filter(login_history::user_id.eq(uid))
                .select((
                    login_history::device_id,
                    login_history::method,
                    login_history::ip_address,
                    login_history::mac_address,
                    login_history::user_agent,
                ))
                .load(c)?;
            let tokens = refresh_tokens::table
                .filter(refresh_tokens::user_id.eq(uid))
                .select((
                    refresh_tokens::family_id,
                    refresh_tokens::expires_at,
                    refresh_tokens::ip_address,
                    refresh_tokens::user_agent,
                ))
                .load(c)?;
            let last = users::table.find(uid).select(users::last_login_at).first(c)?;
            Ok((devices, history, tokens, last))
        })
        .await
        .unwrap();
    assert_eq!(devices.len(), 1);
    let (device_id, owner, ip, authorized) = devices[0].clone();
    assert_eq!((owner, ip.as_deref(), authorized), (uid, Some(IP), true));
    assert_eq!(history.len(), 2);
    for h in &history {
        assert_eq!(
            (h.0, h.1.as_str(), h.2.as_deref(), h.3.as_deref(), h.4.as_deref()),
            (Some(device_id), "otp", Some(IP), Some(MAC), Some("Kampus-Phone/1.0"))
        );
    }
    assert_eq!(tokens.len(), 2);
    assert_ne!(tokens[0].0, tokens[1].0, "each login starts its own refresh family");
    for t in &tokens {
        assert!(t.1 > chrono::Utc::now() + chrono::Duration::days(1), "expires {}", t.1);
        assert_eq!((t.2.as_deref(), t.3.as_deref()), (Some(IP), Some("Kampus-Phone/1.0")));
    }
    assert!(last_login.is_some_and(|t| (chrono::Utc::now() - t).num_seconds() < 60));
    app.stop().await;
}

#[derive(diesel::QueryableByName)]
struct Setting {
    #[diesel(sql_type = diesel::sql_types::Text)]
    synchronous_commit: String,
}

/// A sign-in's record commits without waiting for the disk, for its own transaction only: the
/// pooled connection it ran on is back to durable commits for whatever runs on it next (a
/// purchase, a grant).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_relaxes_durability_for_itself_only() {
    use diesel::RunQueryDsl;
    let app = app().await;
    let u = app.user("081234567919", "Sari", 10).await;
    let (uid, mac, ip) = (
        u.id,
        hotspot::domain::MacAddress::parse("02:AA:00:00:00:01").unwrap(),
        hotspot::domain::ClientIp::parse("10.5.50.11").unwrap(),
    );
    let after = app
        .backend
        .db
        .run(move |c| {
            let before: Setting =
                diesel::sql_query("SELECT current_setting('synchronous_commit') AS synchronous_commit")
                    .get_result(c)?;
            assert_eq!(before.synchronous_commit, "on");
            hotspot::captive::register_device(c, uid, &mac, &ip, vec![])?;
            Ok(diesel::sql_query("SELECT current_setting('synchronous_commit') AS synchronous_commit")
                .get_result::<Setting>(c)?)
        })
        .await
        .unwrap();
    assert_eq!(after.synchronous_commit, "on", "the connection's next transaction commits durably");
}

/// Issue 30, item 14: a gateway that takes the message and answers too late. The send is not
/// tried again (it may have gone out: it had), the code is not withdrawn, the request answers
/// 200, and the one code delivered signs in. The log row says the answer never came.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_gateway_sends_a_code_once_and_it_stays_valid() {
    let app = app().await;
    let b = app.browser();
    app.wa().set_delay(std::time::Duration::from_millis(1_500));
    app.wa().set_mode(Mode::Slow);
    let (status, body) = app.post(&b, "/api/auth/request-otp", json!({ "phone_number": PHONE })).await;
    assert_eq!(status, 200, "{body}");
    tokio::time::sleep(std::time::Duration::from_millis(3_000)).await;
    assert_eq!(app.wa().outbox().len(), 1, "sent once, not once per retry");
    let code = app.wa().last_code(PHONE).expect("the code went out");
    app.wa().set_mode(Mode::Ok);
    let (status, body) =
        app.post(&b, "/api/auth/verify-otp", json!({ "phone_number": PHONE, "otp": code, "client_ip": IP })).await;
    assert_eq!(status, 200, "the delivered code works: {body}");
    let rows =
        app.backend
            .db
            .run(|c| {
                use diesel::prelude::*;
                use hotspot::db::schema::message_log;
                Ok(message_log::table
                    .select((message_log::status, message_log::attempts, message_log::error))
                    .load::<(String, i32, Option<String>)>(c)?)
            })
            .await
            .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!((rows[0].0.as_str(), rows[0].1), ("sent", 1), "{rows:?}");
    assert!(rows[0].2.as_deref().is_some_and(|e| e.contains("did not answer")), "{rows:?}");
    app.stop().await;
}

/// Issue 30, item 14: the gateway took the code, then reported it undeliverable; the phone may
/// ask for a new one at once instead of waiting out the cooldown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undeliverable_code_can_be_asked_for_again_at_once() {
    let app = app().await;
    let b = app.browser();
    app.wa().set_mode(Mode::Undeliverable);
    let (status, body) = app.post(&b, "/api/auth/request-otp", json!({ "phone_number": PHONE })).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app.post(&b, "/api/auth/request-otp", json!({ "phone_number": PHONE })).await;
    assert_eq!((status, body["code"].as_str()), (429, Some("RATE_LIMITED")), "no report yet: the cooldown holds");
    let mid = app
        .backend
        .db
        .run(|c| {
            use diesel::prelude::*;
            use hotspot::db::schema::message_log;
            Ok(message_log::table.select(message_log::provider_message_id).first::<Option<String>>(c)?)
        })
        .await
        .unwrap()
        .expect("a message id");
    let moved = app.backend.notify().receipt("seed", mid, hotspot::domain::MessageStatus::Failed).await.unwrap();
    assert!(moved);
    app.wa().set_mode(Mode::Ok);
    let code = app.code_for(&b, PHONE).await;
    let (status, _) =
        app.post(&b, "/api/auth/verify-otp", json!({ "phone_number": PHONE, "otp": code, "client_ip": IP })).await;
    assert_eq!(status, 200);
    app.stop().await;
}
