//! The captive door on the open internet: each defect of the trust-boundary issue as a test.
//! The test client talks from 127.0.0.1 (the hotspot's egress in the test settings) or from
//! 127.0.0.2 (the internet); the simulated phones sit in 10.5.0.0/16.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::common::TestApp;

const PHONE: &str = "081234567001";
const MAC: &str = "02:DE:00:00:00:01";
const IP: &str = "10.5.50.11";
const OTHER_PHONE: &str = "081234567009";

fn set_cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok().map(str::to_owned)).collect()
}

fn cookie_value(cookies: &[String], name: &str) -> Option<String> {
    cookies
        .iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")).map(|rest| rest.split(';').next().unwrap_or("").to_owned()))
}

/// A session cookie with a value (not a clearing one).
fn has_session(res: &reqwest::Response) -> bool {
    cookie_value(&set_cookies(res), "auth_token").is_some_and(|v| !v.is_empty())
}

fn binding_owner(app: &TestApp, mac: &str) -> Option<String> {
    app.sim().with_state(|s| {
        s.table("/ip/hotspot/ip-binding")
            .unwrap()
            .rows()
            .find(|r| r.attrs["mac-address"] == mac)
            .map(|r| r.attrs.get("comment").cloned().unwrap_or_default())
    })
}

async fn device_owner(app: &TestApp, mac: &'static str) -> Option<String> {
    app.backend
        .db
        .run(move |c| {
            use diesel::prelude::*;
            use hotspot::db::schema::{user_devices, users};
            Ok(user_devices::table
                .inner_join(users::table)
                .filter(user_devices::mac_address.eq(mac))
                .select(users::phone_number)
                .first::<String>(c)
                .optional()?)
        })
        .await
        .unwrap()
}

/// request-otp and verify-otp from `client` with `body` extras; the raw verify response.
async fn sign_in(app: &TestApp, client: &reqwest::Client, phone: &str, extra: Value) -> reqwest::Response {
    let code = app.code_for(client, phone).await;
    let mut body = json!({ "phone_number": phone, "otp": code });
    if let (Some(o), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    client.post(app.url("/api/auth/verify-otp")).json(&body).send().await.unwrap()
}

/// Defect 1: from outside the hotspot, naming online phones' addresses harvests nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_takeover_loop_from_the_internet_gets_no_session() {
    let app = TestApp::spawn_captive(&[]).await;
    app.user(PHONE, "Budi", 10).await;
    app.device(MAC, IP);
    let victim = app.browser();
    assert_eq!(sign_in(&app, &victim, PHONE, json!({ "client_ip": IP })).await.status(), 200);
    let attacker = app.internet();
    for host in 1..=30 {
        let res = attacker
            .post(app.url("/api/auth/auto-login"))
            .json(&json!({ "client_ip": format!("10.5.50.{host}") }))
            .send()
            .await
            .unwrap();
        assert!(!has_session(&res), "10.5.50.{host}: a session from the internet");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["code"], "OUTSIDE_HOTSPOT", "10.5.50.{host}");
    }
    // Nor does the status endpoint tell the attacker which addresses are bypassed.
    let res = attacker.get(app.url(&format!("/api/auth/hotspot-session-status?client_ip={IP}"))).send().await.unwrap();
    assert_eq!(res.status(), 401);
    app.stop().await;
}

