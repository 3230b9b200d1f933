//! The HTTP door: app factory, server start-up and shutdown.

pub mod context;
pub mod error;
pub mod extract;
pub mod input;
pub mod meta;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod session;

use std::sync::Arc;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};

use crate::captive::Captive;
use crate::config::Settings;
use crate::db::Db;
use crate::kv::Kv;
use crate::router::ops::Ops;
use crate::services::Services;
use crate::shutdown::Shutdown;
use crate::whatsapp::Messenger;
use error::ApiError;
use input::BodyLimit;
use metrics::Metrics;

/// Shared by every worker; cheap to clone (everything inside is reference-counted).
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub kv: Kv,
    pub router: Option<Ops>,
    pub messenger: Option<Messenger>,
    /// The sign-in room (codes, devices, sessions).
    pub captive: Captive,
    /// The admin room (user lifecycle, audit, runtime settings, stats).
    pub admin: crate::admin::Admin,
    /// The billing room (packages, payments, vouchers, cash sales).
    pub billing: crate::billing::Billing,
    /// The job queues (manual sync).
    pub queues: hotspot_jobs::Queues,
    pub metrics: Arc<Metrics>,
    /// The health endpoint's cached router and gateway checks.
    pub peer_checks: routes::health::PeerChecks,
}

/// Registers every route, the extractor configs and the request-context middleware.
pub fn configure(cfg: &mut web::ServiceConfig, state: web::Data<AppState>) {
    let limit = state.settings.body_limit_bytes;
    cfg.app_data(state)
        .app_data(BodyLimit(limit))
        .app_data(web::PayloadConfig::new(limit))
        .app_data(web::JsonConfig::default().limit(limit).error_handler(|e, _| match e {
            actix_web::error::JsonPayloadError::OverflowKnownLength { .. }
            | actix_web::error::JsonPayloadError::Overflow { .. } => ApiError::payload_too_large().into(),
            actix_web::error::JsonPayloadError::ContentType => ApiError::unsupported_media_type().into(),
            other => ApiError::malformed_body(other.to_string()).into(),
        }))
        .app_data(
            web::FormConfig::default()
                .limit(limit)
                .error_handler(|e, _| ApiError::malformed_body(e.to_string()).into()),
        )
        .app_data(web::QueryConfig::default().error_handler(|e, _| ApiError::validation("query", e.to_string()).into()))
        .app_data(web::PathConfig::default().error_handler(|_, _| ApiError::not_found().into()))
        .configure(routes::register_all);
}

pub fn build_state(services: &Services) -> anyhow::Result<web::Data<AppState>> {
    let metrics = Arc::new(Metrics::new()?);
    let settings = services.settings.clone();
    let admin = services.admin();
    Ok(web::Data::new(AppState {
        captive: services.captive(),
        billing: crate::billing::Billing::new(admin.clone(), services.midtrans.clone()),
        admin,
        queues: services.queues.clone(),
        messenger: services.messenger.clone(),
        settings: settings.clone(),
        db: services.db.clone(),
        kv: services.kv.clone(),
        router: services.router.clone(),
        metrics,
        peer_checks: Default::default(),
    }))
}

/// Binds and runs the server until `shutdown` fires; in-flight requests get the configured
/// grace period. Returns the bound address through `on_bound` (tests bind port 0).
pub async fn serve(
    state: web::Data<AppState>,
    listener: std::net::TcpListener,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let settings = state.settings.clone();
    let server = HttpServer::new(move || {
        let state = state.clone();
        App::new()
            .wrap(from_fn(context::request_context))
            .configure(move |cfg| configure(cfg, state))
            .default_service(web::to(|| async { Err::<HttpResponse, ApiError>(ApiError::not_found()) }))
    })
    .workers(settings.http_workers)
    .shutdown_timeout(settings.shutdown_timeout.as_secs())
    .disable_signals()
    .listen(listener)?
    .run();
    let handle = server.handle();
    let stopper = tokio::spawn(async move {
        shutdown.wait().await;
        tracing::info!("shutting down HTTP server");
        handle.stop(true).await;
    });
    server.await?;
    stopper.abort();
    Ok(())
}
