//! Every metric the Grafana dashboard and the Prometheus alert rules read is exported by a
//! running server, once the work it counts has happened (a sign-in's codes, sync cycles that
//! succeed and fail, router commands and errors, the gateway's session, the queues).

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::json;

use crate::common::TestApp;

/// The `hotspot_…` metric names in a text (PromQL in the dashboard's JSON or the rules' YAML).
fn names_in(text: &str) -> BTreeSet<String> {
    let re = regex::Regex::new(r"\bhotspot_[a-z0-9_]+").unwrap();
    re.find_iter(text).map(|m| m.as_str().to_owned()).collect()
}

/// The names a Prometheus text exposition carries samples for.
fn exported(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(str::to_owned)
        .collect()
}

fn repo_file(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_the_dashboard_and_the_alerts_use_is_exported() {
    let app = TestApp::spawn_captive(&[]).await;
    // A code sent, a wrong guess, the right one.
    let phone = "081234569001";
    app.user(phone, "Metrik", 5).await;
    let c = app.internet();
    let code = app.code_for(&c, phone).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, _) = app.post(&c, "/api/auth/verify-otp", json!({ "phone_number": phone, "otp": wrong })).await;
    assert_eq!(status, 401);
    let (status, body) = app.post(&c, "/api/auth/verify-otp", json!({ "phone_number": phone, "otp": code })).await;
    assert_eq!(status, 200, "{body}");
    // A cycle that succeeds, one that fails with the router away, the gateway's session looked at.
    let ctx = app.backend.sync_context().unwrap();
    hotspot::sync::run_cycle(&ctx, hotspot::domain::SyncTrigger::Cli, None, hotspot::sync::FailPoint::None)
        .await
        .unwrap();
    app.sim().set_faults(|x| x.down = true);
    app.sim().drop_connections_and_wait().await;
    assert!(
        hotspot::sync::run_cycle(&ctx, hotspot::domain::SyncTrigger::Cli, None, hotspot::sync::FailPoint::None)
            .await
            .is_err()
    );
    app.sim().set_faults(|x| x.down = false);
    app.backend.notify().check_gateway().await.unwrap();
    // A worker built in this process shows its consumers' series.
    let conn = hotspot_jobs::queue::connection(&app.backend.settings.redis_url, Duration::from_secs(2)).unwrap();
    let _worker = hotspot::worker::build(app.backend.worker_ctx(), app.backend.worker_config(), conn);

    let text = app.get("/metrics").await.text().await.unwrap();
    let have = exported(&text);
    let dashboard = repo_file("deploy/monitoring/grafana/dashboards/hotspot.json");
    let rules = repo_file("deploy/monitoring/alerts.yml");
    let wanted: BTreeSet<String> = names_in(&dashboard).into_iter().chain(names_in(&rules)).collect();
    assert!(wanted.len() > 15, "the dashboard and rules name {wanted:?}");
    let missing: Vec<&String> = wanted.iter().filter(|n| !have.contains(*n)).collect();
    assert!(missing.is_empty(), "used by the dashboard or the alert rules but not exported: {missing:?}\n{text}");

    // The counts moved as the work happened.
    let value = |series: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(series))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(-1.0)
    };
    assert!(value("hotspot_otp_codes_total{outcome=\"sent\"}") >= 1.0);
    assert!(value("hotspot_otp_codes_total{outcome=\"failed\"}") >= 1.0);
    assert!(value("hotspot_otp_codes_total{outcome=\"verified\"}") >= 1.0);
    assert!(value("hotspot_sync_failures_total") >= 1.0);
    assert!(value("hotspot_sync_cycle_duration_seconds_count{status=\"succeeded\"}") >= 1.0);
    assert!(text.contains("hotspot_router_command_errors_total{command="), "{text}");
    assert!(value("hotspot_whatsapp_session_up{provider=\"seed\"}") == 1.0);
    assert!(text.contains("hotspot_queue_jobs{queue=\"notify\",state=\"dead\"}"));
    // Label values come from closed sets: no phone number or address in any series.
    assert!(!text.contains("62812") && !text.contains("10.5."), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_serves_its_own_metrics() {
    let at = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let app = TestApp::spawn_with(&[("HOTSPOT_WORKER_METRICS_LISTEN", &at)]).await;
    let (stop, worker) = app.start_worker();
    let url = format!("http://{at}/metrics");
    let mut text = String::new();
    for _ in 0..100 {
        if let Ok(r) = reqwest::get(&url).await {
            text = r.text().await.unwrap();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(text.contains("hotspot_sync_cycle_duration_seconds_bucket"), "{text}");
    assert!(text.contains("hotspot_queue_jobs{queue=\"notify\",state=\"pending\"}"), "{text}");
    // Its own metrics only: the HTTP server's families are the server's.
    assert!(!text.contains("hotspot_http_requests_total"), "{text}");
    stop.trigger();
    worker.await.unwrap().unwrap();
}