/// Defect 2: another user on the same hotspot naming the victim's IP moves nothing and gets
/// no session for it: verify-otp, its takeover flag, bind-current and auto-login.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_neighbour_naming_the_victims_ip_binds_nothing() {
    let app = TestApp::spawn_captive(&[("HOTSPOT_OTP_COOLDOWN_SECS", "0")]).await;
    app.user(PHONE, "Budi", 10).await;
    app.user(OTHER_PHONE, "Tetangga", 10).await;
    app.device(MAC, IP);
    let victim = app.browser();
    assert_eq!(sign_in(&app, &victim, PHONE, json!({ "client_ip": IP })).await.status(), 200);
    let victim_label = binding_owner(&app, MAC).unwrap();

    let attacker = app.browser();
    for extra in [json!({ "client_ip": IP }), json!({ "client_ip": IP, "confirm_device_takeover": true })] {
        let res = sign_in(&app, &attacker, OTHER_PHONE, extra).await;
        assert!(!has_session(&res));
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["code"], "DEVICE_TAKEOVER_REQUIRED", "{body}");
    }
    // Signed in from elsewhere, bind-current from the hotspot naming the victim's IP.
    let res = sign_in(&app, &attacker, OTHER_PHONE, json!({})).await;
    assert_eq!(res.status(), 200);
    for best_effort in ["false", "true"] {
        let (status, body) = app
            .post(
                &attacker,
                &format!("/api/users/me/devices/bind-current?best_effort={best_effort}"),
                json!({ "client_ip": IP, "confirm_device_takeover": true }),
            )
            .await;
        assert!(body["bound"] != true, "{status} {body}");
    }
    // auto-login needs the device's own proof cookie, which only the victim's browser holds.
    let res =
        app.browser().post(app.url("/api/auth/auto-login")).json(&json!({ "client_ip": IP })).send().await.unwrap();
    assert!(!has_session(&res));
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "DEVICE_PROOF_REQUIRED");

    assert_eq!(device_owner(&app, MAC).await.as_deref(), Some("+6281234567001"));
    assert_eq!(binding_owner(&app, MAC).as_deref(), Some(victim_label.as_str()));
    app.stop().await;
}

/// router-login: verify-otp on the hotspot hands out one-time hotspot credentials and binds
/// nothing; the phone logs in to the router with them; the router's witness binds that phone's
/// MAC, the one-time user goes, and the session's next call carries the device's proof cookie.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn router_login_binds_the_device_the_router_saw() {
    let app = TestApp::spawn_captive(&[("HOTSPOT_BINDING_MODE", "router-login")]).await;
    app.user(PHONE, "Budi", 10).await;
    app.device(MAC, IP);
    let b = app.browser();
    let res = sign_in(&app, &b, PHONE, json!({ "client_ip": IP, "hotspot_login_context": true })).await;
    assert_eq!(res.status(), 200);
    assert!(has_session(&res));
    assert!(cookie_value(&set_cookies(&res), "device_token").is_none(), "nothing is bound yet");
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (body["hotspot_login_required"].as_bool(), body["hotspot_binding_active"].as_bool()),
        (Some(true), Some(false))
    );
    let user = body["hotspot_username"].as_str().unwrap().to_owned();
    let password = body["hotspot_password"].as_str().unwrap().to_owned();
    assert!(user.starts_with("w-"), "{user}");
    assert!(binding_owner(&app, MAC).is_none());

    // A wrong password is refused by the router; the right one from the phone logs it in.
    let mac = hotspot::domain::MacAddress::parse(MAC).unwrap();
    assert!(app.sim().with_state(|s| s.host_login(&mac, &user, "wrong")).is_err());
    app.sim().with_state(|s| s.host_login(&mac, &user, &password)).unwrap();

    // The captive page's next /me learns it (the watcher may have been first: either way once).
    let res = b.get(app.url("/api/auth/me")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let cookies = set_cookies(&res);
    let proof = cookie_value(&cookies, "device_token").expect("the device's proof cookie");
    assert!(proof.len() >= 40);
    assert!(binding_owner(&app, MAC).is_some_and(|c| c.starts_with("hotspot:u:")));
    let users = app.sim().with_state(|s| {
        s.table("/ip/hotspot/user").unwrap().rows().map(|r| r.attrs["name"].clone()).collect::<Vec<_>>()
    });
    assert!(!users.contains(&user), "the one-time user is gone: {users:?}");
    assert_eq!(device_owner(&app, MAC).await.as_deref(), Some("+6281234567001"));

    // The new access token names the device: logout deauthorizes exactly it.
    let (status, _) = app.post(&b, "/api/auth/auto-login", json!({ "client_ip": IP })).await;
    assert_eq!(status, 200, "the device's cookie signs it in again");
    let (status, _) = app.post(&b, "/api/auth/logout", json!({})).await;
    assert_eq!(status, 200);
    assert!(binding_owner(&app, MAC).is_none());
    app.stop().await;
}

