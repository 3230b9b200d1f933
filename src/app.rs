//! Process-level assembly: connecting the pools, migrating, serving, the demo.

use std::net::TcpListener;
use std::sync::Arc;

use anyhow::Context;
use chrono::{Duration as ChronoDuration, Utc};

use crate::config::Settings;
use crate::db::{self, Db, DbOptions};
use crate::domain::{ApprovalStatus, GIB, Msisdn, Role};
use crate::http;
use crate::kv::Kv;
use crate::shutdown::{self, Shutdown};
use crate::users::{self, CreateUser, UserError};

/// The pools every mode needs.
#[derive(Clone)]
pub struct Services {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub kv: Kv,
}

impl Services {
    pub fn connect(settings: Settings) -> anyhow::Result<Self> {
        let db = Db::new(&DbOptions {
            url: settings.database_url.clone(),
            pool_size: settings.db_pool_size,
            connect_timeout: settings.db_connect_timeout,
            statement_timeout: settings.db_statement_timeout,
        });
        let kv = Kv::new(
            &settings.redis_url,
            &settings.redis_prefix,
            settings.redis_pool_size,
            settings.redis_timeout,
        )
        .context("REDIS_URL is not usable")?;
        Ok(Self {
            settings: Arc::new(settings),
            db,
            kv,
        })
    }
}

pub async fn migrate(db: &Db) -> anyhow::Result<usize> {
    db.run(|conn| db::migrate(conn).map_err(db::DbError::Unavailable))
        .await
        .context("migrations failed")
}

pub fn bind(settings: &Settings) -> anyhow::Result<TcpListener> {
    TcpListener::bind(settings.listen)
        .with_context(|| format!("cannot listen on {} (HOTSPOT_LISTEN)", settings.listen))
}

/// `hotspot serve`: the HTTP server until SIGTERM/Ctrl-C.
pub async fn serve(services: Services) -> anyhow::Result<()> {
    let listener = bind(&services.settings)?;
    let (trigger, shutdown) = Shutdown::new();
    shutdown::on_signals(trigger);
    run_http(services, listener, shutdown).await
}

pub async fn run_http(
    services: Services,
    listener: TcpListener,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    let state = http::build_state(
        services.settings.clone(),
        services.db.clone(),
        services.kv.clone(),
    )?;
    tracing::info!(%addr, env = ?services.settings.env, "HTTP server listening");
    http::serve(state, listener, shutdown).await
}

/// One demo account: phone, name, role, quota GiB, days until expiry, approval.
struct DemoUser {
    phone: &'static str,
    name: &'static str,
    role: Role,
    quota_gib: i64,
    days: i64,
    approval: ApprovalStatus,
}

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

/// `hotspot demo`: database created if missing, migrated, seeded, then served.
pub async fn demo(settings: Settings) -> anyhow::Result<()> {
    let url = settings.database_url.clone();
    let created = tokio::task::spawn_blocking(move || db::create_database_if_missing(&url))
        .await?
        .map_err(|e| anyhow::anyhow!("cannot create the demo database (DATABASE_URL): {e}"))?;
    if created {
        tracing::info!("created the demo database");
    }
    let services = Services::connect(settings)?;
    let applied = migrate(&services.db).await?;
    let seeded = seed_demo(&services.db).await?;
    tracing::info!(
        migrations = applied,
        seeded_users = seeded,
        "demo database ready"
    );
    let listener = bind(&services.settings)?;
    let addr = listener.local_addr()?;
    eprintln!(
        "\nhotspot demo on http://{addr}\n  health:   curl -s http://{addr}/api/health\n  openapi:  curl -s http://{addr}/api/openapi.json\n  metrics:  curl -s http://{addr}/metrics\n  admin:    {DEMO_ADMIN_PHONE} / {DEMO_ADMIN_PASSWORD}\n"
    );
    let (trigger, shutdown) = Shutdown::new();
    shutdown::on_signals(trigger);
    run_http(services, listener, shutdown).await
}
