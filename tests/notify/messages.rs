//! Lifecycle messages end to end: the sync and admins only queue them, the worker sends them
//! through the simulated gateway, once per (user, event, period); reminders wait out the quiet
//! hours, stop at the daily cap and for a user who opted out; receipts always go.

use std::time::{Duration, Instant};

use chrono::Timelike;
use diesel::prelude::*;
use hotspot::db::schema::{message_log, users};
use hotspot::domain::GIB;
use hotspot::notify::{Event, Outcome};
use hotspot::sync::{FailPoint, run_cycle};

use crate::common::TestApp;

async fn wait_for<F: FnMut() -> bool>(what: &str, within: Duration, mut f: F) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < within, "{what} did not happen within {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn set_used(app: &TestApp, id: uuid::Uuid, used: i64) {
    app.backend
        .db
        .run(move |c| Ok(diesel::update(users::table.find(id)).set(users::quota_used_bytes.eq(used)).execute(c)?))
        .await
        .unwrap();
}

fn sent_to(app: &TestApp, phone_digits: &str, needle: &str) -> usize {
    app.wa().outbox().iter().filter(|m| m.to == phone_digits && m.message.contains(needle)).count()
}

/// The quota-low messages the log holds for `threshold`.
async fn low_sent(app: &TestApp, id: uuid::Uuid, threshold: u8) -> i64 {
    let prefix = format!("quota_low:{id}:{threshold}:%");
    app.backend
        .db
        .run(move |c| {
            Ok(message_log::table
                .filter(message_log::idempotency_key.like(prefix))
                // Sent, whatever its receipts say since.
                .filter(message_log::status.eq_any(["sent", "delivered", "read"]))
                .count()
                .get_result(c)?)
        })
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_message_per_threshold_crossing_across_many_syncs() {
    let app = TestApp::spawn_captive(&[("HOTSPOT_JOB_POLL_MS", "100"), ("HOTSPOT_NOTIFY_QUIET_HOURS", "0-0")]).await;
    let (_worker, _w) = app.start_worker();
    let u = app.user("081234562001", "Hemat", 1).await;
    let (mac, ip) = ("02:AD:00:00:20:01", "10.5.61.11");
    let id = u.id;
    app.owned_device(id, mac, ip).await;
    let ctx = app.backend.sync_context().unwrap();
    app.sim().advance(60);
    run_cycle(&ctx, hotspot::domain::SyncTrigger::Cli, None, FailPoint::None).await.unwrap();
    // Just above 20 % remaining: the next cycle's traffic crosses it.
    set_used(&app, u.id, GIB * 80 / 100 - 1024 * 1024).await;
    for _ in 0..5 {
        app.sim().advance(300);
        let s = run_cycle(&ctx, hotspot::domain::SyncTrigger::Schedule, None, FailPoint::None).await.unwrap();
        assert!(s.bytes_charged > 0);
    }
    let to = "6281234562001";
    let reminder = "Tambah kuota";
    wait_for("the 20 % message", Duration::from_secs(10), || sent_to(&app, to, reminder) == 1).await;
    assert_eq!(low_sent(&app, id, 20).await, 1);
    // Just above 5 %: crossed once more, then nothing more however many cycles run.
    set_used(&app, u.id, GIB * 95 / 100 - 1024 * 1024).await;
    for _ in 0..5 {
        app.sim().advance(300);
        run_cycle(&ctx, hotspot::domain::SyncTrigger::Schedule, None, FailPoint::None).await.unwrap();
    }
    wait_for("the 5 % message", Duration::from_secs(10), || sent_to(&app, to, reminder) == 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sent_to(&app, to, reminder), 2, "one message per crossing");
    assert_eq!((low_sent(&app, id, 20).await, low_sent(&app, id, 5).await), (1, 1));
    let keys: Vec<Option<String>> = app
        .backend
        .db
        .run(move |c| {
            Ok(message_log::table.filter(message_log::user_id.eq(id)).select(message_log::idempotency_key).load(c)?)
        })
        .await
        .unwrap();
    assert!(keys.iter().flatten().any(|k| k.starts_with(&format!("quota_low:{id}:20:"))), "{keys:?}");

    // Used up: the status message, once, whatever the cycles after.
    set_used(&app, u.id, GIB).await;
    for _ in 0..3 {
        app.sim().advance(300);
        run_cycle(&ctx, hotspot::domain::SyncTrigger::Schedule, None, FailPoint::None).await.unwrap();
    }
    wait_for("the used-up message", Duration::from_secs(10), || sent_to(&app, to, "habis") == 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sent_to(&app, to, "habis"), 1);
}

fn job(user: uuid::Uuid, event: Event) -> hotspot_jobs::Notify {
    hotspot_jobs::Notify {
        user_id: user.to_string(),
        key: event.key(user),
        event: serde_json::to_value(&event).unwrap(),
    }
}

fn receipt(reference: &str) -> Event {
    Event::Receipt {
        template: "purchase_receipt".into(),
        reference: reference.into(),
        package: "Harian 1 GB".into(),
        amount_idr: 5_000,
        quota: "1 GB".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_hours_opt_out_the_cap_and_languages() {
    // The quiet hours hold the present local hour.
    let h = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Makassar).hour();
    let quiet = format!("{h}-{}", (h + 1) % 24);
    let app =
        TestApp::spawn_captive(&[("HOTSPOT_NOTIFY_QUIET_HOURS", &quiet), ("HOTSPOT_NOTIFY_DAILY_CAP", "2")]).await;
    let s = &app.backend;
    let u = app.user("081234562002", "Malam", 1).await;
    let low = |p: u8| Event::QuotaLow { percent: p, purchased: GIB };
    match s.notify().deliver(job(u.id, low(20))).await.unwrap() {
        Outcome::Deferred(at) => {
            let wait = at - chrono::Utc::now().timestamp();
            assert!((0..=3600).contains(&wait), "until the hour ends: {wait} s");
        }
        other => panic!("a reminder in the quiet hours: {other:?}"),
    }
    assert_eq!(s.notify().deliver(job(u.id, receipt("HS-1"))).await.unwrap(), Outcome::Sent, "receipts are not held");
    assert_eq!(s.notify().deliver(job(u.id, receipt("HS-1"))).await.unwrap(), Outcome::AlreadySent, "once per key");

    // Outside quiet hours: reminders up to the cap; opt-out stops reminders, not receipts.
    let app2 =
        TestApp::spawn_captive(&[("HOTSPOT_NOTIFY_QUIET_HOURS", "0-0"), ("HOTSPOT_NOTIFY_DAILY_CAP", "2")]).await;
    let s2 = &app2.backend;
    let v = app2.user("081234562003", "Siang", 1).await;
    assert_eq!(s2.notify().deliver(job(v.id, low(20))).await.unwrap(), Outcome::Sent);
    let expiring = Event::ExpirySoon { days: 3, expires_at: chrono::Utc::now() + chrono::Duration::days(3) };
    assert_eq!(s2.notify().deliver(job(v.id, expiring)).await.unwrap(), Outcome::Sent);
    assert_eq!(s2.notify().deliver(job(v.id, low(5))).await.unwrap(), Outcome::Capped, "two reminders a day");
    assert_eq!(
        s2.notify().deliver(job(v.id, receipt("HS-2"))).await.unwrap(),
        Outcome::Sent,
        "the cap is for reminders"
    );
    let w = app2.user("081234562004", "Diam", 1).await;
    let (wid, lang) = (w.id, hotspot::domain::Language::En);
    s2.db
        .run(move |c| {
            Ok(diesel::update(users::table.find(wid))
                .set((users::messages_opt_out.eq(true), users::language.eq(lang)))
                .execute(c)?)
        })
        .await
        .unwrap();
    assert_eq!(s2.notify().deliver(job(w.id, low(20))).await.unwrap(), Outcome::OptedOut);
    assert_eq!(s2.notify().deliver(job(w.id, receipt("HS-3"))).await.unwrap(), Outcome::Sent);
    let text = app2.wa().outbox().into_iter().find(|m| m.to == "6281234562004").unwrap().message;
    assert!(text.starts_with("Hello Diam, we received your payment HS-3 of Rp5.000"), "English: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fonntes_status_callbacks_move_the_log_forward_only() {
    const SECRET: &str = "fonnte-callback-secret-0123";
    let app = TestApp::spawn_captive(&[
        ("HOTSPOT_WA_PROVIDER", "fonnte"),
        ("HOTSPOT_WA_TOKEN", hotspot::sim::whatsapp::SIM_FONNTE_TOKEN),
        ("HOTSPOT_WA_FONNTE_CALLBACK_SECRET", SECRET),
    ])
    .await;
    let url = app.url(&format!("/api/webhooks/fonnte/status/{SECRET}"));
    app.wa().set_fonnte_status_url(Some(url.clone()));
    app.user("081234562005", "Fonnte", 1).await;
    app.code_for(&app.internet(), "081234562005").await;
    let status = |app: &TestApp| {
        let db = app.backend.db.clone();
        async move {
            db.run(|c| {
                Ok(message_log::table
                    .filter(message_log::provider.eq("fonnte"))
                    .select((message_log::status, message_log::provider_message_id))
                    .first::<(String, Option<String>)>(c)?)
            })
            .await
            .unwrap()
        }
    };
    let start = Instant::now();
    while status(&app).await.0 != "read" {
        assert!(start.elapsed() < Duration::from_secs(10), "read never reported: {:?}", status(&app).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let id = status(&app).await.1.unwrap();
    // A late "sent" and a failure report never move it back; a wrong secret changes nothing.
    let post = |url: String, body: serde_json::Value| {
        let c = app.client.clone();
        async move { c.post(url).json(&body).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(post(url.clone(), serde_json::json!({ "device": "x", "id": id, "status": "sent" })).await, 200);
    assert_eq!(post(url.clone(), serde_json::json!({ "device": "x", "id": id, "status": "invalid" })).await, 200);
    assert_eq!(status(&app).await.0, "read");
    let wrong = app.url("/api/webhooks/fonnte/status/not-the-secret-000000");
    assert_eq!(post(wrong, serde_json::json!({ "device": "x", "id": id, "state": "delivered" })).await, 401);
    assert_eq!(post(url, serde_json::json!({ "device": "x", "id": [1] })).await, 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_session_for_operators_and_the_drop_alert() {
    use hotspot::notify::watch::Watch;
    use hotspot::sim::whatsapp::{SimSession, WhatsAppSim};
    let secondary = WhatsAppSim::start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let second = secondary.base_url();
    let app = TestApp::spawn_captive(&[("HOTSPOT_WA_SECONDARY_BASE_URL", &second)]).await;
    let (_, admin) = crate::common::staff(&app, "081299990003", hotspot::domain::Role::SuperAdmin).await;
    let s = &app.backend;
    assert_eq!(s.notify().check_gateway().await.unwrap(), Watch::Up);

    // Paired: the status says so, there is no QR to scan.
    let (status, body) = crate::common::call(&app, &admin, "GET", "/api/admin/whatsapp/status", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["providers"][0]["state"].as_str(), body["providers"][0]["up"].as_bool()),
        (Some("authenticated"), Some(true))
    );
    assert_eq!(body["providers"][1]["role"], "secondary");
    let (status, body) = crate::common::call(&app, &admin, "GET", "/api/admin/whatsapp/qr", None).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("INVALID_STATE")), "{body}");

    // The session drops: logged, and the admin who hears GATEWAY_DOWN is told through the
    // secondary, once (the super admin only while nobody is chosen: see outages below).
    let (on_call, _) = crate::common::staff(&app, "081299990004", hotspot::domain::Role::Admin).await;
    let body = serde_json::json!({ "notification_type": "GATEWAY_DOWN", "subscribed_admin_ids": [on_call] });
    let (status, _) = crate::common::call(&app, &admin, "POST", "/api/admin/notification-recipients", Some(body)).await;
    assert_eq!(status, 200);
    app.wa().set_session(SimSession::Disconnected);
    assert_eq!(s.notify().check_gateway().await.unwrap(), Watch::Dropped { told: 1 });
    assert_eq!(s.notify().check_gateway().await.unwrap(), Watch::StillDown);
    let alerts: Vec<_> = secondary.outbox().into_iter().filter(|m| m.to == "6281299990004").collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(alerts[0].message.contains("terputus"), "{}", alerts[0].message);
    assert!(secondary.outbox().iter().all(|m| m.to != "6281299990003"), "the super admin was not chosen");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("hotspot_peer_up{peer=\"whatsapp\"}"), "{metrics}");

    // The operator clears the session (audited) and gets a QR, as text and as a PNG.
    let (status, body) = crate::common::call(&app, &admin, "POST", "/api/admin/whatsapp/clear-session", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["providers"][0]["qr_available"], true);
    let (status, body) = crate::common::call(&app, &admin, "GET", "/api/admin/whatsapp/qr", None).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["qr"].as_str().unwrap().starts_with("2@sim-"));
    let png = admin.get(app.url("/api/admin/whatsapp/qr?format=png")).send().await.unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    assert!(png.bytes().await.unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));
    let audited: i64 =
        s.db.run(|c| {
            use hotspot::db::schema::audit_log;
            Ok(audit_log::table.filter(audit_log::action.eq("whatsapp.clear_session")).count().get_result(c)?)
        })
        .await
        .unwrap();
    assert_eq!(audited, 1);

    // Scanned: up again.
    app.wa().set_session(SimSession::Authenticated);
    assert_eq!(s.notify().check_gateway().await.unwrap(), Watch::Restored);
    assert_eq!(s.notify().check_gateway().await.unwrap(), Watch::Up);
    secondary.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_gateway_events_move_the_log_forward_only() {
    use hotspot::sim::whatsapp::Mode;
    let app = TestApp::spawn_captive(&[]).await;
    let trigger = listen_to_seed(&app).await;
    let newest = |app: &TestApp| {
        let db = app.backend.db.clone();
        async move {
            db.run(|c| {
                Ok(message_log::table
                    .filter(message_log::provider.eq("seed"))
                    .order(message_log::id.desc())
                    .select((message_log::status, message_log::provider_message_id))
                    .first::<(String, Option<String>)>(c)?)
            })
            .await
            .unwrap()
        }
    };
    let reaches = |want: &'static str| {
        let app = &app;
        async move {
            let start = Instant::now();
            while newest(app).await.0 != want {
                assert!(start.elapsed() < Duration::from_secs(10), "{want} never reported: {:?}", newest(app).await);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            newest(app).await.1.unwrap()
        }
    };

    // Sent, delivered, read: each event moves the code's log row forward.
    app.user("081234562006", "Seed", 1).await;
    app.code_for(&app.internet(), "081234562006").await;
    let id = reaches("read").await;
    // A late "sent" and an error ack never move it back.
    app.wa().push_event("message-sent", serde_json::json!({ "messageId": id, "status": "sent" }));
    app.wa().push_event("message-ack", serde_json::json!({ "messageId": id, "ack": -1 }));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(newest(&app).await.0, "read");

    // The gateway restarts: the listener connects again and hears the next message's fate.
    app.wa().kick_sockets();
    wait_for("the drop", Duration::from_secs(10), || app.wa().socket_clients() == 0).await;
    wait_for("the reconnection", Duration::from_secs(20), || app.wa().socket_clients() == 1).await;
    app.wa().set_mode(Mode::Undeliverable);
    app.user("081234562007", "Gagal", 1).await;
    app.code_for(&app.internet(), "081234562007").await;
    let failed = reaches("failed").await;
    assert_ne!(failed, id);
    trigger.trigger();
}

/// Issue 30, item 16: a burst of delivery events (6,000 for 3,000 messages) is recorded whole:
/// receipts go to the database in batches, from a queue deep enough for a burst.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_seed_receipts_is_recorded_whole() {
    const N: i64 = 3_000;
    let app = TestApp::spawn_captive(&[]).await;
    let _trigger = listen_to_seed(&app).await;
    app.backend
        .db
        .run(|c| {
            diesel::sql_query(
                "INSERT INTO message_log (to_msisdn, template, provider, provider_message_id, status, attempts) \
                 SELECT '+6281234500001', 'otp', 'seed', 'burst-' || g, 'sent', 1 FROM generate_series(0, 3000) g",
            )
            .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    let read = || {
        let db = app.backend.db.clone();
        async move {
            db.run(|c| {
                Ok(message_log::table
                    .filter(message_log::status.eq("read"))
                    .filter(message_log::provider_message_id.ne("burst-0"))
                    .count()
                    .get_result::<i64>(c)?)
            })
            .await
            .unwrap()
        }
    };
    // The socket is counted when it opens; events reach the listener once its namespace is
    // joined too. A probe shows the whole way works before the burst.
    let probe = || {
        let db = app.backend.db.clone();
        async move {
            db.run(|c| {
                Ok(message_log::table
                    .filter(message_log::provider_message_id.eq("burst-0"))
                    .select(message_log::status)
                    .first::<String>(c)?)
            })
            .await
            .unwrap()
        }
    };
    let start = Instant::now();
    while probe().await != "read" {
        assert!(start.elapsed() < Duration::from_secs(30), "the probe receipt never arrived");
        app.wa().push_event("message-ack", serde_json::json!({ "messageId": "burst-0", "ack": 3 }));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    for i in 1..=N {
        app.wa().push_event("message-ack", serde_json::json!({ "messageId": format!("burst-{i}"), "ack": 2 }));
        app.wa().push_event("message-ack", serde_json::json!({ "messageId": format!("burst-{i}"), "ack": 3 }));
    }
    let start = Instant::now();
    while read().await < N {
        assert!(start.elapsed() < Duration::from_secs(60), "{} of {N} read after 60 s", read().await);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The worker's listener to the seed gateway's events, connected; it stops with the trigger.
async fn listen_to_seed(app: &TestApp) -> hotspot::shutdown::ShutdownTrigger {
    let provider = app.backend.settings.whatsapp.as_ref().unwrap().primary.clone();
    let (trigger, shutdown) = hotspot::shutdown::Shutdown::new();
    let sink = hotspot::notify::receipts::seed_sink(app.backend.db.clone());
    tokio::spawn(hotspot::whatsapp::seed_events::listen(provider, sink, shutdown));
    wait_for("the listener to connect", Duration::from_secs(10), || app.wa().socket_clients() == 1).await;
    trigger
}

/// The router going down and coming back is told once each, queued to the admins who hear
/// ROUTER_DOWN; while nobody is chosen, to the super admins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn router_outages_are_told_once_each_to_who_hears_them() {
    use hotspot::notify::watch::Watch;
    let app = TestApp::spawn_captive(&[]).await;
    let (_, sup) = crate::common::staff(&app, "081299990071", hotspot::domain::Role::SuperAdmin).await;
    let (on_call, _) = crate::common::staff(&app, "081299990072", hotspot::domain::Role::Admin).await;
    let n = app.backend.notify();
    assert_eq!(n.router_seen("gedung-a", true).await.unwrap(), Watch::Up);
    assert_eq!(n.router_seen("gedung-a", false).await.unwrap(), Watch::Dropped { told: 1 });
    assert_eq!(n.router_seen("gedung-a", false).await.unwrap(), Watch::StillDown);
    assert_eq!(n.router_seen("gedung-a", true).await.unwrap(), Watch::Restored);
    assert_eq!(n.router_seen("gedung-a", true).await.unwrap(), Watch::Up);

    let body = serde_json::json!({ "notification_type": "ROUTER_DOWN", "subscribed_admin_ids": [on_call] });
    let (status, _) = crate::common::call(&app, &sup, "POST", "/api/admin/notification-recipients", Some(body)).await;
    assert_eq!(status, 200);
    assert_eq!(n.router_seen("gedung-a", false).await.unwrap(), Watch::Dropped { told: 1 });

    let (_w, _j) = app.start_worker();
    let wanted = |to: &'static str, text: &'static str| {
        let app = &app;
        async move {
            for _ in 0..100 {
                let n = app.wa().outbox().iter().filter(|m| m.to == to && m.message.contains(text)).count();
                if n > 0 {
                    return n;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            0
        }
    };
    assert_eq!(wanted("6281299990071", "tidak menjawab").await, 1, "{:?}", app.wa().outbox());
    assert_eq!(wanted("6281299990071", "menjawab lagi").await, 1);
    assert_eq!(wanted("6281299990072", "tidak menjawab").await, 1);
    let sup_down =
        app.wa().outbox().iter().filter(|m| m.to == "6281299990071" && m.message.contains("tidak menjawab")).count();
    assert_eq!(sup_down, 1, "the second outage went to the chosen admin only");
}
