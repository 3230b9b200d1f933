//! `hotspot demo`: the whole system on embedded defaults — database created and seeded,
//! RouterOS and WhatsApp simulators started, server and worker in one process.

use std::sync::Arc;

use anyhow::Context;
use chrono::{Duration as ChronoDuration, Utc};

use crate::accounts::UserError;
use crate::accounts::create::{self as users, CreateUser};
use crate::app::{App, bind, migrate, serve_and_work};
use crate::config::{RouterSettings, Settings};
use crate::db::{self, Db};
use crate::domain::{ApprovalStatus, GIB, Msisdn, Role};
use crate::router::ops::setup::WALLED_GARDEN;

/// One demo account: phone, name, role, quota GiB, days until expiry, approval.
struct DemoUser {
    phone: &'static str,
    name: &'static str,
    role: Role,
    quota_gib: i64,
    days: i64,
    approval: ApprovalStatus,
}

/// Where `run.sh` serves the existing frontend against the demo.
pub const DEMO_PORTAL: &str = "http://127.0.0.1:3010";

pub const DEMO_ADMIN_PHONE: &str = "081200000001";
pub const DEMO_ADMIN_PASSWORD: &str = "demo-admin-password";

const DEMO_USERS: &[DemoUser] = &[
    DemoUser {
        phone: DEMO_ADMIN_PHONE,
        name: "Admin Demo",
        role: Role::SuperAdmin,
        quota_gib: 0,
        days: 0,
        approval: ApprovalStatus::Approved,
    },
    DemoUser {
        phone: "081234567001",
        name: "Budi Aktif",
        role: Role::User,
        quota_gib: 10,
        days: 30,
        approval: ApprovalStatus::Approved,
    },
    DemoUser {
        phone: "081234567002",
        name: "Sari Hemat",
        role: Role::User,
        quota_gib: 5,
        days: 30,
        approval: ApprovalStatus::Approved,
    },
    DemoUser {
        phone: "081234567003",
        name: "Komandan Demo",
        role: Role::Komandan,
        quota_gib: 50,
        days: 30,
        approval: ApprovalStatus::Approved,
    },
    DemoUser {
        phone: "081234567004",
        name: "Tono Menunggu",
        role: Role::User,
        quota_gib: 0,
        days: 0,
        approval: ApprovalStatus::Pending,
    },
];

/// Creates the demo accounts that do not exist yet; returns how many were created.
pub async fn seed_demo(db: &Db) -> anyhow::Result<usize> {
    let created = db
        .run(|conn| {
            let mut created = 0;
            for u in DEMO_USERS {
                let phone = Msisdn::parse(u.phone).map_err(|e| db::DbError::Task(e.to_string()))?;
                let input = CreateUser {
                    phone,
                    full_name: u.name.to_owned(),
                    role: u.role,
                    approval: u.approval,
                    password: u.role.is_admin().then(|| DEMO_ADMIN_PASSWORD.to_owned()),
                    quota_bytes: u.quota_gib * GIB,
                    expires_at: (u.days > 0).then(|| Utc::now() + ChronoDuration::days(u.days)),
                    unlimited: false,
                    created_by: None,
                    origin: "demo-seed",
                    profile: Default::default(),
                };
                match users::create_user(conn, input) {
                    Ok(_) => created += 1,
                    Err(UserError::PhoneTaken) => {}
                    Err(UserError::Db(e)) => return Err(e),
                    Err(e) => return Err(db::DbError::Task(e.to_string())),
                }
            }
            Ok(created)
        })
        .await?;
    Ok(created)
}

/// Where the demo's simulated devices sit: (phone, MAC, IP) — the demo users' phones.
pub const DEMO_DEVICES: &[(&str, &str, &str)] = &[
    ("081234567001", "02:DE:00:00:00:01", "10.5.50.11"),
    ("081234567002", "02:DE:00:00:00:02", "10.5.50.12"),
    ("081234567003", "02:DE:00:00:00:03", "10.5.50.13"),
    ("081234567004", "02:DE:00:00:00:04", "10.5.50.14"),
];

