//! The worker over a real app (Postgres, Redis, the router and gateway simulators): manual syncs
//! through the admin API, scheduled ticks processed once by two workers, router removals that
//! failed at logout finished by the retry queue, and a retry never undoing a newer login.

use std::time::Duration;

use diesel::prelude::*;
use hotspot::db::schema::sync_runs;
use hotspot::domain::{ClientIp, MacAddress};
use serde_json::{Value, json};

use crate::common::TestApp;

const ADMIN: &str = "081200000001";
const PHONE: &str = "081234567001";
const MAC: &str = "02:DE:00:00:07:01";
const IP: &str = "10.5.57.1";

/// A signed-in admin's browser.
async fn admin(app: &TestApp) -> reqwest::Client {
    app.user_with(ADMIN, "Admin", 0, |u| {
        u.role = hotspot::domain::Role::Admin;
        u.password = Some("a-long-admin-password".into());
    })
    .await;
    let b = app.browser();
    let (status, body) =
        app.post(&b, "/api/auth/admin/login", json!({ "username": ADMIN, "password": "a-long-admin-password" })).await;
    assert_eq!(status, 200, "admin login: {body}");
    b
}

async fn wait_until<F, Fut>(what: &str, limit: Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !f().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// (trigger, job id, status) of every run, oldest first.
async fn runs(app: &TestApp) -> Vec<(String, Option<String>, String)> {
    app.backend
        .db
        .run(|c| {
            Ok(sync_runs::table
                .order(sync_runs::id.asc())
                .select((sync_runs::trigger, sync_runs::job_id, sync_runs::status))
                .load(c)?)
        })
        .await
        .unwrap()
}

async fn user_with_device(app: &TestApp) -> uuid::Uuid {
    let u = app.user(PHONE, "Budi", 10).await;
    app.owned_device(u.id, MAC, IP).await;
    u.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_sync_through_the_api_is_one_job_at_a_time_and_runs() {
    let app = TestApp::spawn_with_router(&[("HOTSPOT_JOB_POLL_MS", "100")]).await;
    user_with_device(&app).await;
    let admin = admin(&app).await;
    // Refused before anything is queued: no session, or not an admin.
    assert_eq!(app.client.post(app.url("/api/admin/sync")).send().await.unwrap().status(), 401);
    let alive = || async {
        let prefix = format!("{}-", hotspot::worker::host_name());
        app.backend.queues.silent_queues(&prefix, Duration::from_secs(15)).await.unwrap().is_empty()
    };
    assert!(!alive().await, "no worker yet: the container health check fails");
    let (worker_stop, worker) = app.start_worker();

    let res = admin.post(app.url("/api/admin/sync")).send().await.unwrap();
    assert_eq!(res.status(), 202);
    let first: Value = res.json().await.unwrap();
    let job = first["job_id"].as_str().expect("job_id").to_owned();
    assert_eq!(first["created"], true);
    let second: Value = admin.post(app.url("/api/admin/sync")).send().await.unwrap().json().await.unwrap();
    assert_eq!((second["job_id"].as_str(), &second["created"]), (Some(job.as_str()), &json!(false)));

    wait_until("the manual run", Duration::from_secs(30), || async {
        runs(&app).await.iter().any(|r| r.1.as_deref() == Some(job.as_str()) && r.2 != "running")
    })
    .await;
    assert!(alive().await, "a running worker's heartbeat is visible to the health check");
    let manual: Vec<_> = runs(&app).await.into_iter().filter(|r| r.0 == "manual").collect();
    assert_eq!(manual.len(), 1, "two requests, one job, one run: {manual:?}");
    assert_eq!(manual[0].2, "succeeded");

    // The job is over: the next request is a new job.
    wait_until("the job to be released", Duration::from_secs(10), || async {
        app.backend.queues.manual_sync_pending().await.unwrap().is_none()
    })
    .await;
    let third: Value = admin.post(app.url("/api/admin/sync")).send().await.unwrap().json().await.unwrap();
    assert_eq!(third["created"], true);
    assert_ne!(third["job_id"].as_str(), Some(job.as_str()));
    // Each new job is in the audit trail, once (the repeated request added none).
    let audited: Value =
        admin.get(app.url("/api/admin/audit?action=sync.manual")).send().await.unwrap().json().await.unwrap();
    assert_eq!(audited["total"], 2, "{audited}");
    assert_eq!(audited["items"][1]["target_id"], job.as_str());

    worker_stop.trigger();
    assert!(tokio::time::timeout(Duration::from_secs(10), worker).await.is_ok(), "the worker stops on the signal");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_admin_cannot_start_a_sync() {
    let app = TestApp::spawn_captive(&[]).await;
    user_with_device(&app).await;
    let b = app.browser();
    let code = app.code_for(&b, PHONE).await;
    let (status, body) =
        app.post(&b, "/api/auth/verify-otp", json!({ "phone_number": PHONE, "otp": code, "client_ip": IP })).await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();
    let res = app.client.post(app.url("/api/admin/sync")).bearer_auth(token).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(app.backend.queues.manual_sync_pending().await.unwrap().is_none(), "nothing was queued");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_sync_each_scheduled_tick_once() {
    let app = TestApp::spawn_with_router(&[("HOTSPOT_SYNC_INTERVAL_SECS", "10")]).await;
    user_with_device(&app).await;
    let (stop_a, a) = app.start_worker();
    let (stop_b, b) = app.start_worker();
    wait_until("a scheduled run", Duration::from_secs(25), || async {
        runs(&app).await.iter().any(|r| r.0 == "schedule" && r.2 != "running")
    })
    .await;
    // Both workers fired on that tick (the instants are aligned); give the slower one time.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let scheduled: Vec<_> = runs(&app).await.into_iter().filter(|r| r.0 == "schedule").collect();
    assert_eq!(scheduled.len(), 1, "one tick, two workers, one sync: {scheduled:?}");
    assert_eq!(scheduled[0].2, "succeeded");
    stop_a.trigger();
    stop_b.trigger();
    let _ = tokio::time::timeout(Duration::from_secs(10), a).await;
    let _ = tokio::time::timeout(Duration::from_secs(10), b).await;
    app.stop().await;
}

/// A user whose phone sits on the hotspot, logged in with a code: the browser holding the session.
async fn log_in_new_user(app: &TestApp) -> reqwest::Client {
    app.user(PHONE, "Budi", 10).await;
    app.device(MAC, IP);
    let b = app.browser();
    let code = app.code_for(&b, PHONE).await;
    let (status, body) =
        app.post(&b, "/api/auth/verify-otp", json!({ "phone_number": PHONE, "otp": code, "client_ip": IP })).await;
    assert_eq!(status, 200, "{body}");
    b
}

fn bindings_for(app: &TestApp, mac: &str) -> usize {
    app.sim().with_state(|s| {
        s.table("/ip/hotspot/ip-binding").unwrap().rows().filter(|r| r.attrs["mac-address"] == mac).count()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_while_the_router_is_down_is_finished_by_the_retry_queue() {
    let app = TestApp::spawn_captive(&[
        ("HOTSPOT_JOB_POLL_MS", "100"),
        // No scheduled sync in the window: the removal must come from the retry queue.
        ("HOTSPOT_SYNC_INTERVAL_SECS", "86400"),
        ("HOTSPOT_ROUTER_BREAKER_OPEN_SECS", "1"),
        ("HOTSPOT_ROUTER_CONNECT_TIMEOUT_MS", "300"),
    ])
    .await;
    let b = log_in_new_user(&app).await;
    assert_eq!(bindings_for(&app, MAC), 1);

    app.sim().set_faults(|f| f.down = true);
    app.sim().drop_connections_and_wait().await;
    let (status, body) = app.post(&b, "/api/auth/logout", json!({})).await;
    assert_eq!(status, 200, "the session ends even when the router is away: {body}");
    assert_eq!(bindings_for(&app, MAC), 1, "the router could not be told");

    let (stop, worker) = app.start_worker();
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.sim().set_faults(|f| f.down = false);
    wait_until("the retried removal", Duration::from_secs(40), || async { bindings_for(&app, MAC) == 0 }).await;
    stop.trigger();
    let _ = tokio::time::timeout(Duration::from_secs(10), worker).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_retry_leaves_a_device_that_logged_in_again_alone() {
    let app = TestApp::spawn_captive(&[]).await;
    log_in_new_user(&app).await;
    // A removal queued by an earlier logout arrives after this new login.
    let captive = app.backend.captive();
    let removed = captive
        .devices
        .retry_forget(vec![MacAddress::parse(MAC).unwrap()], vec![ClientIp::parse(IP).unwrap()])
        .await
        .unwrap();
    assert_eq!(removed, (0, 0));
    assert_eq!(bindings_for(&app, MAC), 1, "the new login's binding stays");
    // A device nobody holds any more is removed.
    let other = "02:DE:00:00:07:02";
    app.device(other, "10.5.57.2");
    app.sim().with_state(|s| {
        let mut attrs = std::collections::BTreeMap::new();
        attrs.insert("mac-address".to_owned(), other.to_owned());
        attrs.insert("type".to_owned(), "bypassed".to_owned());
        attrs.insert("comment".to_owned(), "hotspot:user=gone".to_owned());
        attrs.insert("disabled".to_owned(), "false".to_owned());
        s.table_mut("/ip/hotspot/ip-binding").map(|t| t.insert(attrs))
    });
    let removed = captive.devices.retry_forget(vec![MacAddress::parse(other).unwrap()], vec![]).await.unwrap();
    assert_eq!(removed, (1, 0));
    assert_eq!(bindings_for(&app, other), 0);
    app.stop().await;
}

/// Every job's failures are a series the alert rules can read from the start (the worker sets
/// each registered job's up at zero), and every queue the worker consumes is one the queue
/// metrics look at.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_job_has_its_failure_series_and_every_queue_its_depth() {
    let app = TestApp::spawn().await;
    let conn = hotspot_jobs::queue::connection(&app.backend.settings.redis_url, Duration::from_secs(2)).unwrap();
    let worker = hotspot::worker::build(app.backend.worker_ctx(), app.backend.worker_config(), conn);
    let mut queues = worker.queues().to_vec();
    queues.sort_unstable();
    let mut listed = hotspot_jobs::QUEUES.to_vec();
    listed.sort_unstable();
    assert_eq!(queues, listed, "the queues consumed are the queues measured");
    let text = hotspot::metrics::render(Vec::new()).unwrap();
    let jobs: Vec<_> = worker.jobs().collect();
    assert!(jobs.len() >= 10, "{jobs:?}");
    for job in jobs {
        let series = format!("hotspot_job_failures_total{{queue=\"{job}\"}}");
        assert!(text.contains(&series), "{series} missing");
    }
    for (job, next) in worker.preview(1) {
        assert_eq!(next.len(), 1, "{job} fires");
    }
}

/// Issue 30, item 11: after a Redis blip every queue's consumer comes back by itself. While
/// Redis is down the consumers are reported down (metrics; the health check's heartbeats stop);
/// once it is back, a manual sync asked for through the API runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_consumers_come_back_after_redis_does() {
    let mut redis = crate::common::OwnRedis::start();
    let url = redis.url();
    let app = TestApp::spawn_with_router(&[("HOTSPOT_JOB_POLL_MS", "100"), ("REDIS_URL", &url)]).await;
    user_with_device(&app).await;
    let admin = admin(&app).await;
    let (_stop, _worker) = app.start_worker();
    let prefix = format!("{}-", hotspot::worker::host_name());
    let silent = || async {
        app.backend.queues.silent_queues(&prefix, Duration::from_secs(6)).await.unwrap_or_else(|_| vec!["unknown"])
    };
    wait_until("every consumer's heartbeat", Duration::from_secs(20), || async { silent().await.is_empty() }).await;

    // The metrics are the process's (other tests' workers share them): the restarts counter
    // only grows, so its growth is this worker's consumer stopping.
    let restarts = || {
        let text = hotspot::metrics::render(Vec::new()).unwrap();
        let series = "hotspot_worker_consumer_restarts_total{queue=\"manual-sync\"} ";
        text.lines().find_map(|l| l.strip_prefix(series).and_then(|v| v.parse::<u64>().ok())).unwrap_or(0)
    };
    let before = restarts();
    redis.down();
    wait_until("the manual-sync consumer reported stopped", Duration::from_secs(30), || async { restarts() > before })
        .await;

    redis.up();
    wait_until("every consumer back", Duration::from_secs(60), || async { silent().await.is_empty() }).await;
    let res = admin.post(app.url("/api/admin/sync")).send().await.unwrap();
    let status = res.status();
    assert_eq!(status, 202, "{}", res.text().await.unwrap());
    let job = res.json::<Value>().await.unwrap()["job_id"].as_str().unwrap().to_owned();
    wait_until("the manual run after the blip", Duration::from_secs(30), || async {
        runs(&app).await.iter().any(|r| r.1.as_deref() == Some(job.as_str()) && r.2 == "succeeded")
    })
    .await;
}
