//! Issue 30, item 15: after the database cut every pooled connection, requests recover at once
//! instead of failing one by one on each dead connection.

use diesel::prelude::*;

use crate::common::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_pooled_connections_cost_one_request_not_one_each() {
    let app = TestApp::spawn().await;
    // Fill the pool (4 connections in tests) with parallel requests.
    let fill = futures_util::future::join_all((0..16).map(|_| app.get("/api/packages"))).await;
    assert!(fill.iter().all(|r| r.status() == 200));
    let (_, pooled, _) = app.backend.db.state();
    assert!(pooled >= 3, "{pooled} pooled connections");

    // Postgres ends every session of this database (a restart, a failover, a proxy's reset).
    let mut admin = app.db.conn();
    diesel::sql_query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .execute(&mut admin)
    .unwrap();

    let mut answers = Vec::new();
    for _ in 0..10 {
        answers.push(app.get("/api/packages").await.status().as_u16());
    }
    let failed = answers.iter().filter(|s| **s == 503).count();
    assert!(failed <= 1, "{failed} requests failed on dead connections: {answers:?}");
    assert_eq!(*answers.last().unwrap(), 200);
    app.stop().await;
}
