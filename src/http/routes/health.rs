//! `GET /api/health`: real checks of Postgres and Redis, each bounded in time so the endpoint
//! answers within 2 s even when a dependency hangs.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::http::AppState;
use crate::http::error::{ApiError, ErrorCode};

/// Each check gets this long; both run at once, so the endpoint stays under 2 s.
const CHECK_TIMEOUT: Duration = Duration::from_millis(1_500);

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckResult {
    /// `up`, `down` or `not_configured`.
    pub status: &'static str,
    pub latency_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Checks {
    pub database: CheckResult,
    pub redis: CheckResult,
    pub router: CheckResult,
    pub whatsapp: CheckResult,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `degraded`.
    pub status: &'static str,
    pub checks: Checks,
}

async fn timed<F, T, E>(name: &'static str, fut: F) -> CheckResult
where
    F: std::future::Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let started = Instant::now();
    match tokio::time::timeout(CHECK_TIMEOUT, fut).await {
        Ok(Ok(_)) => CheckResult { status: "up", latency_ms: Some(started.elapsed().as_millis() as u64) },
        Ok(Err(e)) => {
            tracing::warn!(check = name, error = %e, "health check failed");
            CheckResult { status: "down", latency_ms: None }
        }
        Err(_) => {
            tracing::warn!(check = name, "health check timed out");
            CheckResult { status: "down", latency_ms: None }
        }
    }
}

/// The last router and gateway checks, shared by every request (one check at a time).
#[derive(Default)]
pub struct PeerChecks(tokio::sync::Mutex<Option<(Instant, CheckResult, CheckResult)>>);

pub async fn peers(state: &AppState) -> (CheckResult, CheckResult) {
    let mut last = state.peer_checks.0.lock().await;
    // The router's and the gateway's answers are reused a while: the endpoint is public, and a
    // flood of health requests must not become a flood of router commands and gateway calls.
    if let Some((at, router, whatsapp)) = last.as_ref()
        && at.elapsed() < state.settings.health_cache
    {
        return (router.clone(), whatsapp.clone());
    }
    let router = async {
        match &state.router {
            Some(ops) => timed("router", ops.ping()).await,
            None => NOT_CONFIGURED,
        }
    };
    let whatsapp = async {
        match &state.notify.messenger {
            Some(m) => {
                let up = async {
                    match m.session_up().await {
                        Ok(true) => Ok(()),
                        Ok(false) => Err("WhatsApp session is not connected".to_owned()),
                        Err(e) => Err(e.to_string()),
                    }
                };
                timed("whatsapp", up).await
            }
            None => NOT_CONFIGURED,
        }
    };
    let (router, whatsapp) = tokio::join!(router, whatsapp);
    *last = Some((Instant::now(), router.clone(), whatsapp.clone()));
    (router, whatsapp)
}

const NOT_CONFIGURED: CheckResult = CheckResult { status: "not_configured", latency_ms: None };

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HealthQuery {
    /// `essential` (default): 503 only when Postgres or Redis is down, what a load balancer
    /// should act on (a router outage is every instance's; taking instances out does not help).
    /// `all`: 503 when any configured dependency is down (router, WhatsApp too), for monitors.
    #[param(pattern = "^(essential|all)$")]
    require: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/health",
    tag = "operations",
    params(HealthQuery),
    responses(
        (status = 200, description = "Postgres and Redis answer (with `require=all`: every configured dependency)", body = Health),
        (status = 422, description = "VALIDATION_ERROR: `require` is neither `essential` nor `all`"),
        (status = 503, description = "Postgres or Redis is down (with `require=all`: any dependency): the error envelope with `status: degraded` and `checks`"),
    )
)]

pub async fn health(state: web::Data<AppState>, q: web::Query<HealthQuery>) -> Result<HttpResponse, ApiError> {
    let all = match q.require.as_deref() {
        None | Some("essential") => false,
        Some("all") => true,
        Some(_) => return Err(ApiError::validation("require", "essential or all")),
    };
    let peers = peers(&state);
    let (database, redis, (router, whatsapp)) =
        tokio::join!(timed("database", state.db.ping()), timed("redis", state.kv.ping()), peers);
    let checks = Checks { database, redis, router, whatsapp };
    // Without Postgres or Redis nothing works: 503. A router or gateway outage degrades the
    // captive flow only; the API itself still answers.
    let essential_down = checks.database.status != "up" || checks.redis.status != "up";
    let degraded = essential_down || checks.router.status == "down" || checks.whatsapp.status == "down";
    if essential_down || (all && degraded) {
        let checks = serde_json::to_value(&checks).unwrap_or_default();
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ServiceDegraded,
            "Layanan sedang terganggu.",
            "The service is degraded.",
        )
        .with_retry_after(5)
        .with_extra("status", json!("degraded"))
        .with_extra("checks", checks));
    }
    Ok(HttpResponse::Ok().json(Health { status: if degraded { "degraded" } else { "ok" }, checks }))
}