/// The demo's packages: name, price (rupiah), GiB (0 = unlimited), days.
const DEMO_PACKAGES: &[(&str, i64, i64, i32)] = &[
    ("Harian 1 GB", 5_000, 1, 1),
    ("Mingguan 5 GB", 15_000, 5, 7),
    ("Bulanan 20 GB", 50_000, 20, 30),
    ("Unlimited Bulanan", 100_000, 0, 30),
];

/// The demo's Midtrans server key when `HOTSPOT_MIDTRANS_SERVER_KEY` is not set.
pub const DEMO_MIDTRANS_SERVER_KEY: &str = "SB-Mid-server-demo-simulator";

/// Puts the demo's packages on sale when there are none yet; returns how many were created.
/// Sets the simulated router up as an operator would from the router check: each missing item
/// added by its own line's attributes, the walled garden placed. Returns how many were added.
pub async fn prepare_router(app: &App) -> anyhow::Result<usize> {
    let (Some(ops), Some(check)) = (app.router.as_ref(), app.admin().router_check().await?) else { return Ok(0) };
    ops.ensure_walled_garden(&app.settings.walled_garden_hosts()).await?;
    let missing: Vec<_> = check.checks.into_iter().filter(|c| !c.found && c.menu != WALLED_GARDEN).collect();
    for c in &missing {
        ops.add_row(c.menu, &c.add).await?;
    }
    Ok(missing.len())
}

/// The demo bot's token and webhook secret (the simulator's; nothing real).
const DEMO_TELEGRAM_TOKEN: &str = "7000000001:demo-bot-token-simulator";
pub const DEMO_TELEGRAM_SECRET: &str = "demo-telegram-webhook-secret-0123456789";

/// The Telegram simulator as the operator's bot.
fn demo_telegram(base: String) -> crate::config::telegram::TelegramSettings {
    crate::config::telegram::TelegramSettings {
        api_base: base,
        bot_token: DEMO_TELEGRAM_TOKEN.into(),
        bot_username: "hotspot_demo_bot".into(),
        webhook_secret: DEMO_TELEGRAM_SECRET.into(),
        timeout: std::time::Duration::from_secs(3),
    }
}

/// The payment simulator as Midtrans (its sandbox key unless one is given).
fn demo_midtrans(base: String) -> crate::config::MidtransSettings {
    crate::config::MidtransSettings {
        server_key: std::env::var("HOTSPOT_MIDTRANS_SERVER_KEY")
            .ok()
            .filter(|k| !k.is_empty())
            .unwrap_or_else(|| DEMO_MIDTRANS_SERVER_KEY.to_owned())
            .into(),
        client_key: Some("SB-Mid-client-demo-simulator".into()),
        api_base: base.clone(),
        snap_base: base,
        production: false,
        timeout: std::time::Duration::from_secs(5),
        notification_url: None,
    }
}

pub async fn seed_packages(billing: &crate::billing::Billing) -> anyhow::Result<usize> {
    let (_, existing) = billing.packages_admin(1, 1, crate::billing::packages::PackageSort::Shop).await?;
    if existing > 0 {
        return Ok(0);
    }
    let seed = crate::admin::Actor { label: "demo-seed".into(), ..crate::admin::Actor::cli() };
    for (i, (name, price, gib, days)) in DEMO_PACKAGES.iter().enumerate() {
        let f = crate::billing::packages::PackageFields {
            name: Some((*name).to_owned()),
            price_idr: Some(*price),
            quota_bytes: Some(gib * GIB),
            is_unlimited: Some(*gib == 0),
            validity_days: Some(*days),
            sort_order: Some(i as i32),
            ..Default::default()
        };
        billing.create_package(&seed, f).await?;
    }
    Ok(DEMO_PACKAGES.len())
}

struct DemoSims {
    router: Arc<crate::sim::router::SimRouter>,
    whatsapp: crate::sim::whatsapp::WhatsAppSim,
    midtrans: crate::sim::midtrans::MidtransSim,
    telegram: crate::sim::telegram::TelegramSim,
    _control: tokio::task::JoinHandle<()>,
    _ticker: tokio::task::JoinHandle<()>,
}

