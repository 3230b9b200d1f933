//! The benchmark programs measure the paths they name: a small run of each must succeed.

use crate::common;

/// A small run: a few users, one HTTP worker.
fn small() -> hotspot::bench::auth::Options {
    hotspot::bench::auth::Options {
        users: 20,
        concurrency: 4,
        me_requests: 50,
        http_workers: Some(1),
        db_pool: Some(2),
        database_url: format!("{}/postgres", common::pg_server_url()),
        redis_url: common::redis_url(),
    }
}

/// `bench auth` measures the full sign-in (on the hotspot, the router binding the device); a
/// run whose sign-ins took the off-hotspot path (no device, no router) counts them as failed.
/// The trust boundary once made it measure that shorter path without saying so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_auth_signs_in_on_the_hotspot() {
    hotspot::bench::auth::run(small()).await.expect("bench auth runs the full sign-in");
}

/// `--serve` and `--external`: the load from one side, the server (behind its control listener)
/// on the other; the sign-ins still take the full path, and the server's scratch database is
/// gone once it stops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_auth_drives_a_separate_server() {
    let api = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let control = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (url, control_url) =
        (format!("http://{}", api.local_addr().unwrap()), format!("http://{}", control.local_addr().unwrap()));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(hotspot::bench::auth::serve(small(), api, control, async {
        let _ = stopped.await;
    }));
    // The control listener answers once the server side is up.
    hotspot::ensure_crypto_provider();
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..300 {
        if http.get(format!("{control_url}/describe")).send().await.is_ok_and(|r| r.status().is_success()) {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(up, "the --serve side never answered");
    let bad = http.post(format!("{control_url}/logins?n=0")).send().await.unwrap();
    assert_eq!(bad.status(), 400, "a control request for no users is refused");
    hotspot::bench::auth::external(small(), &url, &control_url).await.expect("the load drives the other side");
    stop.send(()).unwrap();
    server.await.unwrap().expect("the server side stops cleanly");
}
