//! Admin endpoints (role admin or super_admin).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::db::schema::sync_runs;
use crate::http::AppState;
use crate::http::error::{ApiError, refuse};
use crate::http::session::{Authed, authenticate};

/// The signed-in admin, or 401/403.
pub async fn require_admin(req: &HttpRequest, state: &AppState) -> Result<Authed, ApiError> {
    let a = authenticate(req, state).await?;
    if !a.claims.role.is_admin() {
        return Err(refuse::forbidden());
    }
    Ok(a)
}

#[derive(Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = sync_runs)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct SyncRun {
    id: i64,
    trigger: String,
    job_id: Option<String>,
    status: String,
    started_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    users_count: i32,
    devices_count: i32,
    bytes_charged: i64,
    router_commands: i32,
    router_writes: i32,
    error_count: i32,
    errors: serde_json::Value,
}

#[derive(Deserialize)]
pub struct Limit {
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/admin/sync/status", tag = "admin", params(("limit" = Option<i64>, Query)),
    responses((status = 200, description = "`{runs:[…]}`, newest first"), (status = 401), (status = 403)))]
pub async fn sync_status(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<Limit>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&req, &state).await?;
    let limit = q.limit.unwrap_or(20);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::validation("limit", "1 to 200"));
    }
    let runs: Vec<SyncRun> = state
        .db
        .run(move |conn| {
            Ok(sync_runs::table.order(sync_runs::id.desc()).limit(limit).select(SyncRun::as_select()).load(conn)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "runs": runs })))
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

#[utoipa::path(post, path = "/api/admin/sync", tag = "admin",
    responses((status = 202, body = SyncQueued), (status = 401), (status = 403), (status = 503)))]
pub async fn sync_now(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let admin = require_admin(&req, &state).await?;
    if state.router.is_none() {
        return Err(ApiError::service_unavailable(
            "ROUTER_UNAVAILABLE",
            "Tidak ada router yang dikonfigurasi.",
            "No router is configured.",
        ));
    }
    let job = hotspot_jobs::ManualSync {
        requested_by: Some(admin.claims.sub.to_string()),
        request_id: crate::http::context::request_id(&req),
    };
    let queued = state.queues.enqueue_manual_sync(job).await.map_err(|e| {
        tracing::error!(error = %e, "could not queue a manual sync");
        ApiError::service_unavailable(
            "QUEUE_UNAVAILABLE",
            "Antrean tugas tidak tersedia; coba lagi sebentar lagi.",
            "The job queue is unavailable; try again shortly.",
        )
    })?;
    tracing::info!(job_id = %queued.job_id, created = queued.created, "manual sync requested");
    let message = if queued.created { "sync queued" } else { "a sync is already queued or running" };
    Ok(HttpResponse::Accepted().json(SyncQueued { job_id: queued.job_id, created: queued.created, message }))
}
