//! `/metrics` and `/api/openapi.json`.

use actix_web::{HttpResponse, web};

use crate::http::AppState;
use crate::http::error::ApiError;

#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String)))]
pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.metrics.set_db_pool(state.db.state());
    // The router and the gateway's WhatsApp session, from the health check's cache (a scrape
    // asks them at most once per HOTSPOT_HEALTH_CACHE_SECS).
    let (router, whatsapp) = super::health::peers(&state).await;
    for (peer, check) in [("router", router), ("whatsapp", whatsapp)] {
        if check.status != "not_configured" {
            state.metrics.set_peer_up(peer, check.status == "up");
        }
    }
    crate::metrics::refresh_queues(&state.queues).await;
    match state.admin.sites().await {
        Ok(sites) => crate::metrics::sites(
            &sites
                .iter()
                .filter(|s| s.is_enabled)
                .map(|s| crate::metrics::SiteSeen {
                    name: s.name.clone(),
                    up: s.online,
                    last_contact: s.last_contact_at.map(|t| t.timestamp()),
                    devices_seen: s.last_cycle.as_ref().map(|c| i64::from(c.hosts_count)),
                    last_cycle: s.last_cycle.as_ref().and_then(|c| c.finished_at).map(|t| t.timestamp()),
                })
                .collect::<Vec<_>>(),
        ),
        Err(e) => tracing::debug!(error = %e, "sites not read for the metrics"),
    }
    let text = state.metrics.render().map_err(|e| {
        tracing::error!(error = %e, "metrics encoding failed");
        ApiError::internal()
    })?;
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(text))
}

#[utoipa::path(get, path = "/api/openapi.json", tag = "operations", responses((status = 200, description = "This document")))]

pub async fn openapi(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(state.openapi.clone())
}
