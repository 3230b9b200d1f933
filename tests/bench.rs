//! The benchmark programs measure the paths they name: a small run of each must succeed.

use crate::common;

/// `bench auth` measures the full sign-in (on the hotspot, the router binding the device); a
/// run whose sign-ins took the off-hotspot path (no device, no router) counts them as failed.
/// The trust boundary once made it measure that shorter path without saying so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_auth_signs_in_on_the_hotspot() {
    let opts = hotspot::bench::auth::Options {
        users: 20,
        concurrency: 4,
        me_requests: 50,
        http_workers: Some(1),
        db_pool: Some(2),
        database_url: format!("{}/postgres", common::pg_server_url()),
        redis_url: common::redis_url(),
    };
    hotspot::bench::auth::run(opts).await.expect("bench auth runs the full sign-in");
}
