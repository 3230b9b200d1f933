//! The second door: the job handlers over this process's services, handed to the apalis worker
//! of the `hotspot-jobs` crate (`hotspot worker`), and the housekeeping they run.

pub mod maintenance;
pub mod retention;

use std::sync::Arc;
use std::time::Duration;

use hotspot_jobs::{BoxError, Done, Handlers, JobFuture, ManualSync, Reconcile, RetryRule, RouterRetry, WorkerConfig};

use crate::captive::Captive;
use crate::domain::{ClientIp, MacAddress};
use crate::services::{self, Services};
use crate::shutdown::Shutdown;
use crate::sync::SyncContext;
use crate::sync::run::{self, TickOutcome};

/// How long a manual sync waits between tries while a scheduled cycle holds the lock.
const LOCK_WAIT: Duration = Duration::from_millis(500);

pub struct JobHandlers {
    services: Services,
    sync: Option<SyncContext>,
    captive: Captive,
}

impl JobHandlers {
    pub fn new(services: Services) -> Self {
        // No router configured: the sync jobs say so and succeed, the rest still run.
        let sync = services::sync_context(&services).ok();
        let captive = services.captive();
        Self { services, sync, captive }
    }
}

fn describe(s: &run::Summary) -> String {
    format!(
        "run {} {}: {} users, {} bytes charged to {} users, {} status changes, {} router writes, {} errors, {} ms",
        s.run_id,
        s.status,
        s.users,
        s.bytes_charged,
        s.users_charged,
        s.status_changes,
        s.router_writes,
        s.errors.len(),
        s.millis
    )
}

impl Handlers for JobHandlers {
    fn quota_sync(&self, _tick: u64) -> JobFuture {
        let (ctx, kv, every) = (self.sync.clone(), self.services.kv.clone(), self.services.settings.jobs.sync_interval);
        counted("quota-sync", async move {
            let Some(ctx) = ctx else { return Ok(Done::new("no router configured; nothing to sync")) };
            Ok(match run::tick(&ctx, &kv, every, "schedule", None).await? {
                TickOutcome::Ran(s) => Done::new(describe(&s)),
                TickOutcome::Locked => Done::new("another worker is syncing this tick"),
                TickOutcome::Throttled => Done::new("this tick was synced by another worker"),
            })
        })
    }

    fn manual_sync(&self, job_id: String, _job: ManualSync) -> JobFuture {
        let (ctx, kv, every) = (self.sync.clone(), self.services.kv.clone(), self.services.settings.jobs.sync_interval);
        counted("manual-sync", async move {
            let Some(ctx) = ctx else { return Err("no router is configured (HOTSPOT_ROUTER_ADDR)".into()) };
            // The admin asked for a fresh cycle: wait for a running one rather than skip.
            loop {
                match run::tick(&ctx, &kv, every, "manual", Some(job_id.clone())).await? {
                    TickOutcome::Ran(s) => return Ok(Done::new(describe(&s))),
                    TickOutcome::Locked | TickOutcome::Throttled => tokio::time::sleep(LOCK_WAIT).await,
                }
            }
        })
    }

    /// The daily housekeeping: dead sessions, unproven registrations, history past retention.
    fn cleanup_refresh_tokens(&self) -> JobFuture {
        let db = self.services.db.clone();
        let runtime = self.services.runtime.get();
        counted("housekeeping", async move {
            let n = maintenance::cleanup_refresh_tokens(&db).await?;
            let r = maintenance::cleanup_unproven_registrations(&db).await?;
            let kept = retention::apply(&db, &runtime, chrono::Utc::now()).await?;
            Ok(Done::new(format!("{n} refresh tokens and {r} unproven registrations deleted; {kept}")))
        })
    }

    fn cleanup_stale_devices(&self) -> JobFuture {
        let captive = self.captive.clone();
        let after = Duration::from_secs(u64::from(self.services.runtime.get().device_stale_days) * 86_400);
        counted("device-cleanup", async move {
            let n = maintenance::cleanup_stale_devices(&captive, after).await.map_err(|e| Box::new(e) as BoxError)?;
            Ok(Done::new(format!("{n} stale devices removed")))
        })
    }

    fn reconcile(&self, job: Reconcile) -> JobFuture {
        let ctx = self.sync.clone();
        counted("reconcile", async move {
            let Some(ctx) = ctx else { return Ok(Done::new("no router configured; nothing to reconcile")) };
            // Parsed at the edge; a payload that is not a user id can never succeed.
            let Ok(id) = uuid::Uuid::parse_str(&job.user_id) else {
                return Err(hotspot_jobs::give_up(format!("reconcile of a non-id {:?}", job.user_id)));
            };
            match crate::sync::reconcile::reconcile_user(&ctx, id).await.map_err(|e| Box::new(e) as BoxError)? {
                Some(r) => {
                    Ok(Done::new(format!("{}: user now {}, {} router changes", job.reason, r.status, r.changes)))
                }
                None => Ok(Done::new(format!("{}: the user no longer exists", job.reason))),
            }
        })
    }

    fn payment_reconcile(&self) -> JobFuture {
        let billing = self.services.billing();
        let after = self.services.settings.payments.reconcile_after;
        counted("payment-reconcile", async move {
            let r = billing.reconcile_pending(after).await.map_err(|e| Box::new(e) as BoxError)?;
            Ok(Done::new(format!(
                "{} pending payments checked: {} moved, {} expired, {} could not be checked",
                r.checked, r.moved, r.expired, r.errors
            )))
        })
    }

    fn gateway_watch(&self) -> JobFuture {
        let services = self.services.clone();
        counted("gateway-watch", async move {
            let w = crate::notify::watch::check_gateway(&services).await.map_err(|e| Box::new(e) as BoxError)?;
            Ok(Done::new(format!("{w:?}")))
        })
    }

