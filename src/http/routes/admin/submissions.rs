//! The users page's side panels: `/api/admin/update-submissions` (the public update form's
//! submissions, approved — the account takes the stated values — or rejected) and the
//! inactive-account policy's preview.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Paging;
use super::users::{AdminUserView, view};
use crate::accounts::submissions::Submission;
use crate::admin::inactive::Candidate;
use crate::domain::SubmissionStatus;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::AdminActor;
use crate::http::ids::{PathId, RecordPath};
use crate::http::input::Input;

type Data = web::Data<AppState>;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubmissionQuery {
    /// `PENDING` (default), `APPROVED` or `REJECTED`, any case.
    #[param(pattern = r"^(?i:pending|approved|rejected)$")]
    status: Option<String>,
    /// Part of a name, or a phone number.
    #[param(max_length = 100, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    search: Option<String>,
    #[param(minimum = 1, maximum = 1000000)]
    page: Option<i64>,
    #[serde(rename = "itemsPerPage")]
    #[param(minimum = 1, maximum = 100)]
    items_per_page: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct SubmissionPage {
    items: Vec<Submission>,
    #[serde(rename = "totalItems")]
    total_items: i64,
}

#[utoipa::path(get, path = "/api/admin/update-submissions", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(SubmissionQuery),
    responses((status = 200, body = SubmissionPage, description = "Newest first"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 422, description = "VALIDATION_ERROR")))]
pub async fn list(state: Data, _a: AdminActor, q: web::Query<SubmissionQuery>) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let status = match q.status.as_deref() {
        None => SubmissionStatus::Pending,
        Some(s) => s.parse().map_err(|_| ApiError::validation("status", "PENDING, APPROVED or REJECTED"))?,
    };
    let paging = Paging::new(q.page, q.items_per_page, 100)?;
    let search = q.search.map(|s| super::text_param("search", s, 100)).transpose()?.filter(|s| !s.trim().is_empty());
    let (items, total_items) = state.admin.submissions(status, search, paging.page, paging.per_page).await?;
    Ok(HttpResponse::Ok().json(SubmissionPage { items, total_items }))
}

#[derive(Serialize, ToSchema)]
pub struct ApprovedAnswer {
    message: &'static str,
    submission: Submission,
    user: AdminUserView,
}

#[utoipa::path(post, path = "/api/admin/update-submissions/{id}/approve", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ApprovedAnswer, description = "The account took the stated name, role and room"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN: a role change is a super admin's"),
        (status = 404, description = "NOT_FOUND"), (status = 409, description = "INVALID_STATE: processed before, or no account holds the number")))]
pub async fn approve(state: Data, a: AdminActor, id: PathId<RecordPath>) -> Result<HttpResponse, ApiError> {
    let (submission, changed) = state.admin.approve_submission(&a.0, id.0).await?;
    let user = view(&state, changed.user, None);
    Ok(HttpResponse::Ok().json(ApprovedAnswer { message: "Pengajuan berhasil disetujui.", submission, user }))
}

#[derive(Deserialize, ToSchema)]
pub struct RejectBody {
    #[schema(max_length = 500, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    rejection_reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RejectedAnswer {
    message: &'static str,
    submission: Submission,
}

#[utoipa::path(post, path = "/api/admin/update-submissions/{id}/reject", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, format = Uuid)),
    request_body(content((RejectBody = "application/json"))),
    responses((status = 200, body = RejectedAnswer),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 404, description = "NOT_FOUND"), (status = 409, description = "INVALID_STATE: processed before")))]
pub async fn reject(
    state: Data,
    a: AdminActor,
    id: PathId<RecordPath>,
    body: Option<Input<RejectBody>>,
) -> Result<HttpResponse, ApiError> {
    let why = body.and_then(|b| b.0.rejection_reason);
    let submission = state.admin.reject_submission(&a.0, id.0, why).await?;
    Ok(HttpResponse::Ok().json(RejectedAnswer { message: "Pengajuan berhasil ditolak.", submission }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PreviewQuery {
    /// How many candidates of each kind to list (default 10).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct Thresholds {
    deactivate_days: u32,
    delete_days: u32,
    /// Whether the worker applies the policy (runtime setting `inactive_cleanup`).
    enabled: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CandidateCounts {
    deactivate_candidates: i64,
    delete_candidates: i64,
}

#[derive(Serialize, ToSchema)]
pub struct CandidateLists {
    deactivate_candidates: Vec<Candidate>,
    delete_candidates: Vec<Candidate>,
}

#[derive(Serialize, ToSchema)]
pub struct CleanupPreview {
    thresholds: Thresholds,
    summary: CandidateCounts,
    items: CandidateLists,
}

#[utoipa::path(get, path = "/api/admin/users/inactive-cleanup-preview", tag = "admin", security(("bearer" = []), ("cookie" = [])),
    params(PreviewQuery),
    responses((status = 200, body = CleanupPreview, description = "Who the inactive-account policy would deactivate and delete now, longest unused first"),
        (status = 401, description = "AUTH_REQUIRED"), (status = 403, description = "FORBIDDEN"),
        (status = 422, description = "VALIDATION_ERROR")))]
pub async fn cleanup_preview(
    state: Data,
    _a: AdminActor,
    q: web::Query<PreviewQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = q.limit.unwrap_or(10);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::validation("limit", "1 to 200"));
    }
    let p = state.admin.inactive_preview(limit).await?;
    Ok(HttpResponse::Ok().json(CleanupPreview {
        thresholds: Thresholds { deactivate_days: p.deactivate_days, delete_days: p.delete_days, enabled: p.enabled },
        summary: CandidateCounts { deactivate_candidates: p.deactivate.1, delete_candidates: p.delete.1 },
        items: CandidateLists { deactivate_candidates: p.deactivate.0, delete_candidates: p.delete.0 },
    }))
}
