//! Issue 30, item 12: a sync whose process is killed mid-cycle holds the lock only for its short
//! lease; the next cycle takes over within a minute, closes the dead one's run as failed, and
//! charges exactly once.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use hotspot::db::schema::sync_runs;
use hotspot::domain::{RunStatus, SyncTrigger};
use hotspot::sync::{TickOutcome, tick};

use crate::common::{TestApp, test_vars};

async fn statuses(app: &TestApp) -> Vec<RunStatus> {
    app.backend
        .db
        .run(|c| Ok(sync_runs::table.order(sync_runs::id.asc()).select(sync_runs::status).load(c)?))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_cycle_frees_the_lock_within_its_lease_and_its_run_is_closed() {
    let app = TestApp::spawn_with_router(&[]).await;
    let u = app.user("081255500001", "Sync", 10).await;
    app.owned_device(u.id, "02:5C:00:00:00:01", "10.7.0.2").await;
    let ctx = app.backend.sync_context().unwrap();
    let every = Duration::from_secs(300);
    assert!(matches!(tick(&ctx, &app.backend.kv, every, SyncTrigger::Cli, None).await.unwrap(), TickOutcome::Ran(_)));

    // Another process's cycle, stalled at the router, is killed with SIGKILL mid-cycle.
    app.sim().set_faults(|f| f.stall = Some(String::new()));
    let addr = app.sim().addr().to_string();
    let vars = test_vars(
        &app.db,
        &app.redis_prefix,
        &[
            ("HOTSPOT_ROUTER_ADDR", &addr),
            ("HOTSPOT_ROUTER_PASSWORD", "sim-password"),
            ("HOTSPOT_ROUTER_COMMAND_TIMEOUT_MS", "60000"),
        ],
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hotspot"))
        .env_clear()
        .envs(vars)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .args(["sync", "--now"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while statuses(&app).await.len() < 2 {
        assert!(Instant::now() < deadline, "the other process never started its cycle");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(statuses(&app).await, [RunStatus::Succeeded, RunStatus::Running]);
    app.sim().set_faults(|f| f.stall = None);
    assert_eq!(tick(&ctx, &app.backend.kv, every, SyncTrigger::Cli, None).await.unwrap(), TickOutcome::Locked);

    // Within the lease (20 s, well inside a minute) the lock is free again.
    let killed = Instant::now();
    app.sim().advance(300);
    let ran = loop {
        match tick(&ctx, &app.backend.kv, every, SyncTrigger::Cli, None).await.unwrap() {
            TickOutcome::Ran(s) => break s,
            _ => {
                assert!(killed.elapsed() < Duration::from_secs(60), "the dead cycle's lock was not taken over");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    };
    assert_eq!(ran.status, RunStatus::Succeeded, "{:?}", ran.errors);
    assert!(ran.bytes_charged > 0);
    assert_eq!(statuses(&app).await, [RunStatus::Succeeded, RunStatus::Failed, RunStatus::Succeeded]);
    let errors: serde_json::Value = app
        .backend
        .db
        .run(|c| Ok(sync_runs::table.order(sync_runs::id.asc()).select(sync_runs::errors).offset(1).first(c)?))
        .await
        .unwrap();
    assert!(errors.to_string().contains("abandoned"), "{errors}");
    app.stop().await;
}
