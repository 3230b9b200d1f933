//! Where a sign-in happens (issue 33, item 2): the site is decided by the address the request
//! arrives from (a token only chooses among the sites that address allows), never by a client
//! range the sites share; one account signs in at every site, each device bound at its own site;
//! a device that moves is bound where it is and, by the next cycle, unbound where it was.

use std::time::Duration;

use diesel::prelude::*;
use hotspot::db::schema::{routers, user_devices};
use hotspot::domain::Role;
use hotspot::sim::router::{SimConfig, SimRouter};
use hotspot_jobs::Scheduled;
use serde_json::json;

use crate::common::{TestApp, call, staff};

/// A browser that reaches the backend from `addr` (a site's egress).
fn from(addr: [u8; 4]) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("origin", reqwest::header::HeaderValue::from_static("http://localhost:3000"));
    reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .local_address(std::net::IpAddr::from(addr))
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

fn bound(sim: &SimRouter, mac: &str) -> bool {
    sim.with_state(|s| {
        s.table("/ip/hotspot/ip-binding").unwrap().rows().any(|r| r.attrs["mac-address"].eq_ignore_ascii_case(mac))
    })
}

fn site_of(app: &TestApp, mac: &str) -> Option<String> {
    let mut conn = app.db.conn();
    user_devices::table
        .left_join(routers::table)
        .filter(user_devices::mac_address.eq(mac))
        .select(routers::name.nullable())
        .first::<Option<String>>(&mut conn)
        .unwrap()
}

