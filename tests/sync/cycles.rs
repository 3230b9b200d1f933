//! The quota sync against real Postgres and Redis and the router simulator: exactly-once
//! charging across many cycles and a reboot, crash safety, router outages, one sync per tick,
//! zero writes in steady state.

use hotspot::domain::RunStatus;
use std::time::Duration;

use diesel::prelude::*;
use hotspot::db::schema::{sync_runs, users};
use hotspot::domain::MacAddress;
use hotspot::sync::{FailPoint, SyncContext, run_cycle};
use hotspot::sync::{TickOutcome, tick};

use crate::common::TestApp;

struct Fixture {
    app: TestApp,
    ctx: SyncContext,
    /// (user id, MACs)
    users: Vec<(uuid::Uuid, Vec<MacAddress>)>,
}

/// `n` users with two devices each, authorized and online on the simulated router.
async fn fixture(n: usize, quota_gib: i64) -> Fixture {
    let app = TestApp::spawn_with_router(&[]).await;
    let mut users = Vec::new();
    for i in 0..n {
        let u = app.user(&format!("08125550{:04}", i), "Sync", quota_gib).await;
        let macs: Vec<MacAddress> =
            (0..2u8).map(|d| MacAddress::from_octets([0x02, 0x5C, 0, i as u8, (i >> 8) as u8, d])).collect();
        for (d, m) in macs.iter().enumerate() {
            let ip = format!("10.7.{}.{}", i / 100, (i % 100) * 2 + d + 2);
            app.device(&m.canonical(), &ip);
            let (uid, mac, ipc) = (u.id, *m, ip.clone());
            app.backend
                .db
                .run(move |c| {
                    let ip = hotspot::domain::ClientIp::parse(&ipc).unwrap();
                    hotspot::captive::register_device(c, uid, &mac, &ip, vec![])
                })
                .await
                .unwrap();
        }
        users.push((u.id, macs));
    }
    let ctx = app.backend.sync_context().unwrap();
    Fixture { app, ctx, users }
}

pub(super) async fn used(app: &TestApp, id: uuid::Uuid) -> i64 {
    app.backend
        .db
        .run(move |c| Ok(users::table.find(id).select(users::quota_used_bytes).first::<i64>(c)?))
        .await
        .unwrap()
}