/// Starts the RouterOS simulator with the demo users' phones (and some strangers) online; its
/// clock runs at one simulated second per second.
async fn start_demo_sims() -> anyhow::Result<DemoSims> {
    use crate::sim::router::{SimConfig, SimRouter, control};
    let listen: std::net::SocketAddr = std::env::var("HOTSPOT_DEMO_ROUTER_LISTEN")
        .unwrap_or_else(|_| "127.0.0.1:18728".into())
        .parse()
        .context("HOTSPOT_DEMO_ROUTER_LISTEN must be host:port")?;
    let control_at: std::net::SocketAddr = std::env::var("HOTSPOT_DEMO_ROUTER_CONTROL")
        .unwrap_or_else(|_| "127.0.0.1:18729".into())
        .parse()
        .context("HOTSPOT_DEMO_ROUTER_CONTROL must be host:port")?;
    let router = Arc::new(
        SimRouter::start(listen, SimConfig::default())
            .await
            .with_context(|| format!("cannot start the router simulator on {listen} (HOTSPOT_DEMO_ROUTER_LISTEN)"))?,
    );
    router.with_state(|s| {
        s.seed_hosts(0, 50);
        for (_, mac, ip) in DEMO_DEVICES {
            if let (Ok(m), Ok(a)) = (crate::domain::MacAddress::parse(mac), ip.parse()) {
                s.add_host(m, a);
            }
        }
    });
    let control = control::serve(control_at, router.clone()).await.with_context(|| {
        format!("cannot start the simulator control port on {control_at} (HOTSPOT_DEMO_ROUTER_CONTROL)")
    })?;
    let ticker = super::demo_site::ticking(router.clone());
    let wa_listen: std::net::SocketAddr = std::env::var("HOTSPOT_DEMO_WHATSAPP_LISTEN")
        .unwrap_or_else(|_| "127.0.0.1:18730".into())
        .parse()
        .context("HOTSPOT_DEMO_WHATSAPP_LISTEN must be host:port")?;
    let whatsapp = crate::sim::whatsapp::WhatsAppSim::start(wa_listen).await.with_context(|| {
        format!("cannot start the WhatsApp gateway simulator on {wa_listen} (HOTSPOT_DEMO_WHATSAPP_LISTEN)")
    })?;
    let mt_listen: std::net::SocketAddr = std::env::var("HOTSPOT_DEMO_MIDTRANS_LISTEN")
        .unwrap_or_else(|_| "127.0.0.1:18731".into())
        .parse()
        .context("HOTSPOT_DEMO_MIDTRANS_LISTEN must be host:port")?;
    let key = std::env::var("HOTSPOT_MIDTRANS_SERVER_KEY")
        .ok()
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| DEMO_MIDTRANS_SERVER_KEY.to_owned());
    let midtrans = crate::sim::midtrans::MidtransSim::start(mt_listen, &key, None).await.with_context(|| {
        format!("cannot start the Midtrans simulator on {mt_listen} (HOTSPOT_DEMO_MIDTRANS_LISTEN)")
    })?;
    let tg_listen: std::net::SocketAddr = std::env::var("HOTSPOT_DEMO_TELEGRAM_LISTEN")
        .unwrap_or_else(|_| "127.0.0.1:18732".into())
        .parse()
        .context("HOTSPOT_DEMO_TELEGRAM_LISTEN must be host:port")?;
    let telegram = crate::sim::telegram::TelegramSim::start(tg_listen, DEMO_TELEGRAM_TOKEN, "hotspot_demo_bot")
        .await
        .with_context(|| {
        format!("cannot start the Telegram simulator on {tg_listen} (HOTSPOT_DEMO_TELEGRAM_LISTEN)")
    })?;
    Ok(DemoSims { router, whatsapp, midtrans, telegram, _control: control, _ticker: ticker })
}