async fn sign_in(app: &TestApp, b: &reqwest::Client, phone: &str, ip: &str, path: &str) -> serde_json::Value {
    let code = app.code_for(b, phone).await;
    let res = b
        .post(app.url(path))
        .json(&json!({ "phone_number": phone, "otp": code, "client_ip": ip }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// A second site, `gedung-b`: its own simulator, the same client range as the environment's
/// site, its own egress (127.0.0.3); listed once this returns.
async fn gedung_b(app: &TestApp, root: &reqwest::Client) -> SimRouter {
    let second = SimRouter::start("127.0.0.1:0".parse().unwrap(), SimConfig::default()).await.unwrap();
    let body = json!({ "name": "gedung-b", "address": second.addr().to_string(), "password": "sim-password",
        "client_ranges": ["10.5.0.0/16"], "egress_addresses": ["127.0.0.3/32"] });
    assert_eq!(call(app, root, "POST", "/api/admin/routers", Some(body)).await.0, 201);
    for _ in 0..100 {
        let (_, v) = call(app, root, "GET", "/api/admin/routers", None).await;
        if v["items"].as_array().is_some_and(|i| i.len() == 2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    second
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_site_is_known_by_its_egress_and_one_account_signs_in_at_both() {
    let app =
        TestApp::spawn_captive(&[("HOTSPOT_OTP_COOLDOWN_SECS", "0"), ("HOTSPOT_OTP_PER_PHONE_PER_HOUR", "50")]).await;
    let (_, root) = staff(&app, "+6281100000021", Role::SuperAdmin).await;
    let second =
        SimRouter::start("127.0.0.1:0".parse().unwrap(), SimConfig { seed: 9, ..Default::default() }).await.unwrap();
    // Same client range as the environment's site; its own egress.
    let body = json!({ "name": "gedung-b", "address": second.addr().to_string(), "password": "sim-password",
        "client_ranges": ["10.5.0.0/16"], "egress_addresses": ["127.0.0.3/32"], "site_token": "gedung-b" });
    let (status, v) = call(&app, &root, "POST", "/api/admin/routers", Some(body)).await;
    assert_eq!(status, 201, "{v}");
    for _ in 0..100 {
        let (_, v) = call(&app, &root, "GET", "/api/admin/routers", None).await;
        if v["items"].as_array().is_some_and(|i| i.len() == 2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(5_100)).await; // the door's list of sites is fresh for 5 s

    let phone = "081234567801";
    app.user(phone, "Dua Gedung", 10).await;
    // The same address at both sites, a different phone behind each.
    let (mac_a, mac_b, ip) = ("02:AA:00:00:00:01", "02:BB:00:00:00:01", "10.5.50.20");
    app.device(mac_a, ip);
    second.with_state(|s| s.add_host(hotspot::domain::MacAddress::parse(mac_b).unwrap(), ip.parse().unwrap()));

    let at_b = from([127, 0, 0, 3]);
    sign_in(&app, &at_b, phone, ip, "/api/auth/verify-otp").await;
    assert!(bound(&second, mac_b) && !bound(app.sim(), mac_b), "bound at gedung-b only");
    assert_eq!(site_of(&app, mac_b).as_deref(), Some("gedung-b"));

    let at_a = app.browser();
    sign_in(&app, &at_a, phone, ip, "/api/auth/verify-otp").await;
    assert!(bound(app.sim(), mac_a) && !bound(&second, mac_a), "bound at the environment's site");
    assert_eq!(site_of(&app, mac_a).as_deref(), Some("main"));

    // A token cannot take a request to a site its address does not belong to.
    let liar = from([127, 0, 0, 1]);
    let code = app.code_for(&liar, phone).await;
    let res = liar
        .post(app.url("/api/auth/verify-otp?site=gedung-b"))
        .json(&json!({ "phone_number": phone, "otp": code, "client_ip": "10.5.50.99" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "signed in, but at no site");
    let v: serde_json::Value = res.json().await.unwrap();
    assert_ne!(v["hotspot_binding_active"], true, "{v}");

    // Phone B walks over to the environment's site and signs in there: bound where it is, and
    // gedung-b's next cycle takes its entries away.
    second.with_state(|s| s.remove_host(&hotspot::domain::MacAddress::parse(mac_b).unwrap()));
    app.device(mac_b, "10.5.50.21");
    sign_in(&app, &at_a, phone, "10.5.50.21", "/api/auth/verify-otp").await;
    assert_eq!(site_of(&app, mac_b).as_deref(), Some("main"));
    assert!(bound(app.sim(), mac_b));
    let ctx = app.backend.worker_ctx();
    hotspot::worker::jobs::QuotaSync::run(&ctx, 0).await.unwrap();
    assert!(!bound(&second, mac_b), "unbound where it was");
    assert!(bound(app.sim(), mac_b) && bound(app.sim(), mac_a), "both bound where they are");

    // An admin's block reaches every site where the user has a device, at once (not at the
    // next cycle): a third phone back at gedung-b is blocked there too.
    let mac_c = "02:BB:00:00:00:03";
    second
        .with_state(|s| s.add_host(hotspot::domain::MacAddress::parse(mac_c).unwrap(), "10.5.50.30".parse().unwrap()));
    sign_in(&app, &at_b, phone, "10.5.50.30", "/api/auth/verify-otp").await;
    assert!(bound(&second, mac_c));
    let user = app.backend.captive().user_by_phone(&hotspot::domain::Msisdn::parse(phone).unwrap()).await.unwrap();
    let (status, v) =
        call(&app, &root, "POST", &format!("/api/admin/users/{}/block", user.id), Some(json!({ "reason": "uji" })))
            .await;
    assert_eq!(status, 200, "{v}");
    use hotspot_jobs::Queued;
    let job = hotspot_jobs::Reconcile { user_id: user.id.to_string(), reason: "block".into() };
    let done = job.run(&ctx, "t".into()).await.expect("the reconcile");
    assert!(format!("{done:?}").contains("gedung-b") && format!("{done:?}").contains("main"), "{done:?}");
    let blocked_at = |sim: &SimRouter, ip: &str| {
        sim.with_state(|s| {
            s.table("/ip/firewall/address-list")
                .unwrap()
                .rows()
                .any(|r| r.attrs["address"] == ip && r.attrs["list"] == "hs_blocked")
        })
    };
    assert!(blocked_at(&second, "10.5.50.30"), "blocked at gedung-b");
    assert!(blocked_at(app.sim(), "10.5.50.20"), "and at the environment's site");
    app.stop().await;
}

/// In `router-login` mode the one-time hotspot user is made on the router of the site the phone
/// is at, and the router of that site witnesses its login.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_routers_witness_happens_at_the_site_the_phone_is_at() {
    let app = TestApp::spawn_captive(&[("HOTSPOT_BINDING_MODE", "router-login")]).await;
    let (_, root) = staff(&app, "+6281100000022", Role::SuperAdmin).await;
    let second = gedung_b(&app, &root).await;
    tokio::time::sleep(Duration::from_millis(5_100)).await;
    let phone = "081234567802";
    app.user(phone, "Saksi Gedung B", 10).await;
    let (mac, ip) = ("02:BB:00:00:00:07", "10.5.50.40");
    let m = hotspot::domain::MacAddress::parse(mac).unwrap();
    second.with_state(|s| s.add_host(m, ip.parse().unwrap()));
    let b = from([127, 0, 0, 3]);
    let v = sign_in(&app, &b, phone, ip, "/api/auth/verify-otp").await;
    let (user, password) = (v["hotspot_username"].as_str().unwrap(), v["hotspot_password"].as_str().unwrap());
    let made_at = |sim: &SimRouter| {
        sim.with_state(|s| s.table("/ip/hotspot/user").unwrap().rows().any(|r| r.attrs["name"] == user))
    };
    assert!(made_at(&second) && !made_at(app.sim()), "the one-time user is gedung-b's");
    second.with_state(|s| s.host_login(&m, user, password)).unwrap();
    let res = b.get(app.url("/api/auth/me")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let started = std::time::Instant::now();
    while site_of(&app, mac).as_deref() != Some("gedung-b") {
        assert!(started.elapsed() < Duration::from_secs(8), "the witness at gedung-b did not bind the phone");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(bound(&second, mac) && !bound(app.sim(), mac));
    app.stop().await;
}

/// A device removed at one site takes its entries away at that site only: another site's phone
/// at the same address keeps its binding and its status-list entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_device_leaves_another_sites_entries_for_the_same_address() {
    let app = TestApp::spawn_captive(&[("HOTSPOT_OTP_COOLDOWN_SECS", "0")]).await;
    let (_, root) = staff(&app, "+6281100000023", Role::SuperAdmin).await;
    let second = gedung_b(&app, &root).await;
    tokio::time::sleep(Duration::from_millis(5_100)).await; // the door's list of sites is fresh for 5 s
    let (a_phone, b_phone, ip) = ("081234567803", "081234567804", "10.5.50.50");
    let (mac_a, mac_b) = ("02:AA:00:00:00:50", "02:BB:00:00:00:50");
    app.user(a_phone, "Di Gedung A", 10).await;
    app.user(b_phone, "Di Gedung B", 10).await;
    app.device(mac_a, ip);
    second.with_state(|s| s.add_host(hotspot::domain::MacAddress::parse(mac_b).unwrap(), ip.parse().unwrap()));
    let at_a = app.browser();
    sign_in(&app, &at_a, a_phone, ip, "/api/auth/verify-otp").await;
    let at_b = from([127, 0, 0, 3]);
    sign_in(&app, &at_b, b_phone, ip, "/api/auth/verify-otp").await;
    let listed = |sim: &SimRouter| {
        sim.with_state(|s| s.table("/ip/firewall/address-list").unwrap().rows().any(|r| r.attrs["address"] == ip))
    };
    assert!(bound(app.sim(), mac_a) && bound(&second, mac_b));
    assert!(listed(app.sim()) && listed(&second));

    // The phone at gedung-b is removed by its owner: gone there at once, untouched here.
    let (_, list) = call(&app, &at_b, "GET", "/api/users/me/devices", None).await;
    let id = list["devices"][0]["id"].as_i64().expect("her device");
    let (status, v) = call(&app, &at_b, "DELETE", &format!("/api/users/me/devices/{id}"), None).await;
    assert_eq!(status, 200, "{v}");
    assert!(!bound(&second, mac_b) && !listed(&second), "removed at gedung-b");
    assert!(
        bound(app.sim(), mac_a) && listed(app.sim()),
        "the other site's phone at the same address keeps its entries"
    );
    app.stop().await;
}
