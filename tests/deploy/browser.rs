//! The existing Nuxt frontend (../shared/lpsaring-frontend, built, unmodified) against a test
//! server on the simulators, driven in headless Chromium by tests/browser/e2e.py: the captive
//! page from the router's redirect to the connected page and the dashboard, `/login` to the
//! dashboard, a waiting registration's pending page, the register tab, and the admin pages
//! (login, the waiting user approved, quota added in the editor, a block), a package bought from
//! `/beli` through the simulated Midtrans Snap, and the admin's packages and transactions
//! pages. Then every page: each page under `/admin` (super admin), the komandan's pages and the
//! user's pages, reached and settled with no failing `/api` call; and each page's main action in
//! its own scenario: a promo created, the komandan's quota request filed from `/requests` and
//! approved on `/admin/requests`, a notification recipient toggled and saved, a WhatsApp test
//! message sent, the action logs listed and exported as CSV, the app's name changed on
//! `/admin/settings/general` and still shown after a reload, the package's price edited on
//! `/admin/packages` and listed anew after a reload, a WhatsApp broadcast to the users queued
//! from `/admin/whatsapp`, a blocked account's sign-in on `/login` ending on `/policy/blocked`
//! (a session that only shows its state), a user's Telegram linked from `/akun` (the deep link issued, Telegram's `/start`
//! posted to our webhook as the simulated Bot API does, the page then showing the chat linked),
//! quota on credit (the package lent to the buyer through the user editor's API, the open debt
//! listed on the buyer's `/riwayat` and the `/beli` purchase's invoice a PDF; then on
//! `/admin/users` the debt ledger's "Lunasi" settling it in cash, its receipt a PDF, the row
//! shown paid), the shop switched to Midtrans's Core API (back to Snap after) for a QRIS purchase
//! from `/beli` (its QR a PNG, paid through the simulated Midtrans, shown paid, the signed-out
//! status link showing it without the account; a BNI VA too once the public settings tell the
//! page the mode) and for an admin's "Buat Tagihan" on `/admin/users` reaching the user's
//! WhatsApp (the worker runs beside the server and delivers it), and last (it replaces the
//! database) a backup made on `/admin/backup` and restored from, the console still working
//! after. scripts/test.sh installs Debian's Chromium, playwright (pointed at it; no browser is
//! downloaded) and the PostgreSQL client (pg_dump, pg_restore). Screenshots of a failing step are
//! left in target/browser-shots.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::common::TestApp;

