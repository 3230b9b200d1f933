//! The one assembler: builds the pools and clients (Postgres, Redis, the router, the WhatsApp
//! messenger, the job queues, Midtrans) and, over them, every room and both doors (the HTTP
//! server and the worker). Nothing else builds a room.

use std::net::TcpListener;
use std::sync::Arc;

use anyhow::Context;
use secrecy::ExposeSecret;

use crate::accounts::Accounts;
use crate::admin::Admin;
use crate::auth::otp::OtpStore;
use crate::auth::ratelimit::Limiter;
use crate::auth::tokens::AccessTokens;
use crate::billing::{Billing, Midtrans};
use crate::captive::Captive;
use crate::config::{RouterSettings, Settings};
use crate::db::{self, Db, DbOptions};
use crate::devices::Devices;
use crate::domain::policy::RouterPolicy;
use crate::kv::Kv;
use crate::notify::{Messenger, Notify, Templates};
use crate::router::RouterClient;
use crate::router::ops::{Managed, Ops};
use crate::settings::Runtime;
use crate::shutdown::{self, Shutdown};
use crate::sync::SyncContext;
use crate::whatsapp::gateway;

/// The pools and clients every run mode needs; cheap to clone.
#[derive(Clone)]
pub struct App {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub kv: Kv,
    /// The managed router, when one is configured.
    pub router: Option<Ops>,
    /// WhatsApp delivery, when a gateway is configured.
    pub messenger: Option<Messenger>,
    /// The job queues; connects on first use.
    pub queues: hotspot_jobs::Queues,
    /// Runtime settings and the router policy built from them (cached, kept current).
    pub runtime: Runtime,
    /// The Midtrans client (one per process: its breaker is shared), when configured.
    pub midtrans: Option<Arc<Midtrans>>,
    /// The operator's Telegram bot, when configured.
    pub telegram: Option<crate::telegram::TelegramClient>,
    /// The documents' fonts; none when they cannot be read (documents then answer 503).
    pub fonts: Option<crate::pdf::Fonts>,
    /// Every enabled site's router client, kept between uses (the environment's is `router`).
    pub fleet: crate::sites::fleet::Fleet,
}

/// Names, polling and key lifetimes of the job queues, from the settings.
pub fn queue_settings(settings: &Settings) -> hotspot_jobs::QueueSettings {
    let j = &settings.jobs;
    hotspot_jobs::QueueSettings {
        namespace: settings.redis_prefix.clone(),
        poll_interval: j.poll_interval,
        // Outlives a queued job plus every retry of it; deleted as soon as the job ends.
        idempotency_ttl: j.sync_timeout * (j.retries as u32 + 2) + std::time::Duration::from_secs(600),
        timeout: settings.redis_timeout,
    }
}

fn messenger(settings: &Settings, db: &Db) -> anyhow::Result<Option<Messenger>> {
    let templates = Templates::load(settings.wa_templates_file.as_deref()).context("HOTSPOT_WA_TEMPLATES_FILE")?;
    let Some(wa) = &settings.whatsapp else { return Ok(None) };
    let mut gateways = vec![gateway::build(&wa.primary, wa.timeout).context("HOTSPOT_WA_BASE_URL")?];
    if let Some(second) = &wa.secondary {
        gateways.push(gateway::build(second, wa.timeout).context("HOTSPOT_WA_SECONDARY_BASE_URL")?);
    }
    Ok(Some(Messenger::new(db.clone(), gateways, wa.retries, templates)))
}

fn sites_room(settings: &Settings, db: &Db) -> crate::sites::Sites {
    let tuning = match &settings.router {
        Some(r) => r.client.clone(),
        None => crate::router::RouterConfig::new("site", "127.0.0.1:8728", "admin", ""),
    };
    crate::sites::Sites::new(db.clone(), settings.site_key.key.clone(), tuning)
}

/// The client and the operations for the configured router (connects on first use).
pub fn router_ops(r: &RouterSettings, policy: &RouterPolicy) -> Ops {
    let managed = Managed {
        comment_prefix: r.comment_prefix.clone(),
        status_lists: policy.managed_lists(),
        server: r.hotspot_server.clone(),
    };
    Ops::new(RouterClient::new(r.client.clone()), managed)
}

