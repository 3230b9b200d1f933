//! Services: the pools and clients every run mode needs (Postgres, Redis, the router, the
//! WhatsApp messenger, the job queues), connected and migrated. Both doors (HTTP and the worker)
//! are built over one `Services`.

use std::sync::Arc;

use anyhow::Context;

use crate::auth::otp::OtpStore;
use crate::auth::ratelimit::Limiter;
use crate::auth::tokens::AccessTokens;
use crate::captive::Captive;
use crate::config::{RouterSettings, Settings};
use crate::db::{self, Db, DbOptions};
use crate::domain::policy::RouterPolicy;
use crate::kv::Kv;
use crate::router::RouterClient;
use crate::router::ops::{Managed, Ops};
use crate::runtime::Runtime;
use crate::whatsapp::{Messenger, Templates, gateway};

/// The pools every mode needs.
#[derive(Clone)]
pub struct Services {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub kv: Kv,
    /// The managed router, when one is configured.
    pub router: Option<Ops>,
    /// WhatsApp delivery, when a gateway is configured.
    pub messenger: Option<Messenger>,
    /// The job queues (manual syncs, router retries); connects on first use.
    pub queues: hotspot_jobs::Queues,
    /// Runtime settings and the router policy built from them (cached, kept current).
    pub runtime: Runtime,
    /// The Midtrans client (one per process: its breaker is shared), when configured.
    pub midtrans: Option<Arc<crate::billing::Midtrans>>,
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

/// The client and the operations for the configured router (connects on first use).
pub fn router_ops(r: &RouterSettings, policy: &RouterPolicy) -> Ops {
    let managed = Managed {
        comment_prefix: r.comment_prefix.clone(),
        status_lists: policy.managed_lists(),
        server: r.hotspot_server.clone(),
    };
    Ops::new(RouterClient::new(r.client.clone()), managed)
}

impl Services {
    /// The sign-in room over these pools.
    pub fn captive(&self) -> Captive {
        let s = &self.settings;
        let a = &s.auth;
        Captive {
            db: self.db.clone(),
            kv: self.kv.clone(),
            router: self.router.clone(),
            settings: s.clone(),
            runtime: self.runtime.clone(),
            messenger: self.messenger.clone(),
            otp: OtpStore::new(self.kv.clone(), s.otp_secret.as_bytes(), a.otp_ttl, a.otp_cooldown, a.otp_max_attempts),
            tokens: AccessTokens::new(s.jwt_secret.as_bytes(), a.access_ttl),
            limiter: Limiter::new(self.kv.clone(), s.otp_secret.as_bytes()),
            queues: Some(self.queues.clone()),
        }
    }

    /// The admin room over these pools (its dashboard cache is per instance).
    pub fn admin(&self) -> crate::admin::Admin {
        crate::admin::Admin {
            captive: self.captive(),
            runtime: self.runtime.clone(),
            messenger: self.messenger.clone(),
            queues: self.queues.clone(),
            stats_cache: Default::default(),
        }
    }

    /// The billing room over these pools.
    pub fn billing(&self) -> crate::billing::Billing {
        crate::billing::Billing::new(self.admin(), self.midtrans.clone())
    }

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
        let runtime = Runtime::new(&settings, db.clone());
        let messenger = messenger(&settings, &db)?;
        let conn = hotspot_jobs::queue::connection(&settings.redis_url, settings.redis_timeout)
            .context("REDIS_URL is not usable for the job queues")?;
        let queues = hotspot_jobs::Queues::new(conn, queue_settings(&settings));
        let midtrans = match &settings.payments.midtrans {
            Some(m) => Some(Arc::new(crate::billing::Midtrans::new(m.clone()).context("HOTSPOT_MIDTRANS_BASE_URL")?)),
            None => None,
        };
        Ok(Self { settings: Arc::new(settings), db, kv, router, messenger, queues, runtime, midtrans })
    }
}

pub async fn migrate(db: &Db) -> anyhow::Result<usize> {
    db.run(|conn| db::migrate(conn).map_err(db::DbError::Unavailable)).await.context("migrations failed")
}

/// The sync's context for the configured router.
pub fn sync_context(services: &Services) -> anyhow::Result<crate::sync::SyncContext> {
    let settings = &services.settings;
    let (Some(router), Some(r)) = (services.router.clone(), settings.router.as_ref()) else {
        anyhow::bail!("no router is configured (HOTSPOT_ROUTER_ADDR)");
    };
    Ok(crate::sync::SyncContext {
        db: services.db.clone(),
        router,
        router_name: "main".into(),
        router_host: r.client.addr.clone(),
        runtime: services.runtime.clone(),
        comment_prefix: r.comment_prefix.clone(),
        timezone: settings.timezone,
        // Never more than the pool can give at once, leaving room for the API.
        writers: settings.jobs.sync_writers.min(settings.db_pool_size as usize / 2).max(1),
        progress: None,
        progress_every: std::time::Duration::from_secs(1),
        lock_ttl: settings.jobs.sync_timeout + std::time::Duration::from_secs(60),
        pause: None,
        notify: Some(services.queues.clone()),
    })
}
