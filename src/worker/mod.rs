//! The second door: the worker. Its context holds the rooms the jobs call; each job is one
//! type in `jobs/`, registered in one line; the worker also listens to the seed gateway's
//! receipts and serves its own `/metrics`.

pub mod jobs;
mod scrape;

use std::sync::Arc;
use std::time::Duration;

use hotspot_jobs::{RetryRule, Worker, WorkerConfig};

use crate::accounts::Accounts;
use crate::billing::Billing;
use crate::config::Settings;
use crate::db::Db;
use crate::devices::Devices;
use crate::kv::Kv;
use crate::notify::Notify;
use crate::settings::Runtime;
use crate::shutdown::Shutdown;
use crate::sync::SyncContext;

/// What the jobs work with; built by the assembler.
pub struct Ctx {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub kv: Kv,
    pub runtime: Runtime,
    pub accounts: Accounts,
    pub devices: Devices,
    pub billing: Billing,
    pub notify: Notify,
    /// The operator's policies the worker applies (inactive accounts).
    pub admin: crate::admin::Admin,
    /// The quota sync's context; `None` without a router (the sync jobs say so and succeed).
    pub sync: Option<SyncContext>,
    /// Every other site's sync context is made from this.
    pub sync_template: crate::sync::SyncTemplate,
    pub queues: hotspot_jobs::Queues,
    /// Every enabled site's router (the watch looks at each).
    pub fleet: crate::sites::fleet::Fleet,
    pub sites: crate::sites::Sites,
    /// RADIUS mode's room, when configured: sessions ended after an admin's change.
    pub radius: Option<crate::radius::Radius>,
}

/// This host's name as worker names start with it (`$HOSTNAME`: the container id under Docker).
pub fn host_name() -> String {
    std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "worker".into())
}

/// The worker's settings: names, retry rules, queue settings.
pub fn worker_config(settings: &Settings, queues: hotspot_jobs::QueueSettings) -> WorkerConfig {
    let j = &settings.jobs;
    let host = host_name();
    WorkerConfig {
        // Unique per run: apalis re-queues a dead worker's jobs by name.
        name: format!("{host}-{}-{}", std::process::id(), &uuid::Uuid::new_v4().simple().to_string()[..6]),
        queues,
        timezone: settings.timezone,
        sync: RetryRule {
            retries: j.retries,
            backoff_min: Duration::from_secs(5),
            backoff_max: Duration::from_secs(60),
            timeout: j.sync_timeout,
        },
        maintenance: RetryRule {
            retries: j.retries,
            backoff_min: Duration::from_secs(10),
            backoff_max: Duration::from_secs(300),
            timeout: Duration::from_secs(300),
        },
        delivery: RetryRule {
            retries: j.retries.max(5),
            backoff_min: Duration::from_secs(2),
            backoff_max: Duration::from_secs(120),
            timeout: Duration::from_secs(60),
        },
        shutdown_timeout: settings.shutdown_timeout,
        keep_finished: Duration::from_secs(7 * 86_400),
    }
}

/// The worker with every job registered, each job's failure series shown at zero.
pub fn build(ctx: Ctx, config: WorkerConfig, conn: hotspot_jobs::ConnectionManager) -> Worker<Ctx> {
    let worker = jobs::register(Worker::new(config, conn, ctx)).on_consumer(crate::metrics::consumer);
    for job in worker.jobs() {
        crate::metrics::job_failed_series(job);
    }
    for queue in worker.queues() {
        crate::metrics::consumer_series(queue);
    }
    worker
}

/// Runs the worker until `shutdown` fires.
pub async fn run(ctx: Ctx, config: WorkerConfig, shutdown: Shutdown) -> anyhow::Result<()> {
    let settings = ctx.settings.clone();
    ctx.runtime.start(&settings.redis_url).await;
    let conn = hotspot_jobs::queue::connection(&settings.redis_url, settings.redis_timeout)?;
    if let Some(wa) = settings.whatsapp.as_ref().filter(|w| w.seed_events) {
        let providers: Vec<_> = std::iter::once(&wa.primary).chain(wa.secondary.as_ref()).collect();
        let sink = crate::notify::receipts::seed_sink(ctx.db.clone());
        crate::whatsapp::seed_events::spawn_listeners(&providers, sink, &shutdown);
    }
    if let Some(at) = settings.jobs.metrics_listen {
        let listener = std::net::TcpListener::bind(at)
            .map_err(|e| anyhow::anyhow!("cannot listen on {at} (HOTSPOT_WORKER_METRICS_LISTEN): {e}"))?;
        scrape::serve(listener, ctx.queues.clone(), shutdown.clone())?;
    }
    if let Some(sync) = &ctx.sync {
        // Said once at start, so a wrong password shows up when the worker is deployed, not as
        // a failed cycle minutes later.
        let router = sync.router.clone();
        tokio::spawn(async move {
            match router.ping().await {
                Ok(()) => tracing::info!("the router answers"),
                Err(crate::router::RouterError::LoginRefused) => tracing::error!(
                    "the router refused the API login: check HOTSPOT_ROUTER_USERNAME and HOTSPOT_ROUTER_PASSWORD"
                ),
                Err(e) => tracing::warn!(error = %e, "the router does not answer yet; the sync retries each cycle"),
            }
        });
    }
    let name = config.name.clone();
    tracing::info!(worker = %name, "worker running");
    build(ctx, config, conn).run(shutdown.wait()).await?;
    tracing::info!("worker stopped");
    Ok(())
}