impl App {
    pub fn connect(settings: Settings) -> anyhow::Result<Self> {
        let db = Db::new(&DbOptions {
            url: settings.database_url.clone(),
            pool_size: settings.db_pool_size,
            connect_timeout: settings.db_connect_timeout,
            statement_timeout: settings.db_statement_timeout,
        });
        let kv = Kv::new(&settings.redis_url, &settings.redis_prefix, settings.redis_timeout)
            .context("REDIS_URL is not usable")?;
        let router = settings.router.as_ref().map(|r| router_ops(r, &settings.policy));
        let runtime = Runtime::new(&settings, db.clone(), kv.clone());
        let messenger = messenger(&settings, &db)?;
        let conn = hotspot_jobs::queue::connection(&settings.redis_url, settings.redis_timeout)
            .context("REDIS_URL is not usable for the job queues")?;
        let queues = hotspot_jobs::Queues::new(conn, queue_settings(&settings));
        let midtrans = match &settings.payments.midtrans {
            Some(m) => Some(Arc::new(Midtrans::new(m.clone()).context("HOTSPOT_MIDTRANS_BASE_URL")?)),
            None => None,
        };
        let telegram = match &settings.telegram {
            Some(t) => Some(crate::telegram::TelegramClient::new(t.clone()).context("HOTSPOT_TELEGRAM_API_BASE")?),
            None => None,
        };
        let fonts = match crate::pdf::Fonts::load(&settings.payments.pdf_fonts.0, &settings.payments.pdf_fonts.1) {
            Ok(f) => Some(f),
            Err(e) => {
                tracing::warn!(error = %e, "documents (PDF) are unavailable until HOTSPOT_PDF_FONT names a readable font");
                None
            }
        };
        let sites = sites_room(&settings, &db);
        let fleet = crate::sites::fleet::Fleet::new(sites, settings.policy.clone(), router.clone());
        Ok(Self {
            settings: Arc::new(settings),
            db,
            kv,
            router,
            messenger,
            queues,
            runtime,
            midtrans,
            telegram,
            fonts,
            fleet,
        })
    }

    fn tokens(&self) -> AccessTokens {
        AccessTokens::new(self.settings.jwt_secret.expose_secret().as_bytes(), self.settings.auth.access_ttl)
    }

    fn limiter(&self) -> Limiter {
        Limiter::new(self.kv.clone(), self.settings.otp_secret.expose_secret().as_bytes())
    }

    pub fn accounts(&self) -> Accounts {
        Accounts::new(self.db.clone(), self.queues.clone())
    }

    pub fn devices(&self) -> Devices {
        Devices::new(self.db.clone(), self.router.clone(), Some(self.queues.clone())).with_fleet(self.fleet.clone())
    }

    pub fn notify(&self) -> Notify {
        Notify {
            db: self.db.clone(),
            kv: self.kv.clone(),
            queues: self.queues.clone(),
            messenger: self.messenger.clone(),
            timezone: self.settings.timezone,
            settings: self.settings.notify.clone(),
            telegram: self.telegram.clone(),
        }
    }

    /// The sign-in room.
    pub fn captive(&self) -> Captive {
        let s = &self.settings;
        let a = &s.auth;
        let secret = s.otp_secret.expose_secret().as_bytes();
        Captive {
            db: self.db.clone(),
            kv: self.kv.clone(),
            router: self.router.clone(),
            settings: s.clone(),
            runtime: self.runtime.clone(),
            accounts: self.accounts(),
            devices: self.devices(),
            messenger: self.messenger.clone(),
            otp: OtpStore::new(self.kv.clone(), secret, a.otp_ttl, a.otp_cooldown, a.otp_max_attempts),
            tokens: self.tokens(),
            limiter: self.limiter(),
            fleet: Some(self.fleet.clone()),
            site: None,
        }
    }