const ADMIN_PHONE: &str = "081200000001";
const ADMIN_PASSWORD: &str = "browser-admin-password";
/// The simulated Telegram bot (e2e.py links a user's chat through it).
const TG_TOKEN: &str = "7000000002:AAbrowser-test-token-for-the-sim";
const TG_BOT: &str = "hotspot_browser_bot";
const TG_SECRET: &str = "browser-webhook-secret-0123456789abcdef";
/// Once a year (1 January, midnight): the worker's scheduled jobs put off while the browser runs.
const RARELY: &str = "0 0 0 1 1 *";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_existing_frontend_end_to_end() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        root.join("../shared/lpsaring-frontend/output").is_dir(),
        "the built frontend is missing (../shared/lpsaring-frontend)"
    );
    let (portal_port, nuxt_port) = (free_port(), free_port());
    let portal = format!("http://127.0.0.1:{portal_port}");
    let tg = hotspot::sim::telegram::TelegramSim::start("127.0.0.1:0".parse().unwrap(), TG_TOKEN, TG_BOT)
        .await
        .expect("start the Telegram simulator");
    let tg_base = tg.base_url();
    // The backup page's archives go to a folder of the test's own (test_vars' HOTSPOT_BACKUP_DIR).
    // The worker's schedules are put off (RARELY, a day's sync interval, an hour's payment
    // reconciliation): only the pages change the accounts while the browser runs.
    let app = TestApp::spawn_billing(&[
        ("HOTSPOT_PUBLIC_BASE_URL", &portal),
        ("HOTSPOT_TRUSTED_ORIGINS", &portal),
        ("HOTSPOT_CLIENT_CIDRS", "10.5.50.0/24"),
        ("HOTSPOT_TELEGRAM_BOT_TOKEN", TG_TOKEN),
        ("HOTSPOT_TELEGRAM_BOT_USERNAME", TG_BOT),
        ("HOTSPOT_TELEGRAM_WEBHOOK_SECRET", TG_SECRET),
        ("HOTSPOT_TELEGRAM_API_BASE", &tg_base),
        ("HOTSPOT_SYNC_INTERVAL_SECS", "86400"),
        ("HOTSPOT_PAYMENT_RECONCILE_EVERY_SECS", "3600"),
        ("HOTSPOT_CRON_DEBT_RULES", RARELY),
        ("HOTSPOT_CRON_EXPIRY_WARNINGS", RARELY),
        ("HOTSPOT_CRON_DEVICE_CLEANUP", RARELY),
        ("HOTSPOT_CRON_TOKEN_CLEANUP", RARELY),
    ])
    .await;
    app.user("081234567001", "Budi Aktif", 10).await;
    let sari = app.user("081234567002", "Sari Hemat", 5).await;
    let tono = app
        .user_with("081234567004", "Tono Menunggu", 0, |u| u.approval = hotspot::domain::ApprovalStatus::Pending)
        .await;
    app.user_with(ADMIN_PHONE, "Admin", 0, |u| {
        u.role = hotspot::domain::Role::SuperAdmin;
        u.password = Some(ADMIN_PASSWORD.into());
    })
    .await;
    let buyer = app.user("081234567005", "Pembeli Browser", 1).await;
    // The page tours' accounts (e2e.py KOMANDAN and PAGES_USER): a komandan with 5 GB, who files
    // a quota request the admin approves, and a user (who also buys with QRIS on the Core API).
    let komandan =
        app.user_with("081234567007", "Komandan Bayu", 5, |u| u.role = hotspot::domain::Role::Komandan).await;
    let uli = app.user("081234567006", "Uli Halaman", 3).await;
    // e2e.py BLOCKED: a blocked account (its sign-in only shows its state), and
    // TELEGRAM_USER, who links a Telegram chat from /akun.
    let blocked = app.user("081234567008", "Badu Diblokir", 2).await.id;
    app.backend
        .db
        .run(move |c| {
            use diesel::prelude::*;
            use hotspot::db::schema::users;
            diesel::update(users::table.find(blocked))
                .set((users::is_blocked.eq(true), users::blocked_reason.eq("Penyalahgunaan jaringan")))
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    app.user("081234567009", "Tari Telegram", 2).await;
    let sale = hotspot::billing::packages::PackageFields {
        name: Some("Mingguan 5 GB".into()),
        price_idr: Some(15_000),
        quota_bytes: Some(5 * hotspot::domain::GIB),
        validity_days: Some(7),
        ..Default::default()
    };
    app.backend.billing().create_package(&hotspot::admin::Actor::cli(), sale).await.expect("a package on sale");
    app.device("02:DE:00:00:00:01", "10.5.50.11");
    app.device("02:DE:00:00:00:04", "10.5.50.14");
    // Sari's phone used 1 GiB, charged by two real sync cycles: her dashboard shows it.
    let (mac, ip) = ("02:DE:00:00:00:02", "10.5.50.12");
    app.owned_device(sari.id, mac, ip).await;
    let m = hotspot::domain::MacAddress::parse(mac).unwrap();
    let ctx = app.backend.sync_context().unwrap();
    hotspot::sync::run_cycle(&ctx, hotspot::domain::SyncTrigger::Cli, None, hotspot::sync::FailPoint::None)
        .await
        .unwrap();
    app.sim().with_state(|s| s.add_traffic(&m, hotspot::domain::GIB as u64));
    let charged =
        hotspot::sync::run_cycle(&ctx, hotspot::domain::SyncTrigger::Cli, None, hotspot::sync::FailPoint::None)
            .await
            .unwrap();
    assert_eq!(charged.bytes_charged, hotspot::domain::GIB as u64);
    // The worker beside the server, as deployed: it delivers the queued WhatsApp messages (the
    // admin's bill reaches the user's outbox).
    let (worker, _worker) = app.start_worker();
    let snap_js = format!("{}/snap/snap.js", app.mt().base_url());
    let work = root.join("target/frontend-test");
    let shots = root.join("target/browser-shots");
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).unwrap();
    let frontend = |action: &str| {
        let mut c = Command::new(root.join("scripts/frontend.sh"));
        c.arg(action)
            .env("PORTAL_PORT", portal_port.to_string())
            .env("NUXT_PORT", nuxt_port.to_string())
            .env("FRONTEND_WORK", &work)
            .env("HOTSPOT_CLIENT_CIDRS", "10.5.50.0/24")
            .env("NUXT_PUBLIC_MIDTRANS_CLIENT_KEY", "SB-Mid-client-test")
            .env("NUXT_PUBLIC_MIDTRANS_SNAP_URL_SANDBOX", &snap_js);
        c
    };
    let (base, outbox, midtrans) = (app.base.clone(), app.wa().base_url(), app.mt().base_url());
    let tg_hook = app.url(&format!("/api/webhooks/telegram/{TG_SECRET}"));
    let (mut start, mut stop) = (frontend("start"), frontend("stop"));
    start.arg(&base);
    let run = tokio::task::spawn_blocking(move || {
        let started = start.output().expect("scripts/frontend.sh");
        if !started.status.success() {
            return Err(format!("the frontend did not start: {}", String::from_utf8_lossy(&started.stderr)));
        }
        let e2e = Command::new("python3")
            .arg(root.join("tests/browser/e2e.py"))
            .env("PORTAL", format!("http://127.0.0.1:{portal_port}"))
            .env("OUTBOX", outbox)
            .env("MIDTRANS_SIM", midtrans)
            .env("SHOTS", &shots)
            .env("ADMIN_PHONE", ADMIN_PHONE)
            .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("TELEGRAM_SIM", &tg_base)
            .env("TELEGRAM_HOOK", &tg_hook)
            .env("TELEGRAM_SECRET", TG_SECRET)
            .env("TELEGRAM_BOT", TG_BOT)
            .output()
            .map_err(|e| format!("cannot run python3: {e}"));
        let _ = stop.output();
        let e2e = e2e?;
        let text = format!("{}{}", String::from_utf8_lossy(&e2e.stdout), String::from_utf8_lossy(&e2e.stderr));
        if e2e.status.success() { Ok(text) } else { Err(text) }
    });
    let outcome =
        tokio::time::timeout(Duration::from_secs(900), run).await.expect("the browser test in time").expect("join");
    let text = outcome.unwrap_or_else(|e| panic!("the frontend does not work against this backend:\n{e}"));
    assert!(text.contains("25 passed, 0 failed"), "{text}");
    // The buyer paid through the simulated Snap (1 GB + 5 GB, one paid transaction), then was
    // lent the 5 GB package on credit.
    let id = buyer.id;
    let after = app.backend.db.run(move |c| hotspot::accounts::find(c, id)).await.unwrap().unwrap();
    assert_eq!(after.quota_purchased_bytes, 11 * hotspot::domain::GIB);
    // The page tours' user bought the package with QRIS through the Core API (3 GB + 5 GB), granted
    // once (a VA payment started after it, when the page offers one, is left unpaid).
    let id = uli.id;
    let after = app.backend.db.run(move |c| hotspot::accounts::find(c, id)).await.unwrap().unwrap();
    assert_eq!(after.quota_purchased_bytes, 8 * hotspot::domain::GIB);
    // The admin pages approved the waiting user, added 2 GB and 30 days, then blocked them.
    let id = tono.id;
    let after = app.backend.db.run(move |c| hotspot::accounts::find(c, id)).await.unwrap().unwrap();
    assert_eq!(after.approval_status, hotspot::domain::ApprovalStatus::Approved);
    assert_eq!(after.quota_purchased_bytes, 2 * hotspot::domain::GIB);
    assert!(after.quota_expiry_date.is_some());
    assert_eq!((after.is_blocked, after.blocked_reason.as_deref()), (true, Some("Pelanggaran aturan")));
    // The komandan's request (10 GB, 30 days), approved in full on /admin/requests.
    let id = komandan.id;
    let after = app.backend.db.run(move |c| hotspot::accounts::find(c, id)).await.unwrap().unwrap();
    assert_eq!(after.quota_purchased_bytes, 15 * hotspot::domain::GIB);
    // The register tab's registration reached the database, waiting and unproven.
    let (status, proven) = app
        .backend
        .db
        .run(|c| {
            use diesel::prelude::*;
            use hotspot::db::schema::users;
            Ok(users::table
                .filter(users::phone_number.eq("+6281277770001"))
                .select((users::approval_status, users::phone_verified_at.is_not_null()))
                .first::<(String, bool)>(c)?)
        })
        .await
        .unwrap();
    assert_eq!((status.as_str(), proven), ("PENDING_APPROVAL", false));
    // The package's new price, saved on /admin/packages, and nothing else of it changed (the
    // restore brought back the archive made after the edit).
    let package = app
        .backend
        .db
        .run(|c| {
            use diesel::prelude::*;
            use hotspot::db::schema::packages;
            Ok(packages::table
                .filter(packages::name.eq("Mingguan 5 GB"))
                .select((packages::price_idr, packages::quota_bytes, packages::validity_days, packages::is_active))
                .first::<(i64, i64, i32, bool)>(c)?)
        })
        .await
        .unwrap();
    assert_eq!(package, (17_500, 5 * hotspot::domain::GIB, 7, true));
    // The bot greeted the chat the user linked.
    assert!(tg.outbox().iter().any(|m| m.text.contains("terhubung")), "{:?}", tg.outbox());
    worker.trigger();
    app.stop().await;
    tg.stop().await;
}