/// `hotspot demo`: database created if missing, migrated, seeded, simulators started; server and
/// worker run in this one process.
pub async fn demo(mut settings: Settings) -> anyhow::Result<()> {
    if settings.is_production() {
        anyhow::bail!("`hotspot demo` seeds known accounts and passwords: it refuses HOTSPOT_ENV=production");
    }
    let url = settings.database_url.clone();
    let created = tokio::task::spawn_blocking(move || db::create_database_if_missing(&url))
        .await?
        .map_err(|e| anyhow::anyhow!("cannot create the demo database (DATABASE_URL): {e}"))?;
    if created {
        tracing::info!("created the demo database");
    }
    // The existing Nuxt frontend never posts the router's login form: the demo binds devices
    // from the router's redirect unless told otherwise.
    if std::env::var_os("HOTSPOT_BINDING_MODE").is_none() {
        settings.hotspot.binding_mode = crate::domain::network::BindingMode::Redirect;
    }
    // The existing frontend served by its run.sh (../shared/lpsaring-frontend) is the demo's portal.
    if std::env::var_os("HOTSPOT_PUBLIC_BASE_URL").is_none() {
        settings.public_base_url = DEMO_PORTAL.to_owned();
    }
    for origin in [DEMO_PORTAL, "http://localhost:3000"] {
        if !settings.trusted_origins.iter().any(|o| o == origin) {
            settings.trusted_origins.push(origin.to_owned());
        }
    }
    // The walkthrough's reminders go out whatever the hour unless quiet hours are asked for.
    if std::env::var_os("HOTSPOT_NOTIFY_QUIET_HOURS").is_none() {
        settings.notify.quiet_start = 0;
        settings.notify.quiet_end = 0;
    }
    let sims = start_demo_sims().await?;
    let second = super::demo_site::start().await?;
    let router_addr = sims.router.addr().to_string();
    settings.router = Some(RouterSettings::with_defaults(&router_addr)?);
    let wa_base = sims.whatsapp.base_url();
    settings.whatsapp = Some(crate::config::WhatsAppSettings {
        primary: crate::config::ProviderSettings {
            kind: crate::config::ProviderKind::Seed,
            base_url: wa_base.clone(),
            token: None,
        },
        secondary: None,
        timeout: std::time::Duration::from_secs(3),
        retries: 1,
        seed_events: true,
    });
    let mt_base = sims.midtrans.base_url();
    let tg_base = sims.telegram.base_url();
    settings.payments.midtrans = Some(demo_midtrans(mt_base.clone()));
    settings.telegram = Some(demo_telegram(sims.telegram.base_url()));
    let app = App::connect(settings)?;
    let applied = migrate(&app.db).await?;
    let seeded = seed_demo(&app.db).await?;
    let packages = seed_packages(&app.billing()).await?;
    let prepared = prepare_router(&app).await?;
    super::demo_site::register(&app, &second.sim).await?;
    tracing::info!(
        migrations = applied,
        seeded_users = seeded,
        seeded_packages = packages,
        prepared,
        "demo database ready"
    );
    let listener = bind(&app.settings)?;
    let addr = listener.local_addr()?;
    sims.midtrans.set_notify_url(Some(format!("http://{addr}/api/transactions/notification")));
    let control = std::env::var("HOTSPOT_DEMO_ROUTER_CONTROL").unwrap_or_else(|_| "127.0.0.1:18729".into());
    eprintln!(
        "\nhotspot demo on http://{addr}\n  health:   curl -s http://{addr}/api/health\n  openapi:  curl -s http://{addr}/api/openapi.json\n  metrics:  curl -s http://{addr}/metrics\n  admin:    {DEMO_ADMIN_PHONE} / {DEMO_ADMIN_PASSWORD}\n  router:   RouterOS API simulator on {router_addr} (admin / sim-password), control port {control}\n  gedung-b: a second site's router simulator on {} (control port {}); its phones reach the backend from 127.0.0.3\n  whatsapp: gateway simulator on {wa_base}; codes: curl -s '{wa_base}/_sim/last-code?to=081234567001'\n  midtrans: payment simulator on {mt_base}; pay an order: curl -s -X POST {mt_base}/_sim/transactions/ORDER_ID/pay\n  telegram: bot API simulator on {tg_base}; sent messages: curl -s {tg_base}/_sim/outbox\n",
        second.sim.addr(),
        second.control
    );
    let result = serve_and_work(app, listener).await;
    sims.router.shutdown();
    second.sim.shutdown();
    sims.whatsapp.stop().await;
    sims.midtrans.stop().await;
    sims.telegram.stop().await;
    result
}