    /// The admin room (its dashboard cache is per instance).
    pub fn admin(&self) -> Admin {
        Admin {
            db: self.db.clone(),
            kv: self.kv.clone(),
            settings: self.settings.clone(),
            runtime: self.runtime.clone(),
            accounts: self.accounts(),
            devices: self.devices(),
            tokens: self.tokens(),
            messenger: self.messenger.clone(),
            stats_cache: Default::default(),
            promos: crate::settings::promos::Promos { db: self.db.clone() },
            sites: self.sites(),
        }
    }

    /// The sites room: the routers, their sealed credentials, their clients' settings.
    pub fn sites(&self) -> crate::sites::Sites {
        sites_room(&self.settings, &self.db)
    }

    /// The billing room.
    pub fn billing(&self) -> Billing {
        Billing {
            db: self.db.clone(),
            settings: self.settings.clone(),
            runtime: self.runtime.clone(),
            accounts: self.accounts(),
            limiter: self.limiter(),
            midtrans: self.midtrans.clone(),
            fonts: self.fonts.clone(),
            fleet: self.fleet.clone(),
        }
    }

    pub fn radius(&self) -> Option<crate::radius::Radius> {
        let (db, fleet, runtime) = (self.db.clone(), self.fleet.clone(), self.runtime.clone());
        crate::radius::Radius::new(db, fleet, self.devices(), self.sites(), runtime, &self.settings)
    }

    /// The sync's context for the configured router.
    pub fn sync_context(&self) -> anyhow::Result<SyncContext> {
        let (Some(router), Some(r)) = (self.router.clone(), self.settings.router.as_ref()) else {
            anyhow::bail!("no router is configured (HOTSPOT_ROUTER_ADDR)");
        };
        let site = crate::sync::SiteScope::default_site(&r.client.addr);
        Ok(self.sync_template().context(router, site, r.comment_prefix.clone()))
    }

    /// What every site's sync context shares.
    pub fn sync_template(&self) -> crate::sync::SyncTemplate {
        let settings = &self.settings;
        crate::sync::SyncTemplate {
            db: self.db.clone(),
            runtime: self.runtime.clone(),
            timezone: settings.timezone,
            // Never more than the pool can give at once, leaving room for the API.
            writers: settings.jobs.sync_writers.min(settings.db_pool_size as usize / 2).max(1),
            notify: Some(self.queues.clone()),
        }
    }

    /// The HTTP door's state.
    pub fn http_state(&self) -> anyhow::Result<actix_web::web::Data<crate::http::AppState>> {
        Ok(actix_web::web::Data::new(crate::http::AppState {
            settings: self.settings.clone(),
            db: self.db.clone(),
            kv: self.kv.clone(),
            router: self.router.clone(),
            captive: self.captive(),
            admin: self.admin(),
            billing: self.billing(),
            accounts: self.accounts(),
            notify: self.notify(),
            radius: self.radius(),
            queues: self.queues.clone(),
            metrics: Arc::new(crate::http::metrics::Metrics::new()?),
            peer_checks: Default::default(),
            openapi: crate::http::openapi::document()?,
        }))
    }

    /// What the worker's jobs work with (no router configured: the sync jobs say so).
    pub fn worker_ctx(&self) -> crate::worker::Ctx {
        crate::worker::Ctx {
            settings: self.settings.clone(),
            db: self.db.clone(),
            kv: self.kv.clone(),
            runtime: self.runtime.clone(),
            accounts: self.accounts(),
            devices: self.devices(),
            billing: self.billing(),
            notify: self.notify(),
            admin: self.admin(),
            sync: self.sync_context().ok(),
            sync_template: self.sync_template(),
            queues: self.queues.clone(),
            fleet: self.fleet.clone(),
            sites: self.sites(),
            radius: self.radius(),
        }
    }

    pub fn worker_config(&self) -> hotspot_jobs::WorkerConfig {
        crate::worker::worker_config(&self.settings, queue_settings(&self.settings))
    }

