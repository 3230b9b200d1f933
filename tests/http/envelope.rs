//! Health, request ids, the error envelope for actix's own errors, metrics, OpenAPI.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{TestApp, black_hole, closed_port};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_ok_when_postgres_and_redis_answer() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/health").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("x-request-id").is_some());
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["checks"]["database"]["status"], "up");
    assert_eq!(body["checks"]["redis"]["status"], "up");
    app.stop().await;
}

async fn assert_degraded(app: &TestApp, down: &str) {
    let started = Instant::now();
    let res = app.get("/api/health").await;
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(2), "health took {elapsed:?}");
    assert_eq!(res.status(), 503);
    assert!(res.headers().get("retry-after").is_some());
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["success"], false);
    assert_eq!(body["status_code"], 503);
    assert_eq!(body["code"], "SERVICE_DEGRADED");
    assert_eq!(body["status"], "degraded");
    assert!(body["request_id"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(body["checks"][down]["status"], "down", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_degraded_within_two_seconds_when_redis_hangs() {
    let (addr, _hole) = black_hole();
    let url = format!("redis://{addr}/0");
    let app = TestApp::spawn_with(&[("REDIS_URL", &url), ("HOTSPOT_REDIS_TIMEOUT_MS", "5000")]).await;
    assert_degraded(&app, "redis").await;
    // A hung Redis does not hang the next request either.
    assert_degraded(&app, "redis").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_degraded_when_redis_is_down() {
    let url = format!("redis://127.0.0.1:{}/0", closed_port());
    let app = TestApp::spawn_with(&[("REDIS_URL", &url)]).await;
    assert_degraded(&app, "redis").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_degraded_when_postgres_is_down() {
    let url = format!("postgres://postgres@127.0.0.1:{}/nothing", closed_port());
    let app = TestApp::spawn_with(&[("DATABASE_URL", &url)]).await;
    assert_degraded(&app, "database").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_ids_are_echoed_or_generated() {
    let app = TestApp::spawn().await;
    let res = app.client.get(app.url("/api/health")).header("X-Request-ID", "trace-abc_123").send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "trace-abc_123");
    let forged = app.client.get(app.url("/nope")).header("X-Request-ID", "a b\"c").send().await.unwrap();
    let rid = forged.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(rid, "a b\"c");
    let body: Value = forged.json().await.unwrap();
    assert_eq!(body["request_id"], rid.as_str());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_errors_use_the_envelope_in_both_languages() {
    let app = TestApp::spawn().await;
    let not_found = app.get("/api/does-not-exist").await;
    assert_eq!(not_found.status(), 404);
    let body: Value = not_found.json().await.unwrap();
    assert_eq!(body["code"], "NOT_FOUND");
    assert_eq!(body["message"], "Alamat tidak ditemukan.");
    assert_eq!(body["success"], false);

    let wrong_method =
        app.client.post(app.url("/api/health")).header("Accept-Language", "en-US,en;q=0.9").send().await.unwrap();
    assert_eq!(wrong_method.status(), 405);
    let body: Value = wrong_method.json().await.unwrap();
    assert_eq!(body["code"], "METHOD_NOT_ALLOWED");
    assert_eq!(body["message"], "Method not allowed.");
    assert_eq!(body["status_code"], 405);
    assert_eq!(body["error"], "Method not allowed.", "the human text, as in message");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_route_and_status() {
    let app = TestApp::spawn().await;
    for _ in 0..3 {
        assert_eq!(app.get("/api/health").await.status(), 200);
    }
    assert_eq!(app.get("/api/nothing-here").await.status(), 404);
    let text = app.get("/metrics").await.text().await.unwrap();
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("hotspot_http_requests_total{")
                && l.contains("route=\"/api/health\"")
                && l.contains("status=\"200\"")
        })
        .unwrap_or_else(|| panic!("no health counter in\n{text}"));
    assert!(line.ends_with(" 3"), "{line}");
    assert!(text.lines().any(|l| l.contains("route=\"unmatched\"") && l.contains("status=\"404\"")));
    assert!(text.contains("hotspot_http_request_duration_seconds_bucket"));
    assert!(text.contains("hotspot_db_pool_connections{state=\"max\"} 4"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_is_valid_openapi_3() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/openapi.json").await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    let spec = oas3::from_json(&text).expect("a valid OpenAPI 3.1 document");
    assert!(spec.openapi.starts_with("3."));
    let paths = spec.paths.expect("paths");
    assert!(paths.contains_key("/api/health"));
    assert!(paths.contains_key("/api/openapi.json"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reports_the_router_and_degrades_without_503_when_it_is_down() {
    // Checks not reused, so the outage shows at once.
    let app = TestApp::spawn_with_router(&[("HOTSPOT_HEALTH_CACHE_SECS", "0")]).await;
    let body: Value = app.get("/api/health").await.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["checks"]["router"]["status"], "up");
    app.sim().set_faults(|f| f.down = true);
    app.sim().drop_connections_and_wait().await;
    let started = Instant::now();
    let res = app.get("/api/health").await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(res.status(), 200, "a router outage is not an API outage");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["checks"]["router"]["status"], "down");
    assert_eq!(body["checks"]["database"]["status"], "up");
    app.stop().await;
}

/// Every setting the configuration reads is documented in `.env.example`.
#[test]
fn every_setting_is_documented_in_env_example() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = std::fs::read_to_string(root.join(".env.example")).unwrap();
    let re = regex::Regex::new(r#""((?:HOTSPOT|DATABASE|REDIS)_[A-Z0-9_]+)""#).unwrap();
    let mut missing = Vec::new();
    let mut files = vec![root.join("src/config")];
    let mut sources = Vec::new();
    while let Some(p) = files.pop() {
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().flatten().map(|e| e.path()));
        } else {
            sources.push(p);
        }
    }
    for path in sources {
        let text = std::fs::read_to_string(path).unwrap();
        for cap in re.captures_iter(&text) {
            let var = &cap[1];
            if !example.contains(&format!("{var}=")) && !missing.contains(&var.to_owned()) {
                missing.push(var.to_owned());
            }
        }
    }
    assert!(missing.is_empty(), "not in .env.example: {missing:?}");
}

/// Issue 30, item 16: with the router down, `/api/health` stays 200 `degraded` (a router outage
/// is every instance's; a load balancer must not empty the pool for it), and a monitor that
/// asks for every dependency (`?require=all`) gets 503.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_tells_a_monitor_the_router_is_down() {
    let addr = format!("127.0.0.1:{}", closed_port());
    let app =
        TestApp::spawn_with(&[("HOTSPOT_ROUTER_ADDR", &addr), ("HOTSPOT_ROUTER_CONNECT_TIMEOUT_MS", "300")]).await;
    let res = app.get("/api/health").await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (body["status"].as_str(), body["checks"]["router"]["status"].as_str()),
        (Some("degraded"), Some("down"))
    );
    let res = app.get("/api/health?require=all").await;
    assert_eq!(res.status(), 503);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (body["code"].as_str(), body["checks"]["router"]["status"].as_str()),
        (Some("SERVICE_DEGRADED"), Some("down"))
    );
    assert_eq!(app.get("/api/health?require=essential").await.status(), 200);
    assert_eq!(app.get("/api/health?require=maybe").await.status(), 422);
    app.stop().await;
}

/// Issue 30, item 16: a 503 that explains itself in a sentence is not wrapped in another one
/// ("… dikonfigurasi. sedang tidak tersedia …").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unavailable_messages_are_not_garbled() {
    let app = TestApp::spawn().await;
    let (_, admin) = crate::common::staff(&app, "081299990001", hotspot::domain::Role::SuperAdmin).await;
    let (status, body) = crate::common::call(&app, &admin, "POST", "/api/admin/sync", None).await;
    assert_eq!((status, body["message"].as_str()), (503, Some("Tidak ada router yang dikonfigurasi.")), "{body}");
    let (status, body) = crate::common::call(&app, &admin, "GET", "/api/admin/whatsapp/qr", None).await;
    assert_eq!((status, body["message"].as_str()), (503, Some("Gateway WhatsApp belum dikonfigurasi.")), "{body}");
    app.stop().await;
}
