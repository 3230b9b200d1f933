//! Ending sessions (issue 34, item 3): a Disconnect-Request to the router's RADIUS incoming port
//! (the NAS simulator), sent again on silence, its outcome in the audit trail; a user refused now
//! (blocked) loses every session, and a charge that moves the status (fair use reached) ends the
//! session within seconds so the next login gets the new status's reply.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use hotspot::sim::nas::{NasFault, NasSim};

use super::endpoints::{SECRET, TOKEN, post, radius_app_at, report};
use crate::common::TestApp;

async fn nas() -> NasSim {
    NasSim::start("127.0.0.1:0".parse().unwrap(), SECRET).await.unwrap()
}

fn open_in_db(app: &TestApp, session: &str) -> bool {
    use hotspot::db::schema::radius_sessions as rs;
    rs::table
        .filter(rs::session_id.eq(session))
        .filter(rs::stopped_at.is_null())
        .count()
        .get_result::<i64>(&mut app.db.conn())
        .unwrap()
        == 1
}

fn outcomes(app: &TestApp) -> Vec<String> {
    use hotspot::db::schema::audit_log;
    audit_log::table
        .filter(audit_log::action.eq("radius.disconnect"))
        .order(audit_log::id)
        .select(audit_log::details)
        .load::<serde_json::Value>(&mut app.db.conn())
        .unwrap()
        .into_iter()
        .map(|d| d["outcome"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_user_loses_every_session_and_each_outcome_is_recorded() {
    let nas = nas().await;
    let (app, site) = radius_app_at(nas.addr().port()).await;
    let user = app.user("+6281200000104", "Radius", 5).await;
    app.owned_device(user.id, "AA:BB:CC:00:04:01", "10.5.50.41").await;
    let mac = "AA:BB:CC:00:04:01";
    assert_eq!(post(&app, "accounting", &site, TOKEN, &report("Start", "d-1", mac, 0, 0)).await.0, 204);
    nas.open("d-1", mac);
    let radius = app.backend.radius().expect("radius configured");

    // Still allowed: nothing is ended.
    assert!(radius.review(user.id, "test").await.unwrap().is_empty());
    {
        use hotspot::db::schema::users;
        diesel::update(users::table.find(user.id))
            .set((users::is_blocked.eq(true), users::blocked_reason.eq("tes")))
            .execute(&mut app.db.conn())
            .unwrap();
    }
    let ended = radius.review(user.id, "blocked by an admin").await.unwrap();
    assert_eq!(ended.iter().map(|e| e.outcome.as_str()).collect::<Vec<_>>(), vec!["ack"]);
    assert_eq!(nas.disconnected(), vec!["d-1".to_owned()]);
    assert!(!nas.is_open("d-1") && !open_in_db(&app, "d-1"));

    // A router that does not answer: tried again, recorded as such, the session left open.
    assert_eq!(post(&app, "accounting", &site, TOKEN, &report("Start", "d-2", mac, 0, 0)).await.0, 204);
    nas.open("d-2", mac);
    nas.set_fault(Some(NasFault::Silent));
    let before = nas.requests();
    let ended = radius.review(user.id, "blocked by an admin").await.unwrap();
    assert_eq!(ended[0].outcome, "no answer");
    assert_eq!(nas.requests() - before, 3, "three tries");
    assert!(open_in_db(&app, "d-2"));
    // A router that refuses: its reason recorded.
    nas.set_fault(Some(NasFault::Refuse));
    assert_eq!(radius.review(user.id, "blocked").await.unwrap()[0].outcome, "nak: error-cause 506");
    assert_eq!(outcomes(&app), vec!["ack", "no answer", "nak: error-cause 506"]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reaching_fair_use_ends_the_session_within_seconds() {
    let nas = nas().await;
    let (app, site) = radius_app_at(nas.addr().port()).await;
    // 5 GiB bought; fair use starts with 3 GiB left.
    let user = app.user("+6281200000105", "Radius", 5).await;
    app.owned_device(user.id, "AA:BB:CC:00:05:01", "10.5.50.51").await;
    let mac = "AA:BB:CC:00:05:01";
    assert_eq!(post(&app, "accounting", &site, TOKEN, &report("Start", "f-1", mac, 0, 0)).await.0, 204);
    nas.open("f-1", mac);
    assert_eq!(post(&app, "accounting", &site, TOKEN, &report("Interim-Update", "f-1", mac, 1 << 30, 0)).await.0, 204);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(nas.disconnected().is_empty(), "still active: nothing ended");

    let crossed = Instant::now();
    let two_and_a_half_gib = (5u64 << 30) / 2;
    let r = report("Interim-Update", "f-1", mac, two_and_a_half_gib, 0);
    assert_eq!(post(&app, "accounting", &site, TOKEN, &r).await.0, 204);
    while nas.disconnected().is_empty() {
        assert!(crossed.elapsed() < Duration::from_secs(2), "not ended within 2 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status: String = {
        use hotspot::db::schema::users;
        users::table.find(user.id).select(users::access_status).first(&mut app.db.conn()).unwrap()
    };
    assert_eq!(status, "fup");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_at_a_radius_site_writes_no_binding_that_would_pass_its_accounting() {
    let wa = hotspot::sim::whatsapp::WhatsAppSim::start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let base = wa.base_url();
    let (mut app, site) = super::endpoints::radius_app_with(&[
        ("HOTSPOT_WA_BASE_URL", base.as_str()),
        ("HOTSPOT_WA_TIMEOUT_MS", "1000"),
        ("HOTSPOT_WA_RETRIES", "1"),
    ])
    .await;
    app.whatsapp = Some(wa);
    let phone = "081200000106";
    app.user(phone, "Radius", 5).await;
    app.device("AA:BB:CC:00:06:01", "10.5.50.61");
    let b = app.browser();
    let code = app.code_for(&b, phone).await;
    let r = b
        .post(app.url("/api/auth/verify-otp"))
        .json(&serde_json::json!({ "phone_number": phone, "otp": code, "client_ip": "10.5.50.61" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let bindings = app.sim().with_state(|s| s.table("/ip/hotspot/ip-binding").unwrap().rows().count());
    assert_eq!(bindings, 0, "no bypass binding at a RADIUS site");
    // The device is the account's now: the router's MAC login is accepted.
    let login = serde_json::json!({
        "User-Name": { "type": "string", "value": ["AA:BB:CC:00:06:01"] },
        "Calling-Station-Id": { "type": "string", "value": ["AA:BB:CC:00:06:01"] },
    });
    let (status, body) = post(&app, "authorize", &site, TOKEN, &login).await;
    assert_eq!((status, body["control:Auth-Type"].as_str()), (200, Some("Accept")), "{body}");
    app.stop().await;
}
