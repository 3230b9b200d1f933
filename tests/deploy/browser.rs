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
//! message sent, the action logs listed and exported as CSV. scripts/test.sh installs
//! Debian's Chromium and playwright (pointed at it; no browser is downloaded). Screenshots of a
//! failing step are left in target/browser-shots.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::common::TestApp;

const ADMIN_PHONE: &str = "081200000001";
const ADMIN_PASSWORD: &str = "browser-admin-password";

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
    let app = TestApp::spawn_billing(&[
        ("HOTSPOT_PUBLIC_BASE_URL", &portal),
        ("HOTSPOT_TRUSTED_ORIGINS", &portal),
        ("HOTSPOT_CLIENT_CIDRS", "10.5.50.0/24"),
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
    // a quota request the admin approves, and a user.
    let komandan =
        app.user_with("081234567007", "Komandan Bayu", 5, |u| u.role = hotspot::domain::Role::Komandan).await;
    app.user("081234567006", "Uli Halaman", 3).await;
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
    let (base, outbox) = (app.base.clone(), app.wa().base_url());
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
            .env("SHOTS", &shots)
            .env("ADMIN_PHONE", ADMIN_PHONE)
            .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
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
    assert!(text.contains("15 passed, 0 failed"), "{text}");
    // The buyer paid through the simulated Snap: 1 GB + 5 GB, one paid transaction.
    let id = buyer.id;
    let after = app.backend.db.run(move |c| hotspot::accounts::find(c, id)).await.unwrap().unwrap();
    assert_eq!(after.quota_purchased_bytes, 6 * hotspot::domain::GIB);
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
    app.stop().await;
}