    /// The next fire times of every scheduled job (`hotspot worker --print-schedule`).
    pub fn schedule_preview(&self, n: usize) -> anyhow::Result<Vec<(&'static str, Vec<String>)>> {
        let conn = hotspot_jobs::queue::connection(&self.settings.redis_url, self.settings.redis_timeout)?;
        Ok(crate::worker::build(self.worker_ctx(), self.worker_config(), conn).preview(n))
    }
}

pub async fn migrate(db: &Db) -> anyhow::Result<usize> {
    db.run(|conn| db::migrate(conn).map_err(db::DbError::Unavailable)).await.context("migrations failed")
}

pub fn bind(settings: &Settings) -> anyhow::Result<TcpListener> {
    TcpListener::bind(settings.listen).with_context(|| format!("cannot listen on {} (HOTSPOT_LISTEN)", settings.listen))
}

/// `hotspot serve`: the HTTP server until SIGTERM/Ctrl-C.
pub async fn serve(app: App) -> anyhow::Result<()> {
    let listener = bind(&app.settings)?;
    let (trigger, shutdown) = Shutdown::new();
    shutdown::on_signals(trigger);
    run_http(app, listener, shutdown).await
}

/// `hotspot worker`: the scheduled jobs and queue consumers until SIGTERM/Ctrl-C.
pub async fn work(app: App) -> anyhow::Result<()> {
    let (trigger, shutdown) = Shutdown::new();
    shutdown::on_signals(trigger);
    run_worker(app, shutdown).await
}

/// Writes the environment's router (`HOTSPOT_ROUTER_*`) as its site, retried while the database
/// is away (a server may start before its database or its migrations).
fn describe_env_site(app: &App, shutdown: Shutdown) {
    let Some(router) = app.settings.router.clone() else { return };
    let (sites, settings) = (app.sites(), app.settings.clone());
    if settings.site_key.derived && settings.is_production() {
        tracing::warn!(
            "HOTSPOT_SITE_KEY is unset: router passwords are sealed with a key derived from HOTSPOT_JWT_SECRET"
        );
    }
    tokio::spawn(async move {
        let mut wait = std::time::Duration::from_secs(1);
        loop {
            let networks = &settings.hotspot.networks;
            match sites.describe_env(&router, networks, &settings.policy.profiles).await {
                Ok(id) => return tracing::info!(site = id, "the environment's router is this site"),
                Err(e) => tracing::warn!(error = %e, "the environment's router is not written as a site yet; retrying"),
            }
            tokio::select! {
                _ = shutdown.clone().wait() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            wait = (wait * 2).min(std::time::Duration::from_secs(60));
        }
    });
}

pub async fn run_worker(app: App, shutdown: Shutdown) -> anyhow::Result<()> {
    describe_env_site(&app, shutdown.clone());
    let stop = shutdown.clone();
    app.kv.keep_fresh(async move { stop.wait().await });
    crate::worker::run(app.worker_ctx(), app.worker_config(), shutdown).await
}

/// The HTTP server and the worker in one process under one shutdown signal; if either stops
/// on its own (an error), the other is stopped too.
pub async fn serve_and_work(app: App, listener: TcpListener) -> anyhow::Result<()> {
    let (trigger, shutdown) = Shutdown::new();
    shutdown::on_signals(trigger.clone());
    let (t1, t2) = (trigger.clone(), trigger);
    let http = async {
        let r = run_http(app.clone(), listener, shutdown.clone()).await;
        t1.trigger();
        r
    };
    let work = async {
        let r = run_worker(app.clone(), shutdown.clone()).await;
        t2.trigger();
        r
    };
    let (h, w) = tokio::join!(http, work);
    h.and(w)
}

pub async fn run_http(app: App, listener: TcpListener, shutdown: Shutdown) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    describe_env_site(&app, shutdown.clone());
    app.runtime.start(&app.settings.redis_url).await;
    let stop = shutdown.clone();
    app.kv.keep_fresh(async move { stop.wait().await });
    let state = app.http_state()?;
    tracing::info!(%addr, env = ?app.settings.env, "HTTP server listening");
    crate::http::serve(state, listener, shutdown).await
}
