//! The HTTP door: app factory, server start-up and shutdown.

pub mod client_meta;
pub mod context;
pub mod cookies;
pub mod error;
pub mod extract;
pub mod ids;
pub mod input;
pub mod metrics;
pub mod openapi;
pub mod routes;

use std::sync::Arc;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};

use crate::accounts::Accounts;
use crate::captive::Captive;
use crate::config::Settings;
use crate::db::Db;
use crate::kv::Kv;
use crate::notify::Notify;
use crate::router::ops::Ops;
use crate::shutdown::Shutdown;
use error::ApiError;
use input::BodyLimit;
use metrics::Metrics;

/// Shared by every worker; cheap to clone (everything inside is reference-counted).
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub kv: Kv,
    pub router: Option<Ops>,
    /// The sign-in room (codes, devices, sessions).
    pub captive: Captive,
    /// The admin room (user lifecycle, audit, runtime settings, stats).
    pub admin: crate::admin::Admin,
    /// The billing room (packages, payments, vouchers, cash sales).
    pub billing: crate::billing::Billing,
    /// A user's own account: profile, usage, histories.
    pub accounts: Accounts,
    /// Messages: the gateways and their delivery receipts.
    pub notify: Notify,
    /// RADIUS mode's decisions and accounting (FreeRADIUS calls them); none when off.
    pub radius: Option<crate::radius::Radius>,
    /// The job queues (manual sync).
    pub queues: hotspot_jobs::Queues,
    pub metrics: Arc<Metrics>,
    /// The health endpoint's cached router and gateway checks.
    pub peer_checks: routes::health::PeerChecks,
    /// The OpenAPI document, rendered once.
    pub openapi: bytes::Bytes,
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
