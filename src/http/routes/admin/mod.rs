//! Admin endpoints (role admin or super_admin): the sync here, users and their lifecycle in
//! `users` and `actions`, the operator's views and settings in `manage`.

pub mod actions;
pub mod backups;
pub mod billing;
pub mod bills;
pub mod debts;
pub mod editor;
pub mod logs;
pub mod manage;
pub mod ops;
pub mod packages;
pub mod promos;
pub mod requests;
pub mod routers;
pub mod sends;
pub mod submissions;
pub mod users;
pub mod whatsapp;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::models::SyncRun;
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::extract::{AdminActor, AdminUser};

pub use crate::http::input::Paging;

/// A text query parameter: bounded, no control characters (Postgres refuses NUL, and nothing
/// an admin types holds them).
pub fn text_param(field: &str, v: String, max: usize) -> Result<String, ApiError> {
    if v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(ApiError::validation(field, format!("at most {max} printable characters")));
    }
    Ok(v)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Limit {
    /// How many cycles, newest first (default 20).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct SyncRuns {
    runs: Vec<SyncRun>,
}

#[utoipa::path(get, path = "/api/admin/sync/status", tag = "admin", security(("bearer" = []), ("cookie" = [])), params(Limit),
    responses((status = 200, body = SyncRuns), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN")))]
pub async fn sync_status(
    state: web::Data<AppState>,
    _admin: AdminUser,
    q: web::Query<Limit>,
) -> Result<HttpResponse, ApiError> {
    let limit = q.limit.unwrap_or(20);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::validation("limit", "1 to 200"));
    }
    let runs = crate::sites::runs::recent(&state.db, limit).await?;
    Ok(HttpResponse::Ok().json(SyncRuns { runs }))
}

#[derive(Serialize, ToSchema)]
pub struct SyncQueued {
    /// The queued or running manual sync; its cycle shows up in `/api/admin/sync/status` with
    /// this `job_id`.
    job_id: String,
    /// False when a manual sync was already queued or running and this is that job.
    created: bool,
    message: &'static str,
}

#[utoipa::path(post, path = "/api/admin/sync", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    responses((status = 202, body = SyncQueued), (status = 401, description = "AUTH_REQUIRED"),
        (status = 403, description = "FORBIDDEN, ORIGIN_INVALID"), (status = 503, description = "ROUTER_UNAVAILABLE, QUEUE_UNAVAILABLE")))]
pub async fn sync_now(
    state: web::Data<AppState>,
    req: HttpRequest,
    actor: AdminActor,
) -> Result<HttpResponse, ApiError> {
    let admin = &actor.1;
    if state.router.is_none() {
        return Err(ApiError::unavailable_because(
            ErrorCode::RouterUnavailable,
            "Tidak ada router yang dikonfigurasi.",
            "No router is configured.",
        ));
    }
    let job = hotspot_jobs::ManualSync {
        requested_by: Some(admin.0.claims.sub.to_string()),
        request_id: crate::http::context::request_id(&req),
    };
    let queued = state.queues.enqueue_manual_sync(job).await.map_err(|e| {
        tracing::error!(error = %e, "could not queue a manual sync");
        ApiError::unavailable_because(
            ErrorCode::QueueUnavailable,
            "Antrean tugas tidak tersedia; coba lagi sebentar lagi.",
            "The job queue is unavailable; try again shortly.",
        )
    })?;
    tracing::info!(job_id = %queued.job_id, created = queued.created, "manual sync requested");
    if queued.created {
        state.admin.record_manual_sync(&actor.0, &queued.job_id).await?;
    }
    let message = if queued.created { "sync queued" } else { "a sync is already queued or running" };
    Ok(HttpResponse::Accepted().json(SyncQueued { job_id: queued.job_id, created: queued.created, message }))
}

/// An admin request's `Idempotency-Key` (a retried request does its work once).
pub fn idempotency_key(req: &actix_web::HttpRequest) -> Result<Option<String>, crate::http::error::ApiError> {
    match req.headers().get("Idempotency-Key") {
        None => Ok(None),
        Some(v) => {
            v.to_str().ok().filter(|k| !k.is_empty() && k.len() <= 100).map(|k| Some(k.to_owned())).ok_or_else(|| {
                crate::http::error::ApiError::validation("Idempotency-Key", "1 to 100 visible ASCII characters")
            })
        }
    }
}