/// router-login: the watcher binds the device without any further call from the page, and a
/// device moves to another account when the router sees it log in with that account's
/// credentials (the device changed hands), never on a hint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn router_login_watcher_and_a_witnessed_takeover() {
    let app =
        TestApp::spawn_captive(&[("HOTSPOT_BINDING_MODE", "router-login"), ("HOTSPOT_OTP_COOLDOWN_SECS", "0")]).await;
    app.user(PHONE, "Budi", 10).await;
    app.user(OTHER_PHONE, "Sari", 10).await;
    app.device(MAC, IP);
    let mac = hotspot::domain::MacAddress::parse(MAC).unwrap();
    let mut owners = Vec::new();
    for phone in [PHONE, OTHER_PHONE] {
        let b = app.browser();
        let body: Value = sign_in(&app, &b, phone, json!({ "client_ip": IP })).await.json().await.unwrap();
        let (user, password) = (body["hotspot_username"].as_str().unwrap(), body["hotspot_password"].as_str().unwrap());
        app.sim().with_state(|s| s.host_login(&mac, user, password)).unwrap();
        let started = Instant::now();
        while device_owner(&app, MAC).await != Some(format!("+62{}", &phone[1..])) {
            assert!(started.elapsed() < Duration::from_secs(8), "the watcher did not bind the device for {phone}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        owners.push(binding_owner(&app, MAC).unwrap());
        // The watcher records the device first and ends the one-time login right after: the
        // test waits for that last step rather than racing it.
        let ended = Instant::now();
        while app.sim().with_state(|s| s.table("/ip/hotspot/active").unwrap().len()) != 0 {
            assert!(ended.elapsed() < Duration::from_secs(5), "the one-time login of {phone} was not ended");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert_ne!(owners[0], owners[1], "the router's binding follows the device to its new account");
    app.stop().await;
}

/// Defect 3: 50 concurrent wrong guesses evaluate at most 5; the right code is then refused,
/// and a new code buys no new guesses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_wrong_guesses_evaluate_at_most_five() {
    let app = TestApp::spawn_captive(&[("HOTSPOT_OTP_COOLDOWN_SECS", "0")]).await;
    app.user(PHONE, "Budi", 10).await;
    let b = app.browser();
    let code = app.code_for(&b, PHONE).await;
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let guesses = (0..50).map(|_| {
        let (b, url) = (b.clone(), app.url("/api/auth/verify-otp"));
        async move {
            let res = b.post(url).json(&json!({ "phone_number": PHONE, "otp": wrong })).send().await.unwrap();
            res.json::<Value>().await.unwrap()["code"].as_str().unwrap_or_default().to_owned()
        }
    });
    let answers = futures_util::future::join_all(guesses).await;
    let invalid = answers.iter().filter(|c| *c == "OTP_INVALID").count();
    let locked = answers.iter().filter(|c| *c == "OTP_LOCKED").count();
    assert!(invalid <= 5, "{invalid} wrong guesses were evaluated");
    assert_eq!(invalid + locked, 50, "{answers:?}");
    let (status, body) = app.post(&b, "/api/auth/verify-otp", json!({ "phone_number": PHONE, "otp": code })).await;
    assert_eq!((status, body["code"].as_str()), (429, Some("OTP_LOCKED")));
    let fresh = app.code_for(&b, PHONE).await;
    let (status, body) = app.post(&b, "/api/auth/verify-otp", json!({ "phone_number": PHONE, "otp": fresh })).await;
    assert_eq!((status, body["code"].as_str()), (429, Some("OTP_LOCKED")), "a new code buys no new guesses");
    app.stop().await;
}

/// Defect 4: a venue of 300 phones behind the hotspot's one public address each get a code;
/// from the internet the per-address limit still holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_venue_behind_one_egress_address_is_not_one_client() {
    let app = TestApp::spawn_captive(&[("HOTSPOT_OTP_PER_IP_PER_HOUR", "30")]).await;
    let phones: Vec<String> = (0..300).map(|i| format!("0812555{i:05}")).collect();
    for p in &phones {
        app.user(p, "Tamu", 1).await;
    }
    let venue = app.browser();
    let sends = phones.iter().map(|p| {
        let (b, url, p) = (venue.clone(), app.url("/api/auth/request-otp"), p.clone());
        async move { b.post(url).json(&json!({ "phone_number": p })).send().await.unwrap().status().as_u16() }
    });
    let statuses: Vec<u16> = futures_util::stream::iter(sends).buffer_unordered(16).collect().await;
    assert!(statuses.iter().all(|s| *s == 200), "{:?}", statuses.iter().filter(|s| **s != 200).collect::<Vec<_>>());
    assert_eq!(app.wa().outbox().len(), 300);
    let outside = app.internet();
    let mut refused = 0;
    for p in phones.iter().take(31) {
        if outside
            .post(app.url("/api/auth/request-otp"))
            .json(&json!({ "phone_number": p }))
            .send()
            .await
            .unwrap()
            .status()
            == 429
        {
            refused += 1;
        }
    }
    assert!(refused >= 1, "the internet's per-address limit still applies");
    app.stop().await;
}

/// Defect 5: logout on one device (after a refresh) leaves the user's other device bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_after_a_refresh_deauthorizes_only_its_device() {
    let app = TestApp::spawn_captive(&[("HOTSPOT_OTP_COOLDOWN_SECS", "0")]).await;
    app.user(PHONE, "Budi", 10).await;
    app.device(MAC, IP);
    app.device("02:DE:00:00:00:22", "10.5.50.22");
    let phone = app.browser();
    let tablet = app.browser();
    assert_eq!(sign_in(&app, &phone, PHONE, json!({ "client_ip": IP })).await.status(), 200);
    assert_eq!(sign_in(&app, &tablet, PHONE, json!({ "client_ip": "10.5.50.22" })).await.status(), 200);
    // The phone's access token is refreshed: the new one must still name its device.
    let res = phone.post(app.url("/api/auth/refresh")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let (status, _) = app.post(&phone, "/api/auth/logout", json!({})).await;
    assert_eq!(status, 200);
    assert!(binding_owner(&app, MAC).is_none(), "the phone is deauthorized");
    assert!(binding_owner(&app, "02:DE:00:00:00:22").is_some(), "the tablet stays bound");
    app.stop().await;
}

/// Defect 6: logout of all sessions and a replayed refresh token end other access tokens at
/// once, not when they expire.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_ends_other_access_tokens_at_once() {
    let app = TestApp::spawn_captive(&[("HOTSPOT_OTP_COOLDOWN_SECS", "0"), ("HOTSPOT_REFRESH_GRACE_SECS", "0")]).await;
    app.user(PHONE, "Budi", 10).await;
    let plain = reqwest::Client::new();
    let bearer = |res: Value| res["access_token"].as_str().unwrap().to_owned();
    let a = app.internet();
    let b = app.internet();
    let token_a = bearer(sign_in(&app, &a, PHONE, json!({})).await.json().await.unwrap());
    let token_b = bearer(sign_in(&app, &b, PHONE, json!({})).await.json().await.unwrap());
    let me = |t: &str| plain.get(app.url("/api/auth/me")).bearer_auth(t).send();
    assert_eq!(me(&token_b).await.unwrap().status(), 200);
    let (status, _) = app.post(&a, "/api/auth/logout?all=true", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(me(&token_a).await.unwrap().status(), 401);
    assert_eq!(me(&token_b).await.unwrap().status(), 401, "the other session's token ends with logout of all");

    // A replayed refresh token revokes its family: the family's live access token ends too.
    let c = app.internet();
    let res = sign_in(&app, &c, PHONE, json!({})).await;
    let first_refresh = cookie_value(&set_cookies(&res), "refresh_token").unwrap();
    let res = c.post(app.url("/api/auth/refresh")).send().await.unwrap();
    let token_c: Value = res.json().await.unwrap();
    let token_c = bearer(token_c);
    assert_eq!(me(&token_c).await.unwrap().status(), 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let replay = plain
        .post(app.url("/api/auth/refresh"))
        .header("origin", "http://localhost:3000")
        .header("cookie", format!("refresh_token={first_refresh}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 401);
    assert_eq!(me(&token_c).await.unwrap().status(), 401, "the family's access token ended with it");
    app.stop().await;
}

/// Defect 7: verify-otp answers an unknown phone as it answers a wrong code; a registration
/// nobody proved blocks nobody, and proving it answers the pending status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_enumeration_and_no_squatting() {
    let app = TestApp::spawn_captive(&[("HOTSPOT_OTP_COOLDOWN_SECS", "0")]).await;
    app.user(PHONE, "Budi", 10).await;
    let b = app.browser();
    let unknown =
        app.post(&b, "/api/auth/verify-otp", json!({ "phone_number": "081299990000", "otp": "123456" })).await;
    let known = app.post(&b, "/api/auth/verify-otp", json!({ "phone_number": PHONE, "otp": "123456" })).await;
    assert_eq!((unknown.0, unknown.1["code"].clone()), (401, json!("OTP_INVALID")));
    assert_eq!((known.0, known.1["code"].clone()), (401, json!("OTP_INVALID")));

    // A squatter registers the victim's number; the victim registers it anyway.
    let squat =
        app.post(&b, "/api/auth/register", json!({ "phone_number": "081277770001", "full_name": "Squatter" })).await;
    assert_eq!(squat.0, 201);
    let (status, body) =
        app.post(&b, "/api/auth/register", json!({ "phone_number": "081277770001", "full_name": "Dewi" })).await;
    assert_eq!(status, 201, "{body}");
    // The code proves the phone: the registration now waits for the operator, signed in to a
    // session that shows it waiting.
    let code = app.code_for(&b, "081277770001").await;
    let (status, body) =
        app.post(&b, "/api/auth/verify-otp", json!({ "phone_number": "081277770001", "otp": code })).await;
    assert_eq!((status, body["hotspot_binding_active"].as_bool()), (200, Some(false)), "{body}");
    let me: Value = b.get(app.url("/api/auth/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["approval_status"], "PENDING_APPROVAL");
    let (status, body) =
        app.post(&b, "/api/auth/register", json!({ "phone_number": "081277770001", "full_name": "Squatter" })).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("PHONE_TAKEN")), "a proven phone is taken");
    let name = app
        .backend
        .db
        .run(|c| {
            use diesel::prelude::*;
            use hotspot::db::schema::users;
            Ok(users::table
                .filter(users::phone_number.eq("+6281277770001"))
                .select(users::full_name)
                .first::<String>(c)?)
        })
        .await
        .unwrap();
    assert_eq!(name, "Dewi");
    app.stop().await;
}

/// Defect 7: admin login counts failures only, per (address, phone): someone else's failures
/// do not lock the admin out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_login_failures_lock_only_their_sender() {
    let app = TestApp::spawn_captive(&[]).await;
    app.user_with("081200000001", "Admin", 0, |u| {
        u.role = hotspot::domain::Role::Admin;
        u.password = Some("a-long-admin-password".into());
    })
    .await;
    let attacker = app.internet();
    let mut last = 0;
    for _ in 0..11 {
        last = attacker
            .post(app.url("/api/auth/admin/login"))
            .json(&json!({ "username": "081200000001", "password": "guess-guess-guess" }))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
    }
    assert_eq!(last, 429);
    let (status, body) = app
        .post(
            &app.browser(),
            "/api/auth/admin/login",
            json!({ "username": "081200000001", "password": "a-long-admin-password" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // Successful logins count nothing.
    for _ in 0..12 {
        let (status, _) = app
            .post(
                &app.browser(),
                "/api/auth/admin/login",
                json!({ "username": "081200000001", "password": "a-long-admin-password" }),
            )
            .await;
        assert_eq!(status, 200);
    }
    app.stop().await;
}

/// Admin routes read the role from the database: a demoted admin's token stops working at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_routes_reread_the_role() {
    let app = TestApp::spawn_captive(&[]).await;
    let admin = app
        .user_with("081200000001", "Admin", 0, |u| {
            u.role = hotspot::domain::Role::Admin;
            u.password = Some("a-long-admin-password".into());
        })
        .await;
    let (_, body) = app
        .post(
            &app.client,
            "/api/auth/admin/login",
            json!({ "username": "081200000001", "password": "a-long-admin-password" }),
        )
        .await;
    let token = body["access_token"].as_str().unwrap().to_owned();
    let status = || app.client.get(app.url("/api/admin/sync/status")).bearer_auth(&token).send();
    assert_eq!(status().await.unwrap().status(), 200);
    let id = admin.id;
    app.backend
        .db
        .run(move |c| {
            use diesel::prelude::*;
            use hotspot::db::schema::users;
            diesel::update(users::table.find(id))
                .set((users::role.eq("USER"), users::password_hash.eq(None::<String>)))
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(status().await.unwrap().status(), 403);
    app.stop().await;
}

/// Defect 8: a stalled router is an answer within the request's deadline, and the code was
/// not consumed on the way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_router_answers_within_the_deadline_and_the_code_stays_valid() {
    let app = TestApp::spawn_captive(&[
        ("HOTSPOT_REQUEST_DEADLINE_MS", "1500"),
        ("HOTSPOT_ROUTER_COMMAND_TIMEOUT_MS", "10000"),
    ])
    .await;
    app.user(PHONE, "Budi", 10).await;
    app.device(MAC, IP);
    let b = app.browser();
    let code = app.code_for(&b, PHONE).await;
    app.sim().set_faults(|f| f.stall = Some("/ip/hotspot/host/print".into()));
    let started = Instant::now();
    let (status, body) =
        app.post(&b, "/api/auth/verify-otp", json!({ "phone_number": PHONE, "otp": code, "client_ip": IP })).await;
    assert!(started.elapsed() < Duration::from_secs(3), "answered after {:?}", started.elapsed());
    assert_eq!((status, body["code"].as_str()), (503, Some("DEADLINE_EXCEEDED")));
    app.sim().set_faults(|f| f.stall = None);
    let (status, body) =
        app.post(&b, "/api/auth/verify-otp", json!({ "phone_number": PHONE, "otp": code, "client_ip": IP })).await;
    assert_eq!(status, 200, "{body}");
    app.stop().await;
}

/// Defect 11: a page of another site cannot post to the API (CSRF), nor can text/plain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_origins_and_text_plain_are_refused() {
    let app = TestApp::spawn_captive(&[]).await;
    app.user(PHONE, "Budi", 10).await;
    let res = app
        .client
        .post(app.url("/api/auth/request-otp"))
        .header("origin", "https://evil.example")
        .json(&json!({ "phone_number": PHONE }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "ORIGIN_INVALID");
    let res = app
        .client
        .post(app.url("/api/auth/request-otp"))
        .header("content-type", "text/plain")
        .body(format!("{{\"phone_number\":\"{PHONE}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    assert!(app.wa().outbox().is_empty(), "no code went out");
    app.stop().await;
}

/// Defect 11: a webhook whose signed timestamp is old is refused (a captured request does not
/// replay for ever).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_signatures_carry_a_recent_timestamp() {
    let app = TestApp::spawn_captive(&[("HOTSPOT_WA_WEBHOOK_SECRET", "hook-secret")]).await;
    let body = json!({ "messageId": "sim-1", "status": "delivered" }).to_string();
    for (age, want) in [(600, 401), (0, 200)] {
        let ts = chrono::Utc::now().timestamp() - age;
        let sig = hotspot::crypto::sign_body(b"hook-secret", ts, body.as_bytes());
        let res = app
            .client
            .post(app.url("/api/webhooks/whatsapp/seed"))
            .header("x-hotspot-timestamp", ts.to_string())
            .header("x-hotspot-signature", sig)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), want, "{age} s old");
    }
    app.stop().await;
}

/// A registration nobody proved is deleted after a day by the worker's housekeeping; a fresh
/// one and a proven one stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unproven_registrations_expire_after_a_day() {
    let app = TestApp::spawn_captive(&[]).await;
    let b = app.browser();
    for phone in ["081277770001", "081277770002", "081277770003"] {
        let (status, _) =
            app.post(&b, "/api/auth/register", json!({ "phone_number": phone, "full_name": "Tamu" })).await;
        assert_eq!(status, 201);
    }
    app.backend
        .db
        .run(|c| {
            use diesel::prelude::*;
            diesel::sql_query(
                "UPDATE users SET created_at = now() - interval '25 hours' \
                 WHERE phone_number IN ('+6281277770001', '+6281277770002')",
            )
            .execute(c)?;
            diesel::sql_query("UPDATE users SET phone_verified_at = now() WHERE phone_number = '+6281277770002'")
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    let n = app.backend.db.run(hotspot::accounts::create::delete_unproven).await.unwrap();
    assert_eq!(n, 1);
    let left = app
        .backend
        .db
        .run(|c| {
            use diesel::prelude::*;
            use hotspot::db::schema::users;
            Ok(users::table.order(users::phone_number).select(users::phone_number).load::<String>(c)?)
        })
        .await
        .unwrap();
    assert_eq!(left, vec!["+6281277770002", "+6281277770003"]);
    app.stop().await;
}
