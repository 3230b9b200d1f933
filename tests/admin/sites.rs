//! Sites (issue 33, item 1): the environment's router is the first site; super admins add,
//! change, disable and test routers; passwords sealed at rest and never shown; every change
//! audited.

use std::time::Duration;

use diesel::prelude::*;
use hotspot::domain::Role;
use hotspot::sim::router::{SimConfig, SimRouter};
use serde_json::{Value, json};

use crate::common::{TestApp, audit_count, call, staff};

/// The sites, once the environment's router has been written as one (at the server's start).
async fn sites_when_described(app: &TestApp, c: &reqwest::Client) -> Vec<Value> {
    for _ in 0..100 {
        let (status, v) = call(app, c, "GET", "/api/admin/routers", None).await;
        assert_eq!(status, 200, "{v}");
        let items = v["items"].as_array().cloned().unwrap_or_default();
        if items.iter().any(|s| s["from_env"] == true) {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the environment's router never became a site");
}

fn sealed_of(app: &TestApp, name: &str) -> Vec<u8> {
    use hotspot::db::schema::routers;
    let mut conn = app.db.conn();
    routers::table
        .filter(routers::name.eq(name))
        .select(routers::password_sealed)
        .first::<Option<Vec<u8>>>(&mut conn)
        .expect("row")
        .expect("a sealed password")
}

#[tokio::test]
async fn the_environments_router_is_the_first_site_and_super_admins_manage_the_others() {
    let app = TestApp::spawn_with_router(&[]).await;
    let (_, root) = staff(&app, "+6281100000001", Role::SuperAdmin).await;
    let (_, admin) = staff(&app, "+6281100000002", Role::Admin).await;

    let sites = sites_when_described(&app, &admin).await;
    assert_eq!(sites.len(), 1, "{sites:?}");
    let main = &sites[0];
    assert_eq!((main["name"].as_str(), main["from_env"].as_bool()), (Some("main"), Some(true)));
    assert_eq!(main["has_password"], true);
    assert_eq!(main["client_ranges"], json!(["10.5.0.0/16"]), "HOTSPOT_CLIENT_CIDRS of the tests");
    assert!(main.get("password").is_none() && !main.to_string().contains("sim-password"));
    assert!(!sealed_of(&app, "main").windows(12).any(|w| w == b"sim-password"), "sealed at rest");
    let main_id = main["id"].as_i64().unwrap();

    // The environment's fields are changed in the environment; its token here.
    let (status, v) =
        call(&app, &root, "PATCH", &format!("/api/admin/routers/{main_id}"), Some(json!({ "address": "10.9.9.9" })))
            .await;
    assert_eq!(status, 409, "{v}");
    assert!(v.to_string().contains("HOTSPOT_ROUTER_") && v.to_string().contains("address"), "{v}");
    let (status, v) =
        call(&app, &root, "PATCH", &format!("/api/admin/routers/{main_id}"), Some(json!({ "site_token": "Gedung-A" })))
            .await;
    assert_eq!((status, v["site_token"].as_str()), (200, Some("gedung-a")), "{v}");

    // A second router, with its own password.
    let second = SimRouter::start(
        "127.0.0.1:0".parse().unwrap(),
        SimConfig { username: "api".into(), password: "rahasia-gedung-b".into(), seed: 2 },
    )
    .await
    .unwrap();
    second.with_state(|s| s.identity = "gedung-b".into());
    let body = json!({
        "name": "gedung-b", "address": second.addr().to_string(), "api_user": "api", "password": "rahasia-gedung-b",
        "client_ranges": ["10.5.50.0/24"], "egress_addresses": ["203.0.113.7/32"], "site_token": "gedung-b",
        "max_in_flight": 8,
    });
    let (status, v) = call(&app, &admin, "POST", "/api/admin/routers", Some(body.clone())).await;
    assert_eq!(status, 403, "an admin is not a super admin: {v}");
    let (status, v) = call(&app, &root, "POST", "/api/admin/routers", Some(body.clone())).await;
    assert_eq!(status, 201, "{v}");
    assert!(!v.to_string().contains("rahasia"), "the password never comes back: {v}");
    assert_eq!((v["has_password"].as_bool(), v["max_in_flight"].as_i64()), (Some(true), Some(8)));
    let b_id = v["id"].as_i64().unwrap();
    assert!(!sealed_of(&app, "gedung-b").windows(8).any(|w| w == b"rahasia-"));
    let (status, v) = call(&app, &root, "POST", "/api/admin/routers", Some(body.clone())).await;
    assert_eq!(status, 409, "the name is taken: {v}");
    let (status, v) = call(
        &app,
        &root,
        "POST",
        "/api/admin/routers",
        Some(json!({ "name": "gedung-c", "address": "10.0.0.3", "site_token": "GEDUNG-B" })),
    )
    .await;
    assert_eq!(status, 409, "tokens compare without case: {v}");
    let (status, v) = call(
        &app,
        &root,
        "POST",
        "/api/admin/routers",
        Some(json!({ "name": "gedung-c", "address": "10.0.0.3", "client_ranges": ["10.5.50.0/33"] })),
    )
    .await;
    assert_eq!((status, v["details"]["field"].as_str()), (422, Some("client_ranges")), "{v}");

    // The test connects with the kept password and reports what the router is.
    let (status, t) = call(&app, &root, "POST", &format!("/api/admin/routers/{b_id}/test"), None).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!((t["ok"].as_bool(), t["identity"].as_str()), (Some(true), Some("gedung-b")), "{t}");
    assert!(t["ros_version"].as_str().unwrap_or_default().starts_with('7'), "{t}");
    let (_, v) = call(&app, &admin, "GET", &format!("/api/admin/routers/{b_id}"), None).await;
    assert_eq!((v["online"].as_bool(), v["identity"].as_str()), (Some(true), Some("gedung-b")), "{v}");

    // A wrong password: the test says so, and the site shows offline with why.
    let (status, _) =
        call(&app, &root, "PATCH", &format!("/api/admin/routers/{b_id}"), Some(json!({ "password": "salah" }))).await;
    assert_eq!(status, 200);
    let (_, t) = call(&app, &root, "POST", &format!("/api/admin/routers/{b_id}/test"), None).await;
    assert_eq!(t["ok"], false, "{t}");
    let (_, v) = call(&app, &admin, "GET", &format!("/api/admin/routers/{b_id}"), None).await;
    assert_eq!(v["online"], false, "{v}");

    // Disabled and enabled, each audited; the trail never holds a password.
    let (status, v) = call(&app, &root, "POST", &format!("/api/admin/routers/{b_id}/disable"), None).await;
    assert_eq!((status, v["is_enabled"].as_bool()), (200, Some(false)), "{v}");
    let (status, _) = call(&app, &admin, "POST", &format!("/api/admin/routers/{b_id}/enable"), None).await;
    assert_eq!(status, 403);
    assert_eq!(audit_count(&app, "site.add").await, 1);
    assert_eq!(audit_count(&app, "site.disable").await, 1);
    assert_eq!(audit_count(&app, "site.update").await, 2);
    let trail: Vec<Value> = {
        use hotspot::db::schema::audit_log;
        let mut conn = app.db.conn();
        audit_log::table.select(audit_log::details).load(&mut conn).unwrap()
    };
    assert!(trail.iter().all(|d| !d.to_string().contains("rahasia") && !d.to_string().contains("salah\"")));
    let (status, _) = call(&app, &root, "GET", "/api/admin/routers/999999", None).await;
    assert_eq!(status, 404);
    let (status, _) = call(&app, &root, "GET", "/api/admin/routers/x", None).await;
    assert_eq!(status, 404);

    // The editor's router choices list the sites.
    let (status, v) = call(&app, &admin, "GET", "/api/admin/form-options/mikrotik", None).await;
    assert_eq!(status, 200, "{v}");
    let names: Vec<&str> = v["sites"].as_array().unwrap().iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, vec!["main", "gedung-b"]);
    assert_eq!(v["serverOptions"], json!(["all"]));
    app.stop().await;
}

#[tokio::test]
async fn a_password_sealed_with_another_key_is_reported_not_used() {
    let app = TestApp::spawn_with_router(&[]).await;
    let (_, root) = staff(&app, "+6281100000003", Role::SuperAdmin).await;
    let sites = sites_when_described(&app, &root).await;
    let id = sites[0]["id"].as_i64().unwrap();
    {
        use hotspot::db::schema::routers;
        let other = hotspot::crypto::SealKey::new([9; 32]).seal(b"hotspot:router-password", b"sim-password");
        let mut conn = app.db.conn();
        diesel::update(routers::table.find(id as i32))
            .set(routers::password_sealed.eq(other))
            .execute(&mut conn)
            .unwrap();
    }
    let (status, v) = call(&app, &root, "POST", &format!("/api/admin/routers/{id}/test"), None).await;
    assert_eq!((status, v["code"].as_str()), (409, Some("INVALID_STATE")), "{v}");
    app.stop().await;
}

/// Item 4: the watch looks at every enabled site at once, records what each router said (or why
/// not) on its site, and `/metrics` shows each site up or down with its last contact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watch_records_each_site_and_the_metrics_show_them() {
    use hotspot::worker::jobs::router_watch::RouterWatch;
    use hotspot_jobs::Scheduled;
    let app = TestApp::spawn_with_router(&[]).await;
    let (_, root) = staff(&app, "+6281100000004", Role::SuperAdmin).await;
    sites_when_described(&app, &root).await;
    app.sim().with_state(|s| s.identity = "gedung-a".into());
    let second = SimRouter::start("127.0.0.1:0".parse().unwrap(), SimConfig::default()).await.unwrap();
    let body = json!({ "name": "gedung-b", "address": second.addr().to_string(), "password": "sim-password" });
    let (status, b) = call(&app, &root, "POST", "/api/admin/routers", Some(body)).await;
    assert_eq!(status, 201, "{b}");
    let gone = json!({ "name": "gedung-c", "address": format!("127.0.0.1:{}", crate::common::closed_port()) });
    assert_eq!(call(&app, &root, "POST", "/api/admin/routers", Some(gone)).await.0, 201);
    let off = json!({ "name": "gedung-d", "address": "127.0.0.1:1", "is_enabled": false });
    assert_eq!(call(&app, &root, "POST", "/api/admin/routers", Some(off)).await.0, 201);

    let ctx = app.backend.worker_ctx();
    let done = RouterWatch::run(&ctx, 0).await.expect("the watch runs");
    assert!(format!("{done:?}").contains("gedung-c"), "{done:?}");
    let (_, v) = call(&app, &root, "GET", "/api/admin/routers", None).await;
    let by_name = |n: &str| v["items"].as_array().unwrap().iter().find(|s| s["name"] == n).cloned().unwrap();
    assert_eq!(
        (by_name("main")["online"].as_bool(), by_name("main")["identity"].as_str()),
        (Some(true), Some("gedung-a"))
    );
    assert_eq!(by_name("gedung-b")["online"], true);
    assert!(by_name("gedung-b")["ros_version"].as_str().unwrap_or_default().starts_with('7'));
    assert_eq!(by_name("gedung-c")["online"], false);
    assert!(by_name("gedung-c")["last_error"].is_string());
    assert!(by_name("gedung-d")["online"].is_null(), "a disabled site is not looked at");

    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(text.contains("hotspot_site_up{router=\"main\"} 1"), "{text}");
    assert!(text.contains("hotspot_site_up{router=\"gedung-b\"} 1"));
    assert!(text.contains("hotspot_site_up{router=\"gedung-c\"} 0"));
    assert!(!text.contains("router=\"gedung-d\""));
    assert!(text.contains("hotspot_site_last_contact_timestamp_seconds{router=\"gedung-b\"}"));
    app.stop().await;
}