    fn expiry_warnings(&self) -> JobFuture {
        let services = self.services.clone();
        counted("expiry-warnings", async move {
            let n = crate::notify::queue_expiry_warnings(&services).await.map_err(|e| Box::new(e) as BoxError)?;
            Ok(Done::new(format!("{n} expiry warnings queued")))
        })
    }

    fn notify(&self, job: hotspot_jobs::Notify) -> JobFuture {
        let services = self.services.clone();
        counted("notify", async move {
            let outcome = crate::notify::deliver(&services, job).await.map_err(|e| Box::new(e) as BoxError)?;
            Ok(Done::new(format!("{outcome:?}")))
        })
    }

    fn router_retry(&self, job: RouterRetry) -> JobFuture {
        let captive = self.captive.clone();
        counted("router-retry", async move {
            // Parsed at the edge like any input; a malformed entry is dropped, not retried forever.
            let macs: Vec<MacAddress> = job.forget_macs.iter().filter_map(|m| MacAddress::parse(m).ok()).collect();
            let ips: Vec<ClientIp> = job.forget_ips.iter().filter_map(|i| ClientIp::parse(i).ok()).collect();
            let dropped = job.forget_macs.len() + job.forget_ips.len() - macs.len() - ips.len();
            if dropped > 0 {
                tracing::warn!(dropped, "router retry carried unparsable entries; dropped");
            }
            let (bindings, entries) = captive.retry_forget(macs, ips).await.map_err(|e| Box::new(e) as BoxError)?;
            Ok(Done::new(format!("{}: {bindings} bindings, {entries} addresses removed", job.reason)))
        })
    }
}

/// A job's future, counted in `hotspot_job_failures_total` when it fails.
fn counted(
    job: &'static str,
    fut: impl std::future::Future<Output = Result<Done, BoxError>> + Send + 'static,
) -> JobFuture {
    Box::pin(async move {
        let r = fut.await;
        if r.is_err() {
            crate::metrics::job_failed(job);
        }
        r
    })
}

/// This host's name as worker names start with it (`$HOSTNAME`: the container id under Docker).
pub fn host_name() -> String {
    std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "worker".into())
}

/// The worker's settings: schedules, retry rules, names.
pub fn worker_config(services: &Services) -> WorkerConfig {
    let s = &services.settings;
    let j = &s.jobs;
    let host = host_name();
    WorkerConfig {
        // Unique per run: apalis re-queues a dead worker's jobs by name.
        name: format!("{host}-{}-{}", std::process::id(), &uuid::Uuid::new_v4().simple().to_string()[..6]),
        queues: services::queue_settings(s),
        cron: hotspot_jobs::CronTable {
            quota_sync_every: j.sync_interval,
            token_cleanup: j.token_cleanup_cron.clone(),
            device_cleanup: j.device_cleanup_cron.clone(),
            payment_reconcile_every: s.payments.reconcile_every,
            expiry_warnings: s.notify.expiry_warnings_cron.clone(),
            gateway_watch_every: Duration::from_secs(60),
            timezone: s.timezone,
        },
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
        router_retry: RetryRule {
            retries: j.retries.max(5),
            backoff_min: Duration::from_secs(2),
            backoff_max: Duration::from_secs(120),
            timeout: Duration::from_secs(60),
        },
        shutdown_timeout: s.shutdown_timeout,
        keep_finished: Duration::from_secs(7 * 86_400),
    }
}

/// Runs the worker until `shutdown` fires.
pub async fn run(services: Services, shutdown: Shutdown) -> anyhow::Result<()> {
    services.runtime.start(&services.settings.redis_url).await;
    let config = worker_config(&services);
    let conn = hotspot_jobs::queue::connection(&services.settings.redis_url, services.settings.redis_timeout)?;
    if let Some(wa) = services.settings.whatsapp.as_ref().filter(|w| w.seed_events) {
        let providers: Vec<_> = std::iter::once(&wa.primary).chain(wa.secondary.as_ref()).collect();
        crate::whatsapp::seed_events::spawn_listeners(&services.db, &providers, &shutdown);
    }
    if let Some(at) = services.settings.jobs.metrics_listen {
        let listener = std::net::TcpListener::bind(at)
            .map_err(|e| anyhow::anyhow!("cannot listen on {at} (HOTSPOT_WORKER_METRICS_LISTEN): {e}"))?;
        serve_metrics(listener, services.queues.clone(), shutdown.clone())?;
    }
    let handlers: Arc<dyn Handlers> = Arc::new(JobHandlers::new(services));
    tracing::info!(worker = %config.name, "worker running");
    hotspot_jobs::worker::run(config, conn, handlers, shutdown.wait()).await?;
    tracing::info!("worker stopped");
    Ok(())
}

/// The worker's `/metrics`: the process's own metrics (sync, router, codes, WhatsApp, queues),
/// served until shutdown.
fn serve_metrics(
    listener: std::net::TcpListener,
    queues: hotspot_jobs::Queues,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    use actix_web::{App, HttpResponse, HttpServer, web};
    let queues = web::Data::new(queues);
    let server = HttpServer::new(move || {
        App::new().app_data(queues.clone()).route(
            "/metrics",
            web::get().to(|q: web::Data<hotspot_jobs::Queues>| async move {
                crate::metrics::refresh_queues(&q).await;
                match crate::metrics::render(Vec::new()) {
                    Ok(text) => HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(text),
                    Err(e) => {
                        tracing::error!(error = %e, "metrics encoding failed");
                        HttpResponse::InternalServerError().finish()
                    }
                }
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    tokio::spawn(async move {
        shutdown.wait().await;
        handle.stop(true).await;
    });
    Ok(())
}