fn truth(f: &Fixture, macs: &[MacAddress]) -> u64 {
    f.app.sim().with_state(|s| macs.iter().map(|m| s.lifetime_bytes.get(m).copied().unwrap_or(0)).sum())
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

async fn scalar(app: &TestApp, sql: &'static str) -> i64 {
    app.backend.db.run(move |c| Ok(diesel::sql_query(sql).get_result::<N>(c)?.n)).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exact_totals_across_many_cycles_and_a_reboot() {
    let f = fixture(4, 100).await;
    // Bytes before the first cycle were used before we knew the device: not charged.
    f.app.sim().advance(120);
    let first = run_cycle(&f.ctx, hotspot::domain::SyncTrigger::Cli, None, FailPoint::None).await.unwrap();
    assert_eq!(first.bytes_charged, 0);
    let start: Vec<u64> = f.users.iter().map(|(_, m)| truth(&f, m)).collect();
    let mut lost = vec![0u64; f.users.len()];
    let mut at_last_cycle = start.clone();
    for cycle in 0..10 {
        f.app.sim().advance(300);
        if cycle == 5 {
            // The router reboots 300 s after the last cycle: what it counted since then dies
            // with its counters (on a real router too). Everything after is charged.
            for (i, (_, macs)) in f.users.iter().enumerate() {
                lost[i] = truth(&f, macs) - at_last_cycle[i];
            }
            f.app.sim().reboot();
            // What is used between the reboot and the next cycle is charged: the rows are
            // new and younger, their counters all new traffic (issue 30, item 13).
            f.app.sim().advance(300);
        }
        let s = run_cycle(&f.ctx, hotspot::domain::SyncTrigger::Schedule, None, FailPoint::None).await.unwrap();
        assert_eq!(s.status, RunStatus::Succeeded, "{:?}", s.errors);
        at_last_cycle = f.users.iter().map(|(_, m)| truth(&f, m)).collect();
    }
    for (i, (id, macs)) in f.users.iter().enumerate() {
        assert_eq!(used(&f.app, *id).await as u64, truth(&f, macs) - start[i] - lost[i], "user {i}");
    }
    // Ledger and daily usage agree with the users' totals.
    let total = scalar(&f.app, "SELECT COALESCE(sum(quota_used_bytes), 0)::bigint AS n FROM users").await;
    let ledger = scalar(
        &f.app,
        "SELECT COALESCE(sum(delta_bytes), 0)::bigint AS n FROM quota_ledger WHERE source = 'sync_usage'",
    )
    .await;
    let daily = scalar(&f.app, "SELECT COALESCE(sum(bytes), 0)::bigint AS n FROM usage_daily").await;
    assert_eq!((ledger, daily), (total, total));
    // Ten charging cycles, one usage row per user and local day in the ledger (not one per
    // cycle): the table grows with days, not with cycles.
    let rows = scalar(&f.app, "SELECT count(*)::bigint AS n FROM quota_ledger WHERE source = 'sync_usage'").await;
    let days = scalar(&f.app, "SELECT count(*)::bigint AS n FROM usage_daily").await;
    assert_eq!(rows, days);
    assert!(rows <= 2 * f.users.len() as i64, "{rows} usage rows after 10 cycles");
    // The dashboard's per-day totals sum exactly what the per-user rows do.
    assert_eq!(
        scalar(&f.app, "SELECT COALESCE(sum(bytes), 0)::bigint AS n FROM usage_day_totals").await,
        scalar(&f.app, "SELECT COALESCE(sum(bytes), 0)::bigint AS n FROM usage_daily").await
    );
    f.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_cycle_never_charges_twice() {
    let f = fixture(3, 100).await;
    run_cycle(&f.ctx, hotspot::domain::SyncTrigger::Cli, None, FailPoint::None).await.unwrap();
    let start: Vec<u64> = f.users.iter().map(|(_, m)| truth(&f, m)).collect();
    f.app.sim().advance(600);
    // Killed inside the transaction: nothing of the cycle lands.
    assert!(run_cycle(&f.ctx, hotspot::domain::SyncTrigger::Schedule, None, FailPoint::BeforeCommit).await.is_err());
    for (id, _) in &f.users {
        assert_eq!(used(&f.app, *id).await, 0);
    }
    // Killed after the commit, before the router: usage landed once…
    assert!(run_cycle(&f.ctx, hotspot::domain::SyncTrigger::Schedule, None, FailPoint::AfterCommit).await.is_err());
    // …and the re-run charges nothing more.
    let again = run_cycle(&f.ctx, hotspot::domain::SyncTrigger::Schedule, None, FailPoint::None).await.unwrap();
    assert_eq!(again.bytes_charged, 0);
    for (i, (id, macs)) in f.users.iter().enumerate() {
        assert_eq!(used(&f.app, *id).await as u64, truth(&f, macs) - start[i], "user {i}");
    }
    let failed = scalar(&f.app, "SELECT count(*)::bigint AS n FROM sync_runs WHERE status = 'failed'").await;
    assert_eq!(failed, 2);
    f.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn router_down_fails_the_cycle_and_the_next_catches_up() {
    let f = fixture(2, 100).await;
    run_cycle(&f.ctx, hotspot::domain::SyncTrigger::Cli, None, FailPoint::None).await.unwrap();
    let start: Vec<u64> = f.users.iter().map(|(_, m)| truth(&f, m)).collect();
    f.app.sim().advance(300);
    f.app.sim().set_faults(|x| x.down = true);
    f.app.sim().drop_connections_and_wait().await;
    assert!(run_cycle(&f.ctx, hotspot::domain::SyncTrigger::Schedule, None, FailPoint::None).await.is_err());
    let (status, errors): (String, i32) = f
        .app
        .backend
        .db
        .run(|c| {
            Ok(sync_runs::table
                .order(sync_runs::id.desc())
                .select((sync_runs::status, sync_runs::error_count))
                .first(c)?)
        })
        .await
        .unwrap();
    assert_eq!((status.as_str(), errors), ("failed", 1));
    for (id, _) in &f.users {
        assert_eq!(used(&f.app, *id).await, 0, "nothing charged while the router is away");
    }
    f.app.sim().set_faults(|x| x.down = false);
    tokio::time::sleep(Duration::from_millis(300)).await;
    f.app.sim().advance(300);
    let s = run_cycle(&f.ctx, hotspot::domain::SyncTrigger::Schedule, None, FailPoint::None).await.unwrap();
    assert_eq!(s.status, RunStatus::Succeeded);
    for (i, (id, macs)) in f.users.iter().enumerate() {
        assert_eq!(used(&f.app, *id).await as u64, truth(&f, macs) - start[i], "user {i} caught up");
    }
    f.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steady_state_issues_no_router_writes_and_status_changes_do() {
    // 1 GiB each: the sim's hosts use it up within a few simulated hours.
    let f = fixture(3, 1).await;
    let first = run_cycle(&f.ctx, hotspot::domain::SyncTrigger::Cli, None, FailPoint::None).await.unwrap();
    assert!(first.router_writes > 0, "the first cycle writes bindings and list entries");
    let steady = run_cycle(&f.ctx, hotspot::domain::SyncTrigger::Schedule, None, FailPoint::None).await.unwrap();
    assert_eq!((steady.router_writes, steady.status_changes), (0, 0), "{:?}", steady);
    let bindings = f.app.sim().with_state(|s| {
        s.table("/ip/hotspot/ip-binding").unwrap().rows().filter(|r| r.attrs["type"] == "bypassed").count()
    });
    assert_eq!(bindings, 6);
    // Enough simulated time to use the quota up: habis, bindings regular, IPs on hs_habis.
    f.app.sim().advance(24 * 3600);
    let s = run_cycle(&f.ctx, hotspot::domain::SyncTrigger::Schedule, None, FailPoint::None).await.unwrap();
    assert_eq!(s.status_changes, 3);
    let (regular, habis) = f.app.sim().with_state(|s| {
        (
            s.table("/ip/hotspot/ip-binding").unwrap().rows().filter(|r| r.attrs["type"] == "regular").count(),
            s.table("/ip/firewall/address-list").unwrap().rows().filter(|r| r.attrs["list"] == "hs_habis").count(),
        )
    });
    assert_eq!((regular, habis), (6, 6));
    // The stored status (the admin's filters and counts) follows the cycle.
    assert_eq!(scalar(&f.app, "SELECT count(*)::bigint AS n FROM users WHERE access_status = 'habis'").await, 3);
    let again = run_cycle(&f.ctx, hotspot::domain::SyncTrigger::Schedule, None, FailPoint::None).await.unwrap();
    assert_eq!(again.router_writes, 0);
    f.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_one_tick_give_one_sync() {
    let f = fixture(2, 100).await;
    let kv = f.app.backend.kv.clone();
    let interval = Duration::from_secs(300);
    let (a, b) = tokio::join!(
        tick(&f.ctx, &kv, interval, hotspot::domain::SyncTrigger::Schedule, None),
        tick(&f.ctx, &kv, interval, hotspot::domain::SyncTrigger::Schedule, None)
    );
    let outcomes = [a.unwrap(), b.unwrap()];
    let ran = outcomes.iter().filter(|o| matches!(o, TickOutcome::Ran(_))).count();
    assert_eq!(ran, 1, "{outcomes:?}");
    // A third worker a moment later is throttled.
    assert_eq!(
        tick(&f.ctx, &kv, interval, hotspot::domain::SyncTrigger::Schedule, None).await.unwrap(),
        TickOutcome::Throttled
    );
    assert_eq!(scalar(&f.app, "SELECT count(*)::bigint AS n FROM sync_runs").await, 1);
    f.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maintenance_removes_dead_tokens_and_stale_devices_with_their_router_entries() {
    use hotspot::db::schema::{refresh_tokens, user_devices};
    let f = fixture(2, 100).await;
    run_cycle(&f.ctx, hotspot::domain::SyncTrigger::Cli, None, FailPoint::None).await.unwrap();
    let (old_user, old_macs) = f.users[0].clone();
    let stale: Vec<String> = old_macs.iter().map(|m| m.canonical()).collect();
    let (stale_c, u) = (stale.clone(), old_user);
    f.app
        .backend
        .db
        .run(move |c| {
            diesel::update(user_devices::table.filter(user_devices::mac_address.eq_any(stale_c)))
                .set(user_devices::last_seen_at.eq(chrono::Utc::now() - chrono::Duration::days(90)))
                .execute(c)?;
            // Three tokens: live, expired, revoked long ago.
            for (i, (expires, revoked)) in [(30i64, None), (-1, None), (30, Some(-3i64))].into_iter().enumerate() {
                let t = hotspot::auth::refresh::mint(uuid::Uuid::new_v4(), Duration::from_secs(3600), false);
                diesel::insert_into(refresh_tokens::table)
                    .values((
                        refresh_tokens::user_id.eq(u),
                        refresh_tokens::token_hash.eq(t.hash.to_vec()),
                        refresh_tokens::family_id.eq(t.family),
                        refresh_tokens::issued_at.eq(chrono::Utc::now() - chrono::Duration::days(40 + i as i64)),
                        refresh_tokens::expires_at.eq(chrono::Utc::now() + chrono::Duration::days(expires)),
                        refresh_tokens::revoked_at.eq(revoked.map(|d| chrono::Utc::now() + chrono::Duration::days(d))),
                    ))
                    .execute(c)?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let retention = hotspot::worker::jobs::housekeeping::REVOKED_RETENTION;
    let dead = f.app.backend.db.run(move |c| hotspot::auth::refresh::delete_dead(c, retention)).await.unwrap();
    assert_eq!(dead, 2);
    assert_eq!(scalar(&f.app, "SELECT count(*)::bigint AS n FROM refresh_tokens").await, 1);
    let removed = f.app.backend.devices().cleanup_stale(Duration::from_secs(30 * 86_400)).await.unwrap();
    assert_eq!(removed, 2);
    let left = f.app.sim().with_state(|s| {
        s.table("/ip/hotspot/ip-binding").unwrap().rows().filter(|r| stale.contains(&r.attrs["mac-address"])).count()
    });
    assert_eq!(left, 0, "the stale devices' bindings are gone from the router");
    assert_eq!(scalar(&f.app, "SELECT count(*)::bigint AS n FROM user_devices").await, 2);
    f.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_status_is_for_admins_only() {
    let f = fixture(1, 10).await;
    run_cycle(&f.ctx, hotspot::domain::SyncTrigger::Cli, None, FailPoint::None).await.unwrap();
    f.app
        .user_with("081200000001", "Admin", 0, |u| {
            u.role = hotspot::domain::Role::Admin;
            u.password = Some("a-long-admin-password".into());
        })
        .await;
    let plain = reqwest::Client::new();
    assert_eq!(plain.get(f.app.url("/api/admin/sync/status")).send().await.unwrap().status(), 401);
    let admin = f.app.browser();
    let (status, _) = f
        .app
        .post(
            &admin,
            "/api/auth/admin/login",
            serde_json::json!({ "username": "081200000001", "password": "a-long-admin-password" }),
        )
        .await;
    assert_eq!(status, 200);
    let v: serde_json::Value =
        admin.get(f.app.url("/api/admin/sync/status?limit=5")).send().await.unwrap().json().await.unwrap();
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["status"], "succeeded");
    assert_eq!(runs[0]["trigger"], "cli");
    assert_eq!(admin.get(f.app.url("/api/admin/sync/status?limit=0")).send().await.unwrap().status(), 422);
    // A user who is not an admin is refused.
    let token = {
        let (access, _) = hotspot::auth::tokens::AccessTokens::new(
            secrecy::ExposeSecret::expose_secret(&f.app.backend.settings.jwt_secret).as_bytes(),
            Duration::from_secs(60),
        )
        .issue(f.users[0].0, hotspot::domain::Role::User, None, None, false)
        .unwrap();
        access
    };
    assert_eq!(plain.get(f.app.url("/api/admin/sync/status")).bearer_auth(token).send().await.unwrap().status(), 403);
    f.app.stop().await;
}

/// Two cycles overlap (a lock lost, a stuck worker): the slow one planned from the baselines the
/// fast one then moved. The baseline compare-and-set lets only what moved be charged, so the
/// users pay exactly what the router counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_cycles_charge_nothing_twice() {
    let f = fixture(3, 100).await;
    run_cycle(&f.ctx, hotspot::domain::SyncTrigger::Cli, None, FailPoint::None).await.unwrap();
    let start: Vec<u64> = f.users.iter().map(|(_, m)| truth(&f, m)).collect();
    f.app.sim().advance(300);
    let pause = std::sync::Arc::new(hotspot::sync::Pause::default());
    let mut slow = f.ctx.clone();
    slow.pause = Some(pause.clone());
    let stalled =
        tokio::spawn(
            async move { run_cycle(&slow, hotspot::domain::SyncTrigger::Schedule, None, FailPoint::None).await },
        );
    pause.reached.notified().await;
    // The admin's sync status shows what the held cycle is doing.
    let runs = hotspot::sites::runs::recent(&f.app.backend.db, 1).await.unwrap();
    assert_eq!(runs[0].status, RunStatus::Running);
    assert_eq!(runs[0].stage.as_deref(), Some("reading the router and loading users and devices"));
    f.app.sim().advance(300);
    let fast = run_cycle(&f.ctx, hotspot::domain::SyncTrigger::Schedule, None, FailPoint::None).await.unwrap();
    assert!(fast.bytes_charged > 0);
    pause.resume.notify_one();
    let late = stalled.await.unwrap().unwrap();
    assert_eq!(late.bytes_charged, 0, "the late cycle's baselines had moved: nothing to charge");
    let runs = hotspot::sites::runs::recent(&f.app.backend.db, 2).await.unwrap();
    assert!(runs.iter().all(|r| r.status != RunStatus::Running && r.stage.is_none()), "finished cycles carry no stage");
    for (i, (id, macs)) in f.users.iter().enumerate() {
        assert_eq!(used(&f.app, *id).await as u64, truth(&f, macs) - start[i], "user {i}");
    }
    // And the next cycle carries on from the fast cycle's baselines.
    f.app.sim().advance(300);
    run_cycle(&f.ctx, hotspot::domain::SyncTrigger::Schedule, None, FailPoint::None).await.unwrap();
    for (i, (id, macs)) in f.users.iter().enumerate() {
        assert_eq!(used(&f.app, *id).await as u64, truth(&f, macs) - start[i], "user {i} after");
    }
    f.app.stop().await;
}

/// A long write-out (a first sight on a slow router) reports how far it has got, to the
/// progress callback and on the cycle's row the admin's sync status reads, while it runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_router_write_out_reports_its_progress() {
    use hotspot::sync::Stage;
    let mut f = fixture(4, 100).await;
    // One command at a time, each answered after 40 ms: the writes take a good fraction of a second.
    let mut config = f.ctx.router.client.config().clone();
    config.max_in_flight = 1;
    f.ctx.router =
        hotspot::router::ops::Ops::new(hotspot::router::RouterClient::new(config), f.ctx.router.managed.clone());
    f.ctx.progress_every = Duration::from_millis(25);
    let seen: std::sync::Arc<std::sync::Mutex<Vec<Stage>>> = Default::default();
    let sink = seen.clone();
    f.ctx.progress = Some(std::sync::Arc::new(move |s| sink.lock().unwrap().push(s)));
    f.app.sim().set_faults(|x| x.latency = Duration::from_millis(40));
    let ctx = f.ctx.clone();
    let cycle =
        tokio::spawn(async move { run_cycle(&ctx, hotspot::domain::SyncTrigger::Cli, None, FailPoint::None).await });
    let mut stored = Vec::new();
    while !cycle.is_finished() {
        let runs = hotspot::sites::runs::recent(&f.app.backend.db, 1).await.unwrap();
        stored.extend(runs.into_iter().filter_map(|r| r.stage));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let summary = cycle.await.unwrap().unwrap();
    f.app.sim().set_faults(|x| x.latency = Duration::ZERO);
    let seen = seen.lock().unwrap().clone();
    let writes: Vec<(usize, usize)> = seen
        .iter()
        .filter_map(|s| match s {
            Stage::WritingRouter { done, changes } => Some((*done, *changes)),
            _ => None,
        })
        .collect();
    assert_eq!(writes.first(), Some(&(0, summary.router_writes)), "the write-out starts at 0 of all: {seen:?}");
    let during: Vec<usize> = writes.iter().skip(1).map(|(d, _)| *d).collect();
    assert!(!during.is_empty(), "progress reported while writing: {seen:?}");
    assert!(during.iter().all(|d| *d > 0 && *d < summary.router_writes), "{during:?} of {}", summary.router_writes);
    assert!(during.windows(2).all(|w| w[0] <= w[1]), "progress never goes back: {during:?}");
    assert!(seen.iter().filter(|s| s.is_start()).count() == 3, "three stages start: {seen:?}");
    assert!(
        stored.iter().any(|s| s.ends_with(" done") && s.contains("router changes")),
        "the cycle's row showed the progress: {stored:?}"
    );
    f.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_deletes_history_past_the_operators_settings() {
    use hotspot::worker::jobs::housekeeping as retention;
    let app = TestApp::spawn_with_router(&[]).await;
    let u = app.user("081255590001", "Lama", 1).await;
    let id = u.id;
    // Rows 400, 100 and 10 days old in each history table (more than one delete chunk of the
    // oldest sign-ins).
    let per_age = hotspot::db::CHUNK as i32 + 5;
    app.backend
        .db
        .run(move |c| {
            for days in [400, 100, 10] {
                let at = format!("now() - interval '{days} days'");
                let n = if days == 400 { per_age } else { 3 };
                diesel::sql_query(format!(
                    "INSERT INTO login_history (user_id, method, created_at) \
                     SELECT $1, 'otp', {at} FROM generate_series(1, {n})"
                ))
                .bind::<diesel::sql_types::Uuid, _>(id)
                .execute(c)?;
                diesel::sql_query(format!(
                    "INSERT INTO message_log (to_msisdn, template, provider, status, attempts, created_at, updated_at) \
                     SELECT '+6281255590001', 'otp', 'seed', 'sent', 1, {at}, {at} FROM generate_series(1, 3)"
                ))
                .execute(c)?;
                diesel::sql_query(format!(
                    "INSERT INTO sync_runs (trigger, status, started_at, finished_at) \
                     SELECT 'schedule', 'succeeded', {at}, {at} FROM generate_series(1, 3)"
                ))
                .execute(c)?;
                diesel::sql_query(format!(
                    "INSERT INTO audit_log (action, details, actor, created_at) \
                     SELECT 'user.update', '{{}}', 'x', {at} FROM generate_series(1, 3)"
                ))
                .execute(c)?;
            }
            // A cycle still running long after it started is kept.
            diesel::sql_query("INSERT INTO sync_runs (trigger, status, started_at) VALUES ('cli', 'running', now() - interval '400 days')")
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    let mut r = (*app.backend.runtime.get()).clone();
    r.retention_login_history_days = 180;
    r.retention_message_log_days = 30;
    r.retention_sync_runs_days = 30;
    r.retention_audit_log_days = 365;
    let d = retention::retention(&app.backend.db, &r, chrono::Utc::now()).await.unwrap();
    assert_eq!((d.login_history, d.message_log, d.sync_runs, d.audit_log), (per_age as usize, 6, 6, 3), "{d}");
    let left = |sql: &'static str| scalar(&app, sql);
    assert_eq!(left("SELECT count(*)::bigint AS n FROM login_history").await, 6);
    assert_eq!(left("SELECT count(*)::bigint AS n FROM message_log").await, 3);
    assert_eq!(left("SELECT count(*)::bigint AS n FROM sync_runs WHERE finished_at IS NULL").await, 1);
    assert_eq!(
        left("SELECT count(*)::bigint AS n FROM audit_log WHERE created_at < now() - interval '200 days'").await,
        0
    );
    // A second pass finds nothing more.
    assert_eq!(retention::retention(&app.backend.db, &r, chrono::Utc::now()).await.unwrap(), Default::default());
    // The settings refuse a retention too short to be useful, the audit trail's under a year.
    let mut s = r.clone();
    assert!(s.set("retention_message_log_days", &serde_json::json!(3)).is_err());
    assert!(s.set("retention_audit_log_days", &serde_json::json!(90)).is_err());
    assert!(s.set("retention_sync_runs_days", &serde_json::json!("14")).is_ok());
    app.stop().await;
}
