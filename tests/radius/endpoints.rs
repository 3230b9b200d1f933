//! The rest module's calls as FreeRADIUS makes them: a login decided by the one policy, and
//! accounting charged exactly once per (site, session) whatever the order and repetition.

use base64::Engine;
use diesel::prelude::*;
use hotspot::admin::Actor;
use hotspot::domain::radius::SiteMode;
use hotspot::sites::radius::RadiusSpec;
use serde_json::{Value, json};

use crate::common::TestApp;

pub const TOKEN: &str = "radius-test-token-0123456789abcdef";
pub const SECRET: &str = "site-secret-0123456789";

/// A backend with a router site put in RADIUS mode; the site's name.
pub async fn radius_app() -> (TestApp, String) {
    radius_app_at(3799).await
}

/// The same, its router taking Disconnect-Requests on 127.0.0.1:`coa_port`.
pub async fn radius_app_at(coa_port: u16) -> (TestApp, String) {
    radius_app_on(coa_port, &[]).await
}

/// The same with more settings.
pub async fn radius_app_with(extra: &[(&str, &str)]) -> (TestApp, String) {
    radius_app_on(3799, extra).await
}

async fn radius_app_on(coa_port: u16, extra: &[(&str, &str)]) -> (TestApp, String) {
    let mut vars: Vec<(&str, &str)> = vec![("HOTSPOT_RADIUS_API_TOKEN", TOKEN), ("HOTSPOT_RADIUS_INTERIM_SECS", "30")];
    vars.extend_from_slice(extra);
    let app = TestApp::spawn_with_router(&vars).await;
    let mut site = None;
    // The environment's router becomes a site as the server starts.
    for _ in 0..100 {
        site = app.backend.sites().rows().await.unwrap().into_iter().find(|r| r.from_env);
        if site.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let site = site.expect("the environment's router never became a site");
    let spec = RadiusSpec { mode: SiteMode::Radius, address: Some("127.0.0.1".parse().unwrap()), coa_port };
    app.backend.admin().set_site_radius(&Actor::cli(), site.id, spec, Some(SECRET.into())).await.unwrap();
    (app, site.name)
}

fn attr(v: Value) -> Value {
    let t = if v.is_number() { "integer" } else { "string" };
    json!({ "type": t, "value": [v] })
}

fn attrs(pairs: &[(&str, Value)]) -> Value {
    Value::Object(pairs.iter().map(|(k, v)| (k.to_string(), attr(v.clone()))).collect())
}

pub async fn post(app: &TestApp, path: &str, site: &str, token: &str, body: &Value) -> (u16, Value) {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("freeradius:{token}"));
    let r = app
        .client
        .post(app.url(&format!("/api/radius/{path}?site={site}")))
        .header("authorization", format!("Basic {auth}"))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

pub fn report(kind: &str, session: &str, mac: &str, input: u64, output: u64) -> Value {
    attrs(&[
        ("Acct-Status-Type", json!(kind)),
        ("Acct-Session-Id", json!(session)),
        ("User-Name", json!(mac)),
        ("Framed-IP-Address", json!("10.5.50.20")),
        ("Acct-Input-Octets", json!(input & 0xffff_ffff)),
        ("Acct-Input-Gigawords", json!(input >> 32)),
        ("Acct-Output-Octets", json!(output)),
    ])
}

#[derive(QueryableByName)]
struct Used {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    total: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    daily: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    ledger: i64,
}

/// The user's used quota, the sum of their daily usage and of their usage ledger rows.
pub fn used(app: &TestApp, user: uuid::Uuid) -> (i64, i64, i64) {
    let mut c = app.db.conn();
    let u: Used = diesel::sql_query(
        "SELECT (SELECT quota_used_bytes FROM users WHERE id = $1) AS total, \
                (SELECT COALESCE(sum(bytes), 0)::bigint FROM usage_daily WHERE user_id = $1) AS daily, \
                (SELECT COALESCE(sum(delta_bytes), 0)::bigint FROM quota_ledger WHERE user_id = $1 AND source = 'sync_usage') AS ledger",
    )
    .bind::<diesel::sql_types::Uuid, _>(user)
    .get_result(&mut c)
    .unwrap();
    (u.total, u.daily, u.ledger)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_gets_the_policys_reply_and_refusals_say_why() {
    let (app, site) = radius_app().await;
    let user = app.user("+6281200000101", "Radius", 5).await;
    app.owned_device(user.id, "AA:BB:CC:00:01:01", "10.5.50.21").await;
    let login = |mac: &str| {
        attrs(&[
            ("User-Name", json!(mac)),
            ("Calling-Station-Id", json!(mac)),
            ("Framed-IP-Address", json!("10.5.50.21")),
        ])
    };

    let (status, body) = post(&app, "authorize", &site, TOKEN, &login("AA:BB:CC:00:01:01")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["control:Auth-Type"], "Accept");
    assert_eq!(body["reply:Mikrotik-Group"]["value"], "default");
    assert_eq!(body["reply:Acct-Interim-Interval"], 30);
    assert!(body["reply:Mikrotik-Total-Limit-Gigawords"].is_u64(), "{body}");

    // An unknown phone: rejected with the reason the router's page shows.
    let (status, body) = post(&app, "authorize", &site, TOKEN, &login("AA:BB:CC:00:01:99")).await;
    assert_eq!((status, body["control:Auth-Type"].as_str()), (200, Some("Reject")));
    assert!(body["reply:Reply-Message"]["value"].as_str().unwrap().contains("belum terdaftar"));

    // Someone typing the paying phone's MAC on the login page from another phone: not that phone.
    let typed = attrs(&[("User-Name", json!("AA:BB:CC:00:01:01")), ("Calling-Station-Id", json!("AA:BB:CC:00:01:77"))]);
    let (status, body) = post(&app, "authorize", &site, TOKEN, &typed).await;
    assert_eq!((status, body["control:Auth-Type"].as_str()), (200, Some("Reject")), "{body}");

    // A blocked account: rejected as blocked.
    {
        use hotspot::db::schema::users;
        diesel::update(users::table.find(user.id))
            .set((users::is_blocked.eq(true), users::blocked_reason.eq("tes")))
            .execute(&mut app.db.conn())
            .unwrap();
    }
    let (status, body) = post(&app, "authorize", &site, TOKEN, &login("AA:BB:CC:00:01:01")).await;
    assert_eq!((status, body["control:Auth-Type"].as_str()), (200, Some("Reject")));
    assert!(body["reply:Reply-Message"]["value"].as_str().unwrap().contains("diblokir"), "{body}");

    // Wrong token, unknown site, a malformed MAC: refused in the envelope.
    let (status, body) =
        post(&app, "authorize", &site, "wrong-token-0123456789abcdef", &login("AA:BB:CC:00:01:01")).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("AUTH_REQUIRED")));
    let (status, _) = post(&app, "authorize", "no-such-site", TOKEN, &login("AA:BB:CC:00:01:01")).await;
    assert_eq!(status, 404);
    let (status, body) = post(&app, "authorize", &site, TOKEN, &login("not-a-mac")).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("VALIDATION_ERROR")));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounting_charges_each_session_once_whatever_the_order_and_repetition() {
    let (app, site) = radius_app().await;
    let user = app.user("+6281200000102", "Radius", 50).await;
    app.owned_device(user.id, "AA:BB:CC:00:02:01", "10.5.50.22").await;
    let mac = "AA:BB:CC:00:02:01";
    let send = |r: Value| {
        let (app, site) = (&app, site.clone());
        async move { post(app, "accounting", &site, TOKEN, &r).await.0 }
    };
    assert_eq!(send(report("Start", "s-1", mac, 0, 0)).await, 204);
    assert_eq!(send(report("Interim-Update", "s-1", mac, 600, 400)).await, 204);
    assert_eq!(send(report("Interim-Update", "s-1", mac, 600, 400)).await, 204); // retransmitted
    assert_eq!(send(report("Interim-Update", "s-1", mac, 100, 100)).await, 204); // an older one, late
    assert_eq!(used(&app, user.id), (1_000, 1_000, 1_000));

    // Ten copies of one report at once: charged once.
    let copies = (0..10).map(|_| send(report("Interim-Update", "s-1", mac, 2_000, 1_000)));
    assert!(futures_util::future::join_all(copies).await.iter().all(|s| *s == 204));
    assert_eq!(used(&app, user.id).0, 3_000);

    // Past 4 GiB: the Gigawords count.
    let big = (1u64 << 32) + 2_000;
    assert_eq!(send(report("Stop", "s-1", mac, big, 1_000)).await, 204);
    assert_eq!(send(report("Stop", "s-1", mac, big, 1_000)).await, 204);
    let expected = (big + 1_000) as i64;
    assert_eq!(used(&app, user.id), (expected, expected, expected));

    // A lost Stop: the next Start of the phone closes the old session; each session's bytes once.
    assert_eq!(send(report("Start", "s-2", mac, 0, 0)).await, 204);
    assert_eq!(send(report("Interim-Update", "s-2", mac, 10, 0)).await, 204);
    assert_eq!(send(report("Start", "s-3", mac, 0, 0)).await, 204);
    assert_eq!(send(report("Interim-Update", "s-3", mac, 5, 0)).await, 204);
    assert_eq!(used(&app, user.id).0, expected + 15);
    let open: Vec<String> = {
        use hotspot::db::schema::radius_sessions as rs;
        rs::table.filter(rs::stopped_at.is_null()).select(rs::session_id).load(&mut app.db.conn()).unwrap()
    };
    assert_eq!(open, vec!["s-3".to_owned()]);

    // The router restarted and its session counter came round: the same id is a new session,
    // charged from zero, and a late copy of the old session's Start ends nothing.
    assert_eq!(send(report("Stop", "s-3", mac, 5, 0)).await, 204);
    assert_eq!(send(report("Start", "s-3", mac, 0, 0)).await, 204);
    assert_eq!(send(report("Interim-Update", "s-3", mac, 7, 0)).await, 204);
    assert_eq!(used(&app, user.id).0, expected + 22);
    assert_eq!(send(report("Start", "s-2", mac, 0, 0)).await, 204);
    assert_eq!(send(report("Interim-Update", "s-3", mac, 8, 0)).await, 204);
    assert_eq!(used(&app, user.id).0, expected + 23);

    // A malformed report changes nothing and says what is wrong.
    let bad = attrs(&[("Acct-Status-Type", json!("Interim-Update")), ("User-Name", json!(mac))]);
    let (status, body) = post(&app, "accounting", &site, TOKEN, &bad).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("VALIDATION_ERROR")), "{body}");
    assert_eq!(used(&app, user.id).0, expected + 23);
    app.stop().await;
}
